import { describe, expect, it } from 'vitest';
import {
  CAMPAIGN_PAIR_POLICY,
  isPairIdle,
  META_PAIR_LIMIT,
  nextPairSendAt,
  PAIR_REFUSAL_MIN_MS,
  type PairPolicy,
  type PairState,
  pairAccepted,
  pairBackoffMs,
  pairRefused,
  pairStateFromSends,
  recordPairSend,
} from './pair-limit';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const S = 1000;

/** Sends as early as the policy allows, asking at `from` each time; returns the send times. */
function sendGreedily(n: number, policy: PairPolicy, from = T0, start: PairState | null = null): number[] {
  let state = start;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = nextPairSendAt(state, from, policy);
    times.push(at);
    state = recordPairSend(state, at, policy);
  }
  return times;
}

describe('the policies', () => {
  it('Meta: one per 6 s with a burst of 45 (reference §6.2); a campaign: one per 6 s, no burst', () => {
    expect(META_PAIR_LIMIT).toEqual({ intervalMs: 6000, burst: 45 });
    expect(CAMPAIGN_PAIR_POLICY).toEqual({ intervalMs: 6000, burst: 1 });
    expect(PAIR_REFUSAL_MIN_MS).toBe(6000);
  });
});

describe('nextPairSendAt', () => {
  it('lets the first message to a user go at once', () => {
    expect(nextPairSendAt(null, T0)).toBe(T0);
    expect(nextPairSendAt(null, T0, META_PAIR_LIMIT)).toBe(T0);
  });

  it('a campaign never sends two messages to one user closer than 6 s', () => {
    const times = sendGreedily(5, CAMPAIGN_PAIR_POLICY);
    expect(times).toEqual([T0, T0 + 6 * S, T0 + 12 * S, T0 + 18 * S, T0 + 24 * S]);
  });

  it('the spacing is exact: 5,999 ms after a send is too early, 6,000 ms is allowed', () => {
    const s = recordPairSend(null, T0);
    expect(nextPairSendAt(s, T0 + 5999)).toBe(T0 + 6000);
    expect(nextPairSendAt(s, T0 + 6000)).toBe(T0 + 6000);
    expect(nextPairSendAt(s, T0 + 60_000)).toBe(T0 + 60_000);
  });

  it('a campaign message waits for the debt of a bot’s burst just before (1:1 and campaign overlap)', () => {
    // Three 1:1 messages within a second, which Meta tolerates.
    let s: PairState | null = null;
    for (const at of [T0, T0 + 300, T0 + 600]) {
      expect(nextPairSendAt(s, at, META_PAIR_LIMIT)).toBe(at);
      s = recordPairSend(s, at);
    }
    expect(nextPairSendAt(s, T0 + 700, CAMPAIGN_PAIR_POLICY)).toBe(T0 + 18 * S);
  });

  it('Meta’s policy allows exactly 45 back to back, then one per 6 s', () => {
    const times = sendGreedily(48, META_PAIR_LIMIT);
    expect(times.slice(0, 45).every((t) => t === T0)).toBe(true);
    expect(times.slice(45)).toEqual([T0 + 6 * S, T0 + 12 * S, T0 + 18 * S]);
  });

  it('an idle spell earns the burst back at one message per 6 s', () => {
    let s = pairStateFromSends(
      Array.from({ length: 45 }, () => T0),
      META_PAIR_LIMIT,
    );
    expect(nextPairSendAt(s, T0, META_PAIR_LIMIT)).toBe(T0 + 6 * S);
    // 60 s later, 10 messages' worth has been paid back: 10 go at once, the 11th waits.
    const later = T0 + 60 * S;
    const times = sendGreedily(11, META_PAIR_LIMIT, later, s);
    expect(times.slice(0, 10).every((t) => t === later)).toBe(true);
    expect(times[10]).toBe(later + 6 * S);
    s = recordPairSend(s, later, META_PAIR_LIMIT);
    expect(s.tat).toBe(T0 + 45 * 6 * S + 6 * S);
  });

  it('never moves a send before now', () => {
    const s = recordPairSend(null, T0);
    expect(nextPairSendAt(s, T0 + 3_600_000)).toBe(T0 + 3_600_000);
  });

  it('refuses a policy that cannot be', () => {
    expect(() => nextPairSendAt(null, T0, { intervalMs: 0, burst: 1 })).toThrow(RangeError);
    expect(() => nextPairSendAt(null, T0, { intervalMs: 6000, burst: 0 })).toThrow(RangeError);
    expect(() => nextPairSendAt(null, T0, { intervalMs: 6000, burst: 1.5 })).toThrow(RangeError);
    expect(() => recordPairSend(null, T0, { intervalMs: Number.NaN, burst: 1 })).toThrow(RangeError);
  });
});

describe('after a 131056', () => {
  it('that user waits at least 6 s', () => {
    const sent = recordPairSend(null, T0);
    const refused = pairRefused(sent, T0 + 200);
    expect(nextPairSendAt(refused, T0 + 200)).toBe(T0 + 200 + 6 * S);
    expect(refused.refusals).toBe(1);
  });

  it('the wait doubles while refusals repeat, up to the payback of a whole burst (270 s)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 50, 2000].map((n) => pairBackoffMs(n))).toEqual([
      6000, 12000, 24000, 48000, 96000, 192000, 270000, 270000, 270000,
    ]);
    let s: PairState | null = null;
    let now = T0;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      s = recordPairSend(s, now);
      s = pairRefused(s, now + 100);
      const at = nextPairSendAt(s, now + 100);
      waits.push(at - (now + 100));
      now = at;
    }
    expect(waits).toEqual([6000, 12000, 24000, 48000]);
  });

  it('an accepted message ends the escalation', () => {
    let s = pairRefused(pairRefused(recordPairSend(null, T0), T0), T0 + 6 * S);
    expect(s.refusals).toBe(2);
    s = pairAccepted(recordPairSend(s, T0 + 18 * S));
    expect(s.refusals).toBe(0);
    expect(nextPairSendAt(pairRefused(s, T0 + 20 * S), T0 + 20 * S)).toBe(T0 + 26 * S);
    const fresh = recordPairSend(null, T0);
    expect(pairAccepted(fresh)).toBe(fresh);
  });

  it('no burst until Meta accepts again, even under Meta’s own policy', () => {
    let s = pairRefused(null, T0, META_PAIR_LIMIT);
    const first = nextPairSendAt(s, T0, META_PAIR_LIMIT);
    expect(first).toBe(T0 + 6 * S);
    s = recordPairSend(s, first, META_PAIR_LIMIT);
    expect(nextPairSendAt(s, first, META_PAIR_LIMIT)).toBe(first + 6 * S);
    // Accepted: the tolerance returns (the debt is only one interval).
    expect(nextPairSendAt(pairAccepted(s), first, META_PAIR_LIMIT)).toBe(first);
  });

  it('a refusal never shortens a wait already due', () => {
    const s = pairStateFromSends([T0, T0, T0, T0, T0]); // debt until T0 + 30 s
    const refused = pairRefused(s, T0);
    expect(nextPairSendAt(refused, T0)).toBe(T0 + 30 * S);
    const again = pairRefused(pairRefused(null, T0 + 100 * S), T0); // a late report of an older refusal
    expect(nextPairSendAt(again, T0)).toBe(T0 + 106 * S);
  });

  it('refuses a refusal count below 1', () => {
    expect(() => pairBackoffMs(0)).toThrow(RangeError);
    expect(() => pairBackoffMs(1.5)).toThrow(RangeError);
  });
});

describe('state kept small', () => {
  it('is rebuilt from recent send times in any order', () => {
    expect(pairStateFromSends([])).toBeNull();
    const a = pairStateFromSends([T0 + 12 * S, T0, T0 + 6 * S]);
    const b = pairStateFromSends([T0, T0 + 6 * S, T0 + 12 * S]);
    expect(a).toEqual(b);
    expect(nextPairSendAt(a, T0 + 12 * S)).toBe(T0 + 18 * S);
  });

  it('is idle, and may be dropped, once the debt is paid and no refusal holds it', () => {
    const s = recordPairSend(null, T0);
    expect(isPairIdle(s, T0 + 5999)).toBe(false);
    expect(isPairIdle(s, T0 + 6000)).toBe(true);
    // Dropping it changes nothing: a fresh state gives the same answer.
    expect(nextPairSendAt(s, T0 + 6000)).toBe(nextPairSendAt(null, T0 + 6000));
    const refused = pairRefused(s, T0 + 6000);
    expect(isPairIdle(refused, T0 + 11_999)).toBe(false);
    expect(isPairIdle(refused, T0 + 12_000)).toBe(true);
  });
});
