import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_RETRY_POLICY,
  EVENT_RETRY_SCHEDULE_MS,
  maxEventAttempts,
  nextEventAttemptAt,
} from './event-retry';

describe('event retry schedule', () => {
  it('is 15 attempts, the last about a day after the first', () => {
    expect(maxEventAttempts()).toBe(15);
    const total = EVENT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeCloseTo(23.85, 2);
    // Never shorter than the one before: a failing endpoint is asked less and less often.
    for (let i = 1; i < EVENT_RETRY_SCHEDULE_MS.length; i++) {
      expect(EVENT_RETRY_SCHEDULE_MS[i]).toBeGreaterThanOrEqual(EVENT_RETRY_SCHEDULE_MS[i - 1]!);
    }
  });

  it('follows the table, with ±10 % jitter', () => {
    expect(nextEventAttemptAt(1_000, 1, DEFAULT_EVENT_RETRY_POLICY, () => 0.5)).toBe(6_000);
    expect(nextEventAttemptAt(0, 1, DEFAULT_EVENT_RETRY_POLICY, () => 0)).toBe(4_500);
    expect(nextEventAttemptAt(0, 1, DEFAULT_EVENT_RETRY_POLICY, () => 0.999_999)).toBe(5_500);
    expect(nextEventAttemptAt(0, 6, DEFAULT_EVENT_RETRY_POLICY, () => 0.5)).toBe(3_600_000);
  });

  it('stops after the last attempt', () => {
    expect(nextEventAttemptAt(0, 14, DEFAULT_EVENT_RETRY_POLICY, () => 0.5)).toBe(3 * 3_600_000);
    expect(nextEventAttemptAt(0, 15, DEFAULT_EVENT_RETRY_POLICY, () => 0.5)).toBeNull();
  });

  it('refuses an attempt number that is not one', () => {
    expect(() => nextEventAttemptAt(0, 0)).toThrow(/failedAttempts must be a whole number from 1, got 0/);
    expect(() => nextEventAttemptAt(0, 1.5)).toThrow(RangeError);
  });
});
