import { afterEach, describe, expect, it } from 'vitest';
import { graph, PAGE_ID, type PageHarness, sendFb, startPageHarness, textTo } from './test-support';

const DAY = 24 * 3600_000;

describe('simulated Messenger people and page webhooks', () => {
  let h: PageHarness;
  afterEach(() => h.close());

  it('creates people and makes them act over the control endpoints', async () => {
    h = await startPageHarness();
    const created = await graph<{ psid: string; pageId: string; name: string }>(
      h.base,
      'POST',
      '/_sandbox/messenger/users',
      { page_id: PAGE_ID, name: 'Emilia García' },
      null,
    );
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      psid: expect.stringMatching(/^\d{16}$/),
      pageId: PAGE_ID,
      name: 'Emilia García',
    });
    const psid = created.json.psid;
    const msg = await graph<{ mid: string; timestamp: number }>(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/message`,
      { text: 'Hola' },
      null,
    );
    expect(msg.json).toEqual({ mid: expect.stringMatching(/^m_/), timestamp: expect.any(Number) });
    const view = await graph<{ windowOpen: boolean; windowUntil: number; humanAgentUntil: number }>(
      h.base,
      'GET',
      `/_sandbox/messenger/users/${psid}`,
      undefined,
      null,
    );
    expect(view.json).toMatchObject({ windowOpen: true, windowUntil: msg.json.timestamp + DAY });
    expect(view.json.humanAgentUntil).toBe(msg.json.timestamp + 7 * DAY);

    const sent = await sendFb(h.base, {
      recipient: { id: psid },
      message: {
        text: '¿Confirmás?',
        quick_replies: [{ content_type: 'text', title: 'Sí', payload: 'YES' }],
      },
    });
    await h.sandbox.drainWebhooks();
    const inbox = await graph<{ data: Array<{ mid: string; quickReplies: unknown[] }> }>(
      h.base,
      'GET',
      `/_sandbox/messenger/users/${psid}/inbox`,
      undefined,
      null,
    );
    expect(inbox.json.data).toMatchObject([
      { mid: sent.json.message_id, quickReplies: [{ title: 'Sí', payload: 'YES' }] },
    ]);
    const tap = await graph(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/quick_reply`,
      { text: 'sí' },
      null,
    );
    expect(tap.status).toBe(200);
    const wrong = await graph(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/quick_reply`,
      { text: 'No' },
      null,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.message).toContain('offered: Sí');
    const react = await graph(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/reaction`,
      { mid: sent.json.message_id, reaction: 'like' },
      null,
    );
    expect(react.json).toEqual({ success: true });
    const nobody = await graph(
      h.base,
      'POST',
      '/_sandbox/messenger/users/123456/message',
      { text: 'x' },
      null,
    );
    expect(nobody.status).toBe(404);
    const seconds = await graph(
      h.base,
      'POST',
      `/_sandbox/messenger/users/${psid}/message`,
      { text: 'x', timestamp: Math.floor(Date.now() / 1000) },
      null,
    );
    expect(seconds.json.error.message).toContain('milliseconds');
    await h.sandbox.drainWebhooks();
    const events = h.events().filter((e) => e.sender.id === psid);
    expect(events.map((e) => (e.message ? `message:${e.message.text}` : Object.keys(e)[3]))).toEqual([
      'message:Hola',
      'delivery',
      'read',
      'message:Sí',
      'reaction',
    ]);
    expect(events[3]?.message?.quick_reply).toEqual({ payload: 'YES' });
    expect(events[4]?.reaction).toMatchObject({ emoji: '👍', reaction: 'like' });
  });

  it('dates an action in the past: the webhook carries it and the window runs from it', async () => {
    h = await startPageHarness();
    const psid = h.person();
    const now = h.sandbox.clock.now();
    h.sandbox.messenger.users.sendText(psid, 'hace un rato', { at: now - DAY + 60_000 });
    expect((await sendFb(h.base, textTo(psid, 'justo'))).status).toBe(200);
    h.sandbox.clock.advance(60_000);
    expect((await sendFb(h.base, textTo(psid, 'tarde'))).json.error?.error_subcode).toBe(2018278);
    await h.sandbox.drainWebhooks();
    expect(h.events()[0]?.timestamp).toBe(now - DAY + 60_000);
    expect(() => h.sandbox.messenger.users.sendText(psid, 'x', { at: now - 31 * DAY })).toThrow(/30 days/);
  });

  it('lets a script answer what it receives (onMessage), and waits for it in drainWebhooks', async () => {
    h = await startPageHarness();
    const psid = h.person();
    h.sandbox.messenger.users.sendText(psid, 'hola');
    const stop = h.sandbox.messenger.users.onMessage(async (m) => {
      await new Promise((r) => setTimeout(r, 20));
      if (m.quickReplies.length > 0)
        h.sandbox.messenger.users.tapQuickReply(m.psid, m.quickReplies[0]?.title ?? '');
    });
    await sendFb(h.base, {
      recipient: { id: psid },
      message: { text: '¿Venís?', quick_replies: [{ content_type: 'text', title: 'Voy', payload: 'GOING' }] },
    });
    await h.sandbox.drainWebhooks();
    stop();
    expect(h.events().at(-1)?.message).toMatchObject({ text: 'Voy', quick_reply: { payload: 'GOING' } });
  });

  it('batches events of one moment as several entries, or one entry per page when asked, or none', async () => {
    for (const [options, expected] of [
      [{}, [[1, 1, 1]]],
      [{ grouping: 'messaging' as const }, [[3]]],
      [{ maxEventsPerPost: 1 }, [[1], [1], [1]]],
    ] as const) {
      h = await startPageHarness({ messenger: { echoes: false, ...options } });
      const psids = [h.person(), h.person(), h.person()];
      for (const p of psids) h.sandbox.messenger.users.sendText(p, 'hola');
      await h.sandbox.drainWebhooks();
      expect(h.envelopes().map((e) => e.entry.map((en) => en.messaging?.length))).toEqual(expected);
      expect(h.events().map((e) => e.sender.id)).toEqual(psids);
      await h.close();
    }
    h = await startPageHarness();
  });

  it('retries a webhook the receiver refused, with the same signed bytes', async () => {
    h = await startPageHarness({ failFirst: 2 });
    const psid = h.person();
    h.sandbox.messenger.users.sendText(psid, 'ñandú 🦤');
    await h.sandbox.drainWebhooks();
    expect(h.receiver.attempts).toBe(3);
    expect(h.receiver.posts).toHaveLength(1);
    const post = h.receiver.posts[0];
    expect(post?.signatureValid).toBe(true);
    // ASCII-only on the wire, as Meta sends it; the signature covers those bytes.
    expect(post?.raw.toString('latin1')).toContain('\\u00f1and\\u00fa \\ud83e\\udda4');
    expect(h.events()[0]?.message?.text).toBe('ñandú 🦤');
  });

  it('sends no receipts or echoes when turned off, and nothing for a page without a webhook URL', async () => {
    h = await startPageHarness({ messenger: { echoes: false, receipts: false } });
    const psid = h.person();
    h.sandbox.messenger.users.sendText(psid, 'hola');
    await sendFb(h.base, textTo(psid, 'respuesta'));
    await h.sandbox.drainWebhooks();
    expect(h.events().map((e) => e.message?.text)).toEqual(['hola']);
    expect(h.sandbox.messenger.users.inbox(psid)).toHaveLength(1);
    h.sandbox.messenger.setWebhookUrl(PAGE_ID, `${h.receiver.url}/other`);
    h.sandbox.messenger.users.sendText(psid, 'otra');
    await h.sandbox.drainWebhooks();
    expect(h.receiver.posts.at(-1)?.path).toBe('/webhook/other');
  });
});
