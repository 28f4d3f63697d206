/**
 * recontact_event_loop_busy_seconds_total: a counter of the time the event loop ran code. It
 * grows by at least the time a synchronous stretch held the loop, never by more than the time
 * that passed, and never goes down. Wall-clock spans, not CPU time: a machine busy beside the
 * test slows the spin but does not change what the counter must say about it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScrape, sampleValue } from '../../test/e2e/metrics-text';
import { testContext } from '../../test/support/engine-context';
import { openTestStore, type TestStore } from '../../test/support/stores';
import { createMetrics, type Metrics } from './registry';

const BUSY = 'recontact_event_loop_busy_seconds_total';

describe('the event loop busy counter', () => {
  let store: TestStore;
  let metrics: Metrics;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
    metrics = createMetrics(testContext(store, Date.now), { workerId: 'busy-test' });
  });
  afterAll(() => store.destroy());

  const busy = async () => {
    const s = parseScrape(await metrics.render());
    expect(s.types.get(BUSY)).toBe('counter');
    return sampleValue(s, BUSY)!;
  };

  it('counts a stretch that held the loop, and no more than the time that passed', async () => {
    // Both readings are taken after t0 and before the end: what they count lies between.
    const t0 = performance.now();
    const before = await busy();
    const spin = performance.now();
    // Holds the loop for 200 ms of wall time, however slowly this machine runs it.
    while (performance.now() - spin < 200) {}
    const after = await busy();
    const elapsed = (performance.now() - t0) / 1000;
    expect(after - before).toBeGreaterThanOrEqual(0.19);
    expect(after - before).toBeLessThanOrEqual(elapsed + 0.005);
  });

  it('does not grow while the loop waits', async () => {
    const before = await busy();
    await new Promise((r) => setTimeout(r, 300));
    const after = await busy();
    expect(after).toBeGreaterThanOrEqual(before);
    // The scrapes themselves and the timer's callback are the only work here.
    expect(after - before).toBeLessThan(0.2);
  });
});
