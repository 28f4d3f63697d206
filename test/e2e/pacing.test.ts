/**
 * Pacing as Meta sees it: with the number configured for 20 messages a second, no one-second
 * window at the sandbox ever holds more than 20 of our sends. (An upper bound: a slow machine
 * cannot make it fail.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REMINDER, startHarness } from '../support/harness';

describe('pacing', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('sqlite', { env: { WHATSAPP_THROUGHPUT_MPS: '20' } });
  });
  afterAll(() => h.close());

  it('never sends more than the configured rate in any one-second window', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push((await h.api('POST', '/v1/messages', { ...REMINDER, to: `+1 650 555 ${4000 + i}` })).json.id);
    }
    await h.waitFor('all sent', () => h.embedded.sandbox.sent().length >= 50, 15_000);
    const times = h.embedded.sandbox
      .sent()
      .map((s) => s.at)
      .sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      most = Math.max(most, i - j + 1);
    }
    expect(most).toBeLessThanOrEqual(20);
    expect(most).toBeGreaterThan(1); // it did send in bursts of the allowance, not one by one
  });
});
