#!/usr/bin/env node
/**
 * Bundles the server (src/cli/main.ts and everything it imports) into dist/recontact.mjs, which
 * bin/recontact.js runs while it is newer than every source file. Dependencies stay in
 * node_modules. Paths a module finds relative to itself (`new URL('../x', import.meta.url)`:
 * the web app, the rate card, the examples, the CSV worker's entry) keep pointing where they
 * point in the sources: each module's `import.meta.url` becomes its source file's URL.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/recontact.mjs`;

/** Rewrites `import.meta.url` in our sources to the URL of the file it was written in. */
const sourceUrls = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return { contents: text, loader: 'ts' };
      const fromBundle = relative(dirname(outfile), args.path).split('\\').join('/');
      const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'ts' };
    });
  },
};

const started = performance.now();
const { outputFiles } = await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [sourceUrls],
  write: false,
});
// Each file written whole, then renamed into place: a process starting meanwhile (a test, a
// bench) imports the previous bundle or this one, never half of one.
await mkdir(dirname(outfile), { recursive: true });
for (const file of outputFiles) {
  const partial = `${file.path}.${process.pid}.partial`;
  await writeFile(partial, file.contents);
  await rename(partial, file.path);
}
if (!process.argv.includes('--quiet'))
  process.stdout.write(`built ${relative(root, outfile)} in ${Math.round(performance.now() - started)} ms\n`);
