import { describe, expect, it } from 'vitest';
import { bsuidProblem, isBsuid, looksLikeBsuid } from './bsuid';

describe('BSUID shape', () => {
  it('accepts Meta’s form and nothing that could be a wa_id or one of our ids', () => {
    expect(isBsuid('US.13491208655302741918')).toBe(true);
    expect(isBsuid('AR.abcDEF123')).toBe(true);
    expect(isBsuid(`BR.${'9'.repeat(128)}`)).toBe(true);
    for (const v of ['5491155550001', 'ctc_01JD8ZQ3', '+5491155550001', 'US.', '', 'us.1']) {
      expect(isBsuid(v), v).toBe(false);
    }
  });

  it('tells a malformed BSUID apart from a phone number', () => {
    expect(looksLikeBsuid('us.123')).toBe(true);
    expect(looksLikeBsuid('USA.123')).toBe(true);
    expect(looksLikeBsuid('+54 9 11 5555.1234')).toBe(false);
    expect(looksLikeBsuid('Tel. +54 9 11 5555-1234')).toBe(false);
    expect(looksLikeBsuid('Tel.+5491155551234')).toBe(false);
    expect(looksLikeBsuid('US.12-34')).toBe(true);
    expect(looksLikeBsuid('5491155550001')).toBe(false);
    expect(looksLikeBsuid('ctc_01JD8ZQ3')).toBe(false);
  });

  it('names what is wrong', () => {
    expect(bsuidProblem('US.1')).toBeUndefined();
    expect(bsuidProblem('us.123')).toBe(
      'starts with "us": the country code of a BSUID is upper case (e.g. "US.")',
    );
    expect(bsuidProblem('USA.123')).toBe(
      'starts with "USA", but a BSUID starts with a two-letter country code (e.g. "US.")',
    );
    expect(bsuidProblem('US.')).toBe('has nothing after the dot');
    expect(bsuidProblem('US.12-34')).toBe('may only have letters and digits after the dot');
    expect(bsuidProblem(`US.${'1'.repeat(129)}`)).toBe(
      'has 129 characters after the dot; a BSUID has at most 128',
    );
    expect(bsuidProblem(' US.1')).toBe('has spaces around it; send the BSUID exactly as Meta gave it');
  });
});
