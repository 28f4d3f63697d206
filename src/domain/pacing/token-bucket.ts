/**
 * Pacing for one sending identity (the caller keeps one bucket per phone number, or per
 * number-and-recipient for the pair limit). Pure: every call takes the clock as `now`.
 *
 * A plain token bucket is not enough: it admits up to burst + rate grants in one second (a
 * full bucket, then a second's refill), and Meta counts messages per second. So each grant
 * must also pass a sliding one-second window capped at max(rate, burst). The bucket gives
 * the smooth spacing and the idle-time allowance; the window gives the hard guarantee.
 */

export interface TokenBucketOptions {
  ratePerSecond: number;
  /**
   * Grants allowed at once after an idle spell. Defaults to ratePerSecond: the most that
   * never puts more than the rate into any one-second window, while a bucket that sat idle
   * can still spend a whole second's allowance at once (a lone API send never waits).
   * Below 1 it would never grant anything, so it is at least 1.
   */
  burst?: number;
  /**
   * The window the hard limit is kept over, 1,000 ms by default. A sender may widen it a
   * little so that the limit still holds at the receiver, whose clock sees each request after
   * a varying network delay.
   */
  windowMs?: number;
}

/** Tolerance for the float error of fractional refills, so a caller who waits exactly the
 * returned time is granted. */
const EPSILON = 1e-9;

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  /** The most grants any one-second window may hold. */
  readonly windowLimit: number;

  private tokens: number;
  private refilledAt: number | null = null;
  private pausedUntil = Number.NEGATIVE_INFINITY;
  /** Ring buffer of the last `windowLimit` grant times, one entry per token. */
  private readonly grants: Float64Array;
  private grantCount = 0;
  private nextSlot = 0;

  private readonly windowMs: number;

  constructor({ ratePerSecond, burst = Math.max(1, ratePerSecond), windowMs = 1000 }: TokenBucketOptions) {
    if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${ratePerSecond}`);
    }
    if (!(Number.isFinite(burst) && burst >= 1)) {
      throw new RangeError(`burst must be a number of at least 1, got ${burst}`);
    }
    if (!(Number.isFinite(windowMs) && windowMs >= 1000)) {
      throw new RangeError(`windowMs must be at least 1000, got ${windowMs}`);
    }
    this.windowMs = windowMs;
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.windowLimit = Math.max(1, Math.floor(Math.max(ratePerSecond, burst)));
    this.tokens = burst;
    this.grants = new Float64Array(this.windowLimit);
  }

  /**
   * Asks for n tokens. Returns 0 when granted (the tokens are spent), otherwise how many
   * milliseconds to wait before asking again; nothing is spent on a refusal.
   */
  take(now: number, n = 1): number {
    this.checkRequest(n);
    this.refill(now);
    const wait = Math.max(this.pausedUntil - now, this.bucketWait(now, n), this.windowWait(now, n));
    if (wait > 0) return Math.ceil(wait);
    this.tokens -= n;
    for (let i = 0; i < n; i++) this.recordGrant(now);
    return 0;
  }

  /**
   * Stops all grants for ms (after Meta's 130429 throughput error). The bucket restarts
   * empty when the pause ends, so sending resumes at the steady rate instead of with the
   * burst that just tripped the limit.
   */
  penalize(now: number, ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`penalty must be >= 0 ms, got ${ms}`);
    this.pausedUntil = Math.max(this.pausedUntil, now + ms);
    this.tokens = 0;
    this.refilledAt = Math.max(this.refilledAt ?? now, this.pausedUntil);
  }

  private checkRequest(n: number): void {
    const most = Math.min(Math.floor(this.burst), this.windowLimit);
    if (!Number.isInteger(n) || n < 1 || n > most) {
      throw new RangeError(`can take 1 to ${most} tokens at once, asked for ${n}`);
    }
  }

  private refill(now: number): void {
    // Time before the last refill (a clock stepping back, or a pause) adds nothing.
    if (this.refilledAt !== null && now <= this.refilledAt) return;
    if (this.refilledAt !== null) {
      const earned = ((now - this.refilledAt) * this.ratePerSecond) / 1000;
      this.tokens = Math.min(this.burst, this.tokens + earned);
    }
    this.refilledAt = now;
  }

  /** Refill starts at refilledAt, which a pause (or a clock stepping back) puts after now. */
  private bucketWait(now: number, n: number): number {
    const missing = n - this.tokens;
    if (missing <= EPSILON) return 0;
    const refillStartsIn = Math.max(0, (this.refilledAt ?? now) - now);
    return refillStartsIn + (missing * 1000) / this.ratePerSecond;
  }

  /** Granting n now is allowed once the (limit - n + 1)-th most recent grant is a second old. */
  private windowWait(now: number, n: number): number {
    const back = this.windowLimit - n;
    if (this.grantCount <= back) return 0;
    const slot = (this.nextSlot - 1 - back + 2 * this.windowLimit) % this.windowLimit;
    return (this.grants[slot] ?? 0) + this.windowMs - now;
  }

  private recordGrant(now: number): void {
    this.grants[this.nextSlot] = now;
    this.nextSlot = (this.nextSlot + 1) % this.windowLimit;
    this.grantCount = Math.min(this.grantCount + 1, this.windowLimit);
  }
}
