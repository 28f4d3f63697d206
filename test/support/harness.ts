/**
 * A whole Recontact for end-to-end tests: a real store (SQLite file or PostgreSQL schema), the
 * sandbox on a real port, Recontact's API on a real port, and a bot endpoint that records the
 * signed events it receives. Everything talks over HTTP on 127.0.0.1.
 */
import Fastify from 'fastify';
import { request } from 'undici';
import { type App, type AppOptions, createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { type EmbeddedSandbox, startEmbeddedSandbox } from '../../src/embedded-sandbox';
import { newEndpointSecret, verifyEvent } from '../../src/engine/events/signing';
import { pullTemplates } from '../../src/engine/templates/sync';
import type { SandboxOptions } from '../../src/sandbox/sandbox';
import type { Dialect } from '../../src/store/database';
import { openTestStore, TEST_SECRET_KEY, type TestStore } from './stores';

export interface BotEvent {
  id: string;
  type: string;
  data: Record<string, any>;
}

export interface Harness {
  app: App;
  store: TestStore;
  embedded: EmbeddedSandbox;
  url: string;
  key: string;
  events: BotEvent[];
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  waitFor<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    ms?: number,
  ): Promise<T>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
}

export async function startHarness(
  dialect: Dialect,
  opts: {
    sandbox?: Partial<SandboxOptions>;
    env?: Record<string, string>;
    clock?: () => number;
    /** A store opened by the test (fault tests reach the database through a proxy); closed with the harness. */
    store?: TestStore;
    /** Options passed on to createApp; deliverer and dispatcher ones merge with the harness's. */
    app?: Partial<AppOptions>;
  } = {},
): Promise<Harness> {
  const store = opts.store ?? (await openTestStore(dialect));
  const { deliverer, dispatcher, ...appOptions } = opts.app ?? {};
  const secret = newEndpointSecret();
  const events: BotEvent[] = [];
  const bot = Fastify();
  bot.addContentTypeParser('application/json', { parseAs: 'string' }, (_r, body, done) => done(null, body));
  bot.post('/events', async (req, reply) => {
    const h = req.headers;
    const raw = req.body as string;
    if (!verifyEvent(secret, h, raw)) return reply.status(401).send();
    events.push({
      id: String(h['webhook-id']),
      ...(JSON.parse(raw) as { type: string; data: Record<string, any> }),
    });
    return reply.status(204).send();
  });
  const botUrl = await bot.listen({ port: 0, host: '127.0.0.1' });

  const base = loadConfig({
    PORT: '0',
    SANDBOX_PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: store.url,
    // SQLite runs without one, as `npm start` does: its key file is made beside the test database.
    ...(dialect === 'postgres' ? { RECONTACT_SECRET_KEY: TEST_SECRET_KEY } : {}),
    RECONTACT_EVENTS_URL: `${botUrl}/events`,
    RECONTACT_EVENTS_SECRET: secret,
    ...opts.env,
  });
  const embedded = await startEmbeddedSandbox(base, {
    delays: { sentMs: 5, deliveredMs: 10, readMs: 15, templateReviewMs: 20 },
    webhookBatchMs: 2,
    ...opts.sandbox,
  });
  const config = Object.freeze({ ...base, whatsapp: embedded.whatsapp });
  const app = await createApp({
    config,
    store,
    ...(opts.clock ? { clock: opts.clock } : {}),
    // Retries and breaker pauses in milliseconds instead of minutes, in the real shape.
    deliverer: {
      pollMs: 20,
      retry: { schedule: [50, 100, 200, 400, 800, 1_600, 3_200], jitter: 0.1 },
      breaker: { failureThreshold: 5, openMs: 200, maxOpenMs: 1_000, failingAfterOpens: 10 },
      ...deliverer,
    },
    dispatcher: { pollMs: 20, retryBaseMs: 20, retryCapMs: 200, ...dispatcher },
    sandboxUrl: embedded.whatsapp.baseUrl,
    ...appOptions,
  });
  const url = await app.listen(0, '127.0.0.1');
  embedded.connect(url);
  await pullTemplates(app.ctx, app.channel, app.accounts.all()[0]!);
  app.startWorkers();
  const key = (await app.apiKeys.create('test', 'admin')).key;

  const api: Harness['api'] = async (method, path, body, headers = {}) => {
    const res = await request(`${url}${path}`, {
      method: method as 'GET',
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  };

  const waitFor: Harness['waitFor'] = async (what, probe, ms = 10_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  return {
    app,
    store,
    embedded,
    url,
    key,
    events,
    api,
    waitFor,
    async close() {
      // Meta's stand-in first: otherwise its webhook retries keep the closing server's
      // keep-alive connections busy.
      await embedded.sandbox.close();
      await app.stop();
      await bot.close();
      await store.destroy();
    },
  };
}

export const EMILIA = { phone: '+54 9 11 5555-1234', waId: '5491155551234' };

/** The seed's marketing story: a 10% taxi discount, with an opt-out quick reply. */
export const taxiDiscount = (to: string = EMILIA.phone) => ({
  to,
  template: {
    name: 'taxi_discount',
    language: 'es_AR',
    header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
    body: ['Emilia', '10%'],
    buttons: [null, null, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
  },
});

export const REMINDER = {
  to: EMILIA.phone,
  template: {
    name: 'appointment_reminder',
    language: 'es_AR',
    body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
    buttons: [{ payload: 'CONFIRM:appt-123' }, { payload: 'CANCEL:appt-123' }],
  },
  metadata: { appointment_id: 'appt-123' },
};
