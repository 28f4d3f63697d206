/**
 * The pair rate limit: one business number to one user (reference §6.2). Meta allows about one
 * message per 6 s, tolerates bursts (45 in 6 s by a third-party figure), and once the
 * "borrowed" time is spent refuses further sends to that user with 131056 until it is paid back.
 *
 * Meta's description is a generic cell rate algorithm (GCRA), so the model is one too: the
 * state is the theoretical time at which the user's debt is paid (`tat`); a send at t conforms
 * when t >= tat - (burst - 1) × interval, and pushes tat to max(tat, t) + interval. One number
 * per user instead of a list of past sends, and a user whose tat has passed needs no state at
 * all (isPairIdle), so a dispatcher keeps only the users written to in the last moments.
 *
 * The state only depends on the interval; the burst is a choice made when asking. A campaign
 * asks with CAMPAIGN_PAIR_POLICY (no burst: never two messages to one user closer than 6 s,
 * whatever a bot sent just before), while the sandbox emulates Meta with META_PAIR_LIMIT.
 *
 * After a 131056 only that user waits: at least 6 s (the reference's figure), doubling while
 * refusals repeat, up to the time Meta needs to forgive a whole burst (45 × 6 s = 270 s).
 */

export interface PairPolicy {
  /** The steady spacing Meta allows between two messages to one user. */
  intervalMs: number;
  /** Messages that may go back to back before the spacing applies; 1 means none. */
  burst: number;
}

/** What Meta tolerates before 131056. */
export const META_PAIR_LIMIT: PairPolicy = Object.freeze({ intervalMs: 6_000, burst: 45 });

/** What a campaign allows itself: the steady spacing, never a burst. */
export const CAMPAIGN_PAIR_POLICY: PairPolicy = Object.freeze({ intervalMs: 6_000, burst: 1 });

/** The least wait after a 131056, as the reference says. */
export const PAIR_REFUSAL_MIN_MS = 6_000;

export interface PairState {
  /** When the user's borrowed time is paid back (the GCRA's theoretical arrival time). */
  readonly tat: number;
  /** No send before this, whatever the burst (set by a 131056). */
  readonly notBefore: number;
  /** 131056 refusals since the last accepted send: each doubles the next wait. */
  readonly refusals: number;
}

/** The earliest time a message to this user may go (now or later); null state: never written. */
export function nextPairSendAt(
  state: PairState | null,
  now: number,
  policy: PairPolicy = CAMPAIGN_PAIR_POLICY,
): number {
  checkPolicy(policy);
  if (state === null) return now;
  // After a refusal Meta's tolerance is spent: no burst until it accepts a message again.
  const borrow = state.refusals > 0 ? 0 : tolerance(policy);
  return Math.max(now, state.tat - borrow, state.notBefore);
}

/** The state after a message to this user was granted at `at` (sends in flight count). */
export function recordPairSend(
  state: PairState | null,
  at: number,
  policy: PairPolicy = CAMPAIGN_PAIR_POLICY,
): PairState {
  checkPolicy(policy);
  const tat = state === null ? at : Math.max(state.tat, at);
  return {
    tat: tat + policy.intervalMs,
    notBefore: state?.notBefore ?? Number.NEGATIVE_INFINITY,
    refusals: state?.refusals ?? 0,
  };
}

/** Meta accepted a message to this user: refusals no longer escalate the wait. */
export function pairAccepted(state: PairState): PairState {
  return state.refusals === 0 ? state : { ...state, refusals: 0 };
}

/**
 * Meta refused a message to this user with 131056 at `now`. The user waits pairBackoffMs of
 * the refusals so far, then goes at the steady spacing until Meta accepts a message again
 * (pairAccepted): the burst Meta tolerated is spent.
 */
export function pairRefused(
  state: PairState | null,
  now: number,
  policy: PairPolicy = CAMPAIGN_PAIR_POLICY,
): PairState {
  checkPolicy(policy);
  const refusals = (state?.refusals ?? 0) + 1;
  const until = now + pairBackoffMs(refusals, policy);
  return {
    tat: Math.max(state?.tat ?? until, until),
    notBefore: Math.max(state?.notBefore ?? until, until),
    refusals,
  };
}

/** The wait after the n-th 131056 in a row: 6 s, 12 s, 24 s, … up to a whole burst's payback. */
export function pairBackoffMs(refusals: number, policy: PairPolicy = CAMPAIGN_PAIR_POLICY): number {
  if (!(Number.isInteger(refusals) && refusals >= 1)) {
    throw new RangeError(`refusals must be a whole number from 1, got ${refusals}`);
  }
  const base = Math.max(PAIR_REFUSAL_MIN_MS, policy.intervalMs);
  const cap = Math.max(base, META_PAIR_LIMIT.burst * META_PAIR_LIMIT.intervalMs);
  // 2 ** 1100 is Infinity, which Math.min turns back into the cap.
  return Math.min(cap, base * 2 ** (refusals - 1));
}

/**
 * The state rebuilt from the times of recent messages to the user (after a restart, from the
 * store): the last `burst` of them are enough for any policy up to that burst.
 */
export function pairStateFromSends(
  sends: readonly number[],
  policy: PairPolicy = CAMPAIGN_PAIR_POLICY,
): PairState | null {
  let state: PairState | null = null;
  for (const at of [...sends].sort((a, b) => a - b)) state = recordPairSend(state, at, policy);
  return state;
}

/**
 * True when the state no longer constrains anything and may be dropped: a fresh state would
 * give the same answers (only the refusal count is forgotten, as after a quiet spell).
 */
export function isPairIdle(state: PairState, now: number): boolean {
  return state.tat <= now && state.notBefore <= now;
}

function tolerance(policy: PairPolicy): number {
  return (policy.burst - 1) * policy.intervalMs;
}

function checkPolicy({ intervalMs, burst }: PairPolicy): void {
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) {
    throw new RangeError(`intervalMs must be a positive number of milliseconds, got ${intervalMs}`);
  }
  if (!(Number.isInteger(burst) && burst >= 1)) {
    throw new RangeError(`burst must be a whole number of at least 1, got ${burst}`);
  }
}
