/**
 * When to try a failed send again. Full jitter ("AWS Architecture Blog: Exponential Backoff
 * and Jitter"): the delay is uniform between 0 and the exponential ceiling, so messages that
 * failed together (a 130429 burst, a Meta outage) spread out instead of retrying in lockstep.
 */
import type { ProviderErrorClassification } from './provider-errors';

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** The ceiling never grows past this. */
  capMs: number;
}

export interface RetryPolicy extends BackoffPolicy {
  /** Attempts in total, the first send included; after that the message fails for good. */
  maxAttempts: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  baseMs: 1_000,
  capMs: 5 * 60_000,
  maxAttempts: 8,
});

/**
 * @param attempt how many attempts have failed so far (1 after the first failure)
 * @param random a uniform source in [0, 1), injected so tests are deterministic
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number): number {
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw new RangeError(`attempt must be a whole number from 1, got ${attempt}`);
  }
  // 2 ** 1100 is Infinity, which Math.min turns back into the cap: no overflow to guard.
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The earliest time to try again, or null when waiting will not help: the error is permanent
 * or fatal for the account, the attempts are used up, or only a new message from the person
 * (not time) can reopen the window (131047).
 */
export function nextAttemptAt(
  now: number,
  attempt: number,
  classification: Pick<ProviderErrorClassification, 'class' | 'minDelayMs'>,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): number | null {
  if (classification.class === 'permanent' || classification.class === 'account_fatal') return null;
  if (classification.class === 'retry_after_window' && classification.minDelayMs === undefined) return null;
  if (attempt >= policy.maxAttempts) return null;
  // Jitter is added ON TOP of the provider's minimum rather than max()-ed with it: with max(),
  // every message of a throttled burst would come back at exactly now + minDelayMs and trip
  // the same limit again.
  return now + (classification.minDelayMs ?? 0) + backoffDelay(attempt, policy, random);
}
