/**
 * The Messenger adapter over real HTTP: a small Fastify stand-in for graph.facebook.com on
 * 127.0.0.1:0 answering as the Send API does (reference messenger-platform.md §3.4, §5).
 * undici is not mocked. The full adapter-vs-sandbox test is test/e2e's.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { classifyProviderError } from '../../domain/provider-errors';
import type { ChannelAccount, OutboundMessage, ProviderErrorInfo, SendResult } from '../channel';
import { createMessengerChannel, type MessengerChannel, regainAccessSeconds } from './client';

const TOKEN = 'EAAPageToken-never-shown-9f2c';
const PSID = '6845719238451234';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  contentType: string | undefined;
  body: string | undefined;
}

let app: FastifyInstance;
let base: string;
let seen: Seen[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function graphError(code: number, message: string, extra: Record<string, unknown> = {}) {
  return {
    error: { message, type: 'OAuthException', code, fbtrace_id: 'A0K3GdmK-j1yb_g7imf8NCX', ...extra },
  };
}

let mid = 0;

async function startServer(): Promise<void> {
  app = Fastify({ forceCloseConnections: true });
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addHook('onRequest', async (req) => {
    seen.push({
      method: req.method,
      url: req.url,
      authorization: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: undefined,
    });
  });
  app.addHook('preHandler', async (req) => {
    seen[seen.length - 1]!.body = req.body as string | undefined;
  });

  const messages = async (page: string, reply: FastifyReply) => {
    switch (page) {
      case 'ok':
        return { recipient_id: PSID, message_id: `m_AG5Hz2U${++mid}` };
      case 'no-mid':
        return { recipient_id: PSID };
      case 'window':
        return reply.code(400).send(
          graphError(10, '(#10) This message is sent outside of allowed window.', {
            error_subcode: 2018278,
            is_transient: false,
          }),
        );
      case 'blocked':
        return reply
          .code(400)
          .send(graphError(551, '(#551) This person isn’t available right now.', { error_subcode: 1545041 }));
      case 'retired-tag':
        return reply.code(400).send(graphError(100, 'Invalid parameter', { error_subcode: 1893061 }));
      case 'token':
        return reply
          .code(400)
          .send(graphError(190, 'Error validating access token: The session has been invalidated.'));
      case 'throttled':
        return reply
          .code(400)
          .send(graphError(613, '(#613) Calls to this api have exceeded the rate limit.'));
      case 'buc':
        return reply
          .code(400)
          .header(
            'x-business-use-case-usage',
            JSON.stringify({
              '107325198792045': [
                {
                  type: 'messenger',
                  call_count: 100,
                  total_cputime: 12,
                  total_time: 30,
                  estimated_time_to_regain_access: 5,
                },
              ],
            }),
          )
          .send(graphError(80006, '(#80006) There have been too many messages sent to this user.'));
      case 'html502':
        return reply.code(502).header('content-type', 'text/html').send('<html>Bad Gateway</html>');
      case 'slow':
        await sleep(3_000);
        return { recipient_id: PSID, message_id: 'm_SLOW' };
      case 'hangup':
        reply.hijack();
        reply.raw.socket?.destroy();
        return;
      default:
        return reply.code(400).send(graphError(100, 'Unsupported post request.'));
    }
  };
  app.post<{ Params: { page: string } }>('/:v/:page/messages', (req, reply) =>
    messages(req.params.page, reply),
  );

  // A page's utility templates.
  const tpl = (n: number) => ({
    id: String(104595129340398 + n),
    name: `tpl_${n}`,
    language: 'es',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'BODY', text: `Tu turno {{1}} ${n}`, example: { body_text: [['42']] } },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'POSTBACK', text: 'Confirmar', payload: '{{1}}' },
          { type: 'POSTBACK', text: 'Fijo', payload: 'FIXED' },
        ],
      },
    ],
  });
  app.get<{ Params: { page: string }; Querystring: Record<string, string> }>(
    '/:v/:page/message_templates',
    async (req, reply) => {
      const q = req.query;
      if (q.fields !== 'id,name,status,category,language,components,rejected_reason') {
        return reply
          .code(400)
          .send(graphError(100, `(#100) Tried accessing nonexisting field (${q.fields})`));
      }
      const port = (app.server.address() as { port: number }).port;
      if (q.after === undefined) {
        return {
          data: [tpl(1), tpl(2)],
          paging: {
            cursors: { after: 'QVFIUA2' },
            next: `http://127.0.0.1:${port}/v25.0/${req.params.page}/message_templates?fields=${encodeURIComponent(q.fields)}&limit=100&after=QVFIUA2`,
          },
        };
      }
      return { data: [tpl(3)], paging: { cursors: { after: 'QVFIUA3' } } };
    },
  );
  app.post<{ Params: { page: string } }>('/:v/:page/message_templates', async (req) => {
    const def = JSON.parse(req.body as string) as { category: string };
    return { id: '104595129340398', status: 'APPROVED', category: def.category };
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}

function account(externalId: string, overrides: Partial<ChannelAccount> = {}): ChannelAccount {
  return {
    id: 'acc-page',
    channel: 'messenger',
    externalId,
    wabaId: null,
    accessToken: TOKEN,
    appSecret: 'app-secret',
    verifyToken: 'v',
    baseUrl: base,
    graphVersion: 'v25.0',
    ...overrides,
  };
}

const msg: OutboundMessage = {
  messageId: 'msg_01JD8ZQ3V5X2K7M9N4P6R8T0W1',
  to: PSID,
  content: { kind: 'text', text: { body: 'Hola Emilia' }, messaging: { type: 'RESPONSE' } },
};

function errorOf(r: SendResult): ProviderErrorInfo {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r.error;
}

const classOf = (e: ProviderErrorInfo) => classifyProviderError({ ...e, channel: 'messenger' }).class;

let channel: MessengerChannel;

beforeAll(async () => {
  await startServer();
  channel = createMessengerChannel({ connections: 4, timeoutMs: 5_000 });
});
afterAll(async () => {
  await channel.close();
  await app.close();
});
beforeEach(() => {
  seen = [];
});

describe('send: success', () => {
  it('posts the Send API body to /{v}/{page-id}/messages with the page token as Bearer', async () => {
    const r = await channel.send(account('ok'), msg);
    expect(r).toStrictEqual({ ok: true, providerMessageId: `m_AG5Hz2U${mid}` });
    expect(seen).toHaveLength(1);
    const s = seen[0]!;
    expect([s.method, s.url, s.authorization, s.contentType]).toStrictEqual([
      'POST',
      '/v25.0/ok/messages',
      `Bearer ${TOKEN}`,
      'application/json',
    ]);
    expect(JSON.parse(s.body!)).toStrictEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Hola Emilia', metadata: msg.messageId },
    });
  });

  it('a 200 without message_id is not a send', async () => {
    const e = errorOf(await channel.send(account('no-mid'), msg));
    expect(e).toMatchObject({ code: null, httpStatus: 200, title: 'Unexpected response from Graph API' });
    expect(e.details).toMatch(/message_id is missing/);
  });
});

describe('send: Messenger errors, classified', () => {
  it('10/2018278 outside the window: code and subcode kept, permanent', async () => {
    const e = errorOf(await channel.send(account('window'), msg));
    expect(e).toStrictEqual({
      code: 10,
      httpStatus: 400,
      subcode: 2018278,
      title: 'This message is sent outside of allowed window.',
      details: 'error_subcode 2018278',
    });
    expect(classOf(e)).toBe('permanent');
  });

  it('551/1545041 the person is unavailable: permanent', async () => {
    const e = errorOf(await channel.send(account('blocked'), msg));
    expect(e).toMatchObject({ code: 551, subcode: 1545041 });
    expect(classOf(e)).toBe('permanent');
  });

  it('100/1893061 a retired tag: permanent', async () => {
    const e = errorOf(await channel.send(account('retired-tag'), msg));
    expect(e).toMatchObject({ code: 100, subcode: 1893061, title: 'Invalid parameter' });
    expect(classOf(e)).toBe('permanent');
  });

  it('190 the page token: fatal for the account', async () => {
    const e = errorOf(await channel.send(account('token'), msg));
    expect(e.code).toBe(190);
    expect(classOf(e)).toBe('account_fatal');
  });

  it('613 throttling: retried later', async () => {
    const e = errorOf(await channel.send(account('throttled'), msg));
    expect(e.code).toBe(613);
    expect(classOf(e)).toBe('retry_later');
  });

  it('80006 waits as long as X-Business-Use-Case-Usage says (minutes → seconds)', async () => {
    const e = errorOf(await channel.send(account('buc'), msg));
    expect(e).toMatchObject({ code: 80006, retryAfterSeconds: 300 });
    const c = classifyProviderError({ ...e, channel: 'messenger' });
    expect(c).toMatchObject({ class: 'retry_later', minDelayMs: 300_000 });
  });

  it('an HTML 502 is a temporary server error', async () => {
    const e = errorOf(await channel.send(account('html502'), msg));
    expect(e).toMatchObject({ code: null, httpStatus: 502 });
    expect(classOf(e)).toBe('retry_later');
  });
});

describe('send: refused before sending', () => {
  it('a text over 2,000 characters never leaves: a local error, never retried', async () => {
    const long = { ...msg, content: { kind: 'text' as const, text: { body: 'x'.repeat(2001) } } };
    const e = errorOf(await channel.send(account('ok'), long));
    expect(e).toMatchObject({
      code: null,
      httpStatus: null,
      title: 'Text too long for Messenger',
      rejectedLocally: true,
    });
    expect(e.details).toMatch(/^content\.text\.body: the text is 2001 characters long/);
    expect(classOf(e)).toBe('permanent');
    expect(seen).toHaveLength(0);
  });
});

describe('send: transport failures never throw', () => {
  it('a timeout is ambiguous: the message may have been accepted', async () => {
    const quick = createMessengerChannel({ timeoutMs: 200 });
    try {
      const e = errorOf(await quick.send(account('slow'), msg));
      expect(e).toMatchObject({
        code: null,
        title: 'Timed out waiting for response headers',
        ambiguous: true,
      });
    } finally {
      await quick.close();
    }
  });

  it('a hang-up after the request was written is ambiguous too', async () => {
    expect(errorOf(await channel.send(account('hangup'), msg))).toMatchObject({ ambiguous: true });
  });

  it('connection refused is not ambiguous: nothing reached Meta', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const e = errorOf(await channel.send(account('ok', { baseUrl: `http://127.0.0.1:${port}` }), msg));
    expect(e).toMatchObject({ code: null, httpStatus: null, title: 'Connection refused' });
    expect(e.ambiguous).toBeUndefined();
  });
});

describe('the page token', () => {
  it('never appears in a URL, an error or a result, whatever fails', async () => {
    const results: unknown[] = [];
    for (const page of ['ok', 'no-mid', 'window', 'token', 'buc', 'html502', 'hangup', 'unknown']) {
      results.push(await channel.send(account(page), msg));
    }
    const quick = createMessengerChannel({ timeoutMs: 100 });
    results.push(await quick.send(account('slow'), msg));
    await quick.close();
    results.push(await channel.send(account('ok', { baseUrl: 'not a url' }), msg));
    results.push(await channel.editTemplate(account('ok'), '1', { components: [] }));
    results.push(await channel.createTemplate(account('ok'), { name: 'x', category: 'MARKETING' }));
    expect(JSON.stringify(results)).not.toContain(TOKEN);
    expect(seen.every((s) => !s.url.includes(TOKEN) && !(s.body ?? '').includes(TOKEN))).toBe(true);
  });
});

describe('template API for pages', () => {
  it('lists every page of templates with page fields; send-time postbacks read back as quick replies', async () => {
    const r = await channel.listTemplates(account('107325198792045'));
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.map((t) => t.name)).toStrictEqual(['tpl_1', 'tpl_2', 'tpl_3']);
    expect(r.value[0]!.components[1]).toStrictEqual({
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confirmar' },
        { type: 'POSTBACK', text: 'Fijo', payload: 'FIXED' },
      ],
    });
    expect(seen.map((s) => [s.method, s.url.split('?')[0]])).toStrictEqual([
      ['GET', '/v25.0/107325198792045/message_templates'],
      ['GET', '/v25.0/107325198792045/message_templates'],
    ]);
  });

  it('creates a utility template: quick replies become POSTBACK buttons with a send-time payload', async () => {
    const def = {
      name: 'turno_confirmar',
      language: 'es',
      category: 'UTILITY',
      parameter_format: 'POSITIONAL',
      allow_category_change: true,
      components: [
        { type: 'BODY', text: 'Tu turno es el {{1}}', example: { body_text: [['lunes']] } },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Confirmar' },
            {
              type: 'URL',
              text: 'Ver',
              url: 'https://clinic.example/t/{{1}}',
              example: ['https://clinic.example/t/1'],
            },
          ],
        },
      ],
    };
    expect(await channel.createTemplate(account('107325198792045'), def)).toStrictEqual({
      ok: true,
      value: { providerTemplateId: '104595129340398', status: 'APPROVED', category: 'UTILITY' },
    });
    expect(seen[0]!.url).toBe('/v25.0/107325198792045/message_templates');
    expect(JSON.parse(seen[0]!.body!)).toStrictEqual({
      name: 'turno_confirmar',
      language: 'es',
      category: 'UTILITY',
      components: [
        { type: 'BODY', text: 'Tu turno es el {{1}}', example: { body_text: [['lunes']] } },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'POSTBACK', text: 'Confirmar', payload: '{{1}}' },
            {
              type: 'URL',
              text: 'Ver',
              url: 'https://clinic.example/t/{{1}}',
              example: ['https://clinic.example/t/1'],
            },
          ],
        },
      ],
    });
  });

  it('keeps parameter_format NAMED', async () => {
    await channel.createTemplate(account('p'), {
      name: 'n',
      language: 'en',
      category: 'UTILITY',
      parameter_format: 'NAMED',
      components: [],
    });
    expect(JSON.parse(seen[0]!.body!)).toMatchObject({ parameter_format: 'NAMED' });
  });

  it('refuses a marketing template and copy-code buttons without asking Meta', async () => {
    const marketing = await channel.createTemplate(account('p'), { name: 'promo', category: 'MARKETING' });
    expect(marketing).toMatchObject({
      ok: false,
      error: { title: 'Only utility templates exist on Messenger', rejectedLocally: true },
    });
    const copy = await channel.createTemplate(account('p'), {
      name: 'code',
      category: 'UTILITY',
      components: [{ type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'X' }] }],
    });
    expect(copy).toMatchObject({ ok: false, error: { title: 'Button not available on Messenger' } });
    expect(seen).toHaveLength(0);
  });

  it('editing is refused with what to do instead', async () => {
    const r = await channel.editTemplate(account('p'), '104595129340398', { components: [] });
    expect(r).toMatchObject({ ok: false, error: { title: 'Messenger templates cannot be edited' } });
    expect(!r.ok && r.error.details).toMatch(/new name/);
    expect(seen).toHaveLength(0);
  });
});

describe('webhook side of the channel', () => {
  it('verifies X-Hub-Signature-256 over the raw bytes and parses with the Messenger parser', () => {
    const raw = readFileSync(join(__dirname, 'fixtures', 'messages-batched.json'));
    const sig = `sha256=${createHmac('sha256', 'app-secret').update(raw).digest('hex')}`;
    expect(channel.verifySignature('app-secret', raw, sig)).toBe(true);
    expect(channel.verifySignature('other-secret', raw, sig)).toBe(false);
    const items = channel.parseWebhook(raw);
    expect(items.length).toBeGreaterThan(0);
    expect(items).toContainEqual(
      expect.objectContaining({ kind: 'inbound', externalId: '107325198792045', from: PSID }),
    );
  });
});

describe('regainAccessSeconds', () => {
  it('reads the longest estimated_time_to_regain_access, in minutes', () => {
    const h = (v: unknown) => ({ 'x-business-use-case-usage': JSON.stringify(v) });
    expect(regainAccessSeconds(h({ a: [{ estimated_time_to_regain_access: 0 }] }))).toBeUndefined();
    expect(
      regainAccessSeconds(
        h({ a: [{ estimated_time_to_regain_access: 2 }], b: [{ estimated_time_to_regain_access: 7 }] }),
      ),
    ).toBe(420);
    expect(regainAccessSeconds({ 'x-business-use-case-usage': 'not json' })).toBeUndefined();
    expect(regainAccessSeconds({})).toBeUndefined();
  });
});
