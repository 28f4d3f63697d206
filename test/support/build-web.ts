/**
 * Vitest global setup: builds the web app when web/dist is older than its sources (or missing),
 * so the browser suite and the serving tests see the pages as they are in web/src. A build that
 * is current is left alone: rebuilding empties web/dist under any other run serving it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtime } from './newest-mtime';

const WEB = fileURLToPath(new URL('../../web/', import.meta.url));
const BUILT = join(WEB, 'dist', 'index.html');

export default async function setup(): Promise<void> {
  const sources = Math.max(
    newestMtime(join(WEB, 'src')),
    statSync(join(WEB, 'index.html')).mtimeMs,
    statSync(join(WEB, 'vite.config.ts')).mtimeMs,
  );
  if (existsSync(BUILT) && statSync(BUILT).mtimeMs >= sources) return;
  // In a process of its own, as `npm run build:web` runs it: the production build, whatever
  // NODE_ENV this test run has.
  const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
  execFileSync(
    process.execPath,
    [vite, 'build', '--config', join(WEB, 'vite.config.ts'), '--logLevel', 'warn'],
    {
      stdio: 'inherit',
    },
  );
}
