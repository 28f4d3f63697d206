/**
 * The database gauges on both databases: one reading serves the scrapes of its period (by a
 * controlled clock), ages count from the engine's clock, and a database that cannot be read
 * leaves the gauges out and says so, while the process's own metrics are still served.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScrape, sampleValue } from '../../test/e2e/metrics-text';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { createIdGenerator } from '../domain/ids';
import type { EngineContext } from '../engine/context';
import { createMetrics } from './registry';

const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('database gauges on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;
  let monotonic = 0;
  let now = T0;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    const gen = createIdGenerator((n) => randomBytes(n));
    ctx = { store, clock: () => now, id: (p) => gen(p, now), log: pino({ level: 'silent' }) };
  });
  afterAll(() => store.destroy());

  const inbox = (id: string, receivedAt: number) =>
    store.db
      .insertInto('webhook_inbox')
      .values({ id, channel: 'whatsapp', body: '{}', status: 'pending', received_at: receivedAt })
      .execute();

  it('reads the database once per period, however many scrapes, and counts ages by the engine clock', async () => {
    const metrics = createMetrics(ctx, { workerId: 'w1', cacheMs: 1_000, monotonicMs: () => monotonic });
    await inbox('whk_a', T0 - 4_000);
    const first = parseScrape(await metrics.render());
    expect(sampleValue(first, 'recontact_webhook_inbox_pending')).toBe(1);
    expect(sampleValue(first, 'recontact_webhook_inbox_oldest_age_seconds')).toBe(4);

    await inbox('whk_b', T0 - 1_000);
    now = T0 + 2_000;
    monotonic += 999;
    const cached = parseScrape(await metrics.render());
    expect(sampleValue(cached, 'recontact_webhook_inbox_pending')).toBe(1);
    expect(sampleValue(cached, 'recontact_webhook_inbox_oldest_age_seconds')).toBe(4);

    monotonic += 1;
    const fresh = parseScrape(await metrics.render());
    expect(sampleValue(fresh, 'recontact_webhook_inbox_pending')).toBe(2);
    expect(sampleValue(fresh, 'recontact_webhook_inbox_oldest_age_seconds')).toBe(6);
  });

  it('leaves the database gauges out when the database cannot be read, and keeps the rest', async () => {
    const closed = await openTestStore(dialect);
    const metrics = createMetrics(
      { ...ctx, store: closed },
      { workerId: 'w2', monotonicMs: () => monotonic },
    );
    await closed.destroy();
    const s = parseScrape(await metrics.render());
    expect(sampleValue(s, 'recontact_metrics_database_up')).toBe(0);
    expect(sampleValue(s, 'recontact_metrics_database_read_errors_total')).toBe(1);
    expect(sampleValue(s, 'recontact_webhook_inbox_pending')).toBeNaN();
    expect(sampleValue(s, 'recontact_queue_messages')).toBeUndefined();
    expect(sampleValue(s, 'recontact_worker_info', { worker: 'w2' })).toBe(1);
    expect(sampleValue(s, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
