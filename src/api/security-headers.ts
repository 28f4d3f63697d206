/**
 * Headers every answer carries. The API only ever answers JSON (or a webhook challenge), so its
 * Content-Security-Policy forbids everything: a response rendered by mistake as a page can run
 * nothing. /docs is a real page (swagger-ui): its own scripts, styles and the OpenAPI document
 * from this origin, nothing else, and never inside a frame.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isWebAppPath } from './routes/web-app';

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

// swagger-ui sets inline style attributes and loads data: images (icons); it needs no eval.
export const DOCS_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

// The web app (web/): its own scripts only. Mantine writes its theme as an inline <style>, and
// images may be data: or blob: (a CSV preview, a template's header image picked from disk).
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const COMMON_SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
} as const;

export function isDocsPath(url: string): boolean {
  return url === '/docs' || url.startsWith('/docs/') || url.startsWith('/docs?');
}

/**
 * onSend hook: sets the headers on every reply, errors and 404s included, with the request id
 * that the logs and a 5xx answer name.
 */
export function responseHeadersHook(
  req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, payload: unknown) => void,
): void {
  reply.headers(COMMON_SECURITY_HEADERS);
  reply.header('x-request-id', req.id);
  reply.header(
    'content-security-policy',
    isDocsPath(req.url) ? DOCS_CSP : isWebAppPath(req.url) ? WEB_APP_CSP : API_CSP,
  );
  done(null, payload);
}
