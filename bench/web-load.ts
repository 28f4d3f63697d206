/**
 * `npm run bench:web`: how fast the web app loads on loopback, in Debian's Chromium: the built
 * bundle's size (raw and gzip), and for a cold and a warm load of the sign-in page, the time to
 * the load event and to the first contentful paint (median of 5 each). Prints figures, asserts
 * nothing. Recontact runs as `npm start` runs it (`serve`, embedded sandbox, SQLite).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchBrowser } from '../test/browser/support/browser';
import { startProcess } from './procs';

const RUNS = 5;
const ASSETS = new URL('../web/dist/assets/', import.meta.url);

/** All assets, and those the first page loads (named in index.html; the rest load on first use). */
function bundleSizes() {
  const index = readFileSync(new URL('../index.html', ASSETS), 'utf8');
  const sum = (files: string[]) => {
    let raw = 0;
    let gz = 0;
    for (const f of files) {
      const bytes = readFileSync(new URL(f, ASSETS));
      raw += statSync(new URL(f, ASSETS)).size;
      gz += gzipSync(bytes).length;
    }
    return { files: files.length, raw, gz };
  };
  const all = readdirSync(ASSETS);
  return { all: sum(all), first: sum(all.filter((f) => index.includes(`/assets/${f}`))) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (n: number) => `${Math.round(n / 1024)} KiB`;

const dir = mkdtempSync(join(tmpdir(), 'recontact-web-'));
const serve = await startProcess(
  ['src/cli/main.ts', 'serve'],
  { PORT: '0', SANDBOX_PORT: '0', LOG_LEVEL: 'warn', DATABASE_URL: join(dir, 'web.db') },
  /listening on (http:\/\/\S+)/,
);
const browser = await launchBrowser();
try {
  const sizes = bundleSizes();
  const timings = {
    cold: { load: [] as number[], fcp: [] as number[] },
    warm: { load: [] as number[], fcp: [] as number[] },
  };
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    for (const kind of ['cold', 'warm'] as const) {
      await page.goto(`${serve.url}/`, { waitUntil: 'load' });
      await page.getByRole('button', { name: /Sign in|Entrar/ }).waitFor();
      await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
      const t = await page.evaluate(() => {
        // Runs in the page: the DOM's types are not in this (Node) project's.
        const nav = (performance as any).getEntriesByType('navigation')[0];
        const fcp = performance.getEntriesByName('first-contentful-paint')[0];
        return { load: nav.loadEventEnd - nav.startTime, fcp: fcp ? fcp.startTime : Number.NaN };
      });
      timings[kind].load.push(t.load);
      timings[kind].fcp.push(t.fcp);
    }
    await context.close();
  }
  process.stdout.write(
    `web app bundle: ${sizes.all.files} files, ${kb(sizes.all.raw)} (${kb(sizes.all.gz)} gzip); ` +
      `the first page loads ${sizes.first.files} of them, ${kb(sizes.first.raw)} (${kb(sizes.first.gz)} gzip)\n` +
      `sign-in page, cold cache: load ${median(timings.cold.load).toFixed(0)} ms, first paint ${median(timings.cold.fcp).toFixed(0)} ms\n` +
      `sign-in page, warm cache: load ${median(timings.warm.load).toFixed(0)} ms, first paint ${median(timings.warm.fcp).toFixed(0)} ms\n`,
  );
} finally {
  await browser.close();
  await serve.stop();
  rmSync(dir, { recursive: true, force: true });
}
