/**
 * Reply routing end to end: a user taps a button (or writes) on the sandbox's phone, the
 * webhook comes back, and the first matching rule of the table in force (message, campaign,
 * template) runs its actions exactly once, each recorded and listed in reply.routed.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EventType, eventEnvelopeSchema } from '../../src/engine/events/schemas';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { inboundTextBody, signedHeaders } from '../support/meta-webhooks';
import { DIALECTS } from '../support/stores';

const TEMPLATE_ROUTING = {
  on_reply: [
    {
      match: { payload: ['CONFIRM:*'] },
      actions: [
        { answer: { text: '¡Gracias! Te esperamos.' } },
        { set_attribute: { appointment_status: 'confirmed' } },
        { tag: ['confirmed'] },
      ],
    },
    {
      match: { payload: ['CANCEL:*'] },
      actions: [{ untag: ['confirmed'] }, { handoff: { reason: 'cancel' } }, { clear_waiting: true }],
    },
    { match: { text: ['no me interesa'] }, actions: [{ opt_out: 'marketing' }] },
    { match: { any: true }, actions: [{ wait: { reason: 'agent' } }] },
  ],
};

describe.each(DIALECTS)('reply routing on %s', (dialect) => {
  let h: Harness;
  const sandbox = () => h.embedded.sandbox;
  const phoneId = () => h.embedded.whatsapp.phoneNumberId;
  const enc = (phone: string) => encodeURIComponent(phone);

  beforeAll(async () => {
    h = await startHarness(dialect, { app: { campaignRunner: { pollMs: 20, checkEveryMs: 50 } } });
    const put = await h.api('PUT', '/v1/templates/appointment_reminder/es_AR/routing', TEMPLATE_ROUTING);
    expect(put.status, JSON.stringify(put.json)).toBe(200);
  });
  afterAll(() => h.close());

  /** Sends the reminder (or `body`) to `waId` and waits for it on the phone. */
  const remind = async (waId: string, body: Record<string, unknown> = {}) => {
    const sent = await h.api('POST', '/v1/messages', { ...REMINDER, to: `+${waId}`, ...body });
    expect(sent.status, JSON.stringify(sent.json)).toBe(202);
    const id = sent.json.id as string;
    const delivered = await h.waitFor('delivered', () =>
      h.events.find((e) => e.type === 'message.status' && e.data.id === id && e.data.status === 'delivered'),
    );
    return { id, wamid: delivered.data.provider_message_id as string };
  };
  const routed = (inboundOf: (d: Record<string, any>) => boolean) =>
    h.waitFor('reply.routed', () => h.events.find((e) => e.type === 'reply.routed' && inboundOf(e.data)));

  it("shows the template's routing in its API view", async () => {
    const t = await h.api('GET', '/v1/templates/appointment_reminder/es_AR');
    expect(t.json.routing.on_reply).toHaveLength(4);
    expect(t.json.routing.on_reply[1].actions[0]).toEqual({ untag: ['confirmed'] });
    const list = await h.api('GET', '/v1/templates');
    const other = list.json.data.find((x: { name: string }) => x.name === 'taxi_discount');
    expect(other.routing).toBeNull();
  });

  it('a tap on Confirmar answers, sets the attribute and tags, once, and says so', async () => {
    const waId = '5491155557001';
    const { id, wamid } = await remind(waId);
    sandbox().users.tapButton(phoneId(), waId, wamid, 'Confirmar');
    const ev = await routed((d) => d.message_id === id);
    expect(ev.data).toMatchObject({
      template: { name: 'appointment_reminder', language: 'es_AR' },
      rule: { source: 'template', index: 0, match: 'payload:CONFIRM:appt-123' },
      actions: [
        { type: 'answer', outcome: 'applied' },
        { type: 'set_attribute', outcome: 'applied', detail: 'appointment_status = "confirmed"' },
        { type: 'tag', outcome: 'applied', detail: 'tagged confirmed' },
      ],
    });
    // message.reply is still sent, before reply.routed.
    const order = h.events.map((e) => e.type);
    expect(order.indexOf('message.reply')).toBeLessThan(order.indexOf('reply.routed'));
    await h.waitFor('the answer on the phone', () =>
      sandbox()
        .users.inbox(waId)
        .find((m) => m.type === 'text' && m.text === '¡Gracias! Te esperamos.'),
    );
    const contact = await h.api('GET', `/v1/contacts/${enc(`+${waId}`)}`);
    expect(contact.json.tags).toEqual(['confirmed']);
    expect(contact.json.attributes).toEqual({ appointment_status: 'confirmed' });

    const replies = await h.api('GET', `/v1/messages/${id}/replies`);
    expect(replies.status).toBe(200);
    expect(replies.json.routing.source).toBe('template');
    expect(replies.json.replies).toHaveLength(1);
    expect(replies.json.replies[0]).toMatchObject({
      id: ev.data.inbound_id,
      payload: 'CONFIRM:appt-123',
      rule: { source: 'template', index: 0 },
    });
    const actions = replies.json.replies[0].actions;
    expect(actions.map((a: { type: string }) => a.type)).toEqual(['answer', 'set_attribute', 'tag']);
    expect(actions[0].ref).toMatch(/^msg_/);
    const answer = await h.api('GET', `/v1/messages/${actions[0].ref}`);
    expect(answer.json.kind).toBe('text');
    expect(answer.json.metadata).toMatchObject({ recontact: 'routing_answer', in_reply_to: id });
  });

  it('any text waits for an agent; a later Cancelar untags, hands off with the question and clears', async () => {
    const waId = '5491155557002';
    const first = await remind(waId);
    sandbox().users.sendText(phoneId(), waId, 'Tengo una duda con la orden médica');
    const waited = await routed((d) => d.message_id === first.id);
    expect(waited.data.rule).toMatchObject({ index: 3, match: 'any' });
    expect(waited.data.actions).toEqual([
      { type: 'wait', outcome: 'applied', detail: expect.stringMatching(/^waiting for agent \(wait_/) },
    ]);
    const waiting = await h.waitFor('conversation.waiting', () =>
      h.events.find((e) => e.type === 'conversation.waiting' && e.data.contact.wa_id === waId),
    );
    expect(waiting.data.waiting).toMatchObject({
      reason: 'agent',
      question: 'Tengo una duda con la orden médica',
      metadata: { appointment_id: 'appt-123' },
    });

    const second = await remind(waId);
    sandbox().users.tapButton(phoneId(), waId, second.wamid, 'Cancelar');
    const cancelled = await routed((d) => d.message_id === second.id);
    expect(cancelled.data.actions).toEqual([
      { type: 'untag', outcome: 'applied', detail: 'not tagged confirmed' },
      { type: 'handoff', outcome: 'applied', detail: 'handoff requested (cancel)' },
      { type: 'clear_waiting', outcome: 'applied', detail: 'waiting mark cleared' },
    ]);
    const handoff = h.events.find((e) => e.type === 'handoff.requested' && e.data.contact.wa_id === waId);
    expect(handoff?.data).toMatchObject({
      source: 'routing',
      reason: 'cancel',
      question: 'Tengo una duda con la orden médica',
      reply: { payload: 'CANCEL:appt-123' },
      waiting: { reason: 'agent', state: 'waiting' },
    });
    const cleared = h.events.find((e) => e.type === 'conversation.cleared' && e.data.contact.wa_id === waId);
    expect(cleared?.data.by).toBe('routing');
  });

  it('a text rule opts out of marketing through the consent ledger', async () => {
    const waId = '5491155557003';
    const { id } = await remind(waId);
    sandbox().users.sendText(phoneId(), waId, '  No me interesa ');
    const ev = await routed((d) => d.message_id === id);
    expect(ev.data.rule).toMatchObject({ index: 2, match: 'text:no me interesa' });
    expect(ev.data.actions).toEqual([
      { type: 'opt_out', outcome: 'applied', detail: 'opted out of marketing' },
    ]);
    const out = h.events.find((e) => e.type === 'contact.opted_out' && e.data.wa_id === waId);
    expect(out?.data).toMatchObject({
      scope: 'marketing',
      source: 'keyword',
      evidence: { rule: 'on_reply', routing: 'template', in_reply_to: id, template: 'appointment_reminder' },
      consent: { marketing: 'opted_out', all: 'unknown' },
    });
    const ledger = await h.api('GET', `/v1/contacts/${enc(`+${waId}`)}/consent`);
    expect(ledger.json.history).toHaveLength(1);
    expect(ledger.json.history[0]).toMatchObject({
      scope: 'marketing',
      state: 'opted_out',
      source: 'keyword',
    });
  });

  it("a message's own table replaces the template's; a late reply gets no answer, with the reason", async () => {
    const waId = '5491155557004';
    const own = {
      routing: {
        on_reply: [{ match: { any: true }, actions: [{ answer: { text: 'Hola' } }, { tag: 'msg_level' }] }],
      },
    };
    const { id, wamid } = await remind(waId, own);
    // Written 25 hours ago and delivered only now: the window it opened is already closed.
    const now = Date.now();
    sandbox().users.sendText(phoneId(), waId, 'Confirmo', { contextWamid: wamid, at: now - 25 * 3600_000 });
    const ev = await routed((d) => d.message_id === id);
    expect(ev.data.rule).toEqual({ source: 'message', index: 0, match: 'any' });
    expect(ev.data.actions[0]).toMatchObject({ type: 'answer', outcome: 'skipped' });
    expect(ev.data.actions[0].detail).toMatch(/^the window closed at .* too late for a free-form answer$/);
    expect(ev.data.actions[1]).toMatchObject({ type: 'tag', outcome: 'applied' });
    const contact = await h.api('GET', `/v1/contacts/${enc(`+${waId}`)}`);
    expect(contact.json.tags).toEqual(['msg_level']);
    expect((await h.api('GET', `/v1/messages/${id}/replies`)).json.routing.source).toBe('message');
    // An empty table on the message silences the template's: nothing is routed.
    const silent = await remind('5491155557005', { routing: { on_reply: [] } });
    sandbox().users.tapButton(phoneId(), '5491155557005', silent.wamid, 'Confirmar');
    await h.waitFor('message.reply', () =>
      h.events.find((e) => e.type === 'message.reply' && e.data.message.id === silent.id),
    );
    await h.app.ingest.drain();
    expect(
      h.events.find((e) => e.type === 'reply.routed' && e.data.message_id === silent.id),
    ).toBeUndefined();
  });

  it("a campaign's table replaces the template's for the campaign's messages", async () => {
    const waId = '5491155557006';
    const put = await h.api('PUT', `/v1/contacts/${enc(`+${waId}`)}`, { name: 'Ana' });
    expect(put.status).toBe(201);
    const created = await h.api('POST', '/v1/campaigns', {
      name: 'Turnos de marzo',
      template: {
        name: 'appointment_reminder',
        language: 'es_AR',
        body: [{ field: 'first_name', default: 'paciente' }, 'la Dra. Gómez', 'el lunes'],
        buttons: [{ payload: 'CONFIRM:c1' }, { payload: 'CANCEL:c1' }],
      },
      audience: { list: { contacts: [`+${waId}`] } },
      routing: { on_reply: [{ match: { text: ['Confirmar'] }, actions: [{ tag: ['campaign_confirmed'] }] }] },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.definition.routing.on_reply).toHaveLength(1);
    const launched = await h.api('POST', `/v1/campaigns/${created.json.id}/launch`);
    expect(launched.status, JSON.stringify(launched.json)).toBe(200);
    const onPhone = await h.waitFor('the campaign message on the phone', () =>
      sandbox()
        .users.inbox(waId)
        .find((m) => m.type === 'template'),
    );
    await h.waitFor('delivered', () =>
      h.events.find(
        (e) => e.type === 'message.status' && e.data.to === waId && e.data.status === 'delivered',
      ),
    );
    sandbox().users.tapButton(phoneId(), waId, onPhone.wamid, 'Confirmar');
    const ev = await routed((d) => d.contact.wa_id === waId);
    expect(ev.data.rule).toEqual({ source: 'campaign', index: 0, match: 'text:Confirmar' });
    const contact = await h.api('GET', `/v1/contacts/${enc(`+${waId}`)}`);
    expect(contact.json.tags).toEqual(['campaign_confirmed']);
    expect(contact.json.attributes).toEqual({});
  });

  it('the same webhook delivered twice routes once', async () => {
    const waId = '5491155557007';
    const { id } = await remind(waId, {
      routing: { on_reply: [{ match: { any: true }, actions: [{ answer: { text: 'Recibido' } }] }] },
    });
    const body = inboundTextBody({ from: waId, id: 'wamid.routing-dup-1', text: 'ok' });
    for (let i = 0; i < 2; i++) {
      const res = await request(`${h.url}/webhooks/whatsapp`, {
        method: 'POST',
        headers: signedHeaders(body),
        body,
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
      await h.app.ingest.drain();
    }
    await routed((d) => d.message_id === id);
    await h.app.ingest.drain();
    expect(h.events.filter((e) => e.type === 'reply.routed' && e.data.message_id === id)).toHaveLength(1);
    const answers = await h.store.db
      .selectFrom('messages')
      .select('id')
      .where('to_wa', '=', waId)
      .where('kind', '=', 'text')
      .execute();
    expect(answers).toHaveLength(1);
    expect((await h.api('GET', `/v1/messages/${id}/replies`)).json.replies[0].actions).toHaveLength(1);
  });

  it('counts replies per button, per language', async () => {
    const r = await h.api('GET', '/v1/templates/appointment_reminder/replies');
    expect(r.status).toBe(200);
    const es = r.json.languages.find((l: { language: string }) => l.language === 'es_AR');
    const confirm = es.buttons.find((b: { payload: string }) => b.payload === 'CONFIRM:appt-123');
    // Confirmar: 5557001 and 5557005 tapped it; Cancelar: 5557002.
    expect(confirm).toEqual({ payload: 'CONFIRM:appt-123', text: 'Confirmar', replies: 2, contacts: 2 });
    expect(es.buttons.find((b: { payload: string }) => b.payload === 'CANCEL:appt-123')).toMatchObject({
      replies: 1,
      contacts: 1,
    });
    expect(es.other.replies).toBeGreaterThanOrEqual(4);
    expect(es.replies).toBe(
      es.other.replies + es.buttons.reduce((n: number, b: { replies: number }) => n + b.replies, 0),
    );
    const none = await h.api('GET', '/v1/templates/appointment_reminder/replies?language=pt_BR');
    expect(none.json.languages).toEqual([]);
  });

  it('every event routing emitted matches the catalogue, with no undocumented field', () => {
    const ours = h.events.filter((e) => e.type === 'reply.routed' || e.type === 'handoff.requested');
    expect(ours.length).toBeGreaterThanOrEqual(7);
    for (const event of ours) {
      const envelope = event as typeof event & { timestamp: string };
      const parsed = eventEnvelopeSchema(event.type as EventType).safeParse(envelope);
      expect(parsed.error, `${event.type} ${JSON.stringify(event.data)}`).toBeUndefined();
      expect(parsed.data).toEqual(envelope);
    }
  });

  it('refuses a bad table when saved, naming each path', async () => {
    const bad = {
      on_reply: [
        { match: { payload: ['X'] }, actions: [{ tag: ['ok'] }] },
        { match: {}, actions: [{ tag: ['a'] }] },
        { match: { any: true }, actions: [{ answer: { text: 'x'.repeat(4097) } }, { shout: true }] },
      ],
    };
    const send = await h.api('POST', '/v1/messages', { ...REMINDER, routing: bad });
    expect(send.status).toBe(400);
    expect(send.json.error.code).toBe('INPUT_INVALID');
    expect(send.json.error.details.map((d: { path: string }) => d.path)).toEqual([
      'body.routing.on_reply[1].match',
      'body.routing.on_reply[2].actions[0].answer',
      'body.routing.on_reply[2].actions[1].shout',
    ]);
    const tpl = await h.api('PUT', '/v1/templates/appointment_reminder/es_AR/routing', {
      on_reply: [{ match: { any: true }, actions: [{ set_attribute: { 'no spaces': 1 } }] }],
    });
    expect(tpl.status).toBe(400);
    expect(tpl.json.error.details[0].path).toBe(
      'body.routing.on_reply[0].actions[0].set_attribute.no spaces',
    );
    const campaign = await h.api('POST', '/v1/campaigns', {
      name: 'x',
      template: { name: 'appointment_reminder', language: 'es_AR' },
      audience: { all: true },
      routing: { on_reply: [{ match: { any: true }, actions: [{ opt_out: 'sms' }] }] },
    });
    expect(campaign.status).toBe(400);
    expect(campaign.json.error.details.map((d: { path: string }) => d.path)).toContain(
      'body.routing.on_reply[0].actions[0].opt_out',
    );
    const push = await h.api('POST', '/v1/templates/push', {
      templates: [
        {
          name: 'appointment_reminder',
          language: 'es_AR',
          category: 'UTILITY',
          components: [{ type: 'BODY', text: 'Hola' }],
          routing: { on_reply: Array.from({ length: 21 }, () => bad.on_reply[0]) },
        },
      ],
    });
    expect(push.status).toBe(422);
    expect(JSON.stringify(push.json)).toContain('routing.on_reply');
    // Nothing was saved: the template keeps its table.
    expect(
      (await h.api('GET', '/v1/templates/appointment_reminder/es_AR')).json.routing.on_reply,
    ).toHaveLength(4);
  });
});
