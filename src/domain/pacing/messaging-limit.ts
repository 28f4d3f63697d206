/**
 * Meta's messaging limit: how many *distinct users* a business portfolio may reach with
 * business-initiated messages *outside an open customer-service window* in a *moving 24 hours*
 * (reference §6.3: 250 → 2,000 → 10,000 → 100,000 → unlimited, shared by every number of the
 * portfolio). Recontact respects it instead of discovering it: Meta fails the sends beyond it,
 * and a failed campaign send is a lost recipient.
 *
 * The model is built for a store that keeps one row per (portfolio, user, reached_at) and can
 * answer two cheap questions: "how many distinct users have a reach after T" and "the k-th
 * oldest of those users' latest reach". The rules:
 *
 *   - A user counts from their latest reach until that reach + 24 h (+ a safety margin). The
 *     latest, not the first: a user reached twice in the window stays in Meta's unique set until
 *     the second reach leaves it, so timing slots by the first reach would free them too early.
 *     The store may add a row when a delivery status arrives (Meta counts deliveries, which can
 *     come later than our send); taking the latest per user then covers it on its own.
 *   - Sends in flight count: a slot is taken when a send is granted, not when Meta answers.
 *   - A user already counted takes no new slot; a user whose window is open takes none either.
 *   - Slots free in a fixed cycle: a slot freed at t is reused at t and frees again at t + 24 h.
 *     So the n-th waiting recipient's time needs one reach time from the store, not a simulation.
 *
 * The margin (5 minutes by default) covers the gap between our clock and Meta's, and between our
 * send and Meta's delivery: it costs 0.35 % of a day, and a slot reused a second too early costs
 * a failed recipient.
 */
import { WHATSAPP_WINDOW, windowState } from '../window';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The length of Meta's moving window. */
export const MESSAGING_WINDOW_MS = 24 * HOUR;
export const DEFAULT_LIMIT_MARGIN_MS = 5 * MINUTE;

/** The levels Meta sets a business portfolio at since October 2025. */
export const MESSAGING_TIERS = Object.freeze([250, 2_000, 10_000, 100_000, 'unlimited'] as const);
export type MessagingTier = (typeof MESSAGING_TIERS)[number];

/**
 * A limit the model computes with: a tier, or a figure Meta still reports for an old number
 * (TIER_50, TIER_1K) when it is read from Meta rather than configured.
 */
export type MessagingLimit = number | 'unlimited';

export interface MessagingLimitOptions {
  /** Added to the 24 h before a slot is reused; DEFAULT_LIMIT_MARGIN_MS when absent. */
  marginMs?: number;
}

export type LimitProblem = { path: string; message: string };
export type LimitCheck<T> = { ok: true; value: T } | { ok: false; problems: LimitProblem[] };

const TIER_LIST = '250, 2000, 10000, 100000 or "unlimited"';

/**
 * A configured messaging limit: one of MESSAGING_TIERS, as a number, a digit string ("2000",
 * "2,000", "2_000", as YAML and environment variables write it) or "unlimited" in any case.
 */
export function parseMessagingLimit(value: unknown, path = 'messaging_limit'): LimitCheck<MessagingTier> {
  const fail = (message: string): LimitCheck<MessagingTier> => ({ ok: false, problems: [{ path, message }] });
  if (value === undefined || value === null) {
    return fail(`is missing; give the business portfolio's messaging limit: ${TIER_LIST}`);
  }
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string') {
    const text = value.trim();
    if (text.toLowerCase() === 'unlimited') return { ok: true, value: 'unlimited' };
    if (!/^\d{1,3}([,_]?\d{3})*$/.test(text)) {
      return fail(`"${text.slice(0, 40)}" is not a messaging limit; write ${TIER_LIST}`);
    }
    n = Number(text.replace(/[,_]/g, ''));
  } else {
    return fail(`must be a number or "unlimited", not ${Array.isArray(value) ? 'an array' : typeof value}`);
  }
  const tier = MESSAGING_TIERS.find((t) => t === n);
  if (tier !== undefined) return { ok: true, value: tier };
  if (n === 50 || n === 1_000) {
    return fail(
      `${n} was a per-number tier before Meta moved limits to the business portfolio (October 2025); ` +
        `the portfolio's limit is one of ${TIER_LIST} (see WhatsApp Manager)`,
    );
  }
  return fail(`${n} is not one of Meta's messaging limits; use ${TIER_LIST}`);
}

const META_TIERS: ReadonlyMap<string, MessagingLimit> = new Map<string, MessagingLimit>([
  ['TIER_50', 50],
  ['TIER_250', 250],
  ['TIER_1K', 1_000],
  ['TIER_2K', 2_000],
  ['TIER_10K', 10_000],
  ['TIER_100K', 100_000],
  ['TIER_UNLIMITED', 'unlimited'],
  ['UNLIMITED', 'unlimited'],
]);

/**
 * The limit as Meta reports it: the `whatsapp_business_manager_messaging_limit` field
 * ("TIER_2K"), the webhooks' `current_limit` ("TIER_10K"), or business_capability_update's
 * `max_daily_conversations_per_business` (2000, -1 for unlimited). Null when Meta says nothing
 * usable (TIER_NOT_SET, an unknown spelling): keep the limit already known.
 */
export function messagingLimitFromMeta(value: unknown): MessagingLimit | null {
  if (typeof value === 'string') {
    const text = value.trim().toUpperCase();
    const known = META_TIERS.get(text);
    if (known !== undefined) return known;
    if (!/^-?\d+$/.test(text)) return null;
    return messagingLimitFromMeta(Number(text));
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) return null;
  if (value === -1) return 'unlimited';
  return value > 0 ? value : null;
}

/**
 * What the store knows about the moving window at `now`, after counting users whose latest
 * reach is strictly after countedAfter(now).
 */
export interface ReachWindow {
  /** Distinct users counted, sends in flight included. */
  reached: number;
  /**
   * The latest reach of the rank-th oldest counted user (1 = oldest); undefined when the caller
   * did not fetch that rank. nextSlotRank() and planRank() say which rank is read.
   */
  reachAt(rank: number): number | undefined;
}

/** A window from every counted user's latest reach (tests, small stores). */
export function reachWindowOf(latestReaches: readonly number[]): ReachWindow {
  const sorted = [...latestReaches].sort((a, b) => a - b);
  return { reached: sorted.length, reachAt: (rank) => sorted[rank - 1] };
}

/** A window from a count and the one ranked reach the store was asked for. */
export function reachWindowWith(reached: number, rank: number | null, at: number | null): ReachWindow {
  return { reached, reachAt: (r) => (r === rank && at !== null ? at : undefined) };
}

/** A user counts at `now` when their latest reach is after this time (strictly). */
export function countedAfter(now: number, options: MessagingLimitOptions = {}): number {
  return now - cycleOf(options);
}

export interface LimitCapacity {
  /** New users that may be reached now; Infinity when the limit is unlimited. */
  allowed: number;
  /**
   * When allowed is 0: when a slot frees (the caller asks again then). Null while there is room,
   * and for an unlimited portfolio.
   */
  nextSlotAt: number | null;
}

/** Which oldest counted user (1-based) decides nextSlotAt; null when no store read is needed. */
export function nextSlotRank(limit: MessagingLimit, reached: number): number | null {
  checkLimit(limit);
  checkCount('reached', reached);
  if (limit === 'unlimited' || reached < limit) return null;
  // Over the limit (1:1 traffic, or a limit Meta lowered): that many must leave before one slot.
  return reached - limit + 1;
}

export function messagingCapacity(
  limit: MessagingLimit,
  window: ReachWindow,
  now: number,
  options: MessagingLimitOptions = {},
): LimitCapacity {
  const rank = nextSlotRank(limit, window.reached);
  if (limit === 'unlimited') return { allowed: Number.POSITIVE_INFINITY, nextSlotAt: null };
  if (rank === null) return { allowed: limit - window.reached, nextSlotAt: null };
  return { allowed: 0, nextSlotAt: leaveOf(window, rank, now, options) };
}

/**
 * Whether reaching this user now takes a slot: not when their customer-service window is open
 * for longer than the margin (a window about to close may be closed when Meta delivers), nor
 * when their latest reach is still counted.
 */
export function needsLimitSlot(
  user: { lastInboundAt: number | null; lastReachAt: number | null },
  now: number,
  options: MessagingLimitOptions = {},
): boolean {
  const w = windowState(user.lastInboundAt, now, WHATSAPP_WINDOW);
  if (w.open && w.remainingMs > marginOf(options)) return false;
  return user.lastReachAt === null || user.lastReachAt <= countedAfter(now, options);
}

export interface LimitPlan {
  /** Recipients that may be reached at once. */
  goNow: number;
  /** Recipients that wait for the window to roll. */
  waiting: number;
  /** When the last recipient gets a slot; null when there are none. */
  lastAt: number | null;
  /** How many full 24 h cycles the last one waits beyond the first (0: within a day). */
  extraDays: number;
}

/** Which oldest counted user (1-based) planAgainstLimit reads; null when none is needed. */
export function planRank(limit: MessagingLimit, reached: number, recipients: number): number | null {
  checkLimit(limit);
  checkCount('reached', reached);
  checkCount('recipients', recipients);
  if (limit === 'unlimited') return null;
  const free = Math.max(0, limit - reached);
  if (recipients <= free) return null;
  // Slot i of the first cycle opens now (i < free) or when the (excess + i - free + 1)-th oldest
  // counted user leaves; every slot then reopens each cycle.
  const slot = (recipients - 1) % limit;
  if (slot < free) return null;
  return Math.max(0, reached - limit) + 1 + slot - free;
}

/**
 * The messaging limit's part of a campaign plan: of `recipients` users who each need a slot
 * (needsLimitSlot), how many go now, and when the last one can go if the rest wait for the
 * window to roll. Assumes nothing else takes slots meanwhile (1:1 templates do: an estimate).
 */
export function planAgainstLimit(
  limit: MessagingLimit,
  alreadyReached: ReachWindow,
  recipients: number,
  now: number,
  options: MessagingLimitOptions = {},
): LimitPlan {
  const rank = planRank(limit, alreadyReached.reached, recipients);
  if (recipients === 0) return { goNow: 0, waiting: 0, lastAt: null, extraDays: 0 };
  if (limit === 'unlimited') return { goNow: recipients, waiting: 0, lastAt: now, extraDays: 0 };
  const goNow = Math.min(recipients, Math.max(0, limit - alreadyReached.reached));
  const cycle = Math.floor((recipients - 1) / limit);
  const firstCycleAt = rank === null ? now : leaveOf(alreadyReached, rank, now, options);
  return {
    goNow,
    waiting: recipients - goNow,
    lastAt: firstCycleAt + cycle * cycleOf(options),
    extraDays: cycle,
  };
}

function leaveOf(window: ReachWindow, rank: number, now: number, options: MessagingLimitOptions): number {
  const at = window.reachAt(rank);
  if (at === undefined) {
    throw new RangeError(
      `the reach time of counted user #${rank} (oldest first) is needed but was not given`,
    );
  }
  const leaves = at + cycleOf(options);
  // A reach at or before countedAfter(now) is not counted: the store and the model disagree on
  // the window, and trusting either would make the caller loop or overshoot.
  if (leaves <= now) {
    throw new RangeError(
      `reach time ${at} of counted user #${rank} is outside the window; count reaches after countedAfter(now)`,
    );
  }
  return leaves;
}

function cycleOf(options: MessagingLimitOptions): number {
  return MESSAGING_WINDOW_MS + marginOf(options);
}

function marginOf({ marginMs = DEFAULT_LIMIT_MARGIN_MS }: MessagingLimitOptions): number {
  if (!(Number.isFinite(marginMs) && marginMs >= 0)) {
    throw new RangeError(`marginMs must be a number of milliseconds >= 0, got ${marginMs}`);
  }
  return marginMs;
}

function checkLimit(limit: MessagingLimit): void {
  if (limit !== 'unlimited' && !(Number.isInteger(limit) && limit > 0)) {
    throw new RangeError(`a messaging limit is a positive whole number or "unlimited", got ${limit}`);
  }
}

function checkCount(name: string, n: number): void {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`${name} must be a whole number >= 0, got ${n}`);
}
