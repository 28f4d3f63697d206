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

// Test files that run beside no other: the browser suite, whose page actions wait on a real
// Chromium and a real server sharing the machine's two cores.
const ALONE = 'test/browser/**';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Storage suites create their own PostgreSQL schema per file, so files can run in parallel.
    pool: 'forks',
    setupFiles: ['./test/support/prototype-guard.ts'],
    globalSetup: ['./test/support/build-web.ts', './test/support/build-server.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/node_modules/**', ALONE],
          // Two files at a time on 2 cores: the suite waits on processes, sockets and
          // PostgreSQL as much as it computes.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      ...(browserSuite
        ? [
            {
              extends: true as const,
              test: {
                name: 'browser',
                include: [`${ALONE}/*.test.ts`],
                // After the rest, one file at a time: beside another test file and two CPU hogs,
                // a page action timed out (two files at a time, 2026-12-02).
                maxWorkers: 1,
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
