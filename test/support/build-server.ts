/**
 * Vitest global setup: rebuilds dist/recontact.mjs when a source is newer, so every test that
 * starts `bin/recontact.js` runs the bundle users run (`npm ci` builds it), not a fallback to
 * the sources. bin/recontact.js would fall back correctly anyway; this keeps the bundle tested.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newestMtime } from './newest-mtime';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(ROOT, 'dist', 'recontact.mjs');

export default function setup(): void {
  if (
    existsSync(BUNDLE) &&
    statSync(BUNDLE).mtimeMs >= newestMtime(join(ROOT, 'src'), (name) => name.endsWith('.test.ts'))
  )
    return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs'), '--quiet'], {
    stdio: 'inherit',
  });
}
