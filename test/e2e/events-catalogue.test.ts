/**
 * What the bot really receives matches the catalogue: a run that emits every kind of event
 * (the appointment story, a STOP and a START, a window closing on a waiting contact who is resumed, a failed send, template review, quality and category changes,
 * campaigns started, paused, resumed, progressing, completed, cancelled, expired and failing to start), each
 * payload checked against its schema — and against undocumented fields, which a bot could
 * come to rely on without the reference ever naming them.
 */
import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { EVENT_TYPES, type EventType, eventEnvelopeSchema } from '../../src/engine/events/schemas';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

/** Emitted by other flows (a send whose outcome is unknown, an endpoint that keeps failing), not in this story. */
const NOT_IN_THIS_STORY: EventType[] = ['message.in_doubt', 'endpoint.failing'];

describe.each(DIALECTS)('events as the bot receives them, on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect, {
      app: { campaignRunner: { pollMs: 20, checkEveryMs: 50, progressEveryMs: 100 } },
    });
  });
  afterAll(() => h.close());

  // 30 s: the paced campaign below sends one message a second, which a loaded machine stretches.
  const seen = (type: string, match: (d: Record<string, any>) => boolean = () => true) =>
    h.waitFor(type, () => h.events.find((e) => e.type === type && match(e.data)), 30_000);

  it('emits every type of the catalogue, each matching its schema exactly', async () => {
    // A window that closes a few seconds from now, with a waiting mark whose resume goes at the
    // close: window.expiring at once (within the lead time), window.expired and
    // conversation.resume_sent when it closes, while the story below runs.
    const waiter = '16505553100';
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, waiter, 'Quiero un asesor', {
      at: Date.now() - 24 * 3_600_000 + 8_000,
    });
    const waiterId = (await seen('message.received', (d) => d.contact.wa_id === waiter)).data.contact.id;
    const waiting = await h.api('POST', `/v1/contacts/${waiterId}/waiting`, {
      reason: 'agent',
      question: '¿Puedo cambiar el turno?',
      metadata: { topic: 'tu turno' },
      resume: {
        template: {
          name: 'resume_conversation',
          language: 'es_AR',
          body: {
            first_name: { from: 'contact.first_name', default: 'Hola' },
            topic: { from: 'waiting.metadata.topic' },
          },
        },
        handoff: true,
      },
    });
    expect(waiting.status, JSON.stringify(waiting.json)).toBe(201);
    await seen('conversation.waiting');
    await seen('window.expiring');

    // Her tap is routed: reply.routed, and handoff.requested from the rule's handoff.
    const routing = await h.api('PUT', '/v1/templates/appointment_reminder/es_AR/routing', {
      on_reply: [{ match: { payload: ['CONFIRM:*'] }, actions: [{ tag: ['confirmed'] }, { handoff: true }] }],
    });
    expect(routing.status, JSON.stringify(routing.json)).toBe(200);
    const sent = await h.api('POST', '/v1/messages', REMINDER);
    expect(sent.status).toBe(202);
    await seen('message.status', (d) => d.id === sent.json.id && d.status === 'read');
    const onPhone = h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'template')!;
    h.embedded.sandbox.users.tapButton(
      h.embedded.whatsapp.phoneNumberId,
      EMILIA.waId,
      onPhone.wamid,
      'Confirmar',
    );
    await seen('message.reply');
    await seen('reply.routed');
    await seen('handoff.requested', (d) => d.source === 'routing');
    await seen('message.received');
    await seen('window.opened');
    // She texts STOP, then START: the consent ledger tells the bot both.
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, EMILIA.waId, 'STOP');
    await seen('contact.opted_out');
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, EMILIA.waId, 'START');
    await seen('contact.opted_in');

    await signedTemplateWebhook(h, 'message_template_quality_update', {
      previous_quality_score: 'GREEN',
      new_quality_score: 'YELLOW',
      message_template_name: 'taxi_discount',
    });
    await seen('template.quality');
    await signedTemplateWebhook(h, 'template_category_update', {
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
      message_template_name: 'taxi_discount',
    });
    await seen('template.category');

    // Campaigns: one started, paused, resumed, progressing and completed; one cancelled while
    // scheduled; one expired; one whose template Meta disables before its start.
    expect((await h.api('POST', '/v1/templates/pull')).status).toBe(200);
    const campaign = async (body: Record<string, unknown>) => {
      const created = await h.api('POST', '/v1/campaigns', {
        audience: { list: { contacts: [EMILIA.phone, '+1 650 555 3001', '+1 650 555 3002'] } },
        // The same three people each time: the marketing frequency cap would leave them out.
        frequency_cap_hours: 0,
        ...body,
      });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const launched = await h.api('POST', `/v1/campaigns/${created.json.id}/launch`);
      expect(launched.status, JSON.stringify(launched.json)).toBe(200);
      return launched.json.id as string;
    };
    for (const phone of ['+1 650 555 3001', '+1 650 555 3002']) {
      await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, { name: 'Ana' });
    }
    const taxi = {
      name: 'taxi_discount',
      language: 'es_AR',
      header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
      body: [{ field: 'first_name', default: 'cliente' }, '10%'],
      buttons: [null, null, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
    };
    const run = await campaign({ name: 'run', template: taxi, pace: 1 });
    await seen('campaign.started', (d) => d.campaign.id === run);
    expect((await h.api('POST', `/v1/campaigns/${run}/pause`)).json.state).toBe('paused');
    await seen('campaign.paused', (d) => d.campaign.id === run);
    expect((await h.api('POST', `/v1/campaigns/${run}/resume`)).json.state).toBe('running');
    await seen('campaign.resumed', (d) => d.campaign.id === run);
    await seen('campaign.progress', (d) => d.campaign.id === run);
    await seen('campaign.completed', (d) => d.campaign.id === run);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const held = await campaign({ name: 'held', template: taxi, schedule: { at: later } });
    const cancelled = await h.api('POST', `/v1/campaigns/${held}/cancel`);
    expect(cancelled.json.state, JSON.stringify(cancelled.json)).toBe('cancelled');
    await seen('campaign.cancelled', (d) => d.campaign.id === held);
    const soon = new Date(Date.now() + 1_500).toISOString();
    // At 1 message a second, the third recipient's turn comes after the expiry.
    const expiring = await campaign({
      name: 'expiring',
      template: taxi,
      pace: 1,
      schedule: { expires_at: soon },
    });
    await seen('campaign.expired', (d) => d.campaign.id === expiring);
    const resume = await campaign({
      name: 'resume',
      template: {
        name: 'resume_conversation',
        language: 'es_AR',
        body: { first_name: { field: 'first_name', default: 'hola' }, topic: 'tu turno' },
      },
      schedule: { at: later },
    });

    // The waiting contact's window closed meanwhile: the resume template went; her reply resumes.
    await h.waitFor('window.expired', () => h.events.find((e) => e.type === 'window.expired'), 30_000);
    await h.waitFor('resume_sent', () => h.events.find((e) => e.type === 'conversation.resume_sent'), 30_000);
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, waiter, 'Sí, sigo acá');
    await seen('conversation.resumed');
    await seen('handoff.requested', (d) => d.source === 'resume');
    expect((await h.api('DELETE', `/v1/contacts/${waiterId}/waiting`)).json.cleared).toBe(true);
    await seen('conversation.cleared');

    // Meta pauses a template and its webhook is lost: the next send fails at Meta (132015).
    h.embedded.sandbox.setWebhookUrl(SANDBOX_ACCOUNT.phoneNumberId, 'http://127.0.0.1:9/unreachable');
    h.embedded.sandbox.setTemplateStatus(SANDBOX_ACCOUNT.wabaId, 'appointment_reminder', 'es_AR', 'PAUSED');
    const doomed = await h.api('POST', '/v1/messages', { ...REMINDER, to: '+1 650 555 3999' });
    await seen('message.status', (d) => d.id === doomed.json.id && d.status === 'failed');
    h.embedded.sandbox.setWebhookUrl(SANDBOX_ACCOUNT.phoneNumberId, `${h.url}/webhooks/whatsapp`);
    h.embedded.sandbox.setTemplateStatus(SANDBOX_ACCOUNT.wabaId, 'resume_conversation', 'es_AR', 'DISABLED');
    await seen('template.status');
    await seen('campaign.failed_to_start', (d) => d.campaign.id === resume);

    const types = new Set(h.events.map((e) => e.type));
    expect([...types].sort()).toEqual(EVENT_TYPES.filter((t) => !NOT_IN_THIS_STORY.includes(t)).sort());
    for (const event of h.events) {
      // The harness keeps the body as received (its id is the webhook-id header's).
      const envelope = event as typeof event & { timestamp: string };
      const parsed = eventEnvelopeSchema(event.type as EventType).safeParse(envelope);
      expect(parsed.error, `${event.type} ${JSON.stringify(event.data)}`).toBeUndefined();
      // Parsing drops fields the schema does not name: none may be dropped.
      expect(parsed.data, `${event.type} has only documented fields`).toEqual(envelope);
    }
  }, 90_000);
});

/** Meta's template webhooks that the sandbox does not originate, signed as Meta signs them. */
async function signedTemplateWebhook(h: Harness, field: string, value: Record<string, unknown>) {
  const waba = h.embedded.whatsapp.wabaId;
  const tpl = h.embedded.sandbox.templates(waba).find((t) => t.name === value.message_template_name)!;
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: waba,
        time: Math.floor(Date.now() / 1000),
        changes: [
          {
            field,
            value: { ...value, message_template_id: Number(tpl.id), message_template_language: 'es_AR' },
          },
        ],
      },
    ],
  });
  const res = await request(`${h.url}/webhooks/whatsapp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature-256': `sha256=${createHmac('sha256', h.embedded.whatsapp.appSecret).update(body).digest('hex')}`,
    },
    body,
  });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}
