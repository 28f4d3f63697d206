/**
 * The fast path of checkPhone must never change a verdict: for numbers of every country, right,
 * nearly right and random, the answer (the E.164 form, or the exact problem text) is the one
 * the full libphonenumber parse gives.
 */
import fc from 'fast-check';
import { type CountryCode, getCountries, getCountryCallingCode } from 'libphonenumber-js/max';
import examples from 'libphonenumber-js/mobile/examples';
import { describe, expect, it } from 'vitest';
import { checkPhone, checkPhoneWithoutFastPath, fastPathAccepts, normalizePhone } from './phone';

const COUNTRIES = getCountries();

/** A national number of `country`: its example, with some digits changed, cut or lengthened. */
const nationalNumber = (country: CountryCode) => {
  const example = (examples as Record<string, string>)[country] ?? '1234567';
  return fc.oneof(
    fc.constant(example),
    fc
      .tuple(fc.integer({ min: 0, max: example.length - 1 }), fc.integer({ min: 0, max: 9 }))
      .map(([at, d]) => example.slice(0, at) + d + example.slice(at + 1)),
    fc.integer({ min: 0, max: 4 }).map((n) => example.slice(0, example.length - n)),
    fc.stringMatching(/^\d{1,4}$/).map((more) => example + more),
    fc.stringMatching(/^\d{4,13}$/),
  );
};

const writtenIn = (countries: readonly CountryCode[]) =>
  fc
    .constantFrom(...countries)
    .chain((country) =>
      fc.tuple(
        fc.constant(getCountryCallingCode(country)),
        nationalNumber(country),
        fc.integer({ min: 0, max: 3 }),
      ),
    )
    .map(([cc, national, style]) => {
      if (style === 0) return `+${cc}${national}`;
      if (style === 1) return `${cc}${national}`;
      if (style === 2) return `+${cc} ${national.slice(0, 3)} ${national.slice(3)}`;
      return `00${cc}${national}`;
    });
const written = writtenIn(COUNTRIES);

/** Countries whose calling code others share (+1, +7, +44, +47, +61, +262, +590, +599…). */
const SHARING = COUNTRIES.filter((c) =>
  COUNTRIES.some((other) => other !== c && getCountryCallingCode(other) === getCountryCallingCode(c)),
);

describe('checkPhone fast path', () => {
  it('gives the verdict of the full parse for numbers of every country (property)', () => {
    let fastAccepted = 0;
    fc.assert(
      fc.property(written, (input) => {
        const full = checkPhoneWithoutFastPath(input);
        expect(checkPhone(input), input).toEqual(full);
        if (full.ok) fastAccepted++;
      }),
      { numRuns: 10_000 },
    );
    // The property is about accepted numbers too, not only rejections.
    expect(fastAccepted).toBeGreaterThan(1_000);
  });

  it('picks the country of a shared calling code as the full parse does (property)', () => {
    let fastAccepted = 0;
    fc.assert(
      fc.property(writtenIn(SHARING), (input) => {
        const full = checkPhoneWithoutFastPath(input);
        expect(checkPhone(input), input).toEqual(full);
        if (full.ok) fastAccepted++;
      }),
      { numRuns: 10_000 },
    );
    expect(SHARING.length).toBeGreaterThan(40);
    expect(fastAccepted).toBeGreaterThan(1_000);
  });

  it('serves North American, Russian and British numbers itself', () => {
    for (const n of ['+16505551234', '+14165550123', '+12642351234', '+79123456789', '+447400123456'])
      expect(fastPathAccepts(n), n).toBe(checkPhoneWithoutFastPath(n).ok);
    expect(fastPathAccepts('+16505551234')).toBe(true);
    expect(fastPathAccepts('+447400123456')).toBe(true);
    // Not a number anywhere under +1: the fast path leaves it to the full parse, which refuses it.
    expect(fastPathAccepts('+11234567890')).toBe(false);
    expect(checkPhone('+11234567890').ok).toBe(false);
  });

  it('agrees with a default country given, where the national reading comes first', () => {
    fc.assert(
      fc.property(written, fc.constantFrom<CountryCode>('AR', 'BR', 'US', 'MX', 'ES', 'GB'), (input, dc) => {
        expect(checkPhone(input, dc), `${input} in ${dc}`).toEqual(checkPhoneWithoutFastPath(input, dc));
      }),
      { numRuns: 3_000 },
    );
  });

  it('keeps normalizePhone as it was: same answers, same error texts', () => {
    expect(normalizePhone('+54 9 11 5555-1234')).toEqual({ e164: '+5491155551234', waId: '5491155551234' });
    expect(() => normalizePhone('+54 11')).toThrow(
      'Phone number "+54 11" is too short for a number in Argentina (+54)',
    );
  });

  it('accepts generated Argentine mobiles exactly as the full parse does', () => {
    const numbers = Array.from(
      { length: 20_000 },
      (_, i) => `+54911${20_000_000 + ((i * 7919) % 70_000_000)}`,
    );
    for (const n of numbers) expect(checkPhone(n).ok).toBe(true);
    // Not a timing assertion: the count of numbers the full parse would have been asked is 0.
    expect(numbers.filter((n) => checkPhone(n).ok !== checkPhoneWithoutFastPath(n).ok)).toEqual([]);
  });
});
