/**
 * Channel accounts through /v1/channel-accounts on both databases: created, listed, changed and
 * disabled with an admin key (a viewer is refused); every bad input named; secrets encrypted in
 * the row, absent from every answer and from the log; each account's own webhook path checked
 * with that account's app secret and verify token, beside the shared paths.
 */
import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAccountsList } from '../../src/cli/accounts';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { createLogger } from '../../src/logger';
import { type Harness, startHarness } from '../support/harness';
import { expectDocumented, type OpenApiDoc } from '../support/openapi';
import { DIALECTS } from '../support/stores';

const PAGE = {
  channel: 'messenger',
  name: 'clinic-page',
  page_id: '400000000000042',
  page_token: 'EAAPageToken-7f3a9c1e5b',
  app_secret: 'page-app-secret-51d2e8',
  verify_token: 'page-verify-token-0c4b77',
};

const NUMBER = {
  channel: 'whatsapp',
  name: 'clinic-2',
  phone_number_id: '100000000000042',
  waba_id: '200000000000042',
  access_token: 'EAAWhatsAppToken-9e8d7c6b',
  app_secret: 'number-app-secret-a1b2c3',
  verify_token: 'number-verify-token-d4e5f6',
  throughput_mps: 250,
  messaging_limit: 2000,
};

const ROTATED_TOKEN = 'EAAPageToken-rotated-3355aa';

/** Every secret this file hands to Recontact: none may come back out. */
const SECRETS = [
  PAGE.page_token,
  PAGE.app_secret,
  PAGE.verify_token,
  NUMBER.access_token,
  NUMBER.app_secret,
  NUMBER.verify_token,
  ROTATED_TOKEN,
];

const sign = (body: string, secret: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function pageMessage(pageId: string, mid: string): string {
  const now = Date.now();
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: pageId,
        time: now,
        messaging: [
          {
            sender: { id: '7100000000000001' },
            recipient: { id: pageId },
            timestamp: now,
            message: { mid, text: 'hola' },
          },
        ],
      },
    ],
  });
}

function numberMessage(phoneNumberId: string, id: string): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: NUMBER.waba_id,
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '5491100000042', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Emilia' }, wa_id: '5491155551234' }],
              messages: [
                {
                  from: '5491155551234',
                  id,
                  timestamp: String(Math.floor(Date.now() / 1000)),
                  type: 'text',
                  text: { body: 'hola' },
                },
              ],
            },
          },
        ],
      },
    ],
  });
}

describe.each(DIALECTS)('channel accounts on %s', (dialect) => {
  let h: Harness;
  let doc: OpenApiDoc;
  const logLines: string[] = [];
  /** Every answer's text, searched for secrets at the end. */
  const answers: string[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    h = await startHarness(dialect, { app: { logger: createLogger('trace', sink) } });
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as OpenApiDoc;
  });
  afterAll(() => h.close());

  const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await h.api(method, path, body, headers);
    answers.push(JSON.stringify(res.json ?? null));
    return res;
  };

  const post = (url: string, body: string, signature: string) =>
    request(`${h.url}${url}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
    }).then(async (r) => ({ status: r.statusCode, json: JSON.parse(await r.body.text()) }));

  const handshake = async (url: string, token: string) => {
    const q = new URLSearchParams({
      'hub.mode': 'subscribe',
      'hub.verify_token': token,
      'hub.challenge': '1158201444',
    });
    const r = await request(`${h.url}${url}?${q}`);
    return { status: r.statusCode, text: await r.body.text() };
  };

  it('creates a page and a number with an admin key, answering 201 without a secret', async () => {
    const page = await call('POST', '/v1/channel-accounts', PAGE);
    expect(page.status, JSON.stringify(page.json)).toBe(201);
    expectDocumented(doc, 'post /v1/channel-accounts', page);
    expect(page.json).toMatchObject({
      channel: 'messenger',
      name: 'clinic-page',
      page_id: PAGE.page_id,
      throughput_mps: 20,
      disabled: false,
      disabled_at: null,
      source: 'api',
      base_url: 'https://graph.facebook.com',
      graph_version: 'v25.0',
      webhook_path: '/webhooks/messenger/clinic-page',
    });
    expect(page.json.id).toMatch(/^acc_/);
    expect(page.json.secret_fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(page.json).not.toHaveProperty('waba_id');

    const number = await call('POST', '/v1/channel-accounts', {
      ...NUMBER,
      base_url: h.embedded.whatsapp.baseUrl,
    });
    expect(number.status, JSON.stringify(number.json)).toBe(201);
    expect(number.json).toMatchObject({
      channel: 'whatsapp',
      phone_number_id: NUMBER.phone_number_id,
      waba_id: NUMBER.waba_id,
      throughput_mps: 250,
      messaging_limit: 2000,
      webhook_path: '/webhooks/whatsapp/clinic-2',
    });
    // The registry of this process knows them at once (the send path reads it).
    expect(h.app.accounts.find('clinic-page')?.accessToken).toBe(PAGE.page_token);
    expect(h.app.accounts.find(number.json.id)?.name).toBe('clinic-2');
  });

  it('lists and reads accounts by id or name; the fingerprint tells credentials apart without showing them', async () => {
    const list = await call('GET', '/v1/channel-accounts');
    expect(list.status).toBe(200);
    expectDocumented(doc, 'get /v1/channel-accounts', list);
    const names = list.json.data.map((a: { name: string }) => a.name);
    expect(names).toEqual(expect.arrayContaining(['default', 'clinic-page', 'clinic-2']));
    const byName = await call('GET', '/v1/channel-accounts/clinic-page');
    expectDocumented(doc, 'get /v1/channel-accounts/{account}', byName);
    const byId = await call('GET', `/v1/channel-accounts/${byName.json.id}`);
    expect(byId.json).toEqual(byName.json);
    const fingerprints = new Set(
      list.json.data.map((a: { secret_fingerprint: string }) => a.secret_fingerprint),
    );
    expect(fingerprints.size).toBe(list.json.data.length);
    const missing = await call('GET', '/v1/channel-accounts/nobody');
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('ACCOUNT_NOT_FOUND');
  });

  it('refuses a viewer key, and an admin key is needed for every route', async () => {
    const viewer = (await h.app.apiKeys.create('viewer', 'viewer')).key;
    const as = { authorization: `Bearer ${viewer}` };
    for (const [method, path, body] of [
      ['GET', '/v1/channel-accounts', undefined],
      ['GET', '/v1/channel-accounts/clinic-page', undefined],
      ['POST', '/v1/channel-accounts', { ...PAGE, name: 'other', page_id: '400000000000043' }],
      ['PATCH', '/v1/channel-accounts/clinic-page', { throughput_mps: 5 }],
      ['DELETE', '/v1/channel-accounts/clinic-page', undefined],
    ] as const) {
      const res = await call(method, path, body, as);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.json.error.code).toBe('AUTH_FORBIDDEN');
    }
  });

  it('names every bad input: the field, the channel, and how to fix it', async () => {
    const refused = async (body: unknown, path: string, words: RegExp, code = 'INPUT_INVALID') => {
      const res = await call('POST', '/v1/channel-accounts', body);
      expect(res.status, JSON.stringify(res.json)).toBe(code === 'ACCOUNT_CONFLICT' ? 409 : 400);
      expect(res.json.error.code).toBe(code);
      const detail = res.json.error.details.find((d: { path: string }) => d.path === path);
      expect(detail, JSON.stringify(res.json.error.details)).toBeDefined();
      expect(detail.message).toMatch(words);
      expectDocumented(doc, 'post /v1/channel-accounts', res);
    };
    const { page_token: _t, ...noToken } = PAGE;
    await refused(
      { ...noToken, name: 'p2', page_id: '400000000000050' },
      'body.page_token',
      /required on a messenger account/,
    );
    await refused({ ...PAGE, name: 'p2', page_id: '40000-42' }, 'body.page_id', /digits only/);
    await refused(
      { ...NUMBER, name: 'n2', phone_number_id: '1', throughput_mps: 5000 },
      'body.throughput_mps',
      /1 to 1000/,
    );
    await refused(
      { ...PAGE, name: 'p2', page_id: '400000000000051', throughput_mps: 301 },
      'body.throughput_mps',
      /1 to 300/,
    );
    await refused({ ...PAGE, name: 'Clinic Page', page_id: '400000000000052' }, 'body.name', /lowercase/);
    await refused(
      { ...PAGE, name: 'acc_x', page_id: '400000000000053' },
      'body.name',
      /must not start with "acc_"/,
    );
    await refused(
      { ...PAGE, name: 'p2', page_id: '400000000000054', colour: 'blue' },
      'body',
      /"colour" is not a field/,
    );
    await refused(
      { ...PAGE, name: 'p2', page_id: '400000000000055', access_token: 'x' },
      'body',
      /belongs to the other channel; a messenger account takes "page_token"/,
    );
    await refused({ ...PAGE, channel: 'telegram' }, 'body.channel', /"whatsapp", "messenger"/);
    await refused(
      { ...NUMBER, name: 'n2', phone_number_id: '1', messaging_limit: 500 },
      'body.messaging_limit',
      /250, 2000/,
    );
    await refused(
      { ...PAGE, name: 'p2', page_id: '400000000000056', base_url: 'https://user:pw@graph.example' },
      'base_url',
      /user name or password/,
    );
    await refused({ ...PAGE, page_id: '400000000000057' }, 'name', /already the name/, 'ACCOUNT_CONFLICT');
    await refused({ ...PAGE, name: 'p3' }, 'page_id', /already account "clinic-page"/, 'ACCOUNT_CONFLICT');
  });

  it('changes only the fields given; the identity and the other channel’s fields are refused', async () => {
    const before = (await call('GET', '/v1/channel-accounts/clinic-page')).json;
    const res = await call('PATCH', '/v1/channel-accounts/clinic-page', {
      page_token: ROTATED_TOKEN,
      throughput_mps: 30,
    });
    expect(res.status, JSON.stringify(res.json)).toBe(200);
    expectDocumented(doc, 'patch /v1/channel-accounts/{account}', res);
    expect(res.json).toMatchObject({ throughput_mps: 30, name: 'clinic-page', page_id: PAGE.page_id });
    expect(res.json.secret_fingerprint).not.toBe(before.secret_fingerprint);
    expect(h.app.accounts.find('clinic-page')?.accessToken).toBe(ROTATED_TOKEN);

    const wrong = await call('PATCH', '/v1/channel-accounts/clinic-page', {
      access_token: 'x',
      waba_id: '1',
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.details.map((d: { path: string }) => d.path)).toEqual([
      'access_token',
      'waba_id',
    ]);
    const identity = await call('PATCH', '/v1/channel-accounts/clinic-page', { page_id: '1' });
    expect(identity.status).toBe(400);
    expect(identity.json.error.details[0].message).toMatch(/"page_id" cannot be changed/);
    const taken = await call('PATCH', '/v1/channel-accounts/clinic-page', { name: 'clinic-2' });
    expect(taken.status).toBe(409);
    expect(taken.json.error).toMatchObject({ code: 'ACCOUNT_CONFLICT', details: [{ path: 'name' }] });

    const renamed = await call('PATCH', '/v1/channel-accounts/clinic-page', { name: 'clinic-fb' });
    expect(renamed.json.webhook_path).toBe('/webhooks/messenger/clinic-fb');
    await call('PATCH', '/v1/channel-accounts/clinic-fb', { name: 'clinic-page' });
  });

  it('an account the environment declares accepts only disabled', async () => {
    const res = await call('PATCH', '/v1/channel-accounts/default', { throughput_mps: 10 });
    expect(res.status).toBe(409);
    expect(res.json.error).toMatchObject({
      code: 'ACCOUNT_READ_ONLY',
      details: [{ path: 'throughput_mps' }],
    });
    expect(res.json.error.message).toContain('WHATSAPP_* variables');
    expectDocumented(doc, 'patch /v1/channel-accounts/{account}', res);
  });

  it('DELETE disables (the row stays); PATCH enables again; a disabled account sends nothing', async () => {
    const del = await call('DELETE', '/v1/channel-accounts/clinic-2');
    expect(del.status).toBe(200);
    expectDocumented(doc, 'delete /v1/channel-accounts/{account}', del);
    expect(del.json.disabled).toBe(true);
    expect(del.json.disabled_at).toEqual(expect.any(String));
    expect(h.app.accounts.find('clinic-2')?.disabledAt).not.toBeNull();
    expect(() => h.app.accounts.resolveForSending('clinic-2')).toThrow(/disabled/);
    const again = await call('GET', '/v1/channel-accounts/clinic-2');
    expect(again.json.disabled).toBe(true);
    const on = await call('PATCH', '/v1/channel-accounts/clinic-2', { disabled: false });
    expect(on.json).toMatchObject({ disabled: false, disabled_at: null });
    expect(h.app.accounts.resolveForSending('clinic-2').name).toBe('clinic-2');
  });

  it('keeps the secrets encrypted in the row', async () => {
    const rows = await h.store.db
      .selectFrom('channel_accounts')
      .selectAll()
      .where('name', 'in', ['clinic-page', 'clinic-2'])
      .execute();
    expect(rows).toHaveLength(2);
    const raw = JSON.stringify(rows);
    for (const s of SECRETS) expect(raw).not.toContain(s);
    for (const row of rows) {
      for (const c of ['access_token', 'app_secret', 'verify_token'] as const)
        expect(row[c]).toMatch(/^v1:[\w-]+:/);
    }
  });

  it('checks a webhook on an account’s own path with that account’s app secret only', async () => {
    const pageBody = pageMessage(PAGE.page_id, 'm_own_path');
    // The page's own secret, on its own path and on the shared path.
    expect(
      (await post('/webhooks/messenger/clinic-page', pageBody, sign(pageBody, PAGE.app_secret))).status,
    ).toBe(200);
    const shared = pageMessage(PAGE.page_id, 'm_shared_path');
    expect((await post('/webhooks/messenger', shared, sign(shared, PAGE.app_secret))).status).toBe(200);
    // Another account's secret is good on the shared path, not on this account's.
    const other = await post(
      '/webhooks/messenger/clinic-page',
      pageBody,
      sign(pageBody, SANDBOX_ACCOUNT.appSecret),
    );
    expect(other.status).toBe(401);
    expect(other.json.error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    // By id too, and a number's path with its own secret.
    const id = h.app.accounts.find('clinic-2')!.id;
    const numberBody = numberMessage(NUMBER.phone_number_id, 'wamid.own-path');
    expect(
      (await post(`/webhooks/whatsapp/${id}`, numberBody, sign(numberBody, NUMBER.app_secret))).status,
    ).toBe(200);
    expect(
      (await post('/webhooks/whatsapp/clinic-2', numberBody, sign(numberBody, PAGE.app_secret))).status,
    ).toBe(401);
    // A page's name on WhatsApp's path, or a name nobody has: refused before the body is read.
    const crossed = await post(
      '/webhooks/whatsapp/clinic-page',
      numberBody,
      sign(numberBody, PAGE.app_secret),
    );
    expect(crossed.status).toBe(404);
    expect(crossed.json.error.message).toContain('is a messenger account');
    expect((await post('/webhooks/messenger/nobody', pageBody, sign(pageBody, PAGE.app_secret))).status).toBe(
      404,
    );
    // The inbound message reached the page's account: its contact is the page's.
    await h.app.ingest.drain();
    const page = h.app.accounts.find('clinic-page')!;
    const contact = await h.store.db
      .selectFrom('contacts')
      .select(['account_id', 'wa_id'])
      .where('account_id', '=', page.id)
      .executeTakeFirst();
    expect(contact).toMatchObject({ wa_id: '7100000000000001' });
  });

  it('answers the handshake on an account’s path with its verify token only', async () => {
    expect(await handshake('/webhooks/messenger/clinic-page', PAGE.verify_token)).toEqual({
      status: 200,
      text: '1158201444',
    });
    expect((await handshake('/webhooks/messenger/clinic-page', NUMBER.verify_token)).status).toBe(403);
    expect((await handshake('/webhooks/whatsapp/clinic-2', NUMBER.verify_token)).status).toBe(200);
    // The shared paths take any account's token.
    expect((await handshake('/webhooks/messenger', PAGE.verify_token)).status).toBe(200);
    expect((await handshake('/webhooks/whatsapp', NUMBER.verify_token)).status).toBe(200);
    expect((await handshake('/webhooks/whatsapp', 'nobody-has-this')).status).toBe(403);
  });

  it('lists the accounts on the command line, without a secret', async () => {
    const lines: string[] = [];
    expect(await runAccountsList({ url: h.url, apiKey: h.key, out: (l) => lines.push(l) })).toBe(0);
    expect(lines[0]).toMatch(/^NAME +CHANNEL +META ID +STATUS +MPS +SOURCE +FINGERPRINT +WEBHOOK PATH$/);
    const page = lines.find((l) => l.startsWith('clinic-page '));
    expect(page).toMatch(
      /clinic-page +messenger +400000000000042 +enabled +30 +api +[0-9a-f]{12} +\/webhooks\/messenger\/clinic-page$/,
    );
    answers.push(lines.join('\n'));
  });

  it('never puts a secret in an answer or in the log', async () => {
    // Logging an account by mistake still leaves its credentials out.
    h.app.ctx.log.error({ account: h.app.accounts.find('clinic-page') }, 'an account, logged by mistake');
    h.app.ctx.log.error({ body: PAGE }, 'a request body, logged by mistake');
    const all = answers.join('\n');
    expect(answers.length).toBeGreaterThan(20);
    const log = logLines.join('');
    expect(log).toContain('an account, logged by mistake');
    for (const s of SECRETS) {
      expect(all, `an answer holds ${s}`).not.toContain(s);
      expect(log, `the log holds ${s}`).not.toContain(s);
    }
  });
});
