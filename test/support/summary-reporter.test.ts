/**
 * The run's last line is what a CI reads: a run that failed, even only in a hook, must never
 * end with "0 failed".
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const root = fileURLToPath(new URL('../fixtures/summary-reporter/', import.meta.url));
const vitest = fileURLToPath(new URL('../../node_modules/vitest/vitest.mjs', import.meta.url));

it('counts a describe block whose beforeAll failed as a failure outside any test', () => {
  const run = spawnSync(process.execPath, [vitest, 'run', '--root', root], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
    timeout: 60_000,
  });
  const last = run.stdout.trim().split('\n').at(-1);
  expect(last).toBe('1 passed, 1 failed, 1 skipped (and 1 failure outside any test)');
  expect(run.status).toBe(1);
});
