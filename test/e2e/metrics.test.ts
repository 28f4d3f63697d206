/**
 * GET /metrics on both databases, scraped as Prometheus would after real traffic: sends to the
 * sandbox accepted, one refused for now (Meta's 503, code 2) and one for good (a template paused
 * at Meta, 132015); status webhooks applied; an event endpoint that keeps failing; a queue left
 * waiting with the dispatcher stopped. The text is parsed and the series asserted by value.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';
import { parseScrape, type Scrape, sampleValue, series } from './metrics-text';

const METRICS_TOKEN = 'prometheus-scrapes-this-0123456789';
const ACCOUNT = 'acc_default';
/** A loaded machine delays sends, status webhooks and retries: waits are generous. */
const WAIT_MS = 30_000;

describe.each(DIALECTS)('GET /metrics on %s', (dialect) => {
  let h: Harness;
  let failingBot: FastifyInstance;
  /** The scrapes' database cache runs on this clock: a test moves it on to see fresh values. */
  let monotonic = 0;

  beforeAll(async () => {
    failingBot = Fastify();
    failingBot.post('/events', async (_req, reply) => reply.status(503).send('bot restarting'));
    await failingBot.listen({ port: 0, host: '127.0.0.1' });
    h = await startHarness(dialect, {
      env: { METRICS_TOKEN },
      app: { metrics: { monotonicMs: () => monotonic } },
    });
  });
  afterAll(async () => {
    await h.close();
    await failingBot.close();
  });

  const get = async (headers: Record<string, string>) => {
    const res = await request(`${h.url}/metrics`, { headers });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };
  /** A scrape with the metrics token; `fresh` moves the cache's clock past its period first. */
  const scrape = async (fresh = true): Promise<Scrape> => {
    if (fresh) monotonic += 60_000;
    const res = await get({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(res.status).toBe(200);
    return parseScrape(res.text);
  };
  const send = async (to: string) => {
    const r = await h.api('POST', '/v1/messages', { ...REMINDER, to });
    expect(r.status).toBe(202);
    return r.json.id as string;
  };
  const status = async (id: string) => (await h.api('GET', `/v1/messages/${id}`)).json.status as string;

  it('answers a scraper with an API key of any role or METRICS_TOKEN, and no one else', async () => {
    const none = await get({});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error.code).toBe('AUTH_MISSING');
    const wrong = await get({ authorization: 'Bearer not-the-token-nor-a-key' });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.text).error.code).toBe('AUTH_INVALID');

    const byToken = await get({ authorization: `Bearer ${METRICS_TOKEN}` });
    expect(byToken.status).toBe(200);
    expect(byToken.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const viewer = (await h.api('POST', '/v1/api-keys', { name: 'grafana', role: 'viewer' })).json.key;
    const byKey = await get({ 'x-api-key': viewer });
    expect(byKey.status).toBe(200);
    expect(parseScrape(byKey.text).samples.length).toBeGreaterThan(0);
  });

  it("reports this process's memory, event loop and identity, and the database read", async () => {
    const s = await scrape();
    expect(sampleValue(s, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(s.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(sampleValue(s, 'recontact_event_loop_busy_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(s, 'recontact_worker_info', { worker: h.app.config.workerId })).toBe(1);
    expect(sampleValue(s, 'recontact_metrics_database_up')).toBe(1);
    expect(sampleValue(s, 'recontact_metrics_database_read_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(s, 'recontact_account_info', { account: ACCOUNT })).toBe(1);
    expect(series(s, 'recontact_account_info', { account: ACCOUNT })[0]!.labels).toEqual({
      account: ACCOUNT,
      name: 'default',
      channel: 'whatsapp',
      disabled: 'false',
    });
  });

  it('reads which worker holds each account, and the queue while nothing sends it', async () => {
    const holder = h.app.config.workerId;
    const held = await h.waitFor(
      'the lease on the account',
      async () => {
        const s = await scrape();
        return sampleValue(s, 'recontact_account_lease_holder', { account: ACCOUNT, holder }) === 1 && s;
      },
      WAIT_MS,
    );
    expect(
      sampleValue(held, 'recontact_account_lease_expires_in_seconds', { account: ACCOUNT, holder }),
    ).toBeGreaterThan(0);

    await h.app.dispatcher.stop();
    const before = await scrape();
    const queued = [await send('+1 650 555 4001'), await send('+1 650 555 4002')];
    // Within the cache's period a scrape is served the earlier reading, without a database read.
    expect(
      sampleValue(await scrape(false), 'recontact_queue_messages', { account: ACCOUNT, status: 'queued' }),
    ).toBe(sampleValue(before, 'recontact_queue_messages', { account: ACCOUNT, status: 'queued' }));
    const waiting = await scrape();
    expect(sampleValue(waiting, 'recontact_queue_messages', { account: ACCOUNT, status: 'queued' })).toBe(2);
    h.app.dispatcher.start();
    // Answered, not merely taken from the queue: the next test counts sends from here.
    for (const id of queued)
      await h.waitFor('answered', async () => !['queued', 'sending'].includes(await status(id)), WAIT_MS);
    await h.waitFor(
      'the queue emptied',
      async () => {
        const s = await scrape();
        return (
          sampleValue(s, 'recontact_queue_messages', { account: ACCOUNT, status: 'queued' }) === undefined
        );
      },
      WAIT_MS,
    );
  });

  it('counts sends by outcome and Meta errors by code, webhook lag, and event deliveries per endpoint', async () => {
    const bad = await h.api('POST', '/v1/webhook-endpoints', {
      url: `http://127.0.0.1:${port(failingBot)}/events`,
    });
    expect(bad.status).toBe(201);
    const start = await scrape();
    const total = (s: Scrape, outcome: string) =>
      sampleValue(s, 'recontact_sends_total', { account: ACCOUNT, channel: 'whatsapp', outcome }) ?? 0;
    // Counters run for the life of the process: this test counts from its first scrape.
    const sends = (outcome: string, s: Scrape) => total(s, outcome) - total(start, outcome);
    const lagBefore = sampleValue(start, 'recontact_webhook_lag_seconds_count') ?? 0;

    // Accepted, then read by the person: their status webhooks are applied.
    const ok = [await send('+1 650 555 5001'), await send('+1 650 555 5002')];
    for (const id of ok) await h.waitFor('read', async () => (await status(id)) === 'read', WAIT_MS);
    // Meta answers one send 503 (code 2): retried, then accepted.
    const fault = await fetch(`${h.embedded.sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 503, count: 1 }),
    });
    expect(fault.status).toBe(200);
    const retried = await send('+1 650 555 5003');
    await h.waitFor(
      'accepted after a retry',
      async () => !['queued', 'sending'].includes(await status(retried)),
      WAIT_MS,
    );
    // Meta paused the template, and its webhook does not reach us in time: refused for good (132015).
    h.embedded.sandbox.setWebhookUrl(SANDBOX_ACCOUNT.phoneNumberId, 'http://127.0.0.1:9/unreachable');
    h.embedded.sandbox.setTemplateStatus(SANDBOX_ACCOUNT.wabaId, 'appointment_reminder', 'es_AR', 'PAUSED');
    const refused = await send('+1 650 555 5004');
    await h.waitFor('failed', async () => (await status(refused)) === 'failed', WAIT_MS);

    const s = await h.waitFor(
      'the failing endpoint counted',
      async () => {
        const s = await scrape();
        return (
          (sampleValue(s, 'recontact_event_endpoint_consecutive_failures', { endpoint: bad.json.id }) ?? 0) >=
            2 && s
        );
      },
      WAIT_MS,
    );
    expect(sends('accepted', s)).toBe(3);
    expect(sends('retry', s)).toBe(1);
    expect(sends('failed', s)).toBe(1);
    expect(sends('unconfirmed', s)).toBe(0);
    expect(
      sampleValue(s, 'recontact_meta_errors_total', { account: ACCOUNT, code: '2', class: 'retry_later' }),
    ).toBe(1);
    expect(
      sampleValue(s, 'recontact_meta_errors_total', { account: ACCOUNT, code: '132015', class: 'permanent' }),
    ).toBe(1);
    expect(
      sampleValue(s, 'recontact_send_duration_seconds_count', { channel: 'whatsapp' }),
    ).toBeGreaterThanOrEqual(5);

    // The statuses of two messages sent one after the other: at least a body each, each observed once.
    const lag = (sampleValue(s, 'recontact_webhook_lag_seconds_count') ?? 0) - lagBefore;
    expect(lag).toBeGreaterThanOrEqual(2);
    expect(sampleValue(s, 'recontact_webhook_lag_seconds_bucket', { le: '+Inf' })).toBe(
      sampleValue(s, 'recontact_webhook_lag_seconds_count'),
    );
    expect(sampleValue(s, 'recontact_webhook_inbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);

    // The harness's bot takes every event; the other endpoint answers 503 and keeps its queue.
    const endpoints = (await h.api('GET', '/v1/webhook-endpoints')).json.data as Array<{
      id: string;
      url: string;
    }>;
    const good = endpoints.find((e) => e.id !== bad.json.id)!.id;
    expect(
      sampleValue(s, 'recontact_event_delivery_attempts_total', { endpoint: good, result: 'delivered' }),
    ).toBeGreaterThan(0);
    expect(sampleValue(s, 'recontact_event_delivery_lag_seconds_count', { endpoint: good })).toBeGreaterThan(
      0,
    );
    expect(
      sampleValue(s, 'recontact_event_delivery_attempts_total', { endpoint: bad.json.id, result: 'failed' }),
    ).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(s, 'recontact_event_delivery_attempts_total', {
        endpoint: bad.json.id,
        result: 'delivered',
      }),
    ).toBeUndefined();
    expect(sampleValue(s, 'recontact_event_deliveries_pending', { endpoint: bad.json.id })).toBeGreaterThan(
      0,
    );
    expect(
      sampleValue(s, 'recontact_event_deliveries_oldest_age_seconds', { endpoint: bad.json.id }),
    ).toBeGreaterThan(0);
    expect(sampleValue(s, 'recontact_event_endpoint_failing', { endpoint: good })).toBe(0);
  });
});

function port(app: FastifyInstance): number {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on a port');
  return address.port;
}
