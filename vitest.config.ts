import { existsSync } from 'node:fs';
import { defineConfig } from 'vitest/config';

// The browser suite needs Debian's Chromium (never downloaded). A laptop without it runs
// everything else and says so; CI (.ci/run installs the package) always runs it.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const browserSuite = existsSync(chromium) || process.env.CI === 'true';
if (!browserSuite) {
  process.stderr.write(
    `browser tests skipped: no Chromium at ${chromium} (apt-get install chromium, or set CHROMIUM_PATH)\n`,
  );
}

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', ...(browserSuite ? [] : ['test/browser/**'])],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Storage suites create their own PostgreSQL schema per file, so files can run in parallel.
    pool: 'forks',
    // One file at a time on a 2-core machine (vitest's default, CPUs − 1). Two at a time took
    // 827 s instead of 1,132 s, but beside two CPU hogs a browser test then timed out on a click.
    setupFiles: ['./test/support/prototype-guard.ts'],
    globalSetup: ['./test/support/build-web.ts', './test/support/build-server.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
