import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNT, reminder, send, TOKEN } from '../test-support';
import {
  graph,
  OTHER_PAGE_ID,
  OTHER_PAGE_TOKEN,
  PAGE_ID,
  PAGE_SECRET,
  PAGE_TOKEN,
  type PageHarness,
  sendFb,
  startPageHarness,
  textTo,
} from './test-support';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

describe('Messenger Send API', () => {
  let h: PageHarness;
  afterEach(() => h.close());

  async function withPerson(opts: Parameters<typeof startPageHarness>[0] = {}): Promise<string> {
    h = await startPageHarness({ now: () => Date.UTC(2026, 10, 2, 12), ...opts });
    const psid = h.person('Emilia García');
    h.sandbox.messenger.users.sendText(psid, 'Hola, quiero un turno');
    return psid;
  }

  it('answers {recipient_id, message_id: "m_…"} and sends the echo, then delivery and read by watermark', async () => {
    const psid = await withPerson({ delays: { sentMs: 0, deliveredMs: 0, readMs: 0, templateReviewMs: 0 } });
    const res = await sendFb(h.base, textTo(psid, '¡Hola Emilia!', {}));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ recipient_id: psid, message_id: expect.stringMatching(/^m_[\w-]+$/) });
    await h.sandbox.drainWebhooks();
    const events = h.events();
    expect(
      events.map((e) => Object.keys(e).find((k) => !['sender', 'recipient', 'timestamp'].includes(k))),
    ).toEqual(['message', 'message', 'delivery', 'read']);
    const [inbound, echo, delivery, read] = events;
    expect(inbound).toMatchObject({
      sender: { id: psid },
      recipient: { id: PAGE_ID },
      message: { text: 'Hola, quiero un turno' },
    });
    expect(echo).toEqual({
      sender: { id: PAGE_ID },
      recipient: { id: psid },
      timestamp: expect.any(Number),
      message: { is_echo: true, app_id: 1517776481860111, mid: res.json.message_id, text: '¡Hola Emilia!' },
    });
    const sentAt = h.sandbox.messenger.sent()[0]?.at;
    expect(delivery?.delivery).toEqual({ mids: [res.json.message_id], watermark: sentAt });
    expect(read?.read).toEqual({ watermark: sentAt });
    expect(h.sandbox.messenger.users.inbox(psid)).toMatchObject([
      { mid: res.json.message_id, text: '¡Hola Emilia!', read: true, messagingType: 'RESPONSE' },
    ]);
    // Envelopes are Messenger's: object page, entry per event, ms times, signed with the app secret.
    for (const p of h.receiver.posts) expect(p.signatureValid).toBe(true);
    const env = h.envelopes()[0];
    expect(env?.object).toBe('page');
    expect(env?.entry[0]).toMatchObject({ id: PAGE_ID, time: expect.any(Number) });
    expect(String(env?.entry[0]?.time)).toHaveLength(13);
  });

  it('takes the token from the query or a form body, and /me/messages with a page token', async () => {
    const psid = await withPerson();
    const q = await graph(
      h.base,
      'POST',
      `/v25.0/${PAGE_ID}/messages?access_token=${PAGE_TOKEN}`,
      textTo(psid, 'a'),
      null,
    );
    expect(q.status).toBe(200);
    const me = await graph<{ recipient_id: string }>(h.base, 'POST', '/v25.0/me/messages', textTo(psid, 'b'));
    expect(me.json.recipient_id).toBe(psid);
    const form = new URLSearchParams({
      recipient: JSON.stringify({ id: psid }),
      messaging_type: 'RESPONSE',
      message: JSON.stringify({ text: 'c' }),
      access_token: PAGE_TOKEN,
    });
    const res = await request(`${h.base}/v25.0/${PAGE_ID}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { recipient_id: string }).recipient_id).toBe(psid);
  });

  it('refuses a missing or unknown token with 190, another page token with 100/33, HTTP 400', async () => {
    const psid = await withPerson({
      pages: [{ pageId: OTHER_PAGE_ID, pageToken: OTHER_PAGE_TOKEN, appSecret: PAGE_SECRET }],
    });
    const none = await sendFb(h.base, textTo(psid, 'x'), null);
    expect(none.status).toBe(400);
    expect(none.json.error).toMatchObject({ code: 190, type: 'OAuthException' });
    const bad = await sendFb(h.base, textTo(psid, 'x'), 'nope');
    expect(bad.json.error).toMatchObject({
      code: 190,
      message: expect.stringContaining('Invalid OAuth access token'),
    });
    const other = await sendFb(h.base, textTo(psid, 'x'), OTHER_PAGE_TOKEN);
    expect(other.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    // A person of one page is nobody on another (PSIDs are page-scoped).
    const elsewhere = await sendFb(h.base, textTo(psid, 'x'), OTHER_PAGE_TOKEN, OTHER_PAGE_ID);
    expect(elsewhere.json.error).toMatchObject({
      code: 100,
      error_subcode: 2018001,
      message: '(#100) No matching user found',
    });
    expect(h.sandbox.messenger.sent()).toHaveLength(0);
  });

  it('takes a missing messaging_type as RESPONSE and refuses it once the 24 h window has closed', async () => {
    const psid = await withPerson();
    const body = { recipient: { id: psid }, message: { text: 'sin tipo' } };
    expect((await sendFb(h.base, body)).status).toBe(200);
    expect(h.sandbox.messenger.sent()[0]?.messagingType).toBe('RESPONSE');
    h.sandbox.clock.advance(DAY - 1000);
    expect((await sendFb(h.base, textTo(psid, 'casi', { messaging_type: 'UPDATE' }))).status).toBe(200);
    h.sandbox.clock.advance(1000);
    const late = await sendFb(h.base, textTo(psid, 'tarde'));
    expect(late.status).toBe(400);
    expect(late.json.error).toMatchObject({
      code: 10,
      error_subcode: 2018278,
      message: '(#10) This message is sent outside of allowed window.',
      type: 'OAuthException',
    });
    expect((await sendFb(h.base, textTo(psid, 'tarde', { messaging_type: 'UPDATE' }))).json.error.code).toBe(
      10,
    );
    // A sender action needs the window too.
    expect(
      (await sendFb(h.base, { recipient: { id: psid }, sender_action: 'typing_on' })).json.error.code,
    ).toBe(10);
  });

  it('reopens the window on a postback, a reaction, a referral and a quick reply, never on its own sends', async () => {
    const psid = await withPerson();
    const users = h.sandbox.messenger.users;
    const first = await sendFb(
      h.base,
      textTo(psid, '¿Confirmás?', {
        message: {
          text: '¿Confirmás?',
          quick_replies: [{ content_type: 'text', title: 'Sí', payload: 'YES' }],
        },
      }),
    );
    await h.sandbox.drainWebhooks();
    const closeWindow = () => h.sandbox.clock.advance(DAY);
    const open = async () => (await sendFb(h.base, textTo(psid, 'ok'))).status === 200;

    closeWindow();
    expect(await open()).toBe(false);
    users.postback(psid, { payload: 'GET_STARTED', title: 'Empezar' });
    expect(await open()).toBe(true);

    closeWindow();
    users.react(psid, first.json.message_id ?? '', '❤️');
    expect(await open()).toBe(true);

    closeWindow();
    users.referral(psid, { ref: 'spring' });
    expect(await open()).toBe(true);

    closeWindow();
    users.tapQuickReply(psid, { payload: 'YES', text: 'Sí' });
    expect(await open()).toBe(true);
    await h.sandbox.drainWebhooks();
    // Each action went out as Meta's event; the sends in between (echo, delivery) opened nothing.
    const kinds = h.events().filter((e) => e.sender.id === psid && !e.delivery && !e.read);
    expect(kinds.map((e) => Object.keys(e)[3])).toEqual([
      'message',
      'postback',
      'reaction',
      'referral',
      'message',
    ]);
    expect(kinds[1]?.postback).toEqual({
      mid: expect.stringMatching(/^m_/),
      title: 'Empezar',
      payload: 'GET_STARTED',
    });
    expect(kinds[2]?.reaction).toEqual({
      mid: first.json.message_id,
      action: 'react',
      emoji: '❤️',
      reaction: 'love',
    });
    expect(kinds[3]?.referral).toEqual({ ref: 'spring', source: 'SHORTLINK', type: 'OPEN_THREAD' });
    expect(kinds[4]?.message).toMatchObject({ text: 'Sí', quick_reply: { payload: 'YES' } });
  });

  it('keeps a window open 7 days after a first message from a Click-to-Messenger ad', async () => {
    h = await startPageHarness();
    const psid = h.person();
    h.sandbox.messenger.users.sendText(psid, 'Vi el anuncio', {
      ad: { adId: '6045246247433', ref: 'promo' },
    });
    h.sandbox.clock.advance(6 * DAY);
    expect((await sendFb(h.base, textTo(psid, 'seguimos'))).status).toBe(200);
    await h.sandbox.drainWebhooks();
    expect(h.events()[0]?.message?.referral).toEqual({
      source: 'ADS',
      type: 'OPEN_THREAD',
      ref: 'promo',
      ad_id: '6045246247433',
    });
  });

  it('rejects the tags retired on 27 April 2026 with 100/1893061, whatever the messaging_type', async () => {
    const psid = await withPerson();
    for (const tag of ['ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE']) {
      for (const type of ['MESSAGE_TAG', 'RESPONSE']) {
        const res = await sendFb(h.base, textTo(psid, 'x', { messaging_type: type, tag }));
        expect(res.status).toBe(400);
        expect(res.json.error).toMatchObject({
          code: 100,
          error_subcode: 1893061,
          message: 'Invalid parameter',
        });
      }
    }
    const old = await sendFb(
      h.base,
      textTo(psid, 'x', { messaging_type: 'MESSAGE_TAG', tag: 'SHIPPING_UPDATE' }),
    );
    expect(old.json.error).toMatchObject({ code: 100, message: expect.stringContaining('HUMAN_AGENT') });
    expect(old.json.error.error_subcode).toBeUndefined();
    const noTag = await sendFb(h.base, textTo(psid, 'x', { messaging_type: 'MESSAGE_TAG' }));
    expect(noTag.json.error.code).toBe(100);
    expect(h.sandbox.messenger.sent()).toHaveLength(0);
  });

  it('allows HUMAN_AGENT up to 7 days after the last message (not after a later postback)', async () => {
    const psid = await withPerson();
    const human = (text: string) =>
      sendFb(h.base, textTo(psid, text, { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }));
    h.sandbox.clock.advance(3 * DAY);
    expect((await human('Hola, soy Ana de soporte')).status).toBe(200);
    // A postback on day 6 reopens 24 h, but HUMAN_AGENT still counts from the message.
    h.sandbox.clock.advance(3 * DAY);
    h.sandbox.messenger.users.postback(psid, { payload: 'MENU', title: 'Menú' });
    expect((await sendFb(h.base, textTo(psid, 'bot'))).status).toBe(200);
    h.sandbox.clock.advance(DAY - 1);
    expect((await human('Último intento')).status).toBe(200);
    h.sandbox.clock.advance(1);
    const late = await human('Tarde');
    expect(late.json.error).toMatchObject({ code: 10, error_subcode: 2018278 });
    // The postback's 24 h have run out at the same instant here.
    expect((await sendFb(h.base, textTo(psid, 'bot'))).status).toBe(400);
    expect(h.sandbox.messenger.sent().map((r) => r.tag ?? r.messagingType)).toEqual([
      'HUMAN_AGENT',
      'RESPONSE',
      'HUMAN_AGENT',
    ]);
  });

  it('refuses HUMAN_AGENT from an app without the Human Agent feature, and CUSTOMER_FEEDBACK outside its template', async () => {
    const psid = await withPerson({ page: { humanAgent: false } });
    const res = await sendFb(
      h.base,
      textTo(psid, 'x', { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }),
    );
    expect(res.json.error).toMatchObject({ code: 100, error_subcode: 2018276 });
    const fb = await sendFb(
      h.base,
      textTo(psid, 'x', { messaging_type: 'MESSAGE_TAG', tag: 'CUSTOMER_FEEDBACK' }),
    );
    expect(fb.json.error.code).toBe(100);
  });

  it('checks the message: text ≤ 2000, ≤ 13 quick replies with titles cut at 20, one kind of content', async () => {
    const psid = await withPerson();
    const long = await sendFb(h.base, textTo(psid, 'a'.repeat(2001)));
    expect(long.json.error).toMatchObject({ code: 100, message: expect.stringContaining('2000') });
    expect((await sendFb(h.base, textTo(psid, '🙂'.repeat(2000)))).status).toBe(200);
    const qr = (n: number, title = 'Opción') =>
      Array.from({ length: n }, (_, i) => ({
        content_type: 'text',
        title: `${title} ${i}`,
        payload: `P${i}`,
      }));
    const many = await sendFb(h.base, {
      recipient: { id: psid },
      message: { text: 'elegí', quick_replies: qr(14) },
    });
    expect(many.json.error).toMatchObject({ code: 100, message: expect.stringContaining('13') });
    const ok = await sendFb(h.base, {
      recipient: { id: psid },
      message: { text: 'elegí', quick_replies: qr(13, 'Una opción bastante larga') },
    });
    expect(ok.status).toBe(200);
    await h.sandbox.drainWebhooks();
    const shown = h.sandbox.messenger.users.inbox(psid).at(-1)?.quickReplies;
    expect(shown).toHaveLength(13);
    expect(shown?.[0]).toEqual({ contentType: 'text', title: 'Una opción bastante ', payload: 'P0' });
    const both = await sendFb(h.base, {
      recipient: { id: psid },
      message: { text: 'x', attachment: { type: 'image', payload: { url: 'https://x.test/a.png' } } },
    });
    expect(both.json.error.code).toBe(100);
    const none = await sendFb(h.base, { recipient: { id: psid } });
    expect(none.json.error).toMatchObject({
      code: 100,
      message: '(#100) Must send either message or sender_action',
    });
  });

  it('says "Invalid template type" to a WhatsApp-style template wrapper, and takes button templates', async () => {
    const psid = await withPerson();
    const wrapped = await sendFb(h.base, {
      recipient: { id: psid },
      messaging_type: 'UTILITY',
      message: {
        attachment: {
          type: 'template',
          payload: { template_type: 'utility', name: 'appointment_reminder_fb' },
        },
      },
    });
    expect(wrapped.json.error).toMatchObject({ code: 100 });
    const inWindow = await sendFb(h.base, {
      recipient: { id: psid },
      message: { attachment: { type: 'template', payload: { template_type: 'utility', name: 'x' } } },
    });
    expect(inWindow.json.error.message).toContain('Invalid template type');
    const button = await sendFb(h.base, {
      recipient: { id: psid },
      messaging_type: 'UPDATE',
      message: {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'button',
            text: 'Tu turno es mañana a las 10:00.',
            buttons: [
              { type: 'postback', title: 'Confirmar', payload: 'APPT_CONFIRM_42' },
              { type: 'web_url', title: 'Reprogramar', url: 'https://clinic.example/r/42' },
            ],
          },
        },
      },
    });
    expect(button.status).toBe(200);
    await h.sandbox.drainWebhooks();
    h.sandbox.messenger.users.postback(psid, 'Confirmar');
    await h.sandbox.drainWebhooks();
    expect(h.events().at(-1)?.postback).toMatchObject({ title: 'Confirmar', payload: 'APPT_CONFIRM_42' });
    const echo = h.events().find((e) => e.message?.is_echo);
    expect(echo?.message?.attachments?.[0]).toMatchObject({
      type: 'template',
      payload: { template_type: 'button' },
    });
  });

  it('answers 551 for a person who blocked the page, and errors queued on command (613, 2 as a 500)', async () => {
    const psid = await withPerson();
    h.sandbox.messenger.users.setBlocked(psid, true);
    const blocked = await sendFb(h.base, textTo(psid, 'x'));
    expect(blocked.json.error).toMatchObject({ code: 551, error_subcode: 1545041 });
    h.sandbox.messenger.users.setBlocked(psid, false);

    const queued = await graph(
      h.base,
      'POST',
      '/_sandbox/messenger/errors',
      { code: 613, page_id: PAGE_ID, count: 2 },
      null,
    );
    expect(queued.json).toMatchObject({ queued: { code: 613, count: 2, page_id: PAGE_ID } });
    for (let i = 0; i < 2; i++) {
      const res = await sendFb(h.base, textTo(psid, 'x'));
      expect(res.status).toBe(400);
      expect(res.json.error).toMatchObject({
        code: 613,
        message: '(#613) Calls to this api have exceeded the rate limit.',
      });
    }
    expect((await sendFb(h.base, textTo(psid, 'x'))).status).toBe(200);
    h.sandbox.messenger.injectError({ code: 2, psid });
    const transient = await sendFb(h.base, textTo(psid, 'x'));
    expect(transient.status).toBe(500);
    expect(transient.json.error).toMatchObject({ code: 2, is_transient: true });
    h.sandbox.messenger.injectError({ code: 80006, subcode: 2018001 });
    expect((await sendFb(h.base, textTo(psid, 'x'))).json.error).toMatchObject({
      code: 80006,
      error_subcode: 2018001,
    });
  });

  it('throttles a page beyond its calls per second with 613, on the sandbox clock', async () => {
    const psid = await withPerson({ page: { throughputMps: 2 } });
    h.sandbox.clock.freeze();
    expect((await sendFb(h.base, textTo(psid, '1'))).status).toBe(200);
    expect((await sendFb(h.base, textTo(psid, '2'))).status).toBe(200);
    expect((await sendFb(h.base, textTo(psid, '3'))).json.error).toMatchObject({
      code: 613,
      error_subcode: 2534040,
    });
    h.sandbox.clock.advance(1000);
    expect((await sendFb(h.base, textTo(psid, '4'))).status).toBe(200);
  });

  it('answers the HTTP faults of /_sandbox/faults on page paths too', async () => {
    const psid = await withPerson();
    await graph(h.base, 'POST', '/_sandbox/faults', { status: 503 }, null);
    expect((await sendFb(h.base, textTo(psid, 'x'))).status).toBe(503);
    expect((await sendFb(h.base, textTo(psid, 'x'))).status).toBe(200);
  });

  it('leaves the WhatsApp side as it is on the same server: its sends, its tokens', async () => {
    const psid = await withPerson({ accounts: [{ ...ACCOUNT }], seedTemplates: undefined });
    const wa = await send(h.base, reminder());
    expect(wa.status).toBe(200);
    expect(wa.json.messages[0]?.id).toMatch(/^wamid\./);
    const waTokenOnPage = await sendFb(h.base, textTo(psid, 'x'), TOKEN);
    expect(waTokenOnPage.json.error).toMatchObject({ code: 100, error_subcode: 33 });
    const pageTokenOnNumber = await send(h.base, reminder(), PAGE_TOKEN);
    expect(pageTokenOnNumber.status).toBe(401);
    expect(h.sandbox.messenger.sent()).toHaveLength(0);
    expect(h.sandbox.sent()).toHaveLength(1);
  });

  it('answers sender actions with {recipient_id} only, and reads a person’s profile with the page token', async () => {
    const psid = await withPerson();
    const typing = await sendFb(h.base, { recipient: { id: psid }, sender_action: 'typing_on' });
    expect(typing.json).toEqual({ recipient_id: psid });
    const profile = await graph(h.base, 'GET', `/v25.0/${psid}?fields=first_name,last_name`);
    expect(profile.json).toEqual({ first_name: 'Emilia', last_name: 'García', id: psid });
    const page = await graph(h.base, 'GET', '/v25.0/me');
    expect(page.json).toMatchObject({ id: PAGE_ID });
    expect(h.sandbox.messenger.sent()).toHaveLength(0);
  });
});
