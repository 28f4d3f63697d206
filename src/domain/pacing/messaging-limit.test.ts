import { describe, expect, it } from 'vitest';
import {
  countedAfter,
  DEFAULT_LIMIT_MARGIN_MS,
  MESSAGING_TIERS,
  MESSAGING_WINDOW_MS,
  type MessagingLimit,
  messagingCapacity,
  messagingLimitFromMeta,
  needsLimitSlot,
  nextSlotRank,
  parseMessagingLimit,
  planAgainstLimit,
  planRank,
  reachWindowOf,
  reachWindowWith,
} from './messaging-limit';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const CYCLE = DAY + DEFAULT_LIMIT_MARGIN_MS;
const EXACT = { marginMs: 0 };

/** n reaches a minute apart (closer for many, so all fit in 20 h), the latest `endingAgo` before T0. */
function reaches(n: number, endingAgo = 0): number[] {
  const step = Math.min(MINUTE, Math.floor((20 * HOUR) / n));
  return Array.from({ length: n }, (_, i) => T0 - endingAgo - (n - 1 - i) * step);
}

/**
 * A slow but obviously right model: send greedily one recipient at a time, each taking a slot
 * when fewer than `limit` users are counted; returns each recipient's send time.
 */
function simulate(limit: number, counted: number[], recipients: number, marginMs: number): number[] {
  const cycle = DAY + marginMs;
  const live = [...counted];
  const times: number[] = [];
  let now = T0;
  while (times.length < recipients) {
    const inWindow = live.filter((r) => r > now - cycle).sort((a, b) => a - b);
    if (inWindow.length < limit) {
      times.push(now);
      live.push(now);
      continue;
    }
    now = inWindow[inWindow.length - limit]! + cycle;
  }
  return times;
}

describe('MESSAGING_TIERS', () => {
  it('lists Meta’s levels since October 2025, lowest first', () => {
    expect(MESSAGING_TIERS).toEqual([250, 2000, 10000, 100000, 'unlimited']);
    expect(Object.isFrozen(MESSAGING_TIERS)).toBe(true);
  });
});

describe('parseMessagingLimit', () => {
  it.each(MESSAGING_TIERS)('accepts the tier %s as itself', (tier) => {
    expect(parseMessagingLimit(tier)).toEqual({ ok: true, value: tier });
  });

  it.each([
    ['250', 250],
    ['2000', 2000],
    ['2,000', 2000],
    ['10_000', 10000],
    [' 100,000 ', 100000],
    ['Unlimited', 'unlimited'],
    [' UNLIMITED ', 'unlimited'],
  ])('reads %j as %s (YAML and environment spellings)', (text, value) => {
    expect(parseMessagingLimit(text)).toEqual({ ok: true, value });
  });

  it('refuses a number that is not a tier, naming the tiers, at the given path', () => {
    const r = parseMessagingLimit(5000, 'accounts[0].messaging_limit');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.path).toBe('accounts[0].messaging_limit');
    expect(r.problems[0]!.message).toContain('5000 is not one of Meta');
    expect(r.problems[0]!.message).toContain('250, 2000, 10000, 100000 or "unlimited"');
  });

  it.each([50, 1000, '1,000'])('explains that %j was an old per-number tier', (v) => {
    const r = parseMessagingLimit(v);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems[0]!.message).toMatch(/per-number tier before .*October 2025/);
  });

  it.each([
    [undefined, 'is missing'],
    [null, 'is missing'],
    ['2k', '"2k" is not a messaging limit'],
    ['2,00', 'is not a messaging limit'],
    ['-250', 'is not a messaging limit'],
    ['', 'is not a messaging limit'],
    [250.5, '250.5 is not one of'],
    [-1, '-1 is not one of'],
    [Number.NaN, 'NaN is not one of'],
    [true, 'not boolean'],
    [[250], 'not an array'],
    [{ tier: 250 }, 'not object'],
  ])('refuses %j (%s)', (v, message) => {
    const r = parseMessagingLimit(v);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems[0]!.path).toBe('messaging_limit');
      expect(r.problems[0]!.message).toContain(message);
    }
  });
});

describe('messagingLimitFromMeta', () => {
  it.each([
    ['TIER_250', 250],
    ['TIER_2K', 2000],
    ['TIER_10K', 10000],
    ['TIER_100K', 100000],
    ['TIER_UNLIMITED', 'unlimited'],
    ['tier_2k', 2000],
    ['TIER_50', 50],
    ['TIER_1K', 1000],
    [2000, 2000],
    ['2000', 2000],
    [-1, 'unlimited'],
    ['-1', 'unlimited'],
  ])('reads Meta’s %j as %s', (v, limit) => {
    expect(messagingLimitFromMeta(v)).toBe(limit);
  });

  it.each(['TIER_NOT_SET', 'TIER_5K', '', 0, -2, 2.5, null, undefined, {}])(
    'says nothing (null) for %j, so the known limit is kept',
    (v) => {
      expect(messagingLimitFromMeta(v)).toBeNull();
    },
  );
});

describe('countedAfter', () => {
  it('is 24 h and the margin before now', () => {
    expect(MESSAGING_WINDOW_MS).toBe(DAY);
    expect(DEFAULT_LIMIT_MARGIN_MS).toBe(5 * MINUTE);
    expect(countedAfter(T0)).toBe(T0 - DAY - DEFAULT_LIMIT_MARGIN_MS);
    expect(countedAfter(T0, EXACT)).toBe(T0 - DAY);
    expect(countedAfter(T0, { marginMs: 1000 })).toBe(T0 - DAY - 1000);
  });

  it('refuses a negative or non-finite margin', () => {
    expect(() => countedAfter(T0, { marginMs: -1 })).toThrow(RangeError);
    expect(() => countedAfter(T0, { marginMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe('messagingCapacity', () => {
  it('allows the rest of the limit while there is room, without reading any reach time', () => {
    const window = { reached: 100, reachAt: () => expect.unreachable('no reach time is needed') as never };
    expect(messagingCapacity(250, window, T0)).toEqual({ allowed: 150, nextSlotAt: null });
    expect(messagingCapacity(250, { ...window, reached: 0 }, T0)).toEqual({ allowed: 250, nextSlotAt: null });
    expect(messagingCapacity(250, { ...window, reached: 249 }, T0)).toEqual({ allowed: 1, nextSlotAt: null });
  });

  it.each([250, 2000, 10000, 100000])(
    'at the %i tier, full means no send until the oldest leaves',
    (tier) => {
      const times = reaches(tier, HOUR);
      const cap = messagingCapacity(tier, reachWindowOf(times), T0);
      expect(cap.allowed).toBe(0);
      expect(cap.nextSlotAt).toBe(times[0]! + CYCLE);
      // One below the limit there is exactly one slot.
      expect(messagingCapacity(tier, reachWindowOf(times.slice(1)), T0)).toEqual({
        allowed: 1,
        nextSlotAt: null,
      });
    },
  );

  it('is unlimited for an unlimited portfolio, however many were reached', () => {
    expect(messagingCapacity('unlimited', reachWindowOf(reaches(500)), T0)).toEqual({
      allowed: Number.POSITIVE_INFINITY,
      nextSlotAt: null,
    });
  });

  it('over the limit (1:1 templates, a lowered limit), waits for enough to leave', () => {
    const times = reaches(260, 2 * HOUR);
    expect(nextSlotRank(250, 260)).toBe(11);
    const cap = messagingCapacity(250, reachWindowOf(times), T0);
    expect(cap).toEqual({ allowed: 0, nextSlotAt: times[10]! + CYCLE });
  });

  it('reads only the one rank the store was asked for', () => {
    const kth = T0 - 20 * HOUR;
    expect(nextSlotRank(2000, 2000)).toBe(1);
    const cap = messagingCapacity(2000, reachWindowWith(2000, 1, kth), T0);
    expect(cap).toEqual({ allowed: 0, nextSlotAt: kth + CYCLE });
  });

  it('rolls at the exact boundary: the slot frees at reach + 24 h + margin, not a millisecond before', () => {
    const reach = T0 - 10 * HOUR;
    const leave = reach + DAY + DEFAULT_LIMIT_MARGIN_MS;
    const cap = messagingCapacity(1, reachWindowOf([reach]), T0);
    expect(cap.nextSlotAt).toBe(leave);
    // At leave - 1 the reach is still counted (after countedAfter), at leave it is not.
    expect(reach > countedAfter(leave - 1)).toBe(true);
    expect(reach > countedAfter(leave)).toBe(false);
    expect(messagingCapacity(1, reachWindowOf([]), leave)).toEqual({ allowed: 1, nextSlotAt: null });
  });

  it('with no margin, a reach exactly 24 h old has left the window', () => {
    const reach = T0 - DAY;
    expect(reach > countedAfter(T0, EXACT)).toBe(false);
    expect(reach + 1 > countedAfter(T0, EXACT)).toBe(true);
    expect(messagingCapacity(1, reachWindowOf([reach + 1]), T0, EXACT)).toEqual({
      allowed: 0,
      nextSlotAt: T0 + 1,
    });
  });

  it('refuses a window whose needed reach time is missing or outside the window (a store bug)', () => {
    expect(() => messagingCapacity(2, reachWindowWith(2, 2, T0), T0)).toThrow(/#1 .*not given/);
    expect(() => messagingCapacity(1, reachWindowOf([T0 - DAY - DEFAULT_LIMIT_MARGIN_MS]), T0)).toThrow(
      /outside the window/,
    );
  });

  it('refuses a limit or count that cannot be', () => {
    expect(() => messagingCapacity(0, reachWindowOf([]), T0)).toThrow(RangeError);
    expect(() => messagingCapacity(2.5, reachWindowOf([]), T0)).toThrow(RangeError);
    expect(() => messagingCapacity(250, { reached: -1, reachAt: () => undefined }, T0)).toThrow(RangeError);
    expect(() => messagingCapacity(250, { reached: 1.5, reachAt: () => undefined }, T0)).toThrow(RangeError);
  });
});

describe('needsLimitSlot', () => {
  it('takes a slot for a user never reached whose window is closed or never opened', () => {
    expect(needsLimitSlot({ lastInboundAt: null, lastReachAt: null }, T0)).toBe(true);
    expect(needsLimitSlot({ lastInboundAt: T0 - 2 * DAY, lastReachAt: null }, T0)).toBe(true);
  });

  it('takes none for a user whose window is open (the reply reopened it)', () => {
    expect(needsLimitSlot({ lastInboundAt: T0 - HOUR, lastReachAt: null }, T0)).toBe(false);
  });

  it('takes one when the window closes within the margin (Meta may deliver after it closed)', () => {
    const inbound = T0 - DAY + DEFAULT_LIMIT_MARGIN_MS; // closes exactly one margin from now
    expect(needsLimitSlot({ lastInboundAt: inbound, lastReachAt: null }, T0)).toBe(true);
    expect(needsLimitSlot({ lastInboundAt: inbound + 1, lastReachAt: null }, T0)).toBe(false);
    expect(needsLimitSlot({ lastInboundAt: inbound, lastReachAt: null }, T0, EXACT)).toBe(false);
  });

  it('takes none for a user already counted, and one again once their reach has left', () => {
    expect(needsLimitSlot({ lastInboundAt: null, lastReachAt: T0 - 23 * HOUR }, T0)).toBe(false);
    const after = countedAfter(T0);
    expect(needsLimitSlot({ lastInboundAt: null, lastReachAt: after + 1 }, T0)).toBe(false);
    expect(needsLimitSlot({ lastInboundAt: null, lastReachAt: after }, T0)).toBe(true);
  });
});

describe('planAgainstLimit', () => {
  it('sends everyone now when they fit', () => {
    expect(planAgainstLimit(250, reachWindowOf(reaches(50)), 200, T0)).toEqual({
      goNow: 200,
      waiting: 0,
      lastAt: T0,
      extraDays: 0,
    });
  });

  it('has nothing to plan for no recipients', () => {
    expect(planAgainstLimit(250, reachWindowOf(reaches(250)), 0, T0)).toEqual({
      goNow: 0,
      waiting: 0,
      lastAt: null,
      extraDays: 0,
    });
  });

  it('is never throttled by an unlimited portfolio', () => {
    expect(planAgainstLimit('unlimited', reachWindowOf(reaches(10)), 1_000_000, T0)).toEqual({
      goNow: 1_000_000,
      waiting: 0,
      lastAt: T0,
      extraDays: 0,
    });
  });

  it('a fresh 250 portfolio and 1,000 recipients: 250 now, the last on the fourth day', () => {
    const plan = planAgainstLimit(250, reachWindowOf([]), 1000, T0);
    expect(plan).toEqual({ goNow: 250, waiting: 750, lastAt: T0 + 3 * CYCLE, extraDays: 3 });
    expect(plan.lastAt).toBe(simulate(250, [], 1000, DEFAULT_LIMIT_MARGIN_MS).at(-1));
  });

  it('the recipients beyond the free slots take the oldest users’ slots as they leave', () => {
    const counted = reaches(200, 3 * HOUR); // oldest reached 3 h + 199 min ago
    // 50 free now; recipients 51–80 take the slots of the 30 oldest users.
    const plan = planAgainstLimit(250, reachWindowOf(counted), 80, T0);
    expect(plan).toEqual({ goNow: 50, waiting: 30, lastAt: counted[29]! + CYCLE, extraDays: 0 });
    expect(planRank(250, 200, 80)).toBe(30);
  });

  it('needs one reach time from the store, the one planRank names', () => {
    const kth = T0 - 7 * HOUR;
    const rank = planRank(2000, 2100, 500);
    expect(rank).toBe(101 + 499);
    expect(planAgainstLimit(2000, reachWindowWith(2100, rank, kth), 500, T0)).toEqual({
      goNow: 0,
      waiting: 500,
      lastAt: kth + CYCLE,
      extraDays: 0,
    });
  });

  it.each([
    // limit, counted (latest reach h ago, spaced a minute), recipients, margin
    [3, 0, 10, 0],
    [3, 2, 10, 0],
    [3, 3, 1, 0],
    [3, 5, 7, DEFAULT_LIMIT_MARGIN_MS],
    [5, 5, 5, 0],
    [5, 5, 6, 0],
    [5, 9, 23, DEFAULT_LIMIT_MARGIN_MS],
    [7, 3, 4, 0],
    [7, 3, 5, 0],
    [7, 3, 22, 0],
    [250, 100, 1000, DEFAULT_LIMIT_MARGIN_MS],
  ])(
    'limit %i with %i counted and %i recipients agrees with a send-by-send simulation',
    (limit, n, recipients, marginMs) => {
      const counted = reaches(n, 2 * HOUR);
      const times = simulate(limit, counted, recipients, marginMs);
      const plan = planAgainstLimit(limit, reachWindowOf(counted), recipients, T0, { marginMs });
      expect(plan.lastAt).toBe(times.at(-1));
      expect(plan.goNow).toBe(times.filter((t) => t === T0).length);
      expect(plan.waiting).toBe(recipients - plan.goNow);
    },
  );

  it('the plan’s last time is the moment the window rolls, to the millisecond', () => {
    const plan = planAgainstLimit(1, reachWindowOf([T0 - 5 * HOUR]), 1, T0, EXACT);
    expect(plan.lastAt).toBe(T0 + 19 * HOUR);
    // At that moment capacity agrees: the old reach has left.
    const at = plan.lastAt!;
    expect(T0 - 5 * HOUR > countedAfter(at, EXACT)).toBe(false);
    expect(T0 - 5 * HOUR > countedAfter(at - 1, EXACT)).toBe(true);
  });

  it('refuses a negative or fractional recipient count', () => {
    expect(() => planAgainstLimit(250, reachWindowOf([]), -1, T0)).toThrow(RangeError);
    expect(() => planAgainstLimit(250, reachWindowOf([]), 1.5, T0)).toThrow(RangeError);
  });

  it('ranks: none while the recipients fit, or land on a slot that is free now', () => {
    const limit: MessagingLimit = 10;
    expect(planRank(limit, 4, 6)).toBeNull();
    expect(planRank(limit, 4, 7)).toBe(1);
    expect(planRank(limit, 4, 10)).toBe(4);
    expect(planRank(limit, 4, 11)).toBeNull(); // the second cycle of a slot free now
    expect(planRank(limit, 4, 17)).toBe(1);
    expect(planRank('unlimited', 4, 17)).toBeNull();
  });
});

describe('the window rolling over a day of sends', () => {
  it('a dispatcher asking capacity before each send never counts more than the limit in any 24 h', () => {
    const limit = 5;
    const sent: number[] = [];
    let now = T0;
    for (let i = 0; i < 23; i++) {
      const window = reachWindowOf(sent.filter((t) => t > countedAfter(now)));
      const cap = messagingCapacity(limit, window, now);
      if (cap.allowed === 0) {
        now = cap.nextSlotAt!;
        i--;
        continue;
      }
      sent.push(now);
      now += 17 * MINUTE;
    }
    for (const t of sent) {
      const inWindow = sent.filter((s) => s > t - CYCLE && s <= t);
      expect(inWindow.length).toBeLessThanOrEqual(limit);
    }
    expect(sent).toHaveLength(23);
    expect(sent[5]).toBe(sent[0]! + CYCLE);
  });
});
