import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

const sign = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe.each(DIALECTS)('bad input on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  const post = (body: unknown) => h.api('POST', '/v1/messages', body);

  it('invalid phone → 422 PHONE_INVALID naming the field', async () => {
    const res = await post({ ...REMINDER, to: '12ab' });
    expect(res.status).toBe(422);
    expect(res.json.error.code).toBe('PHONE_INVALID');
    expect(res.json.error.details[0].path).toBe('to');
  });

  it('unknown template → 422 TEMPLATE_NOT_FOUND; wrong language lists the right one', async () => {
    const unknown = await post({ ...REMINDER, template: { ...REMINDER.template, name: 'nope' } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.code).toBe('TEMPLATE_NOT_FOUND');
    const lang = await post({ ...REMINDER, template: { ...REMINDER.template, language: 'es' } });
    expect(lang.json.error.details[0].message).toContain('es_AR');
  });

  it('wrong parameter count and names → 422 with the component named, nothing sent', async () => {
    const count = await post({ ...REMINDER, template: { ...REMINDER.template, body: ['Emilia'] } });
    expect(count.status).toBe(422);
    expect(count.json.error.code).toBe('TEMPLATE_PARAMS_INVALID');
    expect(JSON.stringify(count.json.error.details)).toMatch(/body/);
    const named = await post({
      to: EMILIA.phone,
      template: {
        name: 'resume_conversation',
        language: 'es_AR',
        body: { first_name: 'Emilia', topik: 'x' },
      },
    });
    expect(named.status).toBe(422);
    expect(JSON.stringify(named.json.error.details)).toMatch(/topic/);
    expect(h.embedded.sandbox.sent()).toHaveLength(0);
  });

  it('missing or wrong API key → 401 with distinct codes', async () => {
    const none = await request(`${h.url}/v1/messages/msg_x`);
    expect(none.statusCode).toBe(401);
    expect(((await none.body.json()) as any).error.code).toBe('AUTH_MISSING');
    const wrong = await request(`${h.url}/v1/messages/msg_x`, { headers: { authorization: 'Bearer nope' } });
    expect(wrong.statusCode).toBe(401);
    expect(((await wrong.body.json()) as any).error.code).toBe('AUTH_INVALID');
  });

  it('a viewer key cannot send', async () => {
    const viewer = await h.api('POST', '/v1/api-keys', { name: 'dashboard', role: 'viewer' });
    const res = await request(`${h.url}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer.json.key}`, 'content-type': 'application/json' },
      body: JSON.stringify(REMINDER),
    });
    expect(res.statusCode).toBe(403);
    expect(((await res.body.json()) as any).error.code).toBe('AUTH_FORBIDDEN');
  });

  it('schema violations name every bad field; malformed JSON and oversized bodies are precise', async () => {
    const res = await post({ to: EMILIA.phone, text: { body: '' }, surprise: 1 });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INPUT_INVALID');
    const paths = res.json.error.details.map((d: { path: string }) => d.path).join(' ');
    expect(paths).toMatch(/body/);
    const bad = await h.api('POST', '/v1/messages', '{"to": "+1", ', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/JSON/);
    expect(bad.json.error.hint).toMatch(/one JSON object/);
    expect(bad.json.error.details).toEqual([{ path: 'body', message: expect.stringMatching(/JSON/) }]);
    const poisoned = await h.api('POST', '/v1/messages', '{"to": "+1", "__proto__": {"x": 1}}', {
      'content-type': 'application/json',
    });
    expect(poisoned.status).toBe(400);
    expect(poisoned.json.error.message).toMatch(/__proto__/);
    const big = await h.api('POST', '/v1/messages', {
      to: EMILIA.phone,
      text: { body: 'x'.repeat(300_000) },
    });
    expect(big.status).toBe(413);
    expect(big.json.error.code).toBe('BODY_TOO_LARGE');
  });

  it('unknown message id → 404 MESSAGE_NOT_FOUND; unknown route → 404 ROUTE_NOT_FOUND', async () => {
    expect((await h.api('GET', '/v1/messages/msg_unknown')).json.error.code).toBe('MESSAGE_NOT_FOUND');
    expect((await h.api('GET', '/v1/nothing')).json.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('webhook with a bad signature → 401 and nothing stored', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const before = await h.store.db.selectFrom('webhook_inbox').select('id').execute();
    for (const sig of [undefined, 'sha256=00', sign('wrong-secret', body)]) {
      const res = await request(`${h.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(sig ? { 'x-hub-signature-256': sig } : {}) },
        body,
      });
      expect(res.statusCode).toBe(401);
      expect(((await res.body.json()) as any).error.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    const after = await h.store.db.selectFrom('webhook_inbox').select('id').execute();
    expect(after.length).toBe(before.length);
  });

  it('signed but malformed webhook JSON → 400 WEBHOOK_PAYLOAD_INVALID', async () => {
    for (const body of [
      '{"object": "whatsapp_business_account", "entry": [',
      '{"object":"page","entry":[]}',
    ]) {
      const res = await request(`${h.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': sign(h.embedded.whatsapp.appSecret, body),
        },
        body,
      });
      expect(res.statusCode).toBe(400);
      expect(((await res.body.json()) as any).error.code).toBe('WEBHOOK_PAYLOAD_INVALID');
    }
  });

  it('verification handshake answers the challenge only for the right token', async () => {
    const ok = await request(
      `${h.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=${h.embedded.whatsapp.verifyToken}&hub.challenge=1158201444`,
    );
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toBe('1158201444');
    const bad = await request(
      `${h.url}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1`,
    );
    expect(bad.statusCode).toBe(403);
    await bad.body.dump();
  });
});
