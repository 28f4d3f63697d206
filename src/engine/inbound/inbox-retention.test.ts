/**
 * Webhook inbox retention on both databases, with a controlled clock: applied bodies older than
 * the retention go, in batches; bodies not applied yet, parked ones and young ones stay, whatever
 * their number; `forever` keeps everything; the loop prunes at most every 10 seconds.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { createIdGenerator } from '../../domain/ids';
import { insertWebhooks, markWebhookFailed, markWebhooksProcessed } from '../../store/inbox-repo';
import type { EngineContext } from '../context';
import { InboxPruner } from './inbox-retention';

const DAY = 86_400_000;
const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('webhook inbox retention on %s', (dialect) => {
  let store: TestStore;
  let now = T0;
  let ctx: EngineContext;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    now = T0;
    const gen = createIdGenerator((n) => randomBytes(n));
    ctx = { store, clock: () => now, id: (p) => gen(p, now), log: pino({ level: 'silent' }) };
  });
  afterEach(() => store.destroy());

  /** Stores a body as ingest does, at the current time; `state` is where it ends up. */
  const body = async (state: 'pending' | 'processed' | 'failed') => {
    const id = ctx.id('whk');
    await insertWebhooks(store.db, [{ id, channel: 'whatsapp', body: `{"n":"${id}"}` }], now);
    if (state === 'processed') await markWebhooksProcessed(store.db, [id], now);
    if (state === 'failed') await markWebhookFailed(store.db, id, 'no longer parses', true, now);
    return id;
  };
  const left = async () =>
    (await store.db.selectFrom('webhook_inbox').select('id').orderBy('id').execute()).map((r) => r.id);

  it('deletes applied bodies older than the retention and keeps pending, parked and young ones', async () => {
    const old: string[] = [];
    for (let i = 0; i < 5; i++) {
      old.push(await body('processed'));
      now += 1;
    }
    const oldPending = await body('pending');
    const oldParked = await body('failed');
    now = T0 + 2 * DAY;
    const young = await body('processed');
    const pruner = new InboxPruner(ctx, 7 * DAY);

    now = T0 + 7 * DAY - 1;
    expect(await pruner.run()).toBe(0); // not old enough yet
    now = T0 + 7 * DAY + 10;
    expect(await pruner.run()).toBe(5);
    expect(await left()).toEqual([oldPending, oldParked, young].sort());
    // The young one goes when it is old enough; the other two never.
    now = T0 + 30 * DAY;
    expect(await pruner.run()).toBe(1);
    expect(await left()).toEqual([oldPending, oldParked].sort());
  });

  it('works through a backlog larger than one statement in one run', async () => {
    // 2,500 applied bodies: three batches of 1,000 in one run.
    const ids: string[] = [];
    for (let i = 0; i < 2_500; i++) ids.push(ctx.id('whk'));
    const rows = ids.map((id) => ({
      id,
      channel: 'whatsapp',
      body: '{}',
      status: 'processed' as const,
      received_at: now,
      processed_at: now,
      error: null,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await store.db
        .insertInto('webhook_inbox')
        .values(rows.slice(i, i + 500))
        .execute();
    now += 8 * DAY;
    expect(await new InboxPruner(ctx, 7 * DAY).run()).toBe(2_500);
    expect(await left()).toEqual([]);
  });

  it('prunes at most every 10 seconds from the loop, and never with "forever"', async () => {
    await body('processed');
    now += 8 * DAY;
    const kept = new InboxPruner(ctx, null);
    expect(await kept.maybeRun()).toBe(0);
    expect(await kept.run()).toBe(0);
    expect(await left()).toHaveLength(1);

    const pruner = new InboxPruner(ctx, 7 * DAY);
    expect(await pruner.maybeRun()).toBe(1);
    now -= 8 * DAY;
    await body('processed');
    now += 8 * DAY + 5_000;
    expect(await pruner.maybeRun()).toBe(0); // 5 s after the last run
    now += 5_000;
    expect(await pruner.maybeRun()).toBe(1);
  });
});
