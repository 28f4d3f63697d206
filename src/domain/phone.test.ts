import { describe, expect, it } from 'vitest';
import { RecontactError } from './errors';
import { normalizePhone, waIdToE164 } from './phone';

function failure(fn: () => unknown): RecontactError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RecontactError) return e;
    throw e;
  }
  throw new Error('expected a RecontactError');
}

describe('normalizePhone: accepted forms', () => {
  it.each([
    ['+54 9 11 5555-1234', '+5491155551234'],
    ['5491155551234', '+5491155551234'],
    ['+5491155551234', '+5491155551234'],
    ['+54.9.11.5555.1234', '+5491155551234'],
    ['(+54) 9 11 5555 1234', '+5491155551234'],
    ['  +54 9 11 5555-1234  ', '+5491155551234'],
    ['+1 (650) 555-1234', '+16505551234'],
    ['16505551234', '+16505551234'],
    ['+44 20 7946 0958', '+442079460958'],
    ['0054 9 11 5555 1234', '+5491155551234'],
  ])('%s → %s', (input, e164) => {
    expect(normalizePhone(input)).toEqual({ e164, waId: e164.slice(1) });
  });

  it('reads a national number with the default country', () => {
    expect(normalizePhone('011 15 5555-1234', 'AR').e164).toBe('+5491155551234');
    expect(normalizePhone('(650) 555-1234', 'US').e164).toBe('+16505551234');
  });

  it('still accepts a digits-only international number when a default country is given', () => {
    expect(normalizePhone('5491155551234', 'US').e164).toBe('+5491155551234');
  });

  it('lets an explicit + country code win over the default country', () => {
    expect(normalizePhone('+1 650 555 1234', 'AR').e164).toBe('+16505551234');
  });
});

describe('normalizePhone: rejections say what is wrong with this input', () => {
  it.each([
    ['', /is empty/],
    ['+54 9 11 CALL-NOW', /contains letters/],
    ['+54 9 11 5555-1234 ext 2', /contains letters/],
    ['+54 9 11 5555#1234', /contains "#"/],
    ['+54 9 11 +5555 1234', /"\+" that is not at the start/],
    ['+54 11', /too short for a number in Argentina \(\+54\)/],
    ['+54 9 11 5555 1234 5678 99', /too long for a number in Argentina \(\+54\)/],
    ['+999 1234 5678', /starts with \+999, which is not a known country code/],
    ['+1 200 555 1234', /not a valid number in country code \+1/],
    ['011 5555-1234', /starts with 0.*no default country/],
    ['1155551234', /has no "\+" and no default country was given/],
  ])('%j', (input, pattern) => {
    const err = failure(() => normalizePhone(input));
    expect(err.code).toBe('PHONE_INVALID');
    expect(err.message).toMatch(pattern);
    expect(err.message).toContain(`"${input}"`);
    expect(err.details).toEqual([{ path: 'to', message: err.message }]);
    expect(err.hint).toMatch(/international form, e\.g\. \+54 9 11 5555-1234/);
  });

  it('reports the national reading when a default country is given and neither reading works', () => {
    const err = failure(() => normalizePhone('11 5555', 'AR'));
    expect(err.message).toMatch(/Argentina/);
    expect(err.message).toMatch(/too short/);
  });
});

describe('waIdToE164', () => {
  it('prefixes the digits with +', () => {
    expect(waIdToE164('5491155551234')).toBe('+5491155551234');
  });

  it.each(['+5491155551234', 'US.13491208655302741918', '54 911'])(
    'rejects %j, which is not a wa_id',
    (waId) => {
      const err = failure(() => waIdToE164(waId));
      expect(err.code).toBe('PHONE_INVALID');
      expect(err.details[0]?.path).toBe('wa_id');
      expect(err.message).toMatch(/digits only/);
    },
  );

  it('rejects a digit string of impossible length', () => {
    expect(failure(() => waIdToE164('1234')).message).toMatch(/4 digits/);
    expect(failure(() => waIdToE164('1234567890123456')).message).toMatch(/16 digits/);
  });
});
