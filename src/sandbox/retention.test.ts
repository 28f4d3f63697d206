/**
 * The sandbox remembers the last `retainMessages` sends in full and forgets older ones, so a long
 * run against the embedded sandbox (inside Recontact's own process) keeps its memory bounded;
 * the counts that prove exactly once (per number, per callback value) cover every send.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RETAINED_MESSAGES, SandboxState } from './state';
import { call, type Harness, PHONE_ID, reminder, send, startHarness } from './test-support';

const OLD_USER = '5491155550001';
const WROTE_USER = '5491155550002';
const NAMED_USER = '5491155550003';
const recipient = (i: number) => `54911555501${String(i).padStart(2, '0')}`;

describe('what the sandbox remembers of its sends', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('keeps the newest sends, forgets the oldest with their inbox entries, and counts every send', async () => {
    h = await startHarness({ retainMessages: 8 });
    // The one who wrote has an open window: worth keeping after their messages are forgotten.
    h.sandbox.users.sendText(PHONE_ID, WROTE_USER, 'hola');
    // A name a script gave is kept, though the user's only message is forgotten.
    h.sandbox.users.setName(NAMED_USER, 'Emilia García');
    expect((await send(h.base, reminder(NAMED_USER, undefined, 'named-0'))).status).toBe(200);
    const oldest: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await send(h.base, reminder(OLD_USER, undefined, `old-${i}`));
      expect(r.status).toBe(200);
      oldest.push(r.json.messages[0]!.id);
    }
    expect((await send(h.base, reminder(WROTE_USER, undefined, 'wrote-0'))).status).toBe(200);
    let last = '';
    for (let i = 0; i < 20; i++) {
      const r = await send(h.base, reminder(recipient(i), undefined, `new-${i}`));
      expect(r.status).toBe(200);
      last = r.json.messages[0]!.id;
    }
    await h.sandbox.drainWebhooks();

    const sent = h.sandbox.sent();
    // Forgotten a quarter of `retain` at a time: between 8 and 10 remembered.
    expect(sent.length).toBeGreaterThanOrEqual(8);
    expect(sent.length).toBeLessThanOrEqual(10);
    expect(sent.at(-1)?.wamid).toBe(last);
    expect(sent.map((r) => r.wamid)).not.toContain(oldest[0]);
    expect(h.sandbox.stats().accepted).toBe(26);
    const health = await call<{ messages: number; remembered: number }>(h.base, 'GET', '/_sandbox/health');
    expect(health.json).toMatchObject({ messages: 26, remembered: sent.length });

    // Exactly-once evidence for all 26, not only the remembered ones.
    const counts = h.sandbox.countsByCallbackData();
    expect(counts.size).toBe(26);
    expect(counts.get('old-0')).toBe(1);
    expect(h.sandbox.sendsByNumber()[0]).toMatchObject({
      accepted: 26,
      distinct_callback_data: 26,
      duplicates: 0,
    });

    // The forgotten messages left the phone: no inbox entries, no buttons to tap.
    expect(h.sandbox.users.inbox(OLD_USER)).toEqual([]);
    expect(() => h.sandbox.users.tapButton(PHONE_ID, OLD_USER, oldest[3]!, 0)).toThrow(/not in the inbox/);
    const users = await call<{ data: Array<{ wa_id: string }> }>(h.base, 'GET', '/_sandbox/users');
    const listed = users.json.data.map((u) => u.wa_id);
    expect(listed).not.toContain(OLD_USER);
    // Whoever wrote stays listed (their window), and the newest recipients have their messages.
    expect(listed).toContain(WROTE_USER);
    expect(listed).toContain(recipient(19));
    expect(h.sandbox.users.inbox(recipient(19)).map((m) => m.wamid)).toEqual([last]);
    expect(h.sandbox.users.inbox(NAMED_USER)).toEqual([]);
    h.sandbox.users.sendText(PHONE_ID, NAMED_USER, 'sigo acá');
    await h.sandbox.drainWebhooks();
    const named = h.receiver.changes('messages').find((v) => v.messages?.some((m) => m.from === NAMED_USER));
    expect(named?.contacts?.[0]?.profile.name).toBe('Emilia García');
    // A button of a remembered message still answers.
    expect(h.sandbox.users.tapButton(PHONE_ID, recipient(19), last, 0)).toMatch(/^wamid\./);
  });

  it('sends every status of a send forgotten before its delivery, but never puts it on the phone', async () => {
    // Delivered a second after acceptance: the first sends are forgotten while still on their way.
    h = await startHarness({ retainMessages: 4, delays: { sentMs: 0, deliveredMs: 1_000, readMs: null } });
    const first = await send(h.base, reminder(OLD_USER, undefined, 'early-0'));
    expect(first.status).toBe(200);
    const early = first.json.messages[0]!.id;
    for (let i = 0; i < 10; i++)
      expect((await send(h.base, reminder(recipient(i), undefined, `later-${i}`))).status).toBe(200);
    expect(h.sandbox.sent().map((r) => r.wamid)).not.toContain(early);
    await h.sandbox.drainWebhooks();

    const ofEarly = h.receiver
      .statuses()
      .filter((s) => s.id === early)
      .map((s) => s.status);
    expect(ofEarly).toEqual(['sent', 'delivered']);
    expect(h.sandbox.users.inbox(OLD_USER)).toEqual([]);
    const users = await call<{ data: Array<{ wa_id: string }> }>(h.base, 'GET', '/_sandbox/users');
    expect(users.json.data.map((u) => u.wa_id)).not.toContain(OLD_USER);
    // The remembered ones reached their phones.
    expect(h.sandbox.users.inbox(recipient(9))).toHaveLength(1);
  });

  it('refuses a retention that is not a whole number of sends', () => {
    expect(() => new SandboxState(Date.now, 0)).toThrow(/at least 1; got 0/);
    expect(() => new SandboxState(Date.now, 1.5)).toThrow(/whole number/);
    expect(new SandboxState(Date.now).retain).toBe(DEFAULT_RETAINED_MESSAGES);
  });
});
