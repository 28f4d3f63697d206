/**
 * When an event delivery is tried again. Written as a table rather than a formula, as Svix
 * does, so the README can state it and a bot team can plan around it: 15 attempts, the last
 * about a day after the first, dense at first (a restart, a deploy) and sparse later (an
 * outage). Each delay gets ±10 % jitter so deliveries that failed together spread out.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Delay after failed attempt n (index n − 1); attempt 1 is immediate. */
export const EVENT_RETRY_SCHEDULE_MS: readonly number[] = Object.freeze([
  5 * SECOND,
  1 * MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  2 * HOUR,
  2 * HOUR,
  3 * HOUR,
  3 * HOUR,
  3 * HOUR,
  3 * HOUR,
  3 * HOUR,
  3 * HOUR,
]);

export interface EventRetryPolicy {
  /** Delays between attempts; one more attempt than delays. */
  schedule: readonly number[];
  /** Each delay is scaled by a factor drawn from [1 − jitter, 1 + jitter]. */
  jitter: number;
}

export const DEFAULT_EVENT_RETRY_POLICY: EventRetryPolicy = Object.freeze({
  schedule: EVENT_RETRY_SCHEDULE_MS,
  jitter: 0.1,
});

export function maxEventAttempts(policy: EventRetryPolicy = DEFAULT_EVENT_RETRY_POLICY): number {
  return policy.schedule.length + 1;
}

/**
 * @param failedAttempts attempts made so far, all failed (1 after the first failure)
 * @param random a uniform source in [0, 1), injected so tests are deterministic
 * @returns when to try again, or null when the schedule is used up (the delivery fails)
 */
export function nextEventAttemptAt(
  now: number,
  failedAttempts: number,
  policy: EventRetryPolicy = DEFAULT_EVENT_RETRY_POLICY,
  random: () => number = Math.random,
): number | null {
  if (!Number.isInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be a whole number from 1, got ${failedAttempts}`);
  }
  const base = policy.schedule[failedAttempts - 1];
  if (base === undefined) return null;
  const factor = 1 + policy.jitter * (2 * random() - 1);
  return now + Math.round(base * factor);
}
