/**
 * Phone numbers as people type them, turned into the two forms we use: E.164 ("+5491155551234")
 * for storage and display, and Meta's digits-only wa_id ("5491155551234") for the `to` field.
 * Uses the "max" metadata because it knows which number ranges exist, not only their lengths:
 * a number that cannot exist is cheaper to reject here than as a 131026 after the send.
 */
import {
  type CountryCode,
  ParseError,
  type PhoneNumber,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
} from 'libphonenumber-js/max';
import { RecontactError } from './errors';

export type { CountryCode };

export interface NormalizedPhone {
  /** "+5491155551234" */
  e164: string;
  /** "5491155551234": E.164 without the "+", what Meta expects in `to`. */
  waId: string;
}

const HINT = 'write it in international form, e.g. +54 9 11 5555-1234';
const SEPARATORS = /[\s\-.()/]/g;
const LETTERS = /\p{L}/u;
/** E.164 allows at most 15 digits; the shortest real numbers (e.g. Niue, +683 4002) have 7. */
const MIN_DIGITS = 7;
const MAX_DIGITS = 15;

export function normalizePhone(input: string, defaultCountry?: CountryCode): NormalizedPhone {
  const text = input.trim();
  const problem = shapeProblem(text);
  if (problem) throw phoneError(input, problem);
  const compact = text.replace(SEPARATORS, '');
  const parsed = compact.startsWith('+')
    ? parseAs(compact, undefined)
    : parseWithoutPlus(compact, defaultCountry);
  if (typeof parsed === 'string') throw phoneError(input, parsed);
  return fromE164(parsed.number);
}

/** wa_ids come from Meta already normalised; only their shape is checked. */
export function waIdToE164(waId: string): string {
  if (!/^\d+$/.test(waId)) {
    throw phoneError(waId, 'is not a WhatsApp id: a wa_id has digits only, with no "+" or spaces', 'wa_id');
  }
  if (waId.length < MIN_DIGITS || waId.length > MAX_DIGITS) {
    throw phoneError(
      waId,
      `is not a WhatsApp id: it has ${waId.length} digits, a wa_id has ${MIN_DIGITS} to ${MAX_DIGITS}`,
      'wa_id',
    );
  }
  return `+${waId}`;
}

/** Problems visible in the characters alone, before any numbering plan is consulted. */
function shapeProblem(text: string): string | undefined {
  if (text === '') return 'is empty';
  if (LETTERS.test(text)) return 'contains letters; a phone number has only digits and separators';
  const stray = text.replace(SEPARATORS, '').replace(/^\+/, '').match(/\D/);
  if (stray) {
    return stray[0] === '+'
      ? 'has a "+" that is not at the start'
      : `contains "${stray[0]}", which is not part of a phone number`;
  }
  return undefined;
}

/**
 * Without a "+": a default country means a national number, but digits-only input is also
 * how Meta writes wa_ids, so a number that fails nationally is retried as international.
 * With no default country, the digits can only be international ("00" being the usual
 * international prefix, since no country code starts with 0).
 */
function parseWithoutPlus(digits: string, defaultCountry: CountryCode | undefined): PhoneNumber | string {
  if (defaultCountry) {
    const national = parseAs(digits, defaultCountry);
    if (typeof national !== 'string') return national;
    const international = parseAs(`+${digits}`, undefined);
    return typeof international === 'string' ? national : international;
  }
  if (digits.startsWith('00')) return parseAs(`+${digits.slice(2)}`, undefined);
  if (digits.startsWith('0')) {
    return 'starts with 0, a national prefix, and has no country code; no default country was given to read it as a national number';
  }
  const international = parseAs(`+${digits}`, undefined);
  if (typeof international !== 'string') return international;
  return `has no "+" and no default country was given; read as international (+${digits}) it ${international}`;
}

/** Returns the parsed number, or what is wrong with it as a phrase ("is too short ..."). */
function parseAs(text: string, defaultCountry: CountryCode | undefined): PhoneNumber | string {
  let phone: PhoneNumber;
  try {
    phone = parsePhoneNumberWithError(text, defaultCountry);
  } catch (e) {
    if (e instanceof ParseError) return parseErrorPhrase(e.message, text, defaultCountry);
    throw e;
  }
  const where = describeCountry(phone);
  if (!phone.isPossible()) {
    const length = validatePhoneNumberLength(text, defaultCountry);
    if (length === 'TOO_SHORT') return `is too short for a number in ${where}`;
    if (length === 'TOO_LONG') return `is too long for a number in ${where}`;
    return `is not a possible number in ${where}: no number there has ${phone.nationalNumber.length} digits`;
  }
  if (!phone.isValid()) return `is not a valid number in ${where}: that number range is not in use`;
  return phone;
}

function parseErrorPhrase(code: string, text: string, defaultCountry: CountryCode | undefined): string {
  switch (code) {
    case 'INVALID_COUNTRY': {
      const prefix = text.match(/^\+(\d{1,3})/)?.[1];
      return text.startsWith('+') && prefix
        ? `starts with +${prefix}, which is not a known country code`
        : `has no country code and "${defaultCountry}" is not a known country`;
    }
    case 'TOO_SHORT':
      return 'is too short to be a phone number';
    case 'TOO_LONG':
      return 'is too long to be a phone number';
    default:
      return 'has no digits that can be read as a phone number';
  }
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' });

function describeCountry(phone: PhoneNumber): string {
  const code = `+${phone.countryCallingCode}`;
  if (!phone.country) return `country code ${code}`;
  return `${regionNames.of(phone.country) ?? phone.country} (${code})`;
}

function fromE164(e164: string): NormalizedPhone {
  return { e164, waId: e164.slice(1) };
}

function phoneError(input: string, problem: string, path = 'to'): RecontactError {
  const message = `Phone number "${input}" ${problem}`;
  return new RecontactError('PHONE_INVALID', message, { details: [{ path, message }], hint: HINT });
}
