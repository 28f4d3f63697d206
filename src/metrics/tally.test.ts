/**
 * The hot-path counters and histograms write what prom-client's own would: cumulative buckets
 * whose bound includes the value equal to it, +Inf equal to the count, one series per label set.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseScrape, sampleValue } from '../../test/e2e/metrics-text';
import { TallyCounter, TallyHistogram } from './tally';

describe('tally metrics', () => {
  it('count per label set, each series apart', async () => {
    const registry = new Registry();
    const sends = new TallyCounter(registry, { name: 't_sends_total', help: 'h', labelNames: ['outcome'] });
    const accepted = sends.labels({ outcome: 'accepted' });
    accepted.inc();
    accepted.inc(2);
    sends.labels({ outcome: 'failed' }).inc();
    const s = parseScrape(await registry.metrics());
    expect(s.types.get('t_sends_total')).toBe('counter');
    expect(sampleValue(s, 't_sends_total', { outcome: 'accepted' })).toBe(3);
    expect(sampleValue(s, 't_sends_total', { outcome: 'failed' })).toBe(1);
  });

  it('write cumulative buckets, the bound inclusive, and the sum and count', async () => {
    const registry = new Registry();
    const lag = new TallyHistogram(registry, {
      name: 't_lag_seconds',
      help: 'h',
      labelNames: ['endpoint'],
      buckets: [1, 0.1, 10],
    });
    const ep = lag.labels({ endpoint: 'ep_1' });
    for (const v of [0.05, 0.1, 0.5, 1, 20]) ep.observe(v);
    const s = parseScrape(await registry.metrics());
    expect(s.types.get('t_lag_seconds')).toBe('histogram');
    const bucket = (le: string) => sampleValue(s, 't_lag_seconds_bucket', { endpoint: 'ep_1', le });
    expect([bucket('0.1'), bucket('1'), bucket('10'), bucket('+Inf')]).toEqual([2, 4, 4, 5]);
    expect(sampleValue(s, 't_lag_seconds_count', { endpoint: 'ep_1' })).toBe(5);
    expect(sampleValue(s, 't_lag_seconds_sum', { endpoint: 'ep_1' })).toBeCloseTo(21.65);
  });
});
