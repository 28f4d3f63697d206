import { afterEach, describe, expect, it } from 'vitest';
import {
  appointmentSend,
  appointmentTemplate,
  graph,
  PAGE_ID,
  type PageHarness,
  sendFb,
  startPageHarness,
} from './test-support';

const DAY = 24 * 3600_000;
const create = (h: PageHarness, body: unknown) =>
  graph<{ id: string; status: string; category: string }>(
    h.base,
    'POST',
    `/v25.0/${PAGE_ID}/message_templates`,
    body,
  );

function statusChanges(h: PageHarness) {
  return h
    .envelopes()
    .flatMap((e) =>
      e.entry.flatMap((en) =>
        (en.changes ?? []).map((c) => ({ pageId: en.id, field: c.field, value: c.value })),
      ),
    );
}

describe('Messenger utility templates', () => {
  let h: PageHarness;
  afterEach(() => h.close());

  it('approves a utility template after the review delay and says so by webhook', async () => {
    h = await startPageHarness({ delays: { sentMs: 0, deliveredMs: 0, readMs: null, templateReviewMs: 30 } });
    const res = await create(h, appointmentTemplate());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ id: expect.stringMatching(/^\d+$/), status: 'PENDING', category: 'UTILITY' });
    await h.sandbox.drainWebhooks();
    expect(statusChanges(h)).toEqual([
      {
        pageId: PAGE_ID,
        field: 'message_template_status_update',
        value: {
          event: 'APPROVED',
          message_template_id: Number(res.json.id),
          message_template_name: 'appointment_reminder_fb',
          message_template_language: 'es',
          reason: 'NONE',
        },
      },
    ]);
    expect(h.envelopes()[0]?.object).toBe('page');
    expect(h.receiver.posts[0]?.signatureValid).toBe(true);
    const list = await graph<{ data: Array<{ name: string; status: string }> }>(
      h.base,
      'GET',
      `/v25.0/${PAGE_ID}/message_templates?name=appointment`,
    );
    expect(list.json.data).toMatchObject([{ name: 'appointment_reminder_fb', status: 'APPROVED' }]);
  });

  it('answers APPROVED at once when the review delay is 0, and names the other status field when asked', async () => {
    h = await startPageHarness({ messenger: { templateStatusField: 'messenger_template_status_update' } });
    const res = await create(h, appointmentTemplate());
    expect(res.json.status).toBe('APPROVED');
    await h.sandbox.drainWebhooks();
    expect(statusChanges(h).map((c) => c.field)).toEqual(['messenger_template_status_update']);
  });

  it('refuses at once what Meta refuses at creation', async () => {
    h = await startPageHarness();
    const tpl = appointmentTemplate();
    const marketing = await create(h, { ...tpl, category: 'MARKETING' });
    expect(marketing.status).toBe(400);
    expect(marketing.json.error).toMatchObject({
      code: 100,
      error_user_msg: expect.stringContaining('UTILITY'),
    });
    const quick = await create(h, {
      ...tpl,
      components: [
        tpl.components[1],
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Confirmar' }] },
      ],
    });
    expect(quick.json.error).toMatchObject({
      code: 100,
      error_subcode: 2018416,
      error_user_title: 'Message Template Creation Failed',
    });
    const noBody = await create(h, { ...tpl, components: [tpl.components[0]] });
    expect(noBody.json.error.message).toContain('BODY');
    const badName = await create(h, { ...tpl, name: 'Appointment Reminder' });
    expect(badName.json.error.code).toBe(100);
    expect((await create(h, tpl)).status).toBe(200);
    const again = await create(h, tpl);
    expect(again.json.error).toMatchObject({
      code: 100,
      error_user_title: 'Content in this language already exists',
    });
  });

  it('rejects by review: missing samples, variables at the edges or out of order, too many, marketing words', async () => {
    h = await startPageHarness();
    const body = (text: string, example?: unknown) => ({
      name: `t_${Math.random().toString(36).slice(2, 8)}`,
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text, ...(example === undefined ? {} : { example }) }],
    });
    const cases: Array<[unknown, string]> = [
      [body('Your order {{1}} has shipped today.'), 'TEMPLATE_VARIABLES_MISSING_SAMPLE_VALUES'],
      [body('{{1}}, your order has shipped.', { body_text: [['Ana']] }), 'INCORRECT_PARAMS'],
      [body('Your order has shipped, {{1}}', { body_text: [['Ana']] }), 'INCORRECT_PARAMS'],
      [body('Order {{2}} shipped to {{1}} today.', { body_text: [['a', 'b']] }), 'INCORRECT_PARAMS'],
      [
        body('Hi {{1}} {{2}} {{3}} now.', { body_text: [['a', 'b', 'c']] }),
        'PARAMS_TO_WORD_RATIO_EXCEED_LIMIT',
      ],
      [body('Get 20% off your next order today!'), 'TAG_SHOULD_BE_MARKETING'],
      [body('Your order {{1}} has shipped today.', { body_text: [['566701']] }), 'APPROVED'],
    ];
    for (const [tpl, expected] of cases) {
      const res = await create(h, tpl);
      expect(res.status).toBe(200);
      const got =
        res.json.status === 'REJECTED'
          ? h.sandbox.messenger.templates(PAGE_ID).at(-1)?.rejected_reason
          : res.json.status;
      expect(got).toBe(expected);
    }
    await h.sandbox.drainWebhooks();
    expect(statusChanges(h).map((c) => c.value.reason)).toEqual(
      cases.map(([, r]) => (r === 'APPROVED' ? 'NONE' : r)),
    );
  });

  it('pages the listing newest first with cursors and a next link', async () => {
    h = await startPageHarness();
    for (let i = 0; i < 5; i++) {
      await create(h, { ...appointmentTemplate(`reminder_${i}`) });
    }
    type Page = { data: Array<{ name: string }>; paging?: { next?: string; cursors: { after: string } } };
    const first = await graph<Page>(
      h.base,
      'GET',
      `/v25.0/${PAGE_ID}/message_templates?limit=2&fields=name,status`,
    );
    expect(first.json.data.map((t) => t.name)).toEqual(['reminder_4', 'reminder_3']);
    const next = first.json.paging?.next ?? '';
    expect(next).toContain('after=');
    const second = await graph<Page>(h.base, 'GET', next.replace(/^http:\/\/[^/]+/, ''));
    expect(second.json.data.map((t) => t.name)).toEqual(['reminder_2', 'reminder_1']);
    const unknownField = await graph(
      h.base,
      'GET',
      `/v25.0/${PAGE_ID}/message_templates?fields=quality_score`,
    );
    expect(unknownField.json.error.code).toBe(100);
  });

  it('sends an approved utility template outside the window, rendered, with its POSTBACK buttons', async () => {
    h = await startPageHarness();
    await create(h, appointmentTemplate());
    const psid = h.person('Emilia García');
    h.sandbox.messenger.users.sendText(psid, 'hola');
    h.sandbox.clock.advance(20 * DAY);
    const res = await sendFb(h.base, appointmentSend(psid));
    expect(res.status).toBe(200);
    expect(res.json.message_id).toMatch(/^m_/);
    await h.sandbox.drainWebhooks();
    const [shown] = h.sandbox.messenger.users.inbox(psid);
    expect(shown).toMatchObject({
      type: 'utility',
      messagingType: 'UTILITY',
      header: 'Turno mañana',
      text: 'Hola Emilia, tu turno con la Dra. Gómez es el lunes 3 de marzo a las 10:00. ¿Confirmás tu asistencia?',
      buttons: [
        { type: 'postback', title: 'Confirmar', payload: 'CONFIRM:apt-42' },
        { type: 'postback', title: 'Cancelar', payload: 'CANCEL:apt-42' },
      ],
      template: { name: 'appointment_reminder_fb', language: 'es' },
    });
    // The tap comes back as a postback and reopens the window for the bot's thank-you.
    h.sandbox.messenger.users.postback(psid, 'Confirmar');
    expect((await sendFb(h.base, { recipient: { id: psid }, message: { text: '¡Gracias!' } })).status).toBe(
      200,
    );
    await h.sandbox.drainWebhooks();
    const postback = h.events().find((e) => e.postback);
    expect(postback?.postback).toMatchObject({ title: 'Confirmar', payload: 'CONFIRM:apt-42' });
    const echo = h.events().find((e) => e.message?.is_echo);
    expect(echo?.message?.attachments?.[0]).toMatchObject({
      type: 'template',
      payload: { template_type: 'generic', elements: [{ title: 'Turno mañana' }] },
    });
  });

  it('checks the utility send: WhatsApp keys, POSTBACK count, parameter counts, status, messaging_type', async () => {
    h = await startPageHarness();
    await create(h, appointmentTemplate());
    const psid = h.person();
    const send = (mutate: (b: ReturnType<typeof appointmentSend>) => unknown) => {
      const b = appointmentSend(psid);
      return sendFb(h.base, mutate(b) ?? b);
    };
    const withIndex = await send((b) => {
      const buttons = b.message.template.components[2] as { parameters: Array<Record<string, unknown>> };
      buttons.parameters[0] = { ...buttons.parameters[0], index: 0 };
    });
    expect(withIndex.json.error.message).toMatch(/^\(#100\) Invalid keys "index" were found in param/);
    const waStyle = await send((b) => {
      b.message.template.components.splice(2, 1, {
        type: 'button',
        parameters: [{ type: 'POSTBACK', payload: 'CONFIRM:apt-42' }],
      } as never);
    });
    expect(waStyle.json.error.code).toBe(100);
    const fewer = await send((b) => {
      (b.message.template.components[2] as { parameters: unknown[] }).parameters.pop();
    });
    expect(fewer.json.error).toMatchObject({ code: 100, error_subcode: 1893029 });
    const bodyCount = await send((b) => {
      (b.message.template.components[1] as { parameters: unknown[] }).parameters.pop();
    });
    expect(bodyCount.json.error.message).toContain('does not match the expected number of params');
    const unknown = await send((b) => {
      b.message.template.name = 'nope';
    });
    expect(unknown.json.error.code).toBe(100);
    const notUtility = await send((b) => {
      (b as { messaging_type: string }).messaging_type = 'UPDATE';
    });
    expect(notUtility.json.error.message).toContain('UTILITY');
    const utilityText = await sendFb(h.base, {
      recipient: { id: psid },
      messaging_type: 'UTILITY',
      message: { text: 'x' },
    });
    expect(utilityText.json.error.message).toContain('template');
    h.sandbox.messenger.setTemplateStatus(PAGE_ID, 'appointment_reminder_fb', 'es', 'PAUSED');
    const paused = await send(() => undefined);
    expect(paused.json.error.message).toContain('PAUSED');
    expect(h.sandbox.messenger.sent()).toHaveLength(0);
  });

  it('seeds templates from the options, and deletes by name', async () => {
    const tpl = appointmentTemplate();
    h = await startPageHarness({
      messenger: { seedTemplates: [{ name: tpl.name, language: tpl.language, components: tpl.components }] },
    });
    expect(h.sandbox.messenger.templates(PAGE_ID)).toMatchObject([{ name: tpl.name, status: 'APPROVED' }]);
    const del = await graph(h.base, 'DELETE', `/v25.0/${PAGE_ID}/message_templates?name=${tpl.name}`);
    expect(del.json).toEqual({ success: true });
    expect(h.sandbox.messenger.templates(PAGE_ID)).toEqual([]);
  });
});
