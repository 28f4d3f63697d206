/**
 * Send when allowed, end to end on both databases against the sandbox (which refuses free-form
 * text outside the window, as Meta does): POST /v1/messages with `when_closed` goes now while the
 * window is open and holds the message behind its template while it is closed (also when it
 * closes within the safety margin); held messages are never sent while the window is closed,
 * and the contact's next message releases them in the order they were written, one at a time;
 * expiry by a controllable clock, cancellation, idempotent replays and bad inputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WINDOW_SAFETY_MARGIN_MS } from '../../src/domain/conversations/held';
import { releasedByInbound } from '../../src/store/held-messages-repo';
import { type BotEvent, type Harness, REMINDER, startHarness, taxiDiscount } from '../support/harness';
import { DIALECTS } from '../support/stores';

const HOUR = 3600_000;
const fallback = REMINDER.template;

describe.each(DIALECTS)('held messages (send when allowed) on %s', (dialect) => {
  let h: Harness;
  // One clock for Recontact and the sandbox: both judge windows and holds at the same instant.
  let offset = 0;
  const clock = () => Date.now() + offset;
  let n = 0;
  /** A fresh contact per test: its phone and wa_id. */
  const contact = () => {
    const waId = `54911555${String(7000 + ++n).padStart(5, '0')}`;
    return { phone: `+${waId}`, waId };
  };
  const heldSend = (to: string, body: string, extra: Record<string, unknown> = {}) => ({
    to,
    text: { body },
    when_closed: { template: fallback, ...extra },
  });
  const write = (waId: string, text: string) =>
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, waId, text);
  /** What reached Meta's stand-in for `waId`, accepted, in the order it arrived. */
  const received = (waId: string) =>
    h.embedded.sandbox
      .sent()
      .filter((r) => r.to === waId && r.errorCode === undefined)
      .map((r) => ({ id: r.bizOpaque, type: r.type, at: r.at }));
  const statusEvents = (id: string) =>
    h.events.filter((e) => e.type === 'message.status' && e.data.id === id).map((e) => e.data);
  const inboundOf = async (waId: string, text: string) =>
    (
      await h.waitFor('message.received', () =>
        h.events.find(
          (e: BotEvent) =>
            e.type === 'message.received' && e.data.contact.wa_id === waId && e.data.message.text === text,
        ),
      )
    ).data.message.id as string;

  beforeAll(async () => {
    h = await startHarness(dialect, {
      clock,
      sandbox: { now: clock },
      app: { heldMessages: { pollMs: 20 } },
    });
  });
  afterAll(() => h.close());

  it('goes now while the window is open', async () => {
    const c = contact();
    write(c.waId, 'Hola');
    await inboundOf(c.waId, 'Hola');
    const res = await h.api('POST', '/v1/messages', heldSend(c.phone, 'Un asesor te responde'));
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    expect(res.json).toMatchObject({ path: 'now', kind: 'text', status: 'queued', hold_until: null });
    expect(res.json.held_id).toBeUndefined();
    await h.waitFor('the text on the phone', () => received(c.waId).find((r) => r.id === res.json.id));
    // The fallback was checked, never sent.
    expect(received(c.waId).map((r) => r.type)).toEqual(['text']);
  });

  it('without when_closed, a closed window is still 409 WINDOW_CLOSED', async () => {
    const c = contact();
    const res = await h.api('POST', '/v1/messages', { to: c.phone, text: { body: 'hola' } });
    expect(res.status).toBe(409);
    expect(res.json.error.code).toBe('WINDOW_CLOSED');
  });

  it('holds behind one template while closed, never sends it closed, and releases in order on any inbound', async () => {
    const c = contact();
    const bodies = ['Primera respuesta', 'Segunda respuesta', 'Tercera respuesta'];
    const answers = [];
    for (const body of bodies) {
      const res = await h.api('POST', '/v1/messages', heldSend(c.phone, body));
      expect(res.status, JSON.stringify(res.json)).toBe(202);
      expect(res.json).toMatchObject({
        path: 'template_then_held',
        status: 'held',
        kind: 'text',
        released_by: null,
      });
      expect(res.json.held_id).toBe(res.json.id);
      expect(Date.parse(res.json.hold_until) - Date.parse(res.json.created_at)).toBe(7 * 24 * HOUR);
      answers.push(res.json as { id: string; template_message_id: string; template_reused: boolean });
    }
    // One invitation: the first answer queued the template, the next two wait behind it.
    const [template] = answers.map((a) => a.template_message_id);
    expect(answers.map((a) => a.template_message_id)).toEqual([template, template, template]);
    expect(answers.map((a) => a.template_reused)).toEqual([false, true, true]);
    // The template goes and is read; the held answers stay held all the while.
    await h.waitFor('template read', () => statusEvents(template!).find((e) => e.status === 'read'));
    await h.app.heldMessages.idle();
    expect(received(c.waId).map((r) => r.type)).toEqual(['template']);
    for (const a of answers) {
      const m = await h.api('GET', `/v1/messages/${a.id}`);
      expect(m.json.status).toBe('held');
      expect(m.json.timeline.map((t: { status: string }) => t.status)).toEqual(['held']);
    }
    const listed = await h.api('GET', `/v1/messages?status=held&to=${c.waId}`);
    expect(listed.json.data.map((m: { id: string }) => m.id).sort()).toEqual(answers.map((a) => a.id).sort());

    // Emilia writes something (not a button of the template): everything held is released.
    write(c.waId, '¿Hay alguien?');
    const inboundId = await inboundOf(c.waId, '¿Hay alguien?');
    await h.waitFor('all three answers on the phone', () => received(c.waId).length === 4);
    expect(
      received(c.waId)
        .slice(1)
        .map((r) => r.id),
    ).toEqual(answers.map((a) => a.id));
    expect(await releasedByInbound(h.store.db, [inboundId])).toEqual(
      new Map([[inboundId, answers.map((a) => a.id)]]),
    );

    // One at a time: each went to the queue only after the one before it was accepted by Meta.
    let previousAccepted = 0;
    for (const a of answers) {
      const m = await h.api('GET', `/v1/messages/${a.id}`);
      expect(m.json.released_by).toBe(inboundId);
      const releasedAt = Date.parse(m.json.released_at);
      expect(releasedAt).toBeGreaterThanOrEqual(previousAccepted);
      const accepted = m.json.timeline.find((t: { status: string }) => t.status === 'accepted');
      previousAccepted = Date.parse(accepted?.at ?? m.json.accepted_at);
      const release = m.json.timeline.find((t: { source: string }) => t.source === 'release');
      expect(release).toMatchObject({ status: 'queued', detail: { released_by: inboundId } });
      // Each transition is an event whose previous status is held.
      await h.waitFor('released event', () =>
        statusEvents(a.id).find((e) => e.status === 'queued' && e.previous_status === 'held'),
      );
    }
  });

  it('a window closing within the safety margin counts as closed; the next inbound releases', async () => {
    const c = contact();
    write(c.waId, 'Necesito un asesor');
    await inboundOf(c.waId, 'Necesito un asesor');
    offset += 24 * HOUR - WINDOW_SAFETY_MARGIN_MS / 2;
    const res = await h.api('POST', '/v1/messages', heldSend(c.phone, 'Ya estoy', { hold_for: 'PT2H' }));
    expect(res.status, JSON.stringify(res.json)).toBe(202);
    expect(res.json.path).toBe('template_then_held');
    expect(Date.parse(res.json.hold_until) - Date.parse(res.json.created_at)).toBe(2 * HOUR);
    await h.waitFor('template on the phone', () =>
      received(c.waId).find((r) => r.id === res.json.template_message_id),
    );
    offset += WINDOW_SAFETY_MARGIN_MS;
    write(c.waId, 'Sí, sigo');
    await h.waitFor('the held answer on the phone', () => received(c.waId).find((r) => r.id === res.json.id));
  });

  it('expires a hold past hold_until by the clock, with an event; a later inbound releases nothing', async () => {
    const c = contact();
    const res = await h.api(
      'POST',
      '/v1/messages',
      heldSend(c.phone, 'Respuesta tardía', { hold_for: 'PT1H' }),
    );
    expect(res.status).toBe(202);
    await h.app.heldMessages.idle();
    expect((await h.api('GET', `/v1/messages/${res.json.id}`)).json.status).toBe('held');
    offset += HOUR;
    h.app.heldMessages.wake();
    const ev = await h.waitFor('expired event', () =>
      statusEvents(res.json.id).find((e) => e.status === 'expired'),
    );
    expect(ev.previous_status).toBe('held');
    const m = await h.api('GET', `/v1/messages/${res.json.id}`);
    expect(m.json.status).toBe('expired');
    expect(m.json.timeline.map((t: { status: string }) => t.status)).toEqual(['held', 'expired']);
    write(c.waId, 'Hola, ¿seguís?');
    await inboundOf(c.waId, 'Hola, ¿seguís?');
    await h.app.heldMessages.idle();
    expect(received(c.waId).map((r) => r.id)).toEqual([res.json.template_message_id]);
  });

  it('cancels a held message (event, never sent); any other status is a 409 naming it', async () => {
    const c = contact();
    const res = await h.api('POST', '/v1/messages', heldSend(c.phone, 'Mejor no'));
    const cancelled = await h.api('POST', `/v1/messages/${res.json.id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.json)).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    await h.waitFor('cancelled event', () =>
      statusEvents(res.json.id).find((e) => e.status === 'cancelled' && e.previous_status === 'held'),
    );
    const again = await h.api('POST', `/v1/messages/${res.json.id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({ code: 'MESSAGE_NOT_HELD', data: { status: 'cancelled' } });
    expect(again.json.error.message).toContain('cancelled');
    const template = await h.api('POST', `/v1/messages/${res.json.template_message_id}/cancel`);
    expect(template.status).toBe(409);
    expect(template.json.error.code).toBe('MESSAGE_NOT_HELD');
    const unknown = await h.api('POST', '/v1/messages/msg_nothing/cancel');
    expect(unknown.status).toBe(404);
    write(c.waId, 'Hola');
    await inboundOf(c.waId, 'Hola');
    await h.app.heldMessages.idle();
    expect(received(c.waId).map((r) => r.id)).toEqual([res.json.template_message_id]);
  });

  it('an Idempotency-Key replay returns the same answer and queues nothing again', async () => {
    const c = contact();
    const body = heldSend(c.phone, 'Una sola vez');
    const first = await h.api('POST', '/v1/messages', body, { 'idempotency-key': `held-${c.waId}` });
    expect(first.status).toBe(202);
    const again = await h.api('POST', '/v1/messages', body, { 'idempotency-key': `held-${c.waId}` });
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json).toMatchObject({
      id: first.json.id,
      path: 'template_then_held',
      held_id: first.json.id,
      template_message_id: first.json.template_message_id,
      status: 'held',
    });
    const other = await h.api('POST', '/v1/messages', heldSend(c.phone, 'Otra cosa'), {
      'idempotency-key': `held-${c.waId}`,
    });
    expect(other.status).toBe(422);
    expect(other.json.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await h.waitFor('template on the phone', () => received(c.waId).length === 1);
    const rows = await h.store.db.selectFrom('messages').select('id').where('to_wa', '=', c.waId).execute();
    expect(rows).toHaveLength(2);
  });

  it('a message delivered late, dated before the close, releases nothing', async () => {
    const c = contact();
    const res = await h.api('POST', '/v1/messages', heldSend(c.phone, 'Sigo esperando tu respuesta'));
    expect(res.json.path).toBe('template_then_held');
    const sent = await fetch(`${h.embedded.whatsapp.baseUrl}/_sandbox/users/${c.waId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        phone_number_id: h.embedded.whatsapp.phoneNumberId,
        text: 'Mensaje viejo',
        timestamp: Math.floor((clock() - 25 * HOUR) / 1000),
      }),
    });
    expect(sent.status).toBe(200);
    await inboundOf(c.waId, 'Mensaje viejo');
    await h.app.heldMessages.idle();
    const m = await h.api('GET', `/v1/messages/${res.json.id}`);
    expect(m.json).toMatchObject({ status: 'held', released_by: null });
    write(c.waId, 'Ahora sí');
    await h.waitFor('the held answer on the phone', () => received(c.waId).find((r) => r.id === res.json.id));
  });

  it("a contact who opted out of the fallback template's category gets nothing held", async () => {
    const c = contact();
    const optOut = await h.api('POST', `/v1/contacts/${c.phone}/consent`, {
      scope: 'marketing',
      state: 'opted_out',
      source: 'agent',
      note: 'no promotions',
    });
    expect(optOut.status, JSON.stringify(optOut.json)).toBe(201);
    const res = await h.api('POST', '/v1/messages', {
      to: c.phone,
      text: { body: 'Tenemos un descuento' },
      when_closed: { template: taxiDiscount(c.phone).template },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(422);
    expect(res.json.error.code).toBe('CONTACT_OPTED_OUT');
    const rows = await h.store.db.selectFrom('messages').select('id').where('to_wa', '=', c.waId).execute();
    expect(rows).toEqual([]);
  });

  it('erasing the contact fails what is held for them: it is never sent', async () => {
    const c = contact();
    const res = await h.api('POST', '/v1/messages', heldSend(c.phone, 'Datos de tu consulta'));
    expect(res.json.status).toBe('held');
    const erased = await h.api('DELETE', `/v1/contacts/${c.phone}`);
    expect(erased.status, JSON.stringify(erased.json)).toBe(200);
    const m = await h.api('GET', `/v1/messages/${res.json.id}`);
    expect(m.json).toMatchObject({ status: 'failed', error: { class: 'erased' } });
  });

  it('refuses bad inputs, naming the field, and queues nothing', async () => {
    const c = contact();
    const cases: Array<[unknown, number, string, string]> = [
      [
        { to: c.phone, template: fallback, when_closed: { template: fallback } },
        400,
        'INPUT_INVALID',
        'when_closed',
      ],
      [
        heldSend(c.phone, 'x', { template: { ...fallback, name: 'no_such_template' } }),
        422,
        'TEMPLATE_NOT_FOUND',
        'when_closed.template.language',
      ],
      [
        heldSend(c.phone, 'x', { template: { ...fallback, body: ['Emilia'] } }),
        422,
        'TEMPLATE_PARAMS_INVALID',
        'when_closed.template.body',
      ],
      [heldSend(c.phone, 'x', { hold_for: 'P1Y' }), 400, 'INPUT_INVALID', 'when_closed.hold_for'],
      [heldSend(c.phone, 'x', { hold_for: 'P31D' }), 400, 'INPUT_INVALID', 'when_closed.hold_for'],
      [heldSend(c.phone, 'x', { hold_for: 'PT30S' }), 400, 'INPUT_INVALID', 'when_closed.hold_for'],
      [heldSend(c.phone, 'x', { later: true }), 400, 'INPUT_INVALID', 'when_closed'],
      [{ to: c.phone, text: { body: 'x' }, when_closed: {} }, 400, 'INPUT_INVALID', 'when_closed.template'],
    ];
    for (const [body, status, code, path] of cases) {
      const res = await h.api('POST', '/v1/messages', body);
      expect(res.status, JSON.stringify(res.json)).toBe(status);
      expect(res.json.error.code).toBe(code);
      const paths = (res.json.error.details ?? []).map((d: { path: string }) => d.path).join(' ');
      expect(paths, JSON.stringify(res.json.error)).toContain(path);
    }
    const rows = await h.store.db.selectFrom('messages').select('id').where('to_wa', '=', c.waId).execute();
    expect(rows).toEqual([]);
  });
});
