/**
 * The outbox to the bot: signed Standard Webhooks requests, retried on the schedule until a 2xx,
 * each attempt logged, a breaker per endpoint, the `failing` mark, one deadline per attempt —
 * against real HTTP receivers, on both databases. The schedule's clock is controlled; only the
 * per-attempt deadline runs on real time.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { writtenEvents } from '../../../test/support/written-events';
import { DEFAULT_BREAKER_POLICY } from '../../domain/endpoint-health';
import { EVENT_RETRY_SCHEDULE_MS } from '../../domain/event-retry';
import { createIdGenerator } from '../../domain/ids';
import {
  attemptsOfDelivery,
  claimDueDeliveries,
  deliveriesOfEvent,
  insertEndpoint,
  recordDeliveryResults,
} from '../../store/events-repo';
import type { EngineContext } from '../context';
import { DEFAULT_DELIVERER_OPTIONS, type DelivererOptions, EventDeliverer } from './deliverer';
import { EventBus } from './event-bus';
import { EventSequencer } from './sequencer';
import { newEndpointSecret, signPayload } from './signing';

interface Received {
  path: string;
  headers: Record<string, unknown>;
  body: string;
}

describe.each(DIALECTS)('event delivery on %s', (dialect) => {
  let store: TestStore;
  let bot: FastifyInstance;
  let botUrl: string;
  let now = 1_764_000_000_000;
  const received: Received[] = [];
  const failuresLeft = new Map<string, number>();
  let flakyDown = false;
  const secret = newEndpointSecret();
  const gen = createIdGenerator((n) => randomBytes(n));
  const ctx = (): EngineContext => ({
    store,
    clock: () => now,
    id: (p) => gen(p, now),
    log: pino({ level: 'silent' }),
  });
  const deliverer = (o: Partial<DelivererOptions> = {}) =>
    new EventDeliverer(ctx(), {
      ...DEFAULT_DELIVERER_OPTIONS,
      retry: { schedule: EVENT_RETRY_SCHEDULE_MS, jitter: 0 },
      ...o,
    });
  let endpointSeq = 0;
  /** A new endpoint at `path`, subscribed to `types`. */
  const endpoint = async (path: string, types: string[]) => {
    const id = `ep_${++endpointSeq}`;
    await insertEndpoint(store.db, { id, url: `${botUrl}${path}`, secret, eventTypes: types }, now);
    return id;
  };
  /** Emits (its own commit), then sequences, as the deliverer's next pass would: deliveries exist. */
  const emit = async (type: 'message.reply' | 'message.status', n = 1) => {
    await new EventBus(ctx()).emit(
      store.db,
      Array.from({ length: n }, (_, i) => ({ type, data: { n: i } }) as never),
    );
    await new EventSequencer(ctx()).run();
  };
  const deliveriesTo = (endpointId: string) =>
    store.db
      .selectFrom('event_deliveries')
      .selectAll()
      .where('endpoint_id', '=', endpointId)
      .orderBy('id')
      .execute();

  beforeAll(async () => {
    store = await openTestStore(dialect);
    bot = Fastify();
    bot.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, b, done) => done(null, b));
    bot.post('/:kind', async (req, reply) => {
      const kind = (req.params as { kind: string }).kind;
      received.push({ path: kind, headers: req.headers, body: req.body as string });
      const left = failuresLeft.get(kind) ?? 0;
      if (left > 0) {
        failuresLeft.set(kind, left - 1);
        return reply.status(503).send('busy');
      }
      if (kind === 'dead' || (kind === 'flaky' && flakyDown)) return reply.status(503).send('down');
      if (kind === 'hang') return new Promise(() => {});
      if (kind === 'trickle') {
        // Headers at once, then one byte every 100 ms: never idle long enough for a gap timeout.
        reply.hijack();
        reply.raw.writeHead(500, { 'content-type': 'text/plain' });
        const t = setInterval(() => reply.raw.write('.'), 100);
        reply.raw.on('close', () => clearInterval(t));
        setTimeout(() => reply.raw.end(), 20_000).unref();
        return;
      }
      return reply.status(204).send();
    });
    botUrl = await bot.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await bot.close();
    await store.destroy();
  });
  beforeEach(async () => {
    received.length = 0;
    // Each test subscribes its own endpoints; earlier ones stop receiving.
    await store.db.updateTable('event_endpoints').set({ enabled: 0 }).execute();
  });

  it('signs, retries on the schedule after failures, stops at the first 2xx, logs every attempt', async () => {
    const ep = await endpoint('/hook', ['message.reply']);
    failuresLeft.set('hook', 2);
    await emit('message.reply');
    await emit('message.status'); // not subscribed: no delivery
    const d = deliverer();

    expect(await d.runOnce()).toBe(1); // 503
    expect(await d.runOnce()).toBe(0); // waiting for its retry
    now += EVENT_RETRY_SCHEDULE_MS[0]! - 1;
    expect(await d.runOnce()).toBe(0); // still 1 ms early
    now += 1;
    expect(await d.runOnce()).toBe(1); // 503 again, at exactly +5 s (no jitter here)
    now += EVENT_RETRY_SCHEDULE_MS[1]!;
    expect(await d.runOnce()).toBe(1); // 204
    now += 24 * 3_600_000;
    expect(await d.runOnce()).toBe(0); // delivered: never again
    await d.stop();

    expect(received).toHaveLength(3);
    const id = String(received[0]!.headers['webhook-id']);
    expect(received.every((r) => r.headers['webhook-id'] === id)).toBe(true);
    for (const r of received) {
      const ts = Number(r.headers['webhook-timestamp']);
      expect(r.headers['webhook-signature']).toBe(signPayload(secret, id, ts, r.body));
    }
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'message.reply', data: { n: 0 } });
    const [delivery] = await deliveriesOfEvent(store.db, id);
    expect(delivery).toMatchObject({ endpoint_id: ep, status: 'delivered', attempts: 3, lease_token: null });
    expect(delivery!.last_error).toMatch(/503/);
    const log = await attemptsOfDelivery(store.db, delivery!.id);
    expect(log.map((a) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 503, 'failed'],
      [2, 503, 'failed'],
      [3, 204, 'delivered'],
    ]);
    expect(log[0]!.error).toBe('HTTP 503: busy');
    expect(log[2]!.error).toBeNull();
    expect(log.every((a) => a.duration_ms >= 0)).toBe(true);
    expect(log[1]!.started_at - log[0]!.started_at).toBe(EVENT_RETRY_SCHEDULE_MS[0]);
  });

  it('gives up after the schedule (15 attempts, about a day), marks the endpoint failing once and tells the others', async () => {
    const dead = await endpoint('/dead', ['message.reply']);
    const watcher = await endpoint('/watch', ['endpoint.failing']);
    await emit('message.reply');
    const d = deliverer();
    const [delivery] = await deliveriesTo(dead);
    const first = now;
    for (let attempt = 1; attempt <= 15; attempt++) {
      expect(await d.runOnce(), `attempt ${attempt}`).toBeGreaterThanOrEqual(1);
      const [row] = await deliveriesTo(dead);
      expect(row!.attempts).toBe(attempt);
      if (attempt < 15) {
        expect(row!.status).toBe('pending');
        expect(row!.next_attempt_at - now).toBe(EVENT_RETRY_SCHEDULE_MS[attempt - 1]);
        now = row!.next_attempt_at;
      } else {
        expect(row!.status).toBe('failed');
      }
    }
    const span = now - first;
    console.log(`event retries: 15 attempts over ${(span / 3_600_000).toFixed(2)} h`);
    expect(span).toBeGreaterThan(23 * 3_600_000);
    expect(span).toBeLessThan(25 * 3_600_000);
    await d.runOnce(); // the watcher's endpoint.failing delivery
    await d.stop();

    const log = await attemptsOfDelivery(store.db, delivery!.id);
    expect(log).toHaveLength(15);
    expect(log.every((a) => a.status_code === 503 && a.outcome === 'failed')).toBe(true);

    const ep = await store.db
      .selectFrom('event_endpoints')
      .selectAll()
      .where('id', '=', dead)
      .executeTakeFirstOrThrow();
    expect(ep.marked_failing_at).not.toBeNull();
    expect(ep.consecutive_failures).toBe(15);
    expect(ep.last_error).toBe('HTTP 503: down');
    const failing = await writtenEvents(store.db, 'endpoint.failing');
    expect(failing).toHaveLength(1);
    const data = JSON.parse(failing[0]!.payload);
    expect(data).toMatchObject({
      endpoint: { id: dead, url: `${botUrl}/dead` },
      reason: 'breaker_opened_repeatedly',
      last_error: 'HTTP 503: down',
    });
    expect(data.consecutive_failures).toBeGreaterThanOrEqual(DEFAULT_BREAKER_POLICY.failureThreshold);
    const toWatcher = received.filter((r) => r.path === 'watch');
    expect(toWatcher).toHaveLength(1);
    expect(JSON.parse(toWatcher[0]!.body).type).toBe('endpoint.failing');
    expect((await deliveriesTo(watcher))[0]!.status).toBe('delivered');
  });

  it('opens the breaker after consecutive failures: deliveries wait without spending attempts, one probe, then all', async () => {
    const flaky = await endpoint('/flaky', ['message.status']);
    flakyDown = true;
    await emit('message.status', 8);
    const d = deliverer({ perEndpoint: 8, retry: { schedule: Array(14).fill(1_000), jitter: 0 } });

    expect(await d.runOnce()).toBe(8); // all fail; the breaker opens at the 5th
    now += 1_000; // due again, but the breaker is open for 30 s
    expect(await d.runOnce()).toBe(0);
    expect((await deliveriesTo(flaky)).every((r) => r.attempts === 1 && r.status === 'pending')).toBe(true);

    flakyDown = false;
    now += DEFAULT_BREAKER_POLICY.openMs;
    expect(await d.runOnce()).toBe(1); // half-open: one probe
    expect(await d.runOnce()).toBe(7); // it succeeded: the breaker is closed
    await d.stop();
    const rows = await deliveriesTo(flaky);
    expect(rows.every((r) => r.status === 'delivered' && r.attempts === 2)).toBe(true);
    const ep = await store.db
      .selectFrom('event_endpoints')
      .selectAll()
      .where('id', '=', flaky)
      .executeTakeFirstOrThrow();
    expect(ep).toMatchObject({ consecutive_failures: 0, breaker_opens: 0, marked_failing_at: null });
  });

  it('gives each attempt one deadline for headers and body: a hanging or trickling endpoint fails in time', async () => {
    const hang = await endpoint('/hang', ['message.reply']);
    const trickle = await endpoint('/trickle', ['message.reply']);
    await emit('message.reply');
    const d = deliverer({ timeoutMs: 500 });
    expect(await d.runOnce()).toBe(2);
    await d.stop();
    const [h] = await deliveriesTo(hang);
    const [t] = await deliveriesTo(trickle);
    const [hangLog] = await attemptsOfDelivery(store.db, h!.id);
    const [trickleLog] = await attemptsOfDelivery(store.db, t!.id);
    expect(hangLog!.error).toMatch(/^timed out: no complete answer within 500 ms \(no response headers\)/);
    expect(trickleLog!.error).toMatch(/^timed out: .* \(HTTP 500, body incomplete\)/);
    expect(trickleLog!.status_code).toBe(500);
    // The body never pauses long enough for undici's gap timeout; only the deadline ends it.
    expect(trickleLog!.duration_ms).toBeGreaterThanOrEqual(450);
    expect(trickleLog!.duration_ms).toBeLessThan(15_000);
    expect(h).toMatchObject({ status: 'pending', attempts: 1 });
  });

  it('records a result only under the lease it was made with', async () => {
    const ep = await endpoint('/fenced', ['message.reply']);
    await emit('message.reply');
    const [mine] = await claimDueDeliveries(store.db, {
      endpointId: ep,
      now,
      leaseMs: 1_000,
      limit: 10,
      token: 'lease-a',
    });
    expect(mine).toBeDefined();
    // Still leased: nobody else gets it.
    expect(
      await claimDueDeliveries(store.db, {
        endpointId: ep,
        now,
        leaseMs: 1_000,
        limit: 10,
        token: 'lease-b',
      }),
    ).toEqual([]);
    now += 1_001;
    const [theirs] = await claimDueDeliveries(store.db, {
      endpointId: ep,
      now,
      leaseMs: 1_000,
      limit: 10,
      token: 'lease-b',
    });
    expect(theirs!.id).toBe(mine!.id);
    const result = (token: string, log: string) => ({
      id: mine!.id,
      leaseToken: token,
      eventId: mine!.event_id,
      endpointId: ep,
      attempt: 1,
      startedAt: now,
      durationMs: 3,
      statusCode: 204,
      error: null,
      outcome: { delivered: true as const },
      attemptLogId: log,
    });
    expect([...(await recordDeliveryResults(store.db, [result('lease-a', 'dat_a')], now))]).toEqual([]);
    expect((await deliveriesTo(ep))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    expect([...(await recordDeliveryResults(store.db, [result('lease-b', 'dat_b')], now))]).toEqual([
      mine!.id,
    ]);
    expect((await deliveriesTo(ep))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    // Both attempts happened, so both are in the log.
    expect((await attemptsOfDelivery(store.db, mine!.id)).map((a) => a.id).sort()).toEqual([
      'dat_a',
      'dat_b',
    ]);
  });
});
