/**
 * The sandbox phone's Messenger side: a person's thread both ways (what the page sent, with its
 * buttons, quick replies and tag; what the person wrote, tapped and reacted), the list of people,
 * and taps by title: a postback button of a template, a quick reply of the newest message, and
 * the refusals (unknown button, a URL button, an old quick reply, unknown person or message).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  appointmentSend,
  appointmentTemplate,
  graph,
  PAGE_ID,
  type PageHarness,
  sendFb,
  startPageHarness,
  textTo,
} from './test-support';

interface ChatAnswer {
  person: {
    psid: string;
    name: string;
    page_name: string;
    received: number;
    wrote: number;
    window_open: boolean;
  };
  messages: Array<Record<string, unknown> & { direction: string; mid: string; text: string; type: string }>;
}

describe('sandbox phone: Messenger threads', () => {
  let h: PageHarness;
  afterEach(() => h.close());

  const chat = async (psid: string) =>
    (await graph<ChatAnswer>(h.base, 'GET', `/_sandbox/messenger/users/${psid}/chat`, undefined, null)).json;
  const tap = (psid: string, body: unknown) =>
    graph<{ mid?: string; error?: { message: string } }>(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/tap`,
      body,
      null,
    );

  it('shows both sides in order and taps a template’s postback button and a quick reply', async () => {
    h = await startPageHarness({
      messenger: { seedTemplates: [{ ...appointmentTemplate(), category: 'UTILITY' as const }] },
    });
    const psid = h.person('Emilia García');
    const hello = await graph<{ mid: string }>(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/message`,
      { text: 'Hola' },
      null,
    );
    const reminder = await sendFb(h.base, appointmentSend(psid));
    expect(reminder.status).toBe(200);
    await h.sandbox.drainWebhooks();

    let thread = await chat(psid);
    expect(thread.person).toMatchObject({
      psid,
      name: 'Emilia García',
      received: 1,
      wrote: 1,
      window_open: true,
    });
    expect(thread.messages.map((m) => [m.direction, m.type])).toEqual([
      ['from_user', 'text'],
      ['to_user', 'utility'],
    ]);
    expect(thread.messages[0]).toMatchObject({ mid: hello.json.mid, text: 'Hola' });
    expect(thread.messages[1]).toMatchObject({
      mid: reminder.json.message_id,
      header: 'Turno mañana',
      messaging_type: 'UTILITY',
      buttons: [
        { type: 'postback', title: 'Confirmar' },
        { type: 'postback', title: 'Cancelar' },
      ],
      template: { name: 'appointment_reminder_fb', language: 'es' },
    });
    expect(thread.messages[1]?.text).toContain('lunes 3 de marzo a las 10:00');

    const tapped = await tap(psid, { mid: reminder.json.message_id, button: 'confirmar' });
    expect(tapped.status).toBe(200);
    await h.sandbox.drainWebhooks();
    expect(h.events().at(-1)?.postback).toEqual({
      mid: tapped.json.mid,
      title: 'Confirmar',
      payload: 'CONFIRM:apt-42',
    });

    const asked = await sendFb(
      h.base,
      textTo(psid, '¿Te esperamos?', {
        messaging_type: 'MESSAGE_TAG',
        tag: 'HUMAN_AGENT',
        message: {
          text: '¿Te esperamos?',
          quick_replies: [
            { content_type: 'text', title: 'Sí', payload: 'YES' },
            { content_type: 'text', title: 'No', payload: 'NO' },
          ],
        },
      }),
    );
    expect(asked.status).toBe(200);
    await h.sandbox.drainWebhooks();
    const yes = await tap(psid, { mid: asked.json.message_id, button: 'Sí' });
    expect(yes.status).toBe(200);
    await h.sandbox.drainWebhooks();
    expect(h.events().at(-1)?.message).toMatchObject({
      mid: yes.json.mid,
      text: 'Sí',
      quick_reply: { payload: 'YES' },
    });

    thread = await chat(psid);
    expect(thread.messages.map((m) => `${m.direction}:${m.type}:${m.text}`).slice(2)).toEqual([
      'from_user:postback:Confirmar',
      'to_user:text:¿Te esperamos?',
      'from_user:quick_reply:Sí',
    ]);
    expect(thread.messages[2]).toMatchObject({ payload: 'CONFIRM:apt-42' });
    expect(thread.messages[3]).toMatchObject({
      tag: 'HUMAN_AGENT',
      messaging_type: 'MESSAGE_TAG',
      quick_replies: [
        { type: 'text', title: 'Sí' },
        { type: 'text', title: 'No' },
      ],
    });
    expect(thread.messages[4]).toMatchObject({ payload: 'YES' });

    // A reaction is kept too, naming the message it is on.
    await graph(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/reaction`,
      { mid: asked.json.message_id, reaction: 'love' },
      null,
    );
    expect((await chat(psid)).messages.at(-1)).toMatchObject({
      direction: 'from_user',
      type: 'reaction',
      text: '❤️',
      reply_to: asked.json.message_id,
    });

    const list = await graph<{ pages: Array<{ id: string }>; data: Array<{ psid: string; wrote: number }> }>(
      h.base,
      'GET',
      '/_sandbox/messenger/chats',
      undefined,
      null,
    );
    expect(list.json.pages.map((p) => p.id)).toEqual([PAGE_ID]);
    expect(list.json.data).toEqual([expect.objectContaining({ psid, wrote: 4, page_id: PAGE_ID })]);
  });

  it('refuses taps it cannot make, saying why', async () => {
    h = await startPageHarness();
    const psid = h.person();
    await graph(h.base, 'POST', `/_sandbox/messenger/users/${psid}/message`, { text: 'Hola' }, null);
    const withButtons = await sendFb(h.base, {
      recipient: { id: psid },
      message: {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'button',
            text: 'Tu pedido',
            buttons: [{ type: 'web_url', title: 'Ver pedido', url: 'https://example.com/p/1' }],
          },
        },
        quick_replies: [{ content_type: 'text', title: 'Gracias', payload: 'THANKS' }],
      },
    });
    expect(withButtons.status).toBe(200);
    await sendFb(h.base, textTo(psid, 'Algo más'));
    await h.sandbox.drainWebhooks();
    const mid = withButtons.json.message_id;

    expect((await tap(psid, { mid, button: 'Ver pedido' })).json.error?.message).toBe(
      '"Ver pedido" is a web_url button: it acts on the phone, the page gets nothing',
    );
    expect((await tap(psid, { mid, button: 'Gracias' })).json.error?.message).toBe(
      `the quick replies of ${mid} are gone: a newer message replaced them`,
    );
    const none = await tap(psid, { mid, button: 'Comprar' });
    expect(none.status).toBe(404);
    expect(none.json.error?.message).toBe(
      `no button "Comprar" on message ${mid}; it offers Gracias, Ver pedido`,
    );
    expect((await tap(psid, { mid: 'm_nope', button: 'x' })).status).toBe(404);
    expect((await tap(psid, { button: 'x' })).status).toBe(400);
    expect((await tap('2400000000000000', { mid, button: 'x' })).status).toBe(404);
    expect((await graph(h.base, 'GET', '/_sandbox/messenger/users/123/chat', undefined, null)).status).toBe(
      404,
    );
  });
});
