/**
 * Vitest global setup: builds the web app once per run, so the browser suite and the serving
 * tests see the pages as they are in web/src, not a build left from an earlier checkout.
 */
import { build } from 'vite';

export default async function setup(): Promise<void> {
  await build({
    configFile: new URL('../../web/vite.config.ts', import.meta.url).pathname,
    logLevel: 'warn',
  });
}
