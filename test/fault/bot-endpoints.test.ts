/**
 * One bot endpoint hangs (never answers), another trickles its answer one byte every 2 s, a
 * third is healthy. Before: the deliverer waited for the slowest of each batch, and a healthy
 * endpoint got 3 of 10 events in 100 s. Now the healthy one gets everything at once, each
 * event once; the others fail by the deadline, their breakers open, and they are marked
 * failing, which the healthy one is told about.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { timeUntil } from './support';

const EVENTS = 10;

describe('bot endpoints that hang or trickle beside a healthy one', () => {
  let h: Harness;
  let bad: FastifyInstance;
  const hits = { hang: 0, trickle: 0 };

  beforeAll(async () => {
    h = await startHarness('sqlite', {
      app: {
        deliverer: {
          timeoutMs: 1_000,
          perEndpoint: 2,
          concurrency: 8,
          // The hanging requests are cut at close instead of waited for.
          stopGraceMs: 200,
          // Pauses in milliseconds and "failing" after the third: the real policy in seconds.
          breaker: { failureThreshold: 2, openMs: 100, maxOpenMs: 200, failingAfterOpens: 3 },
        },
      },
    });
    bad = Fastify();
    bad.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, b, done) => done(null, b));
    bad.post('/hang', async () => {
      hits.hang++;
      return new Promise(() => {});
    });
    bad.post('/trickle', async (_req, reply) => {
      hits.trickle++;
      reply.hijack();
      reply.raw.writeHead(503, { 'content-type': 'text/plain' });
      reply.raw.flushHeaders();
      const t = setInterval(() => reply.raw.write('.'), 2_000);
      reply.raw.on('close', () => clearInterval(t));
    });
    const url = await bad.listen({ port: 0, host: '127.0.0.1' });
    for (const path of ['/hang', '/trickle']) {
      const r = await h.api('POST', '/v1/webhook-endpoints', { url: `${url}${path}`, events: ['*'] });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    await h?.close();
    // Its requests never end by themselves.
    bad?.server.closeAllConnections();
    await bad?.close();
  });

  it('delivers everything to the healthy endpoint at once and isolates the slow ones', async () => {
    const t0 = performance.now();
    await h.app.events.emit(
      h.store.db,
      Array.from({ length: EVENTS }, (_, i) => ({
        type: 'window.opened' as const,
        data: {
          account_id: 'acc_default',
          contact: { id: `ctc_${i}`, wa_id: `54911555500${10 + i}`, name: null },
          opened_at: new Date().toISOString(),
          open: true,
          expires_at: null,
        },
      })),
    );
    h.app.deliverer.wake();
    const healthyMs = await timeUntil(
      `the healthy endpoint to receive ${EVENTS} events`,
      () => h.events.filter((e) => e.type === 'window.opened').length >= EVENTS,
    );
    console.log(`healthy endpoint: ${EVENTS} events in ${healthyMs} ms beside a hanging and a trickling one`);
    expect(hits.hang + hits.trickle).toBeGreaterThan(0);

    await timeUntil(
      'both slow endpoints to be marked failing',
      async () => {
        const list = await h.api('GET', '/v1/webhook-endpoints');
        const states = list.json.data.map((e: { url: string; health: { state: string } }) => e.health.state);
        return states.filter((s: string) => s === 'failing').length === 2;
      },
      30_000,
    );
    console.log(`hanging and trickling endpoints marked failing ${Math.round(performance.now() - t0)} ms in`);

    const list = await h.api('GET', '/v1/webhook-endpoints');
    const byPath = (p: string) => list.json.data.find((e: { url: string }) => e.url.endsWith(p));
    expect(byPath('/events').health).toMatchObject({ state: 'ok', consecutive_failures: 0 });
    for (const p of ['/hang', '/trickle']) {
      expect(byPath(p).health.state).toBe('failing');
      expect(byPath(p).health.failing_since).toMatch(/Z$/);
    }
    expect(byPath('/hang').health.last_error).toMatch(
      /^timed out: no complete answer within 1000 ms \(no response headers\)/,
    );
    expect(byPath('/trickle').health.last_error).toMatch(/^timed out: .*\(HTTP 503, body incomplete\)/);

    // The healthy endpoint is told, once per failing endpoint.
    await timeUntil(
      'endpoint.failing events at the healthy endpoint',
      () => h.events.filter((e) => e.type === 'endpoint.failing').length >= 2,
    );
    const told = h.events.filter((e) => e.type === 'endpoint.failing').map((e) => e.data.endpoint.url);
    expect(told.sort()).toEqual([byPath('/hang').url, byPath('/trickle').url].sort());
    // Each event reached the healthy endpoint once.
    const ids = h.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    // The slow endpoints' deliveries are kept, not dropped: still pending, tried again later.
    const pending = await h.store.db
      .selectFrom('event_deliveries')
      .select(['status'])
      .where('status', '=', 'pending')
      .execute();
    expect(pending.length).toBeGreaterThanOrEqual(2 * EVENTS);
  });
});
