import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('appointment confirmation on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  it('refuses free-form text while the window is closed, naming the problem', async () => {
    const res = await h.api('POST', '/v1/messages', { to: EMILIA.phone, text: { body: 'hola' } });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('WINDOW_CLOSED');
    expect(res.json.error.hint).toMatch(/template/);
    expect(h.embedded.sandbox.sent()).toHaveLength(0);
  });

  it('sends the template, follows its statuses, attributes the tap and lets the bot answer', async () => {
    const queued = await h.api('POST', '/v1/messages', REMINDER, { 'idempotency-key': 'appt-123' });
    expect(queued.status).toBe(202);
    const id = queued.json.id as string;
    expect(id).toMatch(/^msg_/);

    // What reached Meta's stand-in: a template with our id as biz_opaque_callback_data.
    const onPhone = await h.waitFor('template on the phone', () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'template'),
    );
    expect(onPhone.text).toContain('Emilia');
    expect(h.embedded.sandbox.countsByCallbackData().get(id)).toBe(1);

    await h.waitFor('read status event', () =>
      h.events.find((e) => e.type === 'message.status' && e.data.id === id && e.data.status === 'read'),
    );
    const statuses = h.events
      .filter((e) => e.type === 'message.status' && e.data.id === id)
      .map((e) => e.data.status);
    expect(statuses).toEqual(['sent', 'delivered', 'read']);

    h.embedded.sandbox.users.tapButton(
      h.embedded.whatsapp.phoneNumberId,
      EMILIA.waId,
      onPhone.wamid,
      'Confirmar',
    );
    const reply = await h.waitFor('message.reply', () => h.events.find((e) => e.type === 'message.reply'));
    expect(reply.data.reply.payload).toBe('CONFIRM:appt-123');
    expect(reply.data.message.id).toBe(id);
    expect(reply.data.message.template).toEqual({ name: 'appointment_reminder', language: 'es_AR' });
    expect(reply.data.message.metadata).toEqual({ appointment_id: 'appt-123' });
    expect(reply.data.window.open).toBe(true);
    const opened = await h.waitFor('window.opened', () => h.events.find((e) => e.type === 'window.opened'));
    expect(opened.data.contact.wa_id).toBe(EMILIA.waId);

    // The window is open until the tap + 24 h.
    const w = await h.api('GET', `/v1/contacts/${encodeURIComponent(EMILIA.phone)}/window`);
    expect(w.json.open).toBe(true);
    const tapAt = Date.parse(reply.data.reply.received_at);
    expect(Date.parse(w.json.expires_at)).toBe(tapAt + 24 * 3600_000);

    const thanks = await h.api('POST', '/v1/messages', {
      to: EMILIA.phone,
      text: { body: '¡Gracias, Emilia!' },
    });
    expect(thanks.status).toBe(202);
    await h.waitFor('thank-you on the phone', () =>
      h.embedded.sandbox.users
        .inbox(EMILIA.waId)
        .find((m) => m.type === 'text' && m.text === '¡Gracias, Emilia!'),
    );

    const m = await h.api('GET', `/v1/messages/${id}`);
    expect(m.status).toBe(200);
    expect(m.json.status).toBe('read');
    expect(m.json.replied_at).not.toBeNull();
    expect(m.json.accepted_at).not.toBeNull();
    // 'accepted' is listed only when Meta's 'sent' webhook did not overtake the dispatcher's record.
    const steps = m.json.timeline
      .map((t: { status: string }) => t.status)
      .filter((s: string) => s !== 'accepted');
    expect(steps).toEqual(['queued', 'sent', 'delivered', 'read', 'replied']);
  });
});
