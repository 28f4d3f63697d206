/**
 * The outbox to the bot: signed Standard Webhooks requests, retried with backoff until a 2xx,
 * against a real HTTP receiver, on both databases. The clock is controlled: no sleeps.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { createIdGenerator } from '../../domain/ids';
import { deliveriesOfEvent, insertEndpoint } from '../../store/events-repo';
import type { EngineContext } from '../context';
import { EventDeliverer } from './deliverer';
import { EventBus } from './event-bus';
import { newEndpointSecret, signPayload } from './signing';

describe.each(DIALECTS)('event delivery on %s', (dialect) => {
  let store: TestStore;
  let bot: FastifyInstance;
  let now = 1_764_000_000_000;
  const received: Array<{ headers: Record<string, unknown>; body: string }> = [];
  let failuresLeft = 2;
  const secret = newEndpointSecret();

  beforeAll(async () => {
    store = await openTestStore(dialect);
    bot = Fastify();
    bot.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, b, done) => done(null, b));
    bot.post('/hook', async (req, reply) => {
      received.push({ headers: req.headers, body: req.body as string });
      if (failuresLeft-- > 0) return reply.status(503).send('busy');
      return reply.status(204).send();
    });
    const url = await bot.listen({ port: 0, host: '127.0.0.1' });
    await insertEndpoint(
      store.db,
      { id: 'ep_1', url: `${url}/hook`, secret, eventTypes: ['message.reply'] },
      now,
    );
  });
  afterAll(async () => {
    await bot.close();
    await store.destroy();
  });

  it('signs, retries with backoff after failures, and stops at the first 2xx', async () => {
    const gen = createIdGenerator((n) => randomBytes(n));
    const ctx: EngineContext = {
      store,
      clock: () => now,
      id: (p) => gen(p, now),
      log: pino({ level: 'silent' }),
    };
    const bus = new EventBus(ctx);
    await bus.emit(store.db, [
      { type: 'message.reply', data: { reply: { payload: 'CONFIRM:appt-123' } } },
      { type: 'message.status', data: { status: 'sent' } }, // not subscribed: no delivery
    ]);
    const deliverer = new EventDeliverer(ctx, {
      concurrency: 4,
      maxAttempts: 5,
      baseDelayMs: 1_000,
      maxDelayMs: 60_000,
      timeoutMs: 5_000,
      pollMs: 50,
    });

    expect(await deliverer.runOnce()).toBe(1); // 503
    expect(await deliverer.runOnce()).toBe(0); // backing off: nothing due yet
    now += 61_000;
    expect(await deliverer.runOnce()).toBe(1); // 503 again
    now += 61_000;
    expect(await deliverer.runOnce()).toBe(1); // 204
    now += 61_000;
    expect(await deliverer.runOnce()).toBe(0); // delivered: never again
    await deliverer.stop();

    expect(received).toHaveLength(3);
    const first = received[0]!;
    const id = String(first.headers['webhook-id']);
    expect(received.every((r) => r.headers['webhook-id'] === id)).toBe(true);
    for (const r of received) {
      const ts = Number(r.headers['webhook-timestamp']);
      expect(r.headers['webhook-signature']).toBe(signPayload(secret, id, ts, r.body));
    }
    const body = JSON.parse(first.body);
    expect(body.type).toBe('message.reply');
    expect(body.data.reply.payload).toBe('CONFIRM:appt-123');
    const [delivery] = await deliveriesOfEvent(store.db, id);
    expect(delivery).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(delivery!.last_error).toMatch(/503/);
  });
});
