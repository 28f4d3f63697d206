import { describe, expect, it } from 'vitest';
import { protectLargeIntegers } from './webhook-json';

describe('protectLargeIntegers', () => {
  it('quotes integers above 2^53 - 1 outside strings only', () => {
    expect(
      protectLargeIntegers(
        '{"a":12345678901234567,"b":"x:12345678901234567","c":[1,-12345678901234567,9007199254740992]}',
      ),
    ).toBe(
      '{"a":"12345678901234567","b":"x:12345678901234567","c":[1,"-12345678901234567","9007199254740992"]}',
    );
  });
  it('leaves safe integers, decimals, exponents, escaped quotes and leading zeros alone', () => {
    const s =
      '{"a":9007199254740991,"b":12345678901234567.5,"c":12345678901234567e2,"d":"\\"x\\",12345678901234567"}';
    expect(protectLargeIntegers(s)).toBe(s);
    expect(protectLargeIntegers('[012345678901234567]')).toBe('[012345678901234567]');
  });
});
