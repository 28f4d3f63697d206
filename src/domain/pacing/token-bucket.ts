/**
 * Pacing for one sending identity (the caller keeps one bucket per phone number, or per
 * number-and-recipient for the pair limit). Pure: every call takes the clock as `now`.
 *
 * A plain token bucket is not enough: it admits up to burst + rate grants in one second (a
 * full bucket, then a second's refill), and Meta counts messages per second. So each grant
 * must also pass a sliding one-second window capped at max(rate, burst). The bucket gives
 * the smooth spacing and the idle-time allowance; the window gives the hard guarantee.
 *
 * Where the guarantee must hold is the receiver, and a request reaches it at some moment
 * between its grant and its answer. A grant taken with acquire() therefore stays in the window
 * until settle() reports its answer: it leaves at max(grant + windowMs, answer + 1 s). Then for
 * any limit + 1 sends, the last one was granted at least a second after the earliest answer
 * among the others, so they cannot all have arrived within one second, however the network,
 * a cold connection or a busy machine delayed them. Sends in flight (no answer yet) count.
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
  /** When each settled grant leaves the window (a min-heap). */
  private readonly leaves = new MinHeap();
  /** Grants whose answer has not come back: they stay in the window until it does. */
  private pending = 0;

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
  }

  /**
   * Asks for n tokens. Returns 0 when granted (the tokens are spent), otherwise how many
   * milliseconds to wait before asking again; nothing is spent on a refusal. These grants leave
   * the window windowMs after now.
   */
  take(now: number, n = 1): number {
    this.checkRequest(n);
    const wait = this.waitFor(now, n);
    if (wait > 0) return wait;
    this.tokens -= n;
    for (let i = 0; i < n; i++) this.leaves.push(now + this.windowMs);
    return 0;
  }

  /**
   * Asks for one token for a request whose answer settle() will report. Returns 0 when granted;
   * the grant then counts in the window until settle(now, answeredAt) is called.
   */
  acquire(now: number): number {
    const wait = this.waitFor(now, 1);
    if (wait > 0) return wait;
    this.tokens -= 1;
    this.pending += 1;
    return 0;
  }

  /** The answer to a grant taken at grantedAt came back at answeredAt (or it was never sent). */
  settle(grantedAt: number, answeredAt: number): void {
    if (this.pending === 0) throw new RangeError('settle() without a pending acquire()');
    this.pending -= 1;
    this.leaves.push(Math.max(grantedAt + this.windowMs, answeredAt + 1000));
  }

  private waitFor(now: number, n: number): number {
    this.refill(now);
    const wait = Math.max(this.pausedUntil - now, this.bucketWait(now, n), this.windowWait(now, n));
    return wait > 0 ? Math.ceil(wait) : 0;
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

  /**
   * Granting n now is allowed once at most limit - n grants are still in the window. Grants
   * waiting for their answer have no known leaving time: until one settles, the caller polls.
   */
  private windowWait(now: number, n: number): number {
    while (this.leaves.size > 0 && this.leaves.peek() <= now) this.leaves.pop();
    const excess = this.pending + this.leaves.size + n - this.windowLimit;
    if (excess <= 0) return 0;
    if (excess > this.leaves.size) return UNSETTLED_POLL_MS;
    return this.leaves.nth(excess) - now;
  }
}

/** How long to wait when only answers still on their way can free the window. */
const UNSETTLED_POLL_MS = 25;

/** A binary min-heap of numbers. */
class MinHeap {
  private readonly items: number[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): number {
    return this.items[0]!;
  }

  push(v: number): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }

  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= a.length) break;
        const r = l + 1;
        const c = r < a.length && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  /** The k-th smallest (1-based); k is small in practice (the tokens asked for at once). */
  nth(k: number): number {
    if (k === 1) return this.peek();
    return [...this.items].sort((x, y) => x - y)[k - 1]!;
  }
}
