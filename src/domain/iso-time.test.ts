import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoTime } from './iso-time';

describe('isoTime', () => {
  it('writes exactly what Date#toISOString writes, for any time Date can hold', () => {
    const max = 8.64e15;
    fc.assert(
      fc.property(fc.integer({ min: -max, max }), (ms) => {
        expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
    for (const ms of [
      0,
      -1,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      -86_400_001,
      253_402_300_799_999,
      253_402_300_800_000,
      -62_167_219_200_001,
      max,
      -max,
    ]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('answers times in one day after another in any order, each right', () => {
    const day = Date.UTC(2026, 11, 1);
    for (const ms of [day + 5, day - 5, day + 86_399_999, day + 5, day + 86_400_000]) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('leaves what is not a whole number of ms to Date, RangeError included', () => {
    expect(isoTime(1.7)).toBe(new Date(1.7).toISOString());
    expect(() => isoTime(Number.NaN)).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});
