/**
 * The consent ledger end to end, on both databases, with the sandbox standing in for Meta and
 * its simulated users doing what people do: tapping "No quiero promociones", texting STOP and
 * START, stopping and resuming marketing in WhatsApp, and Meta refusing a marketing template
 * with 131050. Every refusal happens before any request reaches Meta's stand-in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { EMILIA, type Harness, REMINDER, startHarness, taxiDiscount } from '../support/harness';
import { inboundTextBody, signedHeaders } from '../support/meta-webhooks';
import { DIALECTS } from '../support/stores';

const taxi = taxiDiscount;

describe.each(DIALECTS)('consent on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  const phoneId = () => h.embedded.whatsapp.phoneNumberId;
  const sandbox = () => h.embedded.sandbox;
  const event = (type: string, match: (d: Record<string, any>) => boolean) =>
    h.waitFor(type, () => h.events.find((e) => e.type === type && match(e.data)));
  /** A simulated user does something through the sandbox's control endpoints, as a script would. */
  const control = async (path: string, body: Record<string, unknown>) => {
    const res = await request(`${sandbox().url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phone_number_id: phoneId(), ...body }),
    });
    expect(res.statusCode, path).toBe(200);
    return res.body.json();
  };
  const postWebhook = async (body: string) => {
    const res = await request(`${h.url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: signedHeaders(body),
      body,
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    await h.app.ingest.drain();
  };

  it("the issue's story: a tapped opt-out and a texted STOP refuse the next templates before Meta sees them", async () => {
    const first = await h.api('POST', '/v1/messages', taxi(EMILIA.phone));
    expect(first.status).toBe(202);
    const promo = await h.waitFor('taxi_discount on the phone', () =>
      sandbox()
        .users.inbox(EMILIA.waId)
        .find((m) => m.template?.name === 'taxi_discount'),
    );
    sandbox().users.tapButton(phoneId(), EMILIA.waId, promo.wamid, 'No quiero promociones');
    const out = await event('contact.opted_out', (d) => d.wa_id === EMILIA.waId);
    expect(out.data).toMatchObject({
      scope: 'marketing',
      source: 'button',
      evidence: {
        payload: 'No quiero promociones',
        text: 'No quiero promociones',
        template: 'taxi_discount',
        in_reply_to: first.json.id,
        rule: 'opt_out_label',
      },
      consent: { marketing: 'opted_out', all: 'unknown' },
    });

    const before = sandbox().sent().length;
    const refused = await h.api('POST', '/v1/messages', taxi(EMILIA.phone));
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe('CONTACT_OPTED_OUT');
    expect(refused.json.error.message).toMatch(
      /^\+5491155551234 opted out of marketing messages on \d{4}-\d{2}-\d{2} \(button "No quiero promociones"\)$/,
    );
    expect(refused.json.error.data).toMatchObject({ scope: 'marketing', source: 'button' });
    // Utility templates still go: the opt-out was of marketing only.
    const utility = await h.api('POST', '/v1/messages', REMINDER);
    expect(utility.status).toBe(202);
    await h.waitFor('the reminder at Meta', () => sandbox().sent().length === before + 1);

    await control(`/_sandbox/users/${EMILIA.waId}/messages`, { text: 'STOP' });
    const stop = await event('contact.opted_out', (d) => d.source === 'keyword' && d.wa_id === EMILIA.waId);
    expect(stop.data).toMatchObject({
      scope: 'all',
      evidence: { keyword: 'STOP', message_id: expect.stringMatching(/^wamid\./) },
      consent: { marketing: 'opted_out', all: 'opted_out' },
    });
    const noUtility = await h.api('POST', '/v1/messages', REMINDER);
    expect(noUtility.status).toBe(422);
    expect(noUtility.json.error.message).toMatch(/opted out of all messages on .* \(keyword "STOP"\)/);
    // Even inside the window the STOP just opened, no free-form text goes out.
    const noText = await h.api('POST', '/v1/messages', { to: EMILIA.phone, text: { body: '¿Seguro?' } });
    expect(noText.status).toBe(422);
    expect(noText.json.error.code).toBe('CONTACT_OPTED_OUT');
    expect(sandbox().sent().length).toBe(before + 1);

    // START resumes everything, marketing included (the newest entry of either scope decides).
    await control(`/_sandbox/users/${EMILIA.waId}/messages`, { text: 'Start!' });
    await event('contact.opted_in', (d) => d.wa_id === EMILIA.waId && d.source === 'keyword');
    const resumed = await h.api('POST', '/v1/messages', taxi(EMILIA.phone));
    expect(resumed.status).toBe(202);
    // A queued marketing template moves the contact's last_marketing_at (audiences' frequency cap).
    const contact = await h.store.db
      .selectFrom('contacts')
      .select(['last_marketing_at'])
      .where('wa_id', '=', EMILIA.waId)
      .executeTakeFirstOrThrow();
    expect(Number(contact.last_marketing_at)).toBe(Date.parse(resumed.json.created_at));

    const consent = await h.api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/consent`);
    expect(consent.status).toBe(200);
    expect(consent.json).toMatchObject({ wa_id: EMILIA.waId, marketing: 'opted_in', all: 'opted_in' });
    expect(consent.json.history.map((e: Record<string, string>) => [e.source, e.scope, e.state])).toEqual([
      ['button', 'marketing', 'opted_out'],
      ['keyword', 'all', 'opted_out'],
      ['keyword', 'all', 'opted_in'],
    ]);
  });

  it("Meta's user_preferences stop and resume record marketing opt-out and opt-in", async () => {
    const waId = '5491155552222';
    await control(`/_sandbox/users/${waId}/marketing`, { value: 'stop' });
    const out = await event('contact.opted_out', (d) => d.wa_id === waId);
    expect(out.data).toMatchObject({
      scope: 'marketing',
      source: 'meta_user_preferences',
      evidence: {
        value: 'stop',
        category: 'marketing_messages',
        detail: 'User requested to stop marketing messages',
      },
    });
    const sent = sandbox().sent().length;
    const refused = await h.api('POST', '/v1/messages', taxi(`+${waId}`));
    expect(refused.status).toBe(422);
    expect(refused.json.error.message).toMatch(/stopped marketing messages in WhatsApp/);
    expect(sandbox().sent().length).toBe(sent);

    await control(`/_sandbox/users/${waId}/marketing`, { value: 'resume' });
    await event('contact.opted_in', (d) => d.wa_id === waId && d.source === 'meta_user_preferences');
    const again = await h.api('POST', '/v1/messages', taxi(`+${waId}`));
    expect(again.status).toBe(202);
    await event('message.status', (d) => d.id === again.json.id && d.status === 'delivered');
  });

  it('a user known only by a username stops marketing: the contact found by BSUID is opted out', async () => {
    const waId = '5491155550101';
    const { bsuid } = (await control(`/_sandbox/users/${waId}/username`, { username_only: true })) as {
      bsuid: string;
    };
    await control(`/_sandbox/users/${waId}/marketing`, { value: 'stop' });
    const out = await event('contact.opted_out', (d) => d.wa_id === bsuid);
    expect(out.data).toMatchObject({ source: 'meta_user_preferences', evidence: { user_id: bsuid } });
    const refused = await h.api('POST', '/v1/messages', taxi(bsuid));
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe('CONTACT_OPTED_OUT');
  });

  it('a marketing template Meta fails with 131050 records a marketing opt-out and stays failed', async () => {
    const waId = '5491155553333';
    // The user stops marketing while Recontact misses the webhook: only Meta knows.
    sandbox().setWebhookUrl(SANDBOX_ACCOUNT.phoneNumberId, 'http://127.0.0.1:9/unreachable');
    sandbox().users.setMarketing(phoneId(), waId, 'stop');
    sandbox().setWebhookUrl(SANDBOX_ACCOUNT.phoneNumberId, `${h.url}/webhooks/whatsapp`);

    const sent = await h.api('POST', '/v1/messages', taxi(`+${waId}`));
    expect(sent.status).toBe(202);
    const failed = await event('message.status', (d) => d.id === sent.json.id && d.status === 'failed');
    expect(failed.data.error).toMatchObject({ code: 131050, class: 'permanent' });
    const out = await event('contact.opted_out', (d) => d.wa_id === waId);
    expect(out.data).toMatchObject({
      scope: 'marketing',
      source: 'meta_131050',
      evidence: { message_id: sent.json.id, error_code: 131050 },
    });
    const message = await h.api('GET', `/v1/messages/${sent.json.id}`);
    expect(message.json.status).toBe('failed');

    const next = await h.api('POST', '/v1/messages', taxi(`+${waId}`));
    expect(next.status).toBe(422);
    expect(next.json.error.message).toMatch(/Meta refused a marketing template with 131050/);
  });

  it("a template's routing declares which quick reply opts out, and of what", async () => {
    const file = readFileSync(join(import.meta.dirname, '../../examples/saludcenter.templates.yaml'), 'utf8');
    const withRouting = file.replace(
      '  - name: resume_conversation\n    language: es_AR\n',
      '  - name: resume_conversation\n    language: es_AR\n    routing:\n      opt_out:\n        all: ["Ya no lo necesito"]\n',
    );
    expect(withRouting).not.toBe(file);
    const push = await h.api('POST', '/v1/templates/push', {
      file: withRouting,
      file_name: 'saludcenter.yaml',
    });
    expect(push.status).toBe(200);
    // Routing is ours: Meta sees no change.
    expect(push.json.summary).toMatchObject({ unchanged: 3, created: 0, updated: 0 });

    const waId = '5491155556666';
    const sent = await h.api('POST', '/v1/messages', {
      to: `+${waId}`,
      template: {
        name: 'resume_conversation',
        language: 'es_AR',
        body: { first_name: 'Ana', topic: 'tu receta' },
      },
    });
    expect(sent.status).toBe(202);
    const onPhone = await h.waitFor('resume_conversation on the phone', () =>
      sandbox()
        .users.inbox(waId)
        .find((m) => m.template?.name === 'resume_conversation'),
    );
    sandbox().users.tapButton(phoneId(), waId, onPhone.wamid, 'Ya no lo necesito');
    const out = await event('contact.opted_out', (d) => d.wa_id === waId);
    expect(out.data).toMatchObject({
      scope: 'all',
      source: 'button',
      evidence: { text: 'Ya no lo necesito', template: 'resume_conversation', rule: 'routing' },
    });
    // An opt-out of everything: even a free-form text inside the window the tap opened is refused.
    const other = await h.api('POST', '/v1/messages', { to: `+${waId}`, text: { body: 'hola' } });
    expect(other.json.error.code).toBe('CONTACT_OPTED_OUT');
  });

  it('records a webhook delivered twice once', async () => {
    const waId = '5491155554444';
    const body = inboundTextBody({ from: waId, id: 'wamid.consent-dup-1', text: 'Baja.' });
    await postWebhook(body);
    await postWebhook(body);
    const preference = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: SANDBOX_ACCOUNT.wabaId,
          changes: [
            {
              field: 'user_preferences',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: SANDBOX_ACCOUNT.displayPhoneNumber,
                  phone_number_id: SANDBOX_ACCOUNT.phoneNumberId,
                },
                user_preferences: [
                  {
                    wa_id: waId,
                    detail: 'User requested to stop marketing messages',
                    category: 'marketing_messages',
                    value: 'stop',
                    timestamp: Math.floor(Date.now() / 1000),
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    await postWebhook(preference);
    await postWebhook(preference);
    const consent = await h.api('GET', `/v1/contacts/${waId}/consent`);
    expect(consent.json.history.map((e: Record<string, string>) => e.source)).toEqual([
      'keyword',
      'meta_user_preferences',
    ]);
    await h.waitFor('both events delivered', () =>
      h.events.filter((e) => e.type === 'contact.opted_out' && e.data.wa_id === waId).length >= 2
        ? true
        : undefined,
    );
    expect(h.events.filter((e) => e.type === 'contact.opted_out' && e.data.wa_id === waId)).toHaveLength(2);
  });

  it('records changes by API and by agents, and refuses a number never seen only when asked for history', async () => {
    const unknown = await h.api('GET', '/v1/contacts/+5491155559999/consent');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('CONTACT_NOT_FOUND');

    const byAgent = await h.api('POST', '/v1/contacts/+5491155559999/consent', {
      scope: 'all',
      state: 'opted_out',
      source: 'agent',
      note: 'asked on the phone not to be contacted',
    });
    expect(byAgent.status).toBe(201);
    expect(byAgent.json).toMatchObject({ wa_id: '5491155559999', all: 'opted_out', marketing: 'opted_out' });
    expect(byAgent.json.history[0]).toMatchObject({
      source: 'agent',
      evidence: {
        note: 'asked on the phone not to be contacted',
        api_key_id: expect.stringMatching(/^key_/),
      },
    });
    await event('contact.opted_out', (d) => d.wa_id === '5491155559999' && d.source === 'agent');
    const refused = await h.api('POST', '/v1/messages', { ...REMINDER, to: '+5491155559999' });
    expect(refused.status).toBe(422);
    expect(refused.json.error.message).toMatch(/recorded by an agent "asked on the phone/);

    const byApi = await h.api('POST', `/v1/contacts/${byAgent.json.contact_id}/consent`, {
      scope: 'all',
      state: 'opted_in',
    });
    expect(byApi.status).toBe(201);
    expect(byApi.json.history.map((e: Record<string, string>) => e.source)).toEqual(['agent', 'api']);
    expect((await h.api('POST', '/v1/messages', { ...REMINDER, to: '+5491155559999' })).status).toBe(202);

    const bad = await h.api('POST', '/v1/contacts/+5491155559999/consent', {
      scope: 'sms',
      state: 'opted_out',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe('body.scope');
  });

  it('uses the account settings: own keywords, a confirmation while the window is open, clear errors', async () => {
    const invalid = await h.api('PUT', '/v1/consent/settings', {
      keywords: { opt_out: { all: ['FIN'] }, opt_in: { all: ['fin', 'STOP'] } },
      marketing_frequency_cap_hours: -2,
    });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.code).toBe('INPUT_INVALID');
    expect(invalid.json.error.details.map((d: { path: string }) => d.path)).toEqual([
      'body.keywords.opt_in.all[0]',
      'body.keywords.opt_in.all[1]',
      'body.marketing_frequency_cap_hours',
    ]);
    expect((await h.api('GET', '/v1/consent/settings')).json.confirmations.opt_out).toBeNull();

    const saved = await h.api('PUT', '/v1/consent/settings', {
      keywords: { opt_out: { all: ['Chau'] } },
      confirmations: { opt_out: 'Listo, no te escribimos más. Enviá START para volver.' },
    });
    expect(saved.status).toBe(200);
    expect(saved.json.effective_keywords.opt_out.all).toEqual(expect.arrayContaining(['Chau', 'STOP']));

    const waId = '5491155555555';
    await control(`/_sandbox/users/${waId}/messages`, { text: 'chau' });
    const out = await event('contact.opted_out', (d) => d.wa_id === waId);
    expect(out.data.evidence.keyword).toBe('Chau');
    // The confirmation is the one message an opt-out of everything lets through.
    const confirmation = await h.waitFor('the confirmation on the phone', () =>
      sandbox()
        .users.inbox(waId)
        .find((m) => m.type === 'text'),
    );
    expect(confirmation.text).toBe('Listo, no te escribimos más. Enviá START para volver.');

    // Stopping marketing in WhatsApp with no open window: recorded, but no confirmation is sent.
    const closed = '5491155557777';
    await control(`/_sandbox/users/${closed}/marketing`, { value: 'stop' });
    const stopped = await event('contact.opted_out', (d) => d.wa_id === closed);
    const queued = await h.store.db
      .selectFrom('messages')
      .select('id')
      .where('contact_id', '=', stopped.data.contact_id)
      .execute();
    expect(queued).toEqual([]);

    // A payload the settings declare opts out wherever it is tapped, here an interactive reply.
    await h.api('PUT', '/v1/consent/settings', { opt_out_payloads: { marketing: ['NEWS_OFF'] } });
    const reader = '5491155558888';
    await control(`/_sandbox/users/${reader}/messages`, { text: 'hola' });
    await event('message.received', (d) => d.contact.wa_id === reader);
    const menu = await h.api('POST', '/v1/messages', {
      to: `+${reader}`,
      interactive: {
        body: '¿Seguimos enviándote novedades?',
        buttons: [
          { id: 'NEWS_ON', title: 'Sí' },
          { id: 'NEWS_OFF', title: 'No, gracias' },
        ],
      },
    });
    expect(menu.status).toBe(202);
    const onPhone = await h.waitFor('the menu on the phone', () =>
      sandbox()
        .users.inbox(reader)
        .find((m) => m.type === 'interactive'),
    );
    sandbox().users.tapButton(phoneId(), reader, onPhone.wamid, 'No, gracias');
    const off = await event('contact.opted_out', (d) => d.wa_id === reader);
    expect(off.data).toMatchObject({
      scope: 'marketing',
      source: 'button',
      evidence: { payload: 'NEWS_OFF', rule: 'settings' },
    });
    await h.api('PUT', '/v1/consent/settings', {});
  });
});
