/**
 * The adapter over real HTTP: a small Fastify stand-in for graph.facebook.com on 127.0.0.1:0.
 * undici is not mocked.
 */
import { createHmac } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAccount, OutboundMessage } from '../channel';
import { MAX_ANSWER_BYTES, parseRetryAfter } from '../graph/http';
import { createWhatsAppChannel, type WhatsAppChannel } from './client';

const TOKEN = 'EAAG-test-token';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string | undefined;
  /** Client port of the socket that carried the request: one per connection. */
  socket: number | undefined;
}

let app: FastifyInstance;
let base: string;
let seen: Seen[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function graphError(code: number, message: string, extra: Record<string, unknown> = {}) {
  return { error: { message, type: 'OAuthException', code, fbtrace_id: 'AGxYz_trace99', ...extra } };
}

let wamidSeq = 0;

async function startServer(): Promise<void> {
  app = Fastify({ forceCloseConnections: true, keepAliveTimeout: 30_000 });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (req) => {
    seen.push({
      method: req.method,
      url: req.url,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: undefined,
      socket: req.socket.remotePort,
    });
  });
  app.addHook('preHandler', async (req) => {
    seen[seen.length - 1]!.body = req.body as string | undefined;
  });

  const messages = async (phone: string, body: string, reply: FastifyReply) => {
    const to = (JSON.parse(body) as { to: string }).to;
    switch (phone) {
      case 'ok':
        return {
          messaging_product: 'whatsapp',
          contacts: [{ input: to, wa_id: to }],
          messages: [{ id: `wamid.HBgNTEST${++wamidSeq}`, message_status: 'accepted' }],
        };
      case 'ok-bsuid':
        return {
          messaging_product: 'whatsapp',
          contacts: [{ input: to, user_id: 'AR.1' }],
          messages: [{ id: 'wamid.B' }],
        };
      case 'e400':
        return reply.code(400).send(
          graphError(131009, '(#131009) Parameter value is not valid', {
            error_data: { messaging_product: 'whatsapp', details: 'Param to is not valid' },
          }),
        );
      case 'e404':
        return reply.code(404).send(
          graphError(132001, '(#132001) Template name does not exist in the translation', {
            error_data: {
              messaging_product: 'whatsapp',
              details: 'template name (x) does not exist in es_AR',
            },
          }),
        );
      case 'e401':
        return reply.code(401).send(
          graphError(190, 'Error validating access token: Session has expired on Friday, 27-Nov-26.', {
            error_subcode: 463,
          }),
        );
      case 'e429':
        return reply
          .code(429)
          .header('retry-after', '7')
          .send(
            graphError(130429, '(#130429) Rate limit hit', {
              error_data: {
                messaging_product: 'whatsapp',
                details: 'Cloud API message throughput has been reached.',
              },
            }),
          );
      case 'e500':
        return reply.code(500).send(graphError(131000, '(#131000) Something went wrong'));
      case 'html502':
        return reply
          .code(502)
          .header('content-type', 'text/html; charset=utf-8')
          .send(
            '<!DOCTYPE html>\n<html><head><title>Error 502</title></head>\n<body>Bad   Gateway</body></html>',
          );
      case 'empty503':
        return reply.code(503).header('retry-after', '120').send('');
      case 'notjson200':
        return reply.header('content-type', 'text/plain').send('OK');
      case 'empty-json':
        return {};
      case 'slow':
        await sleep(3_000);
        return { messages: [{ id: 'wamid.SLOW' }] };
      case 'huge':
        // A 200 whose body never ends in anything Graph would send: 2 MiB of padding.
        return reply
          .type('application/json')
          .send(`{"messages":[{"id":"wamid.HUGE"}],"pad":"${'x'.repeat(2 * MAX_ANSWER_BYTES)}"}`);
      case 'hangup':
        reply.hijack();
        reply.raw.socket?.destroy();
        return;
      default:
        return reply.code(400).send(graphError(100, 'Unsupported post request.'));
    }
  };
  app.post<{ Params: { phone: string } }>('/:v/:phone/messages', (req, reply) =>
    messages(req.params.phone, req.body as string, reply),
  );
  app.post<{ Params: { phone: string } }>('/graph/:v/:phone/messages', (req, reply) =>
    messages(req.params.phone, req.body as string, reply),
  );

  // Template management.
  const page = (n: number) => ({
    id: String(1689556908129830 + n),
    name: `tpl_${n}`,
    language: 'es_AR',
    status: n === 3 ? 'REJECTED' : 'APPROVED',
    category: 'UTILITY',
    parameter_format: 'POSITIONAL',
    components: [{ type: 'BODY', text: `Hola {{1}} ${n}`, example: { body_text: [['Emilia']] } }],
    quality_score: { score: 'GREEN', date: 1764060000 },
    rejected_reason: n === 3 ? 'INVALID_FORMAT' : 'NONE',
  });
  app.get<{ Params: { waba: string }; Querystring: Record<string, string> }>(
    '/:v/:waba/message_templates',
    async (req, reply) => {
      const { waba } = req.params;
      const q = req.query;
      if (
        q.fields !==
        'id,name,status,category,language,components,parameter_format,quality_score,rejected_reason'
      ) {
        return reply.code(400).send(graphError(100, `bad fields ${q.fields}`));
      }
      if (q.limit !== '100') return reply.code(400).send(graphError(100, 'bad limit'));
      const nextBase =
        waba === 'foreign'
          ? 'https://graph.facebook.com'
          : `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      if (waba === 'big-page') {
        // 100 templates with long bodies: a page past the 1 MiB that bounds a send's answer.
        const long = (n: number) => ({
          ...page(n),
          components: [{ type: 'BODY', text: 'x'.repeat(20_000) }],
        });
        return { data: Array.from({ length: 100 }, (_, i) => long(i + 1)), paging: { cursors: {} } };
      }
      if (q.after === undefined) {
        return {
          data: [page(1), page(2)],
          paging: {
            cursors: { before: 'QVFIUB4', after: 'QVFIUA2' },
            next: `${nextBase}/v25.0/${waba}/message_templates?fields=${encodeURIComponent(q.fields)}&limit=100&after=QVFIUA2`,
          },
        };
      }
      if (q.after === 'QVFIUA2')
        return { data: [page(3)], paging: { cursors: { before: 'QVFIUA3', after: 'QVFIUA3' } } };
      return reply.code(400).send(graphError(100, 'bad cursor'));
    },
  );
  app.post<{ Params: { waba: string } }>('/:v/:waba/message_templates', async (req, reply) => {
    const def = JSON.parse(req.body as string) as { name: string; category: string };
    if (def.name === 'bad_template') {
      return reply.code(400).send(
        graphError(100, 'Invalid parameter', {
          error_subcode: 2388299,
          is_transient: false,
          error_user_title: "Variables can't be at the start or end of the template",
          error_user_msg: 'Variables must be surrounded by text.',
        }),
      );
    }
    return { id: '594425479261596', status: 'PENDING', category: def.category };
  });
  app.post<{ Params: { id: string } }>('/:v/:id', async (req, reply) => {
    if (req.params.id === 'missing') {
      return reply
        .code(400)
        .send(graphError(100, 'Unsupported post request. Object with ID missing does not exist'));
    }
    return { success: true };
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}

function account(externalId: string, overrides: Partial<ChannelAccount> = {}): ChannelAccount {
  return {
    id: 'acc-1',
    channel: 'whatsapp',
    externalId,
    wabaId: 'waba-1',
    accessToken: TOKEN,
    appSecret: 's',
    verifyToken: 'v',
    baseUrl: base,
    graphVersion: 'v25.0',
    ...overrides,
  };
}

const msg: OutboundMessage = {
  messageId: '01JD8ZQ3V5X2K7M9N4P6R8T0W1',
  to: '5491155550001',
  content: {
    kind: 'template',
    template: { name: 'confirmacion_turno', language: { code: 'es_AR' }, components: [] },
  },
};

let channel: WhatsAppChannel;

beforeAll(async () => {
  await startServer();
  channel = createWhatsAppChannel({ connections: 4, timeoutMs: 5_000 });
});
afterAll(async () => {
  await channel.close();
  await app.close();
});
beforeEach(() => {
  seen = [];
});

describe('send: success', () => {
  it('posts the Cloud API body with Bearer auth and parses id, wa_id and message_status', async () => {
    const r = await channel.send(account('ok'), msg);
    expect(r).toStrictEqual({
      ok: true,
      providerMessageId: expect.stringMatching(/^wamid\.HBgNTEST\d+$/),
      waId: '5491155550001',
      messageStatus: 'accepted',
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v25.0/ok/messages',
      authorization: `Bearer ${TOKEN}`,
      contentType: 'application/json',
    });
    expect(JSON.parse(seen[0]!.body!)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '5491155550001',
      type: 'template',
      biz_opaque_callback_data: '01JD8ZQ3V5X2K7M9N4P6R8T0W1',
      template: { name: 'confirmacion_turno', language: { code: 'es_AR' }, components: [] },
    });
  });

  it('wa_id and message_status are optional (BSUID recipients); user_id is read', async () => {
    expect(await channel.send(account('ok-bsuid'), msg)).toStrictEqual({
      ok: true,
      providerMessageId: 'wamid.B',
      userId: 'AR.1',
    });
  });

  it('a BSUID recipient is posted as `recipient`, without `to`', async () => {
    await channel.send(account('ok-bsuid'), { ...msg, to: 'AR.13491208655302741918' });
    const body = JSON.parse(seen.at(-1)!.body!);
    expect(body.recipient).toBe('AR.13491208655302741918');
    expect(body).not.toHaveProperty('to');
  });

  it('keeps a path prefix in baseUrl', async () => {
    const r = await channel.send(account('ok', { baseUrl: `${base}/graph/` }), msg);
    expect(r.ok).toBe(true);
    expect(seen[0]!.url).toBe('/graph/v25.0/ok/messages');
  });
});

describe('send: Graph errors', () => {
  it('400 131009 with error_data.details', async () => {
    expect(await channel.send(account('e400'), msg)).toStrictEqual({
      ok: false,
      error: {
        code: 131009,
        httpStatus: 400,
        title: 'Parameter value is not valid',
        details: 'Param to is not valid',
      },
    });
  });

  it('404 132001', async () => {
    expect(await channel.send(account('e404'), msg)).toStrictEqual({
      ok: false,
      error: {
        code: 132001,
        httpStatus: 404,
        title: 'Template name does not exist in the translation',
        details: 'template name (x) does not exist in es_AR',
      },
    });
  });

  it('401 190 (expired token), subcode kept in details', async () => {
    expect(await channel.send(account('e401'), msg)).toStrictEqual({
      ok: false,
      error: {
        code: 190,
        httpStatus: 401,
        title: 'Error validating access token: Session has expired on Friday, 27-Nov-26.',
        subcode: 463,
        details: 'error_subcode 463',
      },
    });
  });

  it('429 130429 with Retry-After', async () => {
    expect(await channel.send(account('e429'), msg)).toStrictEqual({
      ok: false,
      error: {
        code: 130429,
        httpStatus: 429,
        title: 'Rate limit hit',
        details: 'Cloud API message throughput has been reached.',
        retryAfterSeconds: 7,
      },
    });
  });

  it('500 131000 without error_data', async () => {
    expect(await channel.send(account('e500'), msg)).toStrictEqual({
      ok: false,
      error: { code: 131000, httpStatus: 500, title: 'Something went wrong' },
    });
  });
});

describe('send: non-Graph answers', () => {
  it('HTML 502 page', async () => {
    expect(await channel.send(account('html502'), msg)).toStrictEqual({
      ok: false,
      error: {
        code: null,
        httpStatus: 502,
        title: 'HTTP 502 Bad Gateway',
        details:
          'text/html body: <!DOCTYPE html> <html><head><title>Error 502</title></head> <body>Bad Gateway</body></html>',
      },
    });
  });

  it('empty 503 with Retry-After', async () => {
    expect(await channel.send(account('empty503'), msg)).toStrictEqual({
      ok: false,
      error: {
        code: null,
        httpStatus: 503,
        title: 'HTTP 503 Service Unavailable',
        details: 'text/plain empty body',
        retryAfterSeconds: 120,
      },
    });
  });

  it('200 that is not JSON, and 200 JSON without messages[0].id', async () => {
    expect(await channel.send(account('notjson200'), msg)).toStrictEqual({
      ok: false,
      error: {
        code: null,
        httpStatus: 200,
        title: 'Unexpected response from Graph API',
        details: 'messages[0].id is missing; body: OK',
      },
    });
    expect(await channel.send(account('empty-json'), msg)).toMatchObject({
      ok: false,
      error: { code: null, httpStatus: 200, details: 'messages[0].id is missing; body: {}' },
    });
  });
});

describe('send: transport failures never throw', () => {
  it('connection refused', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await channel.send(account('ok', { baseUrl: `http://127.0.0.1:${port}` }), msg);
    expect(r).toMatchObject({
      ok: false,
      error: { code: null, httpStatus: null, title: 'Connection refused' },
    });
    expect(r.ok === false && r.error.details).toMatch(/ECONNREFUSED/);
  });

  it('socket hang-up', async () => {
    const r = await channel.send(account('hangup'), msg);
    expect(r).toMatchObject({
      ok: false,
      error: { code: null, httpStatus: null, title: 'Connection closed by peer' },
    });
  });

  it('headers timeout', async () => {
    const quick = createWhatsAppChannel({ timeoutMs: 200 });
    try {
      const started = Date.now();
      const r = await quick.send(account('slow'), msg);
      expect(r).toMatchObject({
        ok: false,
        error: { code: null, httpStatus: null, title: 'Timed out waiting for response headers' },
      });
      expect(r.ok === false && r.error.details).toMatch(/UND_ERR_HEADERS_TIMEOUT/);
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      await quick.close();
    }
  });

  it('abort through an AbortSignal, before and during the request', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = Date.now();
    expect(await channel.send(account('slow'), msg, ac.signal)).toMatchObject({
      ok: false,
      error: { code: null, httpStatus: null, title: 'Request aborted' },
    });
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(await channel.send(account('ok'), msg, AbortSignal.abort())).toMatchObject({
      ok: false,
      error: { code: null, title: 'Request aborted' },
    });
    expect(await channel.send(account('slow'), msg, AbortSignal.timeout(50))).toMatchObject({
      ok: false,
      error: { code: null, title: 'Request timed out (caller signal)' },
    });
  });

  it('every send takes its abort listener off the signal again, however it ends', async () => {
    const ac = new AbortController();
    const phones = ['ok', 'e400', 'hangup', 'huge', 'ok'];
    const results = await Promise.all(phones.map((p) => channel.send(account(p), msg, ac.signal)));
    expect(results.map((r) => r.ok)).toStrictEqual([true, false, false, false, true]);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });

  it('an answer larger than 1 MiB is not read to its end: its outcome is unknown', async () => {
    const r = await channel.send(account('huge'), msg);
    expect(r).toMatchObject({
      ok: false,
      error: { code: null, httpStatus: 200, title: 'Answer too large', ambiguous: true },
    });
    expect(r.ok === false && r.error.details).toMatch(/larger than 1048576 bytes/);
    // The pool is still usable afterwards.
    expect(await channel.send(account('ok'), msg)).toMatchObject({ ok: true });
  });

  it('bad input and bad baseUrl become errors too', async () => {
    expect(await channel.send(account('ok'), { ...msg, messageId: 'x'.repeat(513) })).toMatchObject({
      ok: false,
      error: { code: null, httpStatus: null, title: 'Invalid outbound message' },
    });
    expect(await channel.send(account('ok', { baseUrl: 'not a url' }), msg)).toMatchObject({
      ok: false,
      error: { code: null, httpStatus: null, title: 'Invalid account baseUrl' },
    });
    expect(seen).toHaveLength(0);
  });
});

describe('connection reuse', () => {
  it('many sends go over few kept-alive connections', async () => {
    const pooled = createWhatsAppChannel({ connections: 4 });
    const sockets = () => new Set(seen.map((r) => r.socket)).size;
    try {
      for (let i = 0; i < 50; i++) expect((await pooled.send(account('ok'), msg)).ok).toBe(true);
      // undici's pool may open a second socket while the first is still draining; never one per send.
      expect(sockets()).toBeLessThanOrEqual(4);
      const results = await Promise.all(Array.from({ length: 400 }, () => pooled.send(account('ok'), msg)));
      expect(results.every((r) => r.ok)).toBe(true);
      // Error answers are read to the end too, so their sockets return to the pool.
      for (let i = 0; i < 20; i++) await pooled.send(account(i % 2 ? 'e400' : 'html502'), msg);
      expect(seen).toHaveLength(470);
      expect(sockets()).toBeLessThanOrEqual(4);
    } finally {
      await pooled.close();
    }
  });

  it('after close() sends fail without throwing', async () => {
    const c = createWhatsAppChannel();
    expect((await c.send(account('ok'), msg)).ok).toBe(true);
    await c.close();
    expect(await c.send(account('ok'), msg)).toMatchObject({
      ok: false,
      error: { code: null, title: 'Channel closed' },
    });
  });
});

describe('template API', () => {
  it('lists every page by following paging.next', async () => {
    const r = await channel.listTemplates(account('ok'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((t) => t.name)).toStrictEqual(['tpl_1', 'tpl_2', 'tpl_3']);
    expect(r.value[0]).toStrictEqual({
      providerTemplateId: '1689556908129831',
      name: 'tpl_1',
      language: 'es_AR',
      status: 'APPROVED',
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
      components: [{ type: 'BODY', text: 'Hola {{1}} 1', example: { body_text: [['Emilia']] } }],
      qualityScore: 'GREEN',
    });
    expect(r.value[2]).toMatchObject({ status: 'REJECTED', rejectedReason: 'INVALID_FORMAT' });
    expect(seen.map((s) => [s.method, s.url.split('?')[0], s.authorization])).toStrictEqual([
      ['GET', '/v25.0/waba-1/message_templates', `Bearer ${TOKEN}`],
      ['GET', '/v25.0/waba-1/message_templates', `Bearer ${TOKEN}`],
    ]);
    expect(seen[1]!.url).toContain('after=QVFIUA2');
  });

  it('reads a page of templates larger than the bound on a send answer', async () => {
    const r = await channel.listTemplates(account('ok', { wabaId: 'big-page' }));
    expect(r.ok && r.value).toHaveLength(100);
  });

  it('never sends the token to another origin: uses cursors.after instead', async () => {
    const r = await channel.listTemplates(account('ok', { wabaId: 'foreign' }));
    expect(r.ok && r.value.length).toBe(3);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.url).toContain('/v25.0/foreign/message_templates?');
    expect(seen[1]!.url).toContain('after=QVFIUA2');
  });

  it('creates a template', async () => {
    const r = await channel.createTemplate(account('ok'), {
      name: 'confirmacion_turno',
      language: 'es_AR',
      category: 'UTILITY',
      components: [],
    });
    expect(r).toStrictEqual({
      ok: true,
      value: { providerTemplateId: '594425479261596', status: 'PENDING', category: 'UTILITY' },
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v25.0/waba-1/message_templates' });
  });

  it('creation errors keep error_user_title, error_user_msg and error_subcode', async () => {
    expect(
      await channel.createTemplate(account('ok'), { name: 'bad_template', category: 'UTILITY' }),
    ).toStrictEqual({
      ok: false,
      error: {
        code: 100,
        httpStatus: 400,
        title: "Variables can't be at the start or end of the template",
        subcode: 2388299,
        details: 'Variables must be surrounded by text. (error_subcode 2388299)',
      },
    });
  });

  it('edits a template', async () => {
    const change = { components: [{ type: 'BODY', text: 'Hola {{1}}' }], category: 'UTILITY' };
    expect(await channel.editTemplate(account('ok'), '594425479261596', change)).toStrictEqual({
      ok: true,
      value: { success: true },
    });
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v25.0/594425479261596' });
    expect(JSON.parse(seen[0]!.body!)).toStrictEqual(change);
    expect(await channel.editTemplate(account('ok'), 'missing', change)).toMatchObject({
      ok: false,
      error: { code: 100, httpStatus: 400 },
    });
  });
});

describe('webhook side of the channel', () => {
  it('verifies the signature over the raw fixture bytes and parses them', () => {
    const raw = readFileSync(join(import.meta.dirname, 'fixtures', 'inbound-button-context.json'));
    const header = `sha256=${createHmac('sha256', 'app-secret').update(raw).digest('hex')}`;
    expect(channel.verifySignature('app-secret', raw, header)).toBe(true);
    expect(channel.parseWebhook(raw)).toMatchObject([
      {
        kind: 'inbound',
        type: 'button',
        button: { payload: 'appt:APT-20261203-0042:confirm', text: 'Confirmar' },
      },
    ]);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-25T12:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
