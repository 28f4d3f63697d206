import { describe, expect, it } from 'vitest';
import { clampProviderTime, PROVIDER_TIME_LIMITS } from './provider-time';

const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const min = 60_000;
const day = 24 * 60 * min;

describe('clampProviderTime', () => {
  it.each<[string, number, number]>([
    ['now', now, now],
    ['an hour ago', now - 60 * min, now - 60 * min],
    ['a week ago (Meta still retrying)', now - 7 * day, now - 7 * day],
    ['4 minutes ahead (clock skew)', now + 4 * min, now + 4 * min],
    ['exactly 5 minutes ahead', now + 5 * min, now + 5 * min],
    ['6 minutes ahead', now + 6 * min, now],
    ['the year 5000', Date.UTC(5000, 0, 1), now],
    ['the epoch', 0, now - PROVIDER_TIME_LIMITS.maxPastMs],
    ['negative', -1e15, now - PROVIDER_TIME_LIMITS.maxPastMs],
    ['NaN', Number.NaN, now],
    ['Infinity', Number.POSITIVE_INFINITY, now],
  ])('%s', (_what, ts, expected) => {
    expect(clampProviderTime(ts, now)).toBe(expected);
  });

  it('takes other limits', () => {
    expect(clampProviderTime(now + 2 * min, now, { maxFutureMs: min, maxPastMs: day })).toBe(now);
    expect(clampProviderTime(now - 2 * day, now, { maxFutureMs: min, maxPastMs: day })).toBe(now - day);
  });
});
