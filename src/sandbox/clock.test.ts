/**
 * The sandbox's time: a user's message dated in the past (the webhook carries that timestamp,
 * the 24-hour rule runs from it), the bounds on that date, and the clock control that advances
 * or freezes what the sandbox stamps and how it judges the window.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxClock } from './clock';
import { call, type Harness, PHONE_ID, send, startHarness, text, USER } from './test-support';

const HOUR = 3600;
const T0 = Date.UTC(2026, 10, 30, 12, 0, 0);

/** A hand-moved base time under the sandbox's own clock, so no assertion depends on real time. */
function baseClock(start = T0) {
  let t = start;
  return { now: () => t, move: (ms: number) => (t += ms) };
}

interface UserWrite {
  id?: string;
  timestamp?: string;
  error?: { message: string };
}

describe('sandbox time', () => {
  let h: Harness;
  afterEach(() => h?.close());

  const write = (body: Record<string, unknown>, waId = USER) =>
    call<UserWrite>(h.base, 'POST', `/_sandbox/users/${waId}/messages`, {
      phone_number_id: PHONE_ID,
      text: 'Necesito hablar con una persona',
      ...body,
    });
  const freeForm = async () => {
    const res = await send(h.base, text(USER, 'Hola, soy una asesora'));
    expect(res.status).toBe(200);
    await h.sandbox.drainWebhooks();
    const wamid = res.json.messages[0]?.id;
    return h.receiver.statuses().filter((s) => s.id === wamid);
  };

  it('dates a message in the past: the webhook carries the timestamp, the window runs from it', async () => {
    const base = baseClock();
    h = await startHarness({ now: base.now });
    const nowS = T0 / 1000;
    // 23 h 59 min ago, as a string (Meta's form): the window is open for one more minute.
    const res = await write({ timestamp: String(nowS - 24 * HOUR + 60) });
    expect(res.status).toBe(200);
    expect(res.json.timestamp).toBe(String(nowS - 24 * HOUR + 60));
    await h.sandbox.drainWebhooks();
    const [inbound] = h.receiver.messages();
    expect(inbound).toMatchObject({ id: res.json.id, timestamp: String(nowS - 24 * HOUR + 60) });
    expect(h.sandbox.users.lastInboundAt(PHONE_ID, USER)).toBe((nowS - 24 * HOUR + 60) * 1000);
    expect(h.sandbox.users.isWindowOpen(PHONE_ID, USER)).toBe(true);
    expect((await freeForm()).map((s) => s.status)).not.toContain('failed');

    // Two minutes later on the sandbox clock the window is closed: free-form fails with 131047.
    h.sandbox.clock.advance(120_000);
    expect(h.sandbox.users.isWindowOpen(PHONE_ID, USER)).toBe(false);
    const statuses = await freeForm();
    expect(statuses.map((s) => s.status)).toEqual(['failed']);
    expect(statuses[0]?.errors?.[0]?.code).toBe(131047);
  });

  it('takes the timestamp as an integer too, and a back-dated message never shortens a later window', async () => {
    const base = baseClock();
    h = await startHarness({ now: base.now });
    expect((await write({})).status).toBe(200);
    const old = await write({ timestamp: T0 / 1000 - 30 * HOUR });
    expect(old.status).toBe(200);
    await h.sandbox.drainWebhooks();
    expect(h.receiver.messages().map((m) => m.timestamp)).toEqual([
      String(T0 / 1000),
      String(T0 / 1000 - 30 * HOUR),
    ]);
    expect(h.sandbox.users.lastInboundAt(PHONE_ID, USER)).toBe(T0);
  });

  it('refuses a timestamp out of bounds or not in Unix seconds, and says the allowed range', async () => {
    h = await startHarness({ now: baseClock().now });
    const nowS = T0 / 1000;
    const cases: Array<[unknown, RegExp]> = [
      [nowS + 3600, /3600 s in the future; it must be between \d+ \(30 days ago\) and \d+ \(5 minutes ahead/],
      [nowS - 31 * 24 * HOUR, /more than 30 days old; it must be between/],
      [T0, /looks like milliseconds; give Unix seconds \(1796040000\)/],
      ['yesterday', /timestamp must be Unix seconds, an integer or a string of digits/],
      [nowS - 0.5, /timestamp must be Unix seconds/],
      [-5, /timestamp must be Unix seconds/],
    ];
    for (const [timestamp, message] of cases) {
      const res = await write({ timestamp });
      expect(res.status, String(timestamp)).toBe(400);
      expect(res.json.error?.message).toMatch(message);
    }
    // A few minutes ahead is clock skew, not a mistake.
    expect((await write({ timestamp: nowS + 240 })).status).toBe(200);
    await h.sandbox.drainWebhooks();
    expect(h.receiver.messages()).toHaveLength(1);
  });

  it('advances, freezes, sets and reports the clock over HTTP, and stamps webhooks with it', async () => {
    const base = baseClock();
    h = await startHarness({ now: base.now });
    const clock = (body?: unknown) =>
      call<Record<string, unknown>>(h.base, body === undefined ? 'GET' : 'POST', '/_sandbox/clock', body);

    expect((await clock()).json).toEqual({
      now: T0 / 1000,
      now_iso: '2026-11-30T12:00:00.000Z',
      frozen: false,
      offset_seconds: 0,
    });
    expect((await clock({ advance_seconds: 61 })).json).toMatchObject({
      now: T0 / 1000 + 61,
      offset_seconds: 61,
    });
    base.move(10_000);
    expect((await clock()).json).toMatchObject({ now: T0 / 1000 + 71, frozen: false });

    // Frozen: the base moves on, the sandbox's time does not; advancing moves the frozen instant.
    expect((await clock({ freeze: true })).json).toMatchObject({ now: T0 / 1000 + 71, frozen: true });
    base.move(50_000);
    expect((await clock({ advance_seconds: 9 })).json).toMatchObject({ now: T0 / 1000 + 80, frozen: true });
    await write({});
    await h.sandbox.drainWebhooks();
    expect(h.receiver.messages().at(-1)?.timestamp).toBe(String(T0 / 1000 + 80));
    // Unfreezing resumes from the frozen instant: time never jumps back or forward.
    expect((await clock({ freeze: false })).json).toMatchObject({ now: T0 / 1000 + 80, frozen: false });
    base.move(1000);
    expect((await clock()).json).toMatchObject({ now: T0 / 1000 + 81 });

    expect((await clock({ set: T0 / 1000 + 2 * HOUR })).json).toMatchObject({ now: T0 / 1000 + 2 * HOUR });
    await write({});
    await h.sandbox.drainWebhooks();
    expect(h.receiver.messages().at(-1)?.timestamp).toBe(String(T0 / 1000 + 2 * HOUR));
  });

  it('refuses a clock request it cannot honour, saying which form it takes', async () => {
    h = await startHarness({ now: baseClock().now });
    const post = (body: unknown) =>
      call<{ error: { message: string } }>(h.base, 'POST', '/_sandbox/clock', body);
    const cases: Array<[unknown, RegExp]> = [
      [
        {},
        /give exactly one of \{"advance_seconds": n\}, \{"set": unix seconds\}, \{"freeze": true\|false\}; got none/,
      ],
      [{ advance_seconds: 5, freeze: true }, /exactly one .*got advance_seconds, freeze/],
      [{ advance_seconds: -5 }, /advance_seconds must be a number of seconds ≥ 0, got -5/],
      [{ advance_seconds: '5' }, /advance_seconds must be a number/],
      [{ advance_seconds: 400 * 24 * HOUR }, /at most 366 days/],
      [{ freeze: 'yes' }, /freeze must be true or false/],
      [{ set: T0 / 1000 - 60 }, /only moves forward: 2026-11-30T11:59:00.000Z is before its current time/],
      [{ set: T0 }, /looks like milliseconds/],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.message).toMatch(message);
    }
    expect(h.sandbox.clock.view()).toEqual({ now: T0, frozen: false, offsetMs: 0 });
  });
});

describe('SandboxClock', () => {
  it('runs ahead of its base by what was advanced, and never backwards', () => {
    const base = baseClock();
    const clock = new SandboxClock(base.now);
    clock.advance(1000);
    base.move(500);
    expect(clock.now()).toBe(T0 + 1500);
    clock.freeze();
    base.move(500);
    expect(clock.now()).toBe(T0 + 1500);
    expect(clock.view()).toEqual({ now: T0 + 1500, frozen: true, offsetMs: 1000 - 500 });
    clock.unfreeze();
    expect(clock.now()).toBe(T0 + 1500);
    expect(() => clock.advance(-1)).toThrow(/only moves forward/);
  });
});
