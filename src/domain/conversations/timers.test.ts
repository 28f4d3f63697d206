import { describe, expect, it } from 'vitest';
import { timerOutcome, windowTimers } from './timers';

const HOUR = 3600_000;
const last = 1_764_000_000_000;

describe('window timers', () => {
  it('are due the lead time before the close, and at the close', () => {
    expect(windowTimers(last, HOUR)).toEqual([
      { kind: 'expiring', dueAt: last + 23 * HOUR },
      { kind: 'expired', dueAt: last + 24 * HOUR },
    ]);
    expect(windowTimers(last, 30 * HOUR)[0]).toEqual({ kind: 'expiring', dueAt: last });
  });

  it('skip window.expiring once the window has closed; window.expired always fires', () => {
    expect(timerOutcome('expiring', last, last + 24 * HOUR - 1)).toBe('fire');
    expect(timerOutcome('expiring', last, last + 24 * HOUR)).toBe('skip');
    expect(timerOutcome('expired', last, last + 48 * HOUR)).toBe('fire');
  });
});
