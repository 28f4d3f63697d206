import { describe, expect, it } from 'vitest';
import { RecontactError } from '../errors';
import { chooseHeldPath, DEFAULT_HOLD_MS, holdDuration, MAX_HOLD_MS, WINDOW_SAFETY_MARGIN_MS } from './held';

const T0 = 1_764_000_000_000;
const DAY = 86_400_000;

describe('chooseHeldPath', () => {
  it('goes now only while the window stays open beyond the safety margin', () => {
    expect(chooseHeldPath(T0, T0 + 1000).path).toBe('now');
    expect(chooseHeldPath(T0, T0 + DAY - WINDOW_SAFETY_MARGIN_MS - 1).path).toBe('now');
    expect(chooseHeldPath(T0, T0 + DAY - WINDOW_SAFETY_MARGIN_MS).path).toBe('template_then_held');
    expect(chooseHeldPath(T0, T0 + DAY + 1).path).toBe('template_then_held');
    expect(chooseHeldPath(null, T0).path).toBe('template_then_held');
  });
});

describe('holdDuration', () => {
  it('defaults to seven days and reads ISO 8601 durations', () => {
    expect(holdDuration(undefined)).toBe(DEFAULT_HOLD_MS);
    expect(holdDuration('P7D')).toBe(7 * DAY);
    expect(holdDuration('PT12H')).toBe(DAY / 2);
    expect(holdDuration('P30D')).toBe(MAX_HOLD_MS);
    expect(holdDuration('PT1M')).toBe(60_000);
  });

  it.each([
    ['P1Y', /not an ISO 8601 duration/],
    ['7 days', /not an ISO 8601 duration/],
    ['P31D', /longer than the longest hold, P30D/],
    ['PT59S', /shorter than the shortest hold, PT1M/],
  ])('refuses %s at when_closed.hold_for', (value, message) => {
    try {
      holdDuration(value);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RecontactError);
      const err = e as RecontactError;
      expect(err.code).toBe('INPUT_INVALID');
      expect(err.details).toEqual([
        { path: 'when_closed.hold_for', message: expect.stringMatching(message) },
      ]);
    }
  });
});
