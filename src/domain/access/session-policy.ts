/**
 * How long a web-app session lives. A session ends at the first of: sign-out, its absolute
 * lifetime (counted from sign-in, however busy it is), or an idle spell longer than the idle
 * timeout. `last_seen_at` slides the idle deadline, but is written at most once a minute, so a
 * busy page does not cost a database write per request; the idle deadline is therefore exact
 * to within that minute.
 */
export const SESSION_POLICY = {
  /** From sign-in; the cookie's Max-Age. */
  lifetimeMs: 7 * 24 * 3_600_000,
  /** With no request at all for this long, the session ends. */
  idleMs: 12 * 3_600_000,
  /** last_seen_at is rewritten when it is at least this old. */
  touchMs: 60_000,
} as const;

export type SessionPolicy = { lifetimeMs: number; idleMs: number; touchMs: number };

export interface SessionTimes {
  last_seen_at: number;
  /** The absolute end, fixed at sign-in (created_at + lifetimeMs). */
  expires_at: number;
  revoked_at: number | null;
}

export type SessionState = 'active' | 'revoked' | 'expired' | 'idle';

/** Whether a stored session may still be used at `now`, and if not, why. */
export function sessionState(
  s: SessionTimes,
  now: number,
  policy: SessionPolicy = SESSION_POLICY,
): SessionState {
  if (s.revoked_at !== null) return 'revoked';
  if (now >= s.expires_at) return 'expired';
  if (now >= s.last_seen_at + policy.idleMs) return 'idle';
  return 'active';
}

/** When an active session ends if it is used no more. */
export function sessionEndsAt(s: SessionTimes, policy: SessionPolicy = SESSION_POLICY): number {
  return Math.min(s.expires_at, s.last_seen_at + policy.idleMs);
}

/** Whether this use should be recorded (last_seen_at is at least touchMs old). */
export function dueForTouch(s: SessionTimes, now: number, policy: SessionPolicy = SESSION_POLICY): boolean {
  return now - s.last_seen_at >= policy.touchMs;
}
