/**
 * The operators' web app (web/, built into web/dist by `npm run build:web`, which `npm install`
 * runs): index.html at `/` and at every page address, so a reload or a shared link opens the
 * same page; the hashed assets under /assets/ cached for good. It uses only the public /v1 API.
 * When the build is missing (a checkout installed with --ignore-scripts), `/` says how to build
 * it instead of failing in the browser.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

const DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** The first path segments the web app's router owns (web/src/app/routes.tsx). */
export const WEB_APP_SECTIONS = ['templates', 'contacts', 'campaigns', 'conversations', 'sandbox', 'users'];

export function isWebAppPath(url: string): boolean {
  const path = url.split('?')[0]!;
  if (path === '/' || path.startsWith('/assets/')) return true;
  const section = path.split('/')[1] ?? '';
  return WEB_APP_SECTIONS.includes(section);
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Recontact</title>
<p>The web app is not built in this installation. Run <code>npm run build:web</code> (or
<code>npm install</code>, which builds it) and reload. The API is at <a href="/docs">/docs</a>.</p>`;

export function webAppRoutes(dist: string = DIST) {
  return async (app: FastifyInstance): Promise<void> => {
    const indexFile = `${dist}index.html`;
    const built = existsSync(indexFile);
    // Read once: the page is small and never changes while the process runs.
    const index = built ? readFileSync(indexFile) : undefined;
    const page = (reply: FastifyReply) => {
      reply.header('cache-control', 'no-cache');
      if (!index) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT);
      return reply.type('text/html; charset=utf-8').send(index);
    };
    const hide = { schema: { hide: true } };
    app.get('/', hide, (_req, reply) => page(reply));
    for (const section of WEB_APP_SECTIONS) {
      app.get(`/${section}`, hide, (_req, reply) => page(reply));
      app.get(`/${section}/*`, hide, (_req, reply) => page(reply));
    }
    if (built) {
      await app.register(fastifyStatic, {
        root: `${dist}assets`,
        prefix: '/assets/',
        index: false,
        wildcard: true,
        immutable: true,
        maxAge: '365d',
        schemaHide: true,
      });
    }
  };
}
