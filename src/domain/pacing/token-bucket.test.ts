import { describe, expect, it } from 'vitest';
import { TokenBucket, type TokenBucketOptions } from './token-bucket';

const T0 = 1_700_000_000_000;

function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** The largest number of grants that fall in any half-open window [t, t + 1000). */
function busiestSecond(times: number[]): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while ((times[end] ?? 0) - (times[start] ?? 0) >= 1000) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/**
 * Drives a bucket with a simulated clock for `durationMs`: the clock moves in random steps
 * (sometimes not at all), and at each step a greedy sender takes as many tokens as it is given.
 */
function simulate(options: TokenBucketOptions, durationMs: number, seed: number, penalties = false) {
  const bucket = new TokenBucket(options);
  const random = lcg(seed);
  const grants: number[] = [];
  let now = T0;
  while (now < T0 + durationMs) {
    for (let tries = 0; tries < 50; tries++) {
      const n = random() < 0.2 ? Math.min(3, Math.floor(bucket.burst)) : 1;
      if (bucket.take(now, n) !== 0) break;
      for (let i = 0; i < n; i++) grants.push(now);
    }
    if (penalties && random() < 0.001) bucket.penalize(now, Math.floor(random() * 2000));
    now += Math.floor(random() * random() * 40);
  }
  return { bucket, grants };
}

describe('TokenBucket: never above the limit in any one-second window', () => {
  const cases: Array<[string, TokenBucketOptions, number]> = [
    ['80/s, default burst', { ratePerSecond: 80 }, 80],
    ['1,000/s, default burst', { ratePerSecond: 1000 }, 1000],
    ['20/s, burst 5', { ratePerSecond: 20, burst: 5 }, 20],
    ['80/s, burst 120', { ratePerSecond: 80, burst: 120 }, 120],
    ['pair limit: 1 per 6 s, burst 45', { ratePerSecond: 1 / 6, burst: 45 }, 45],
    ['fractional 7.5/s', { ratePerSecond: 7.5 }, 7],
  ];

  it.each(cases)('%s', (_, options, limit) => {
    for (const seed of [1, 2, 3]) {
      const { grants } = simulate(options, 60_000, seed);
      expect(grants.length).toBeGreaterThan(0);
      expect(busiestSecond(grants)).toBeLessThanOrEqual(limit);
    }
  });

  it('holds with penalties mixed in', () => {
    for (const seed of [4, 5, 6]) {
      const { grants } = simulate({ ratePerSecond: 80 }, 120_000, seed, true);
      expect(busiestSecond(grants)).toBeLessThanOrEqual(80);
    }
  });

  it('a plain token bucket would break it: the cap binds right after an idle start', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10 });
    const grants: number[] = [];
    for (let now = T0; now < T0 + 1000; now++) if (bucket.take(now) === 0) grants.push(now);
    // 10 at once from the full bucket; a plain bucket would refill 9 more before T0 + 1000.
    expect(grants).toHaveLength(10);
  });
});

describe('TokenBucket: sustained rate', () => {
  it.each([20, 80, 1000])('delivers about %i per second when saturated', (rate) => {
    const { grants } = simulate({ ratePerSecond: rate }, 20_000, 9);
    const perSecond = grants.length / 20;
    expect(perSecond).toBeGreaterThan(rate * 0.9);
    expect(perSecond).toBeLessThanOrEqual(rate * 1.05);
  });

  it('spaces grants at the rate once the burst is spent', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 1 });
    expect(bucket.take(T0)).toBe(0);
    expect(bucket.take(T0)).toBe(100);
    expect(bucket.take(T0 + 50)).toBe(50);
    expect(bucket.take(T0 + 100)).toBe(0);
  });
});

describe('TokenBucket.take', () => {
  it('grants a full burst at once when idle', () => {
    const bucket = new TokenBucket({ ratePerSecond: 5 });
    expect([1, 2, 3, 4, 5].map(() => bucket.take(T0))).toEqual([0, 0, 0, 0, 0]);
    expect(bucket.take(T0)).toBeGreaterThan(0);
  });

  it('returns a wait after which the same request is granted', () => {
    const bucket = new TokenBucket({ ratePerSecond: 3, burst: 2 });
    let now = T0;
    for (let i = 0; i < 100; i++) {
      const wait = bucket.take(now, 2);
      if (wait > 0) {
        now += wait;
        expect(bucket.take(now, 2)).toBe(0);
      }
    }
  });

  it('spends nothing on a refusal', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, burst: 4 });
    expect(bucket.take(T0, 3)).toBe(0);
    expect(bucket.take(T0, 2)).toBeGreaterThan(0);
    expect(bucket.take(T0, 1)).toBe(0);
  });

  it('counts n tokens against the one-second window', () => {
    const bucket = new TokenBucket({ ratePerSecond: 4, burst: 4 });
    expect(bucket.take(T0, 4)).toBe(0);
    // The bucket refills to 4 by T0 + 1000, but the window still holds the 4 grants until then.
    expect(bucket.take(T0 + 999, 1)).toBe(1);
    expect(bucket.take(T0 + 1000, 4)).toBe(0);
  });

  it('does not earn tokens when the clock steps back', () => {
    const bucket = new TokenBucket({ ratePerSecond: 1, burst: 1 });
    expect(bucket.take(T0)).toBe(0);
    expect(bucket.take(T0 - 10_000)).toBeGreaterThan(0);
    expect(bucket.take(T0 + 500)).toBe(500);
  });

  it.each([0, -1, 1.5, 6])('rejects a request for %s tokens', (n) => {
    expect(() => new TokenBucket({ ratePerSecond: 5 }).take(T0, n)).toThrow(/1 to 5 tokens/);
  });
});

describe('TokenBucket.penalize', () => {
  it('refuses everything during the pause, then resumes at the steady rate', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10 });
    expect(bucket.take(T0)).toBe(0);
    bucket.penalize(T0, 2_000);
    // The wait covers the pause and the first token earned after it.
    expect(bucket.take(T0 + 1)).toBe(2_099);
    expect(bucket.take(T0 + 1_999)).toBe(101);
    // Restarts empty: the first token is earned 100 ms after the pause, not a burst of 10.
    expect(bucket.take(T0 + 2_000)).toBe(100);
    expect(bucket.take(T0 + 2_100)).toBe(0);
    expect(bucket.take(T0 + 2_100)).toBe(100);
  });

  it('never shortens a longer pause already in force', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10 });
    bucket.penalize(T0, 5_000);
    bucket.penalize(T0 + 1, 10);
    expect(bucket.take(T0 + 1_000)).toBe(4_100);
  });

  it('rejects a negative penalty', () => {
    expect(() => new TokenBucket({ ratePerSecond: 10 }).penalize(T0, -1)).toThrow(RangeError);
  });
});

describe('TokenBucket options', () => {
  it('defaults the burst to the rate, and to 1 for rates below one per second', () => {
    expect(new TokenBucket({ ratePerSecond: 80 }).burst).toBe(80);
    expect(new TokenBucket({ ratePerSecond: 0.2 }).burst).toBe(1);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the rate %s', (rate) => {
    expect(() => new TokenBucket({ ratePerSecond: rate })).toThrow(/ratePerSecond/);
  });

  it('rejects a burst below 1', () => {
    expect(() => new TokenBucket({ ratePerSecond: 10, burst: 0.5 })).toThrow(/burst/);
  });
});

describe('TokenBucket: a wider window for network jitter', () => {
  it('keeps the limit over the wider window, so it holds at a receiver that sees requests late', () => {
    const bucket = new TokenBucket({ ratePerSecond: 10, windowMs: 1_100 });
    const grants: number[] = [];
    for (let now = 0; now < 20_000; now += 7) if (bucket.take(now) === 0) grants.push(now);
    for (let i = 10; i < grants.length; i++)
      expect(grants[i]! - grants[i - 10]!).toBeGreaterThanOrEqual(1_100);
    // and still sends close to the rate: 10 per 1.1 s over 20 s
    expect(grants.length).toBeGreaterThanOrEqual(180);
  });

  it('refuses a window shorter than a second', () => {
    expect(() => new TokenBucket({ ratePerSecond: 10, windowMs: 900 })).toThrow(/windowMs/);
  });
});
