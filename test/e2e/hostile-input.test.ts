import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_REQUEST_DEADLINES } from '../../src/api/request-deadlines';
import { type App, createApp } from '../../src/app';
import { safeConnector } from '../../src/channels/safe-dispatcher';
import { loadConfig } from '../../src/config';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { inboundTextBody, signedHeaders } from '../support/meta-webhooks';
import { DIALECTS, openTestStore, TEST_SECRET_KEY, type TestStore } from '../support/stores';

const API_CSP = "default-src 'none'";

/** One raw HTTP/1.1 exchange: what a client that does not speak HTTP properly gets back. */
function rawExchange(url: string, text: string): Promise<{ status: number; headers: string; body: any }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname, () => socket.write(text));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {}); // the server closes after answering
    socket.on('close', () => {
      const all = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = all.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      if (!status) return reject(new Error(`no HTTP answer: ${JSON.stringify(all.slice(0, 200))}`));
      resolve({ status, headers: head.toLowerCase(), body: body ? JSON.parse(body) : undefined });
    });
  });
}

function expectErrorShape(json: any, code: string): void {
  expect(json.error.code).toBe(code);
  expect(typeof json.error.message).toBe('string');
  expect(json.error.message.length).toBeGreaterThan(10);
}

describe.each(DIALECTS)('hostile input on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  const raw = (path: string, init: Parameters<typeof request>[1] = {}) =>
    request(`${h.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${h.key}`, ...(init.headers as Record<string, string>) },
    });

  describe('error shape everywhere', () => {
    it('bad percent-encoding in the path → 400 INPUT_INVALID', async () => {
      const res = await h.api('GET', '/v1/messages/%ff');
      expect(res.status).toBe(400);
      expectErrorShape(res.json, 'INPUT_INVALID');
      expect(res.json.error.message).toContain('percent-encoding');
    });

    it('a path parameter over 100 characters → 414 URI_TOO_LONG', async () => {
      const res = await h.api('GET', `/v1/messages/msg_${'x'.repeat(120)}`);
      expect(res.status).toBe(414);
      expectErrorShape(res.json, 'URI_TOO_LONG');
    });

    it('headers over 16 KB → 431 HEADERS_TOO_LARGE, in the documented shape', async () => {
      const res = await rawExchange(
        h.url,
        `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      expect(res.status).toBe(431);
      expectErrorShape(res.body, 'HEADERS_TOO_LARGE');
      expect(res.headers).toContain('x-content-type-options: nosniff');
      expect(res.headers).toMatch(/x-request-id: req_/);
    });

    it('a malformed header line → 400 INPUT_INVALID', async () => {
      const res = await rawExchange(h.url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n');
      expect(res.status).toBe(400);
      expectErrorShape(res.body, 'INPUT_INVALID');
      expect(res.body.error.message).toContain('not valid HTTP/1.1');
    });

    it('an unsupported Content-Type → 415 UNSUPPORTED_MEDIA_TYPE naming it', async () => {
      const res = await h.api('POST', '/v1/messages', 'to=1', { 'content-type': 'text/plain' });
      expect(res.status).toBe(415);
      expectErrorShape(res.json, 'UNSUPPORTED_MEDIA_TYPE');
      expect(res.json.error.message).toContain('text/plain');
    });

    it('bad JSON, an empty JSON body and no body at all → 400 INPUT_INVALID', async () => {
      const bad = await h.api('POST', '/v1/messages', '{"to": ', { 'content-type': 'application/json' });
      expect(bad.status).toBe(400);
      expectErrorShape(bad.json, 'INPUT_INVALID');
      const empty = await h.api('POST', '/v1/messages', '', { 'content-type': 'application/json' });
      expect(empty.status).toBe(400);
      expectErrorShape(empty.json, 'INPUT_INVALID');
      const none = await h.api('POST', '/v1/messages');
      expect(none.status).toBe(400);
      expectErrorShape(none.json, 'INPUT_INVALID');
    });

    it('the webhook handshake names a missing hub.* parameter (400); a wrong token is 403', async () => {
      const missing = await request(`${h.url}/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=42`);
      expect(missing.statusCode).toBe(400);
      const m = (await missing.body.json()) as any;
      expectErrorShape(m, 'INPUT_INVALID');
      expect(m.error.details[0].path).toBe('query.hub.verify_token');
      const wrong = await request(
        `${h.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42`,
      );
      expect(wrong.statusCode).toBe(403);
      expectErrorShape(await wrong.body.json(), 'WEBHOOK_VERIFY_FAILED');
      const ok = await request(
        `${h.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${SANDBOX_ACCOUNT.verifyToken}&hub.challenge=42`,
      );
      expect(await ok.body.text()).toBe('42');
    });

    it('deleting an unknown webhook endpoint → 404 WEBHOOK_ENDPOINT_NOT_FOUND', async () => {
      const res = await h.api('DELETE', '/v1/webhook-endpoints/ep_nope');
      expect(res.status).toBe(404);
      expectErrorShape(res.json, 'WEBHOOK_ENDPOINT_NOT_FOUND');
    });

    it('an unknown contact id → 404 CONTACT_NOT_FOUND; an unknown number is still known:false', async () => {
      const res = await h.api('GET', '/v1/contacts/ctc_nope/window');
      expect(res.status).toBe(404);
      expectErrorShape(res.json, 'CONTACT_NOT_FOUND');
      const phone = await h.api('GET', `/v1/contacts/${encodeURIComponent('+5491100001111')}/window`);
      expect(phone.status).toBe(200);
      expect(phone.json.known).toBe(false);
    });
  });

  describe('control characters', () => {
    it('NUL in a path parameter → 400 naming params.id (not a 500 from the database)', async () => {
      const res = await h.api('GET', '/v1/messages/%00');
      expect(res.status).toBe(400);
      expectErrorShape(res.json, 'INPUT_INVALID');
      expect(res.json.error.details[0].path).toBe('params.id');
    });

    it('NUL or other C0 controls in the query or the body → 400 naming the field', async () => {
      const q = await h.api(
        'GET',
        `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/window?account_id=a%00b`,
      );
      expect(q.status).toBe(400);
      expect(q.json.error.details[0].path).toBe('query.account_id');
      const body = await h.api('POST', '/v1/messages', { ...REMINDER, metadata: { note: 'a\u0000b' } });
      expect(body.status).toBe(400);
      expect(body.json.error.details[0].path).toBe('body.metadata.note');
      const esc = await h.api('POST', '/v1/messages', { ...REMINDER, to: `${EMILIA.phone}\u001b` });
      expect(esc.status).toBe(400);
      expect(esc.json.error.details[0].path).toBe('body.to');
      const key = await h.api('POST', '/v1/messages', { ...REMINDER, metadata: { 'k\u0000': 1 } });
      expect(key.status).toBe(400);
      expect(key.json.error.message).toContain('in a key');
    });

    it('tabs and line breaks are still accepted', async () => {
      const res = await h.api('POST', '/v1/messages', {
        ...REMINDER,
        metadata: { note: 'line 1\nline 2\tend\r\n' },
      });
      expect(res.status).toBe(202);
    });
  });

  describe('depth and size', () => {
    const nested = (levels: number) => {
      let v: unknown = 'leaf';
      for (let i = 0; i < levels; i++) v = { k: v };
      return v;
    };

    it('metadata nested 5,000 deep → 400 PAYLOAD_TOO_DEEP, found before parsing', async () => {
      // Written by hand: JSON.stringify itself recurses.
      const deep = `${'{"k":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
      const body = JSON.stringify({ ...REMINDER, metadata: { x: 0 } }).replace('{"x":0}', deep);
      const res = await h.api('POST', '/v1/messages', body, { 'content-type': 'application/json' });
      expect(res.status).toBe(400);
      expectErrorShape(res.json, 'PAYLOAD_TOO_DEEP');
    });

    it('metadata beyond its limits (9 levels, 51 keys, over 4 KB) → 400 naming body.metadata', async () => {
      for (const metadata of [
        nested(9),
        Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])),
        { note: 'x'.repeat(4_100) },
      ]) {
        const res = await h.api('POST', '/v1/messages', { ...REMINDER, metadata });
        expect(res.status).toBe(400);
        expectErrorShape(res.json, 'INPUT_INVALID');
        expect(res.json.error.details[0].path).toBe('body.metadata');
      }
      const fine = await h.api('POST', '/v1/messages', { ...REMINDER, metadata: nested(8) });
      expect(fine.status).toBe(202);
    });

    it('a YAML alias bomb posted to /v1/templates/diff → 422 TEMPLATE_INVALID', async () => {
      const bomb = [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        'templates: [*e]',
      ].join('\n');
      const res = await h.api('POST', '/v1/templates/diff', { file: bomb, file_name: 'bomb.yaml' });
      expect(res.status).toBe(422);
      expectErrorShape(res.json, 'TEMPLATE_INVALID');
      const deep = await h.api('POST', '/v1/templates/diff', {
        file: `templates: ${'['.repeat(50_000)}`,
        file_name: 'deep.yaml',
      });
      expect(deep.status).toBe(422);
      expectErrorShape(deep.json, 'TEMPLATE_INVALID');
    });

    it('API bodies over 256 KB → 413 BODY_TOO_LARGE naming the limit', async () => {
      const res = await h.api('POST', '/v1/messages', { ...REMINDER, metadata: { a: 'x'.repeat(300_000) } });
      expect(res.status).toBe(413);
      expectErrorShape(res.json, 'BODY_TOO_LARGE');
      expect(res.json.error.data.limit_bytes).toBe(256 * 1024);
    });
  });

  describe('the webhook endpoint before the signature is checked', () => {
    it('refuses a missing or malformed X-Hub-Signature-256 without reading the body', async () => {
      const none = await request(`${h.url}/webhooks/whatsapp`, { method: 'POST', body: '{}' });
      expect(none.statusCode).toBe(401);
      expectErrorShape(await none.body.json(), 'WEBHOOK_SIGNATURE_INVALID');
      const bad = await request(`${h.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'x-hub-signature-256': 'md5=abc' },
        body: '{}',
      });
      expect(bad.statusCode).toBe(401);
    });

    it('caps bodies at 3 MB even with a well-formed signature', async () => {
      const res = await request(`${h.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
        body: Buffer.alloc(3 * 1024 * 1024 + 1, 0x20),
      });
      expect(res.statusCode).toBe(413);
      expectErrorShape(await res.body.json(), 'BODY_TOO_LARGE');
    });
  });

  describe('headers on every answer', () => {
    it('security headers and a request id on success, errors, 404s and the webhook', async () => {
      const answers = await Promise.all([
        raw('/healthz'),
        raw('/v1/messages/msg_nope'),
        raw('/nowhere'),
        request(`${h.url}/v1/messages`),
        request(`${h.url}/webhooks/whatsapp?hub.mode=subscribe`),
      ]);
      const ids = new Set<string>();
      for (const res of answers) {
        await res.body.dump();
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['x-frame-options']).toBe('DENY');
        expect(res.headers['referrer-policy']).toBe('no-referrer');
        expect(String(res.headers['content-security-policy'])).toContain(API_CSP);
        expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
        ids.add(String(res.headers['x-request-id']));
      }
      expect(ids.size).toBe(answers.length);
    });

    it('/docs gets a policy that lets swagger-ui load its own scripts and styles', async () => {
      const page = await request(`${h.url}/docs/`);
      const html = await page.body.text();
      expect(page.statusCode).toBe(200);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self' 'unsafe-inline'");
      expect(csp).toContain("frame-ancestors 'none'");
      // Everything the page loads is same-origin and external (no inline script to allow).
      expect(html).not.toMatch(/<script>(?!\s*<\/script>)/);
      for (const src of html.match(/src="[^"]+"/g) ?? []) expect(src).toMatch(/^src="\.\/static\//);
      const json = await request(`${h.url}/docs/json`);
      expect(json.statusCode).toBe(200);
      await json.body.dump();
    });
  });

  describe('times from outside', () => {
    it('a signed webhook dated in the year 5000 opens the window for 24 hours from now, not until 5000', async () => {
      const waId = '5491155559999';
      const body = inboundTextBody({
        from: waId,
        id: 'wamid.FROM_THE_FUTURE',
        text: 'hola',
        name: 'Time Traveller',
        timestamp: Math.floor(Date.UTC(5000, 0, 1) / 1000),
      });
      const res = await request(`${h.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: signedHeaders(body),
        body,
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      await h.app.ingest.drain();
      const w = await h.api('GET', `/v1/contacts/${waId}/window`);
      expect(w.json.known).toBe(true);
      expect(w.json.open).toBe(true);
      const expires = Date.parse(w.json.expires_at);
      expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000 + 60_000);
      expect(new Date(w.json.last_inbound_at).getUTCFullYear()).toBeLessThan(5000);
    });
  });
});

/** A Recontact without the sandbox: strict targets, small budgets, log lines kept for reading. */
async function startStrict(dialect: (typeof DIALECTS)[number], env: Record<string, string> = {}) {
  const store = await openTestStore(dialect);
  const lines: any[] = [];
  const logger = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l)) });
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: store.url,
    RECONTACT_SECRET_KEY: TEST_SECRET_KEY,
    RECONTACT_ALLOW_PRIVATE_TARGETS: 'false',
    ...env,
  });
  const app = await createApp({
    config,
    store,
    logger,
    deliverer: { pollMs: 20 },
  });
  return { app, store, lines, config };
}

describe.each(DIALECTS)('abuse of a production-like Recontact on %s', (dialect) => {
  let app: App;
  let store: TestStore;
  let lines: any[];
  let url: string;
  let key: string;
  beforeAll(async () => {
    ({ app, store, lines } = await startStrict(dialect));
    app.http.get('/boom', { schema: { hide: true } }, async () => {
      throw new Error('kaboom: a bug');
    });
    url = await app.listen(0, '127.0.0.1');
    key = (await app.apiKeys.create('test', 'admin')).key;
  });
  afterAll(async () => {
    await app.stop();
    await store.destroy();
  });

  const createEndpoint = async (target: string) => {
    const res = await request(`${url}/v1/webhook-endpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: target, events: ['*'] }),
    });
    return { status: res.statusCode, json: (await res.body.json()) as any };
  };

  it.each([
    ['http://169.254.169.254/latest/meta-data/', 'link-local'],
    ['http://127.0.0.1:8080/events', 'loopback'],
    ['http://[::1]/events', 'loopback'],
    ['http://2130706433/', 'loopback'],
    ['http://0x7f.1/', 'loopback'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.16.0.1/', 'private'],
    ['http://192.168.1.1/', 'private'],
    ['http://100.64.0.1/', 'cgnat'],
    ['http://[fc00::1]/', 'unique-local'],
    ['http://[fe80::1]/', 'link-local'],
    ['http://[::ffff:127.0.0.1]/', 'loopback'],
    ['http://localhost:3000/', 'loopback'],
    ['file:///etc/passwd', 'scheme_not_http'],
    ['gopher://bot.example/', 'scheme_not_http'],
    ['javascript:alert(1)', 'scheme_not_http'],
    ['https://user:pw@bot.example/', 'credentials_in_url'],
  ])('refuses the webhook target %s (%s)', async (target, rule) => {
    const res = await createEndpoint(target);
    expect(res.status).toBe(422);
    expectErrorShape(res.json, 'WEBHOOK_URL_FORBIDDEN');
    expect(res.json.error.data.rule).toBe(rule);
    expect(res.json.error.details[0].path).toBe('body.url');
  });

  it('keeps slow clients from holding connections', () => {
    const server = app.http.server;
    expect(server.headersTimeout).toBe(10_000);
    // Node's single request timeout is replaced by request-deadlines.ts (30 s, longer for uploads).
    expect(server.requestTimeout).toBe(0);
    expect(DEFAULT_REQUEST_DEADLINES.requestMs).toBe(30_000);
    expect(server.keepAliveTimeout).toBe(72_000);
    expect(server.timeout).toBe(120_000);
  });

  it('accepts a public target', async () => {
    const res = await createEndpoint('https://bot.example/recontact');
    expect(res.status).toBe(201);
  });

  it('refuses RECONTACT_EVENTS_URL on a private address at start, naming the variable', () => {
    expect(() =>
      loadConfig({
        DATABASE_URL: './x.db',
        RECONTACT_EVENTS_URL: 'http://169.254.169.254/',
        RECONTACT_ALLOW_PRIVATE_TARGETS: 'false',
      }),
    ).toThrow(/RECONTACT_EVENTS_URL/);
    // Without Meta credentials the embedded sandbox runs: local development, loopback allowed.
    const dev = loadConfig({ DATABASE_URL: './x.db', RECONTACT_EVENTS_URL: 'http://127.0.0.1:4000/' });
    expect(dev.allowPrivateTargets).toBe(true);
  });

  it('logs a 500 with the request id it answers in X-Request-Id and data.request_id', async () => {
    const res = await request(`${url}/boom`);
    expect(res.statusCode).toBe(500);
    const body = (await res.body.json()) as any;
    expectErrorShape(body, 'INTERNAL');
    const id = res.headers['x-request-id'];
    expect(body.error.data.request_id).toBe(id);
    expect(body.error.message).not.toContain('kaboom');
    const line = lines.find((l) => l.request_id === id);
    expect(line?.level).toBe(50);
    expect(line?.err?.message).toContain('kaboom');
  });

  it('4xx answers carry the request id in the header only', async () => {
    const res = await request(`${url}/v1/messages/msg_x`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-request-id']).toMatch(/^req_/);
    expect(((await res.body.json()) as any).error.data?.request_id).toBeUndefined();
    expect(lines.some((l) => l.request_id === res.headers['x-request-id'])).toBe(false);
  });
});

describe.each(DIALECTS)('connect-time target checks on %s', (dialect) => {
  it('a target named like a public host but resolving to loopback gets nothing', async () => {
    const received: string[] = [];
    const bot = await new Promise<Server>((resolve) => {
      const s = createServer((req, res) => {
        received.push(String(req.url));
        res.end();
      });
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    const port = (bot.address() as AddressInfo).port;
    const store = await openTestStore(dialect);
    const lines: any[] = [];
    const config = loadConfig({
      PORT: '0',
      DATABASE_URL: store.url,
      RECONTACT_SECRET_KEY: TEST_SECRET_KEY,
      RECONTACT_ALLOW_PRIVATE_TARGETS: 'false',
      RECONTACT_EVENTS_URL: `http://bot.example:${port}/events`,
    });
    const app = await createApp({
      config,
      store,
      // Failed attempts are logged at debug level, with the reason.
      logger: pino({ level: 'debug' }, { write: (l: string) => lines.push(JSON.parse(l)) }),
      // The app's connector, with a resolver that answers what a rebinding DNS server would.
      deliverer: {
        pollMs: 20,
        connect: safeConnector({
          allowPrivate: false,
          lookup: (_h, o, cb) =>
            o.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4),
        }),
      },
    });
    try {
      app.startWorkers();
      await app.events.emit(app.ctx.store.db, [
        { type: 'window.opened', data: { contact: { id: 'ctc_x' } } } as never,
      ]);
      app.deliverer.wake();
      const deadline = Date.now() + 10_000;
      let refused: any;
      while (!refused && Date.now() < deadline) {
        refused = lines.find((l) =>
          /refused to connect to bot\.example → 127\.0\.0\.1/.test(JSON.stringify(l)),
        );
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(refused).toBeDefined();
      expect(received).toEqual([]);
    } finally {
      await app.stop();
      await store.destroy();
      bot.close();
    }
  });
});

describe.each(DIALECTS)('rate limits on %s', (dialect) => {
  let app: App;
  let store: TestStore;
  let url: string;
  let key: string;
  beforeAll(async () => {
    ({ app, store } = await startStrict(dialect, {
      RATE_LIMIT_PER_KEY: '5',
      RATE_LIMIT_PER_IP: '1000',
      RATE_LIMIT_AUTH_FAILURES_PER_IP: '3',
    }));
    url = await app.listen(0, '127.0.0.1');
    key = (await app.apiKeys.create('test', 'admin')).key;
  });
  afterAll(async () => {
    await app.stop();
    await store.destroy();
  });

  it('a key over its budget gets 429 RATE_LIMITED with Retry-After', async () => {
    const statuses: number[] = [];
    let last: any;
    for (let i = 0; i < 6; i++) {
      const res = await request(`${url}/v1/webhook-endpoints`, {
        headers: { authorization: `Bearer ${key}` },
      });
      statuses.push(res.statusCode);
      last = { headers: res.headers, json: await res.body.json() };
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expectErrorShape(last.json, 'RATE_LIMITED');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    expect(last.json.error.data.retry_after_seconds).toBe(Number(last.headers['retry-after']));
  });

  it('an address that keeps failing authentication is refused, even with a good key, until the window ends', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await request(`${url}/v1/messages/msg_x`, {
        headers: { authorization: 'Bearer rk_wrong' },
      });
      statuses.push(res.statusCode);
      await res.body.dump();
    }
    expect(statuses).toEqual([401, 401, 401]);
    const other = (await app.apiKeys.create('other', 'viewer')).key;
    const res = await request(`${url}/v1/messages/msg_x`, { headers: { authorization: `Bearer ${other}` } });
    expect(res.statusCode).toBe(429);
    expectErrorShape(await res.body.json(), 'RATE_LIMITED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    // Bad webhook signatures count as failed authentications too.
    const hook = await request(`${url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      body: '{}',
    });
    expect(hook.statusCode).toBe(429);
    await hook.body.dump();
  });
});
