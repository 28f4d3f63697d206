/**
 * Order and retention at the store: positions without gaps and per-key sequence numbers when two
 * processes (two stores on one database) emit and sequence at once; the deliverer's claim takes
 * only the head of each key; retention deletes old settled events and keeps pending ones. On
 * both databases, with a controlled clock.
 */
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { createIdGenerator } from '../../domain/ids';
import { openStore, type Store } from '../../store/database';
import {
  claimDueDeliveries,
  insertEndpoint,
  recordDeliveryResults,
  sequencePending,
} from '../../store/events-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import { EventBus } from './event-bus';
import { EventPruner } from './retention';
import { EventSequencer } from './sequencer';

describe.each(DIALECTS)('event order on %s', (dialect) => {
  let store: TestStore;
  let other: Store;
  let now = 1_764_000_000_000;
  const ctxOf = (s: Store): EngineContext => {
    const gen = createIdGenerator((n) => randomBytes(n));
    return { store: s, clock: () => now, id: (p) => gen(p, now), log: pino({ level: 'silent' }) };
  };
  const status = (contact: string, n: number) =>
    ({ type: 'message.status', data: { id: `msg_${n}`, contact_id: contact, status: 'sent' } }) as never;
  const events = (s: Store) =>
    s.db
      .selectFrom('events')
      .select(['id', 'type', 'position', 'ordering_key', 'sequence', 'payload'])
      .orderBy('position')
      .execute();

  // Each test its own database: retention and the claim look at every event.
  beforeEach(async () => {
    store = await openTestStore(dialect);
    // A second process: its own connection(s) to the same database.
    other = await openStore({ url: store.url, ...(store.pgSchema ? { pgSchema: store.pgSchema } : {}) });
  });
  afterEach(async () => {
    await other.close();
    await store.destroy();
  });

  it('two processes emitting and sequencing at once: positions 1…N without gaps, each contact 1, 2, 3… in order', async () => {
    const a = ctxOf(store);
    const b = ctxOf(other);
    const busA = new EventBus(a);
    const busB = new EventBus(b);
    const seqA = new EventSequencer(a);
    const seqB = new EventSequencer(b);
    const before = (await events(store)).length;
    // 40 transactions per process, each emitting for two of three contacts, interleaved with
    // both sequencers running.
    const step = async (bus: EventBus, s: Store, tag: string, seq: EventSequencer, i: number) => {
      await s.db.transaction().execute(async (trx) => {
        await bus.emit(trx, [status(`ctc_${i % 3}`, i), status(`ctc_${(i + 1) % 3}`, i)]);
        await bus.emit(trx, [
          { type: 'campaign.progress', data: { campaign: { id: `cmp_${tag}` } } } as never,
        ]);
      });
      if (i % 7 === 0) await seq.run();
    };
    if (dialect === 'postgres') {
      // Truly at once: each process on its own connections, transactions and sequencer runs overlapping.
      const work = async (bus: EventBus, s: Store, tag: string, seq: EventSequencer) => {
        for (let i = 0; i < 40; i++) await step(bus, s, tag, seq, i);
      };
      await Promise.all([work(busA, store, 'a', seqA), work(busB, other, 'b', seqB), seqA.run(), seqB.run()]);
    } else {
      // Two SQLite connections in one Node process cannot overlap write transactions (a busy
      // wait blocks the event loop the other needs); the processes take turns instead.
      for (let i = 0; i < 40; i++) {
        await step(busA, store, 'a', seqA, i);
        await step(busB, other, 'b', seqB, i);
      }
    }
    await seqB.run();
    await seqA.run();

    const all = (await events(store)).slice(before);
    expect(all).toHaveLength(2 * 40 * 3);
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => before + i + 1));
    const byKey = new Map<string, number[]>();
    for (const e of all) byKey.set(e.ordering_key!, [...(byKey.get(e.ordering_key!) ?? []), e.sequence!]);
    expect([...byKey.keys()].sort()).toEqual([
      'campaign:cmp_a',
      'campaign:cmp_b',
      'contact:ctc_0',
      'contact:ctc_1',
      'contact:ctc_2',
    ]);
    for (const [key, seqs] of byKey) {
      expect(seqs, key).toEqual(seqs.map((_, i) => i + 1));
    }
    // Within one process, a contact's events keep the order they were emitted in.
    for (const tag of ['a', 'b']) {
      const ofA = all.filter((e) => e.ordering_key === 'campaign:cmp_' + tag);
      expect(ofA.map((e) => e.position)).toEqual([...ofA.map((e) => e.position)].sort((x, y) => x! - y!));
    }
  });

  it('moves events from the backlog into the log with their positions, and sequences any an older process left in the log without one, in the order they were written', async () => {
    const ctx = ctxOf(store);
    const bus = new EventBus(ctx);
    const before = (await events(store)).length;
    now = 1_764_000_100_000;
    await bus.emit(store.db, [status('ctc_legacy', 1)]);
    // Written as a process from before migration 0021 writes it: in the log, with no position.
    await store.db
      .insertInto('events')
      .values({
        id: 'evt_legacy',
        type: 'message.status',
        payload: '{}',
        created_at: now + 1,
        ordering_key: 'contact:ctc_legacy',
      })
      .execute();
    now += 2;
    await bus.emit(store.db, [status('ctc_legacy', 2)]);
    expect(await store.db.selectFrom('event_backlog').select('id').execute()).toHaveLength(2);

    expect(await new EventSequencer(ctx).run()).toBe(3);
    expect(await store.db.selectFrom('event_backlog').select('id').execute()).toEqual([]);
    const all = (await events(store)).slice(before);
    expect(
      all.map((e) => [e.id === 'evt_legacy' ? 'legacy' : JSON.parse(e.payload).id, e.position, e.sequence]),
    ).toEqual([
      ['msg_1', before + 1, 1],
      ['legacy', before + 2, 2],
      ['msg_2', before + 3, 3],
    ]);
    expect(await new EventSequencer(ctx).run()).toBe(0);
  });

  it.runIf(dialect === 'postgres')(
    'a Kysely of its own over the same database (no named statements) moves the backlog the same way',
    async () => {
      const pool = new pg.Pool({ connectionString: store.url, options: `-c search_path=${store.pgSchema}` });
      const plain = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      try {
        const ctx = ctxOf(store);
        await new EventBus(ctx).emit(store.db, [status('ctc_plain', 1), status('ctc_plain', 2)]);
        const before = (await events(store)).length;
        expect(await sequencePending(plain, { now, limit: 10, newDeliveryId: () => ctx.id('dlv') })).toBe(2);
        const all = (await events(store)).slice(before);
        expect(all.map((e) => e.sequence)).toEqual([1, 2]);
        expect(await store.db.selectFrom('event_backlog').select('id').execute()).toEqual([]);
      } finally {
        await plain.destroy();
      }
    },
  );

  it('the claim takes only the head of each contact: a failing event holds back its contact, not the others', async () => {
    const ctx = ctxOf(store);
    const ep = `ep_head_${dialect}`;
    await insertEndpoint(
      store.db,
      { id: ep, url: 'http://127.0.0.1:9/', secret: 'whsec_x', eventTypes: ['*'] },
      now,
    );
    const bus = new EventBus(ctx);
    await bus.emit(store.db, [
      status('ctc_x', 1),
      status('ctc_x', 2),
      status('ctc_y', 1),
      status('ctc_x', 3),
      status('ctc_y', 2),
    ]);
    await new EventSequencer(ctx).run();
    const claim = (token: string) =>
      claimDueDeliveries(store.db, { endpointId: ep, now, leaseMs: 60_000, limit: 10, token });
    const first = await claim('t1');
    expect(first.map((d) => [d.ordering_key, d.sequence])).toEqual([
      ['contact:ctc_x', 1],
      ['contact:ctc_y', 1],
    ]);
    // In flight: nothing else of x or y is due.
    expect(await claim('t2')).toEqual([]);
    // x's head fails and waits for its retry; y's is delivered: y moves on, x waits.
    const result = (d: (typeof first)[number], ok: boolean) => ({
      id: d.id,
      leaseToken: d.lease_token,
      eventId: d.event_id,
      endpointId: ep,
      attempt: 1,
      startedAt: now,
      durationMs: 1,
      statusCode: ok ? 204 : 503,
      error: ok ? null : 'HTTP 503',
      outcome: ok
        ? ({ delivered: true } as const)
        : ({ delivered: false, nextAttemptAt: now + 5_000 } as const),
      attemptLogId: ctx.id('dat'),
    });
    await recordDeliveryResults(store.db, [result(first[0]!, false), result(first[1]!, true)], now);
    const second = await claim('t3');
    expect(second.map((d) => [d.ordering_key, d.sequence])).toEqual([['contact:ctc_y', 2]]);
    now += 5_000;
    const third = await claim('t4');
    expect(third.map((d) => [d.ordering_key, d.sequence])).toEqual([['contact:ctc_x', 1]]);
    await recordDeliveryResults(store.db, [result(third[0]!, true)], now);
    expect((await claim('t5')).map((d) => [d.ordering_key, d.sequence])).toEqual([['contact:ctc_x', 2]]);
  });

  it('retention deletes old settled events with their deliveries and logs, keeps pending ones and the counters', async () => {
    const ctx = ctxOf(store);
    const ep = `ep_ret_${dialect}`;
    await insertEndpoint(
      store.db,
      { id: ep, url: 'http://127.0.0.1:9/', secret: 'whsec_x', eventTypes: ['*'] },
      now,
    );
    const bus = new EventBus(ctx);
    const t0 = now;
    await bus.emit(store.db, [status('ctc_old', 1), status('ctc_pending', 1)]);
    await new EventSequencer(ctx).run();
    const [settled] = await claimDueDeliveries(store.db, {
      endpointId: ep,
      now,
      leaseMs: 60_000,
      limit: 1,
      token: 'r1',
    });
    expect(settled!.ordering_key).toBe('contact:ctc_old');
    await recordDeliveryResults(
      store.db,
      [
        {
          id: settled!.id,
          leaseToken: 'r1',
          eventId: settled!.event_id,
          endpointId: ep,
          attempt: 1,
          startedAt: now,
          durationMs: 1,
          statusCode: 204,
          error: null,
          outcome: { delivered: true },
          attemptLogId: ctx.id('dat'),
        },
      ],
      now,
    );
    const pruner = new EventPruner(ctx, 7 * 86_400_000);
    now = t0 + 7 * 86_400_000 - 1;
    expect(await pruner.run()).toBe(0); // not yet old enough
    now = t0 + 7 * 86_400_000 + 1;
    expect(await pruner.run()).toBe(1);
    const left = await store.db
      .selectFrom('events')
      .select(['id', 'ordering_key'])
      .where('created_at', '=', t0)
      .execute();
    expect(left.map((e) => e.ordering_key)).toEqual(['contact:ctc_pending']);
    const logs = await store.db
      .selectFrom('event_delivery_attempts')
      .select('id')
      .where('event_id', '=', settled!.event_id)
      .execute();
    expect(logs).toEqual([]);
    expect(
      await store.db
        .selectFrom('event_deliveries')
        .select('id')
        .where('event_id', '=', settled!.event_id)
        .execute(),
    ).toEqual([]);
    // The pruned contact's next event goes on from 2, not 1.
    await bus.emit(store.db, [status('ctc_old', 2)]);
    await new EventSequencer(ctx).run();
    const next = await store.db
      .selectFrom('events')
      .select('sequence')
      .where('ordering_key', '=', 'contact:ctc_old')
      .executeTakeFirstOrThrow();
    expect(next.sequence).toBe(2);
  });
});
