/**
 * Vitest global setup: rebuilds dist/recontact.mjs when a source is newer, so every test that
 * starts `bin/recontact.js` runs the bundle users run (`npm ci` builds it), not a fallback to
 * the sources. bin/recontact.js would fall back correctly anyway; this keeps the bundle tested.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLE = join(ROOT, 'dist', 'recontact.mjs');

function newestSource(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newestSource(p));
    else if (!e.name.endsWith('.test.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

export default function setup(): void {
  if (existsSync(BUNDLE) && statSync(BUNDLE).mtimeMs >= newestSource(join(ROOT, 'src'))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs'), '--quiet'], {
    stdio: 'inherit',
  });
}
