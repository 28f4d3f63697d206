#!/usr/bin/env node
// Runs the bundle `npm run build` makes (dist/recontact.mjs; `npm ci` builds it) while it is
// newer than every source file, else the TypeScript sources through tsx: an edited source is
// never shadowed by an older build, and there is no build step to forget. The bundle starts
// faster and takes about 60 MB less memory (no loader thread, no compiled-source caches).
import { readdirSync, statSync } from 'node:fs';

const bundle = new URL('../dist/recontact.mjs', import.meta.url);

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function bundleIsFresh() {
  if (process.env.RECONTACT_FROM_SOURCE) return false;
  try {
    return statSync(bundle).mtimeMs >= newestSource(new URL('../src/', import.meta.url));
  } catch {
    return false;
  }
}

if (bundleIsFresh()) {
  await import(bundle.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
