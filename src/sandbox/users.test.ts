import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  call,
  type Harness,
  PHONE_ID,
  reminder,
  send,
  startHarness,
  text,
  USER,
  WABA_ID,
} from './test-support';

describe('simulated users', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ delays: { sentMs: 0, deliveredMs: 0, readMs: null } });
  });
  afterEach(() => h.close());

  async function deliveredTemplate(body = reminder()): Promise<string> {
    const res = await send(h.base, body);
    await h.sandbox.drainWebhooks();
    return res.json.messages[0]?.id ?? '';
  }

  it('shows the rendered template with its buttons and payloads', async () => {
    const wamid = await deliveredTemplate();
    const [msg] = h.sandbox.users.inbox(USER);
    expect(msg).toMatchObject({
      wamid,
      phoneNumberId: PHONE_ID,
      from: '15550783881',
      type: 'template',
      text: 'Hola Emilia, te recordamos tu turno en SaludCenter con la Dra. Gómez el lunes 3 de marzo a las 10:00. ¿Podés confirmar tu asistencia?',
      footer: 'SaludCenter · turnos',
      template: { name: 'appointment_reminder', language: 'es_AR', category: 'UTILITY' },
      read: false,
    });
    expect(msg?.buttons).toEqual([
      { index: 0, kind: 'quick_reply', text: 'Confirmar', payload: 'CONFIRM:apt-42' },
      { index: 1, kind: 'quick_reply', text: 'Cancelar', payload: 'CANCEL:apt-42' },
    ]);
  });

  it('turns a quick-reply tap into an inbound button message whose context is the template', async () => {
    const wamid = await deliveredTemplate();
    const inboundId = h.sandbox.users.tapButton(PHONE_ID, USER, wamid, 'Confirmar');
    await h.sandbox.drainWebhooks();
    const [inbound] = h.receiver.messages();
    expect(inbound).toEqual({
      from: USER,
      id: inboundId,
      timestamp: expect.stringMatching(/^\d+$/),
      type: 'button',
      context: { from: '15550783881', id: wamid },
      button: { payload: 'CONFIRM:apt-42', text: 'Confirmar' },
    });
    expect(inboundId).toMatch(/^wamid\./);
    // The tap read the template first, and reopened the window.
    const order = h.receiver.posts.flatMap((p) =>
      p.body.entry.flatMap((e) =>
        e.changes.flatMap((c) => [
          ...(c.value.statuses ?? []).map((s) => `status:${s.status}`),
          ...(c.value.messages ?? []).map((m) => `message:${m.type}`),
        ]),
      ),
    );
    expect(order).toEqual(['status:sent', 'status:delivered', 'status:read', 'message:button']);
    expect(h.sandbox.users.isWindowOpen(PHONE_ID, USER)).toBe(true);
    const reply = await send(h.base, text(USER, '¡Gracias! Te esperamos.'));
    await h.sandbox.drainWebhooks();
    const statuses = h.receiver.statuses().filter((s) => s.id === reply.json.messages[0]?.id);
    expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered']);
  });

  it('falls back to the button text when no payload was sent, and taps by index', async () => {
    const body = reminder();
    const tpl = body.template as { components: unknown[] };
    tpl.components = tpl.components.slice(0, 1);
    const wamid = await deliveredTemplate(body);
    h.sandbox.users.tapButton(PHONE_ID, USER, wamid, 1);
    await h.sandbox.drainWebhooks();
    expect(h.receiver.messages()[0]?.button).toEqual({ payload: 'Cancelar', text: 'Cancelar' });
  });

  it('answers interactive reply buttons and list rows with interactive messages', async () => {
    h.sandbox.users.sendText(PHONE_ID, USER, 'hola');
    const buttons = await send(h.base, {
      messaging_product: 'whatsapp',
      to: USER,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: '¿Cuándo?' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'slot_am', title: 'Mañana' } },
            { type: 'reply', reply: { id: 'slot_pm', title: 'Tarde' } },
          ],
        },
      },
    });
    const list = await send(h.base, {
      messaging_product: 'whatsapp',
      to: USER,
      type: 'interactive',
      interactive: {
        type: 'list',
        body: { text: 'Elegí' },
        action: {
          button: 'Opciones',
          sections: [{ rows: [{ id: 'r1', title: 'Uno', description: 'El primero' }] }],
        },
      },
    });
    await h.sandbox.drainWebhooks();
    h.sandbox.users.tapButton(PHONE_ID, USER, buttons.json.messages[0]?.id ?? '', 'slot_pm');
    h.sandbox.users.tapButton(PHONE_ID, USER, list.json.messages[0]?.id ?? '', 'Uno');
    await h.sandbox.drainWebhooks();
    const [, tapped, row] = h.receiver.messages();
    expect(tapped).toMatchObject({
      type: 'interactive',
      context: { id: buttons.json.messages[0]?.id },
      interactive: { type: 'button_reply', button_reply: { id: 'slot_pm', title: 'Tarde' } },
    });
    expect(row?.interactive).toEqual({
      type: 'list_reply',
      list_reply: { id: 'r1', title: 'Uno', description: 'El primero' },
    });
  });

  it('runs scripted behaviour and waits for it in drainWebhooks', async () => {
    h.sandbox.users.onMessage(async (m) => {
      if (m.template?.name !== 'appointment_reminder') return;
      await new Promise((r) => setTimeout(r, 20));
      h.sandbox.users.tapButton(m.phoneNumberId, m.waId, m.wamid, 'Confirmar');
    });
    const res = await send(h.base, reminder('5491100000001'));
    await h.sandbox.drainWebhooks();
    expect(h.receiver.messages()).toEqual([
      expect.objectContaining({
        from: '5491100000001',
        type: 'button',
        context: { from: '15550783881', id: res.json.messages[0]?.id },
      }),
    ]);
  });

  it('refuses taps that send nothing or point nowhere', async () => {
    const wamid = await deliveredTemplate();
    expect(() => h.sandbox.users.tapButton(PHONE_ID, USER, wamid, 'Nope')).toThrow(/no button/);
    expect(() => h.sandbox.users.tapButton(PHONE_ID, '5491100000009', wamid, 0)).toThrow(/not in the inbox/);
  });
});

describe('/_sandbox control endpoints', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ delays: { sentMs: 0, deliveredMs: 0, readMs: null } });
  });
  afterEach(() => h.close());

  it('lets a person or another process drive users and templates over HTTP', async () => {
    const health = await call<{ ok: boolean }>(h.base, 'GET', '/_sandbox/health', undefined, null);
    expect(health.json.ok).toBe(true);

    const sent = await send(h.base, reminder(USER, undefined, 'apt-42'));
    const wamid = sent.json.messages[0]?.id;
    await h.sandbox.drainWebhooks();

    const messages = await call<{ data: Array<{ wamid: string; bizOpaque?: string; status: string }> }>(
      h.base,
      'GET',
      `/_sandbox/messages?to=${USER}`,
      undefined,
      null,
    );
    expect(messages.json.data).toEqual([
      expect.objectContaining({ wamid, bizOpaque: 'apt-42', status: 'delivered' }),
    ]);

    const inbox = await call<{ data: Array<{ wamid: string }> }>(
      h.base,
      'GET',
      `/_sandbox/users/${USER}/inbox`,
      undefined,
      null,
    );
    expect(inbox.json.data.map((m) => m.wamid)).toEqual([wamid]);

    const tap = await call<{ id: string }>(
      h.base,
      'POST',
      `/_sandbox/users/${USER}/tap`,
      { phone_number_id: PHONE_ID, wamid, button: 'Cancelar' },
      null,
    );
    expect(tap.status).toBe(200);
    const said = await call<{ id: string }>(
      h.base,
      'POST',
      `/_sandbox/users/${USER}/messages`,
      { phone_number_id: PHONE_ID, text: 'Perdón, sí voy', context_wamid: wamid },
      null,
    );
    expect(said.status).toBe(200);
    await h.sandbox.drainWebhooks();
    expect(h.receiver.messages().map((m) => [m.id, m.type, m.context?.id])).toEqual([
      [tap.json.id, 'button', wamid],
      [said.json.id, 'text', wamid],
    ]);

    const badTap = await call<{ error: { message: string } }>(
      h.base,
      'POST',
      `/_sandbox/users/${USER}/tap`,
      { phone_number_id: PHONE_ID, wamid: 'wamid.nope', button: 0 },
      null,
    );
    expect(badTap.status).toBe(404);

    const status = await call(
      h.base,
      'POST',
      `/_sandbox/templates/${WABA_ID}/appointment_reminder/es_AR/status`,
      { status: 'DISABLED' },
      null,
    );
    expect(status.json).toEqual({ success: true });
    expect((await send(h.base, reminder())).json.error.code).toBe(132016);
    await h.sandbox.drainWebhooks();
    expect(h.receiver.changes('message_template_status_update')[0]).toMatchObject({
      event: 'DISABLED',
      message_template_name: 'appointment_reminder',
    });
  });
});
