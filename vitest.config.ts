import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Storage suites create their own PostgreSQL schema per file, so files can run in parallel.
    pool: 'forks',
    setupFiles: ['./test/support/prototype-guard.ts'],
    globalSetup: ['./test/support/build-web.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
