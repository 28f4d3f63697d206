/**
 * Times that come from outside (Meta's webhook timestamps) are believed only within a sane
 * range around our own clock. A signed webhook claiming the year 5000 would otherwise open a
 * contact's window until then, and the window never moves back. Clock skew of a few minutes is
 * normal and kept as sent; beyond that, "now" (we are holding the notification, so it happened
 * by now) or the oldest time a notification can plausibly arrive is used instead.
 */

export interface ProviderTimeLimits {
  /** How far ahead of our clock a time may be and still be believed (clock skew). */
  maxFutureMs: number;
  /** How old a time may be. Meta retries an unacknowledged webhook for up to 7 days. */
  maxPastMs: number;
}

export const PROVIDER_TIME_LIMITS: ProviderTimeLimits = {
  maxFutureMs: 5 * 60_000,
  maxPastMs: 30 * 24 * 3_600_000,
};

/** The time to use for a provider's `ts` (epoch ms) when our clock reads `now`. */
export function clampProviderTime(
  ts: number,
  now: number,
  limits: ProviderTimeLimits = PROVIDER_TIME_LIMITS,
): number {
  if (!Number.isFinite(ts)) return now;
  if (ts > now + limits.maxFutureMs) return now;
  if (ts < now - limits.maxPastMs) return now - limits.maxPastMs;
  return ts;
}
