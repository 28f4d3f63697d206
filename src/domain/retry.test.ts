import { describe, expect, it } from 'vitest';
import { classifyProviderError } from './provider-errors';
import { backoffDelay, DEFAULT_RETRY_POLICY, nextAttemptAt } from './retry';

const policy = { baseMs: 100, capMs: 1_000 };
const top = () => 0.999_999;
const zero = () => 0;
const half = () => 0.5;

describe('backoffDelay', () => {
  it('doubles the ceiling with each attempt', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, policy, top))).toEqual([99, 199, 399, 799]);
  });

  it('never exceeds the cap', () => {
    expect(backoffDelay(5, policy, top)).toBe(999);
    expect(backoffDelay(60, policy, top)).toBe(999);
    expect(backoffDelay(5_000, policy, top)).toBe(999);
  });

  it('spreads the delay over the whole range (full jitter)', () => {
    expect(backoffDelay(3, policy, zero)).toBe(0);
    expect(backoffDelay(3, policy, half)).toBe(200);
  });

  it('stays within [0, ceiling) for any random value', () => {
    let seed = 42;
    const lcg = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let attempt = 1; attempt <= 20; attempt++) {
      const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, policy, lcg);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(ceiling);
      }
    }
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects attempt %s', (attempt) => {
    expect(() => backoffDelay(attempt, policy, half)).toThrow(RangeError);
  });
});

describe('nextAttemptAt', () => {
  const now = 1_000_000;
  const retryPolicy = { ...policy, maxAttempts: 5 };

  it('backs off a transient error', () => {
    const c = classifyProviderError({ code: 131000, httpStatus: 500 });
    expect(nextAttemptAt(now, 2, c, retryPolicy, half)).toBe(now + 100);
  });

  it('adds the jitter on top of the provider’s minimum delay', () => {
    const c = classifyProviderError({ code: 131056, httpStatus: 400 });
    expect(nextAttemptAt(now, 1, c, retryPolicy, zero)).toBe(now + 6_000);
    expect(nextAttemptAt(now, 1, c, retryPolicy, half)).toBe(now + 6_050);
  });

  it('waits at least 24 hours after 131049', () => {
    const c = classifyProviderError({ code: 131049, httpStatus: null });
    expect(nextAttemptAt(now, 1, c, retryPolicy, zero)).toBe(now + 24 * 60 * 60 * 1000);
  });

  it('gives no time for 131047: only the person writing again reopens the window', () => {
    expect(
      nextAttemptAt(now, 1, classifyProviderError({ code: 131047, httpStatus: null }), retryPolicy),
    ).toBeNull();
  });

  it('never retries permanent or account-fatal errors', () => {
    expect(
      nextAttemptAt(now, 1, classifyProviderError({ code: 132000, httpStatus: 400 }), retryPolicy),
    ).toBeNull();
    expect(
      nextAttemptAt(now, 1, classifyProviderError({ code: 190, httpStatus: 401 }), retryPolicy),
    ).toBeNull();
  });

  it('gives up once the attempts are used', () => {
    const c = classifyProviderError({ code: null, httpStatus: null });
    expect(nextAttemptAt(now, 4, c, retryPolicy, half)).not.toBeNull();
    expect(nextAttemptAt(now, 5, c, retryPolicy, half)).toBeNull();
  });

  it('has a usable default policy', () => {
    const c = classifyProviderError({ code: null, httpStatus: 503 });
    const at = nextAttemptAt(now, 1, c, DEFAULT_RETRY_POLICY, top);
    expect(at).toBeGreaterThan(now);
    expect(at).toBeLessThanOrEqual(now + DEFAULT_RETRY_POLICY.baseMs);
  });
});
