/**
 * Phone numbers as people type them, turned into the two forms we use: E.164 ("+5491155551234")
 * for storage and display, and Meta's digits-only wa_id ("5491155551234") for the `to` field.
 * Uses the "max" metadata because it knows which number ranges exist, not only their lengths:
 * a number that cannot exist is cheaper to reject here than as a 131026 after the send.
 */
import {
  type CountryCode,
  isSupportedCountry,
  Metadata,
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
  const checked = checkPhone(input, defaultCountry);
  if (!checked.ok) throw phoneError(input, checked.problem);
  return checked.value;
}

export type PhoneCheck = { ok: true; value: NormalizedPhone } | { ok: false; problem: string };

/**
 * normalizePhone without the exception: the problem is the phrase that follows `Phone number
 * "…"` in its error ("is too short for a number in Argentina (+54)"). The CSV importer reads a
 * million numbers and rejects bad ones by the thousand; throwing each would cost more than
 * checking it.
 */
export function checkPhone(input: string, defaultCountry?: CountryCode): PhoneCheck {
  const text = input.trim();
  const problem = shapeProblem(text);
  if (problem) return { ok: false, problem };
  const compact = text.replace(SEPARATORS, '');
  const fast = compact.startsWith('+')
    ? fastInternational(compact)
    : defaultCountry === undefined && compact.charCodeAt(0) !== 48
      ? fastInternational(`+${compact}`)
      : undefined;
  if (fast !== undefined) return { ok: true, value: fromE164(fast) };
  return fullParse(compact, defaultCountry);
}

/** checkPhone with the full parse only: what the fast path must agree with (phone-fast-path.test.ts). */
export function checkPhoneWithoutFastPath(input: string, defaultCountry?: CountryCode): PhoneCheck {
  const text = input.trim();
  const problem = shapeProblem(text);
  if (problem) return { ok: false, problem };
  return fullParse(text.replace(SEPARATORS, ''), defaultCountry);
}

function fullParse(compact: string, defaultCountry: CountryCode | undefined): PhoneCheck {
  const parsed = compact.startsWith('+')
    ? parseAs(compact, undefined)
    : parseWithoutPlus(compact, defaultCountry);
  if (typeof parsed === 'string') return { ok: false, problem: parsed };
  return { ok: true, value: fromE164(parsed.number) };
}

/**
 * The fast path: "+digits", read the way libphonenumber reads them, with each country's patterns
 * compiled once instead of on every call (≈ 20 µs → ≈ 1 µs a number). A calling code shared by
 * several countries (+1, +7, +44…) picks its country as libphonenumber does: the first, in
 * libphonenumber's order, whose leading digits start the number or, for a country without them,
 * whose patterns take it. It only ever accepts: when it is not sure (a national prefix that
 * parsing could strip, a length the plan does not list, a country it cannot judge, an invalid
 * number) it answers undefined and the full parse decides, so both paths give the same verdict
 * and the same text (phone-fast-path.test.ts checks this over random numbers of every country).
 */
function fastInternational(compact: string): string | undefined {
  if (!FAST_SHAPE.test(compact)) return undefined;
  for (let len = 1; len <= 3; len++) {
    const plan = fastPlan(compact.slice(1, 1 + len));
    if (plan === null) continue;
    if (plan === undefined) return undefined;
    const national = compact.slice(1 + len);
    // Parsing strips a national prefix by the rules of the code's main country, whichever it picks.
    const prefix = plan.nationalPrefix?.exec(national);
    if (prefix && prefix[0] !== '') return undefined;
    const country = plan.countries.length === 1 ? plan.countries[0] : countryOf(plan.countries, national);
    if (country === undefined) return undefined;
    return country.lengths.has(national.length) && hasType(country, national) ? compact : undefined;
  }
  return undefined;
}

/** libphonenumber's choice among the countries of a shared code (getCountryByNationalNumber). */
function countryOf(
  countries: ReadonlyArray<CountryPlan | undefined>,
  national: string,
): CountryPlan | undefined {
  for (const c of countries) {
    if (c === undefined) return undefined;
    if (c.leadingDigits !== undefined) {
      if (national.search(c.leadingDigits) === 0) return c;
    } else if (hasType(c, national)) return c;
  }
  return undefined;
}

/** getNumberType's verdict, "of some type": the national pattern, then a type's pattern and lengths. */
function hasType(c: CountryPlan, national: string): boolean {
  if (!c.pattern.test(national)) return false;
  for (const type of c.types) {
    if ((type.lengths === undefined || type.lengths.has(national.length)) && type.pattern.test(national))
      return true;
  }
  return false;
}

/** Whether the fast path alone accepts "+digits" (phone-fast-path.test.ts: which numbers it serves). */
export function fastPathAccepts(compact: string): boolean {
  return fastInternational(compact) !== undefined;
}

const FAST_SHAPE = /^\+[1-9]\d{6,16}$/;

/**
 * The country of a number already normalised ("+5491155551234" → "AR"), for guessing a time
 * zone. A calling code of one country answers at once; a shared one (+1, +7, +44…) is parsed.
 */
export function countryOfPhone(e164: string): CountryCode | undefined {
  const metadata = sharedMetadata();
  for (let len = 1; len <= 3; len++) {
    const countries = metadata.getCountryCodesForCallingCode(e164.slice(1, 1 + len));
    if (!countries) continue;
    if (countries.length === 1 && countries[0] !== '001') return countries[0] as CountryCode;
    try {
      return parsePhoneNumberWithError(e164).country;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

let metadataReader: MetadataReader | undefined;
function sharedMetadata(): MetadataReader {
  metadataReader ??= new Metadata() as unknown as MetadataReader;
  return metadataReader;
}

/** A calling code's countries, in libphonenumber's order (the first is its main country). */
interface FastPlan {
  /** The main country's national prefix for parsing. */
  nationalPrefix: RegExp | undefined;
  /** undefined: a country the fast path cannot judge. */
  countries: Array<CountryPlan | undefined>;
}

interface CountryPlan {
  lengths: Set<number>;
  leadingDigits: RegExp | undefined;
  pattern: RegExp;
  types: Array<{ pattern: RegExp; lengths: Set<number> | undefined }>;
}

/** Types in the order getNumberType tries them: a match of any means "valid". */
const NUMBER_TYPES = [
  'FIXED_LINE',
  'MOBILE',
  'PREMIUM_RATE',
  'TOLL_FREE',
  'SHARED_COST',
  'VOIP',
  'PERSONAL_NUMBER',
  'PAGER',
  'UAN',
  'VOICEMAIL',
] as const;

/** Per calling code: a plan; undefined when the fast path must not decide; null: no such code. */
const fastPlans = new Map<string, FastPlan | undefined | null>();

function fastPlan(callingCode: string): FastPlan | undefined | null {
  const cached = fastPlans.get(callingCode);
  if (cached !== undefined || fastPlans.has(callingCode)) return cached;
  const plan = buildFastPlan(callingCode);
  fastPlans.set(callingCode, plan);
  return plan;
}

/** The parts of libphonenumber's Metadata class the fast path reads (its typings omit them). */
interface MetadataReader {
  isNonGeographicCallingCode(code: string): boolean;
  hasCallingCode(code: string): boolean;
  getCountryCodesForCallingCode(code: string): string[] | undefined;
  selectNumberingPlan(country: string): void;
  numberingPlan:
    | {
        possibleLengths(): number[] | undefined;
        nationalNumberPattern(): string;
        nationalPrefixForParsing(): string | undefined;
        leadingDigits(): string | undefined;
        type(name: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
      }
    | undefined;
}

function buildFastPlan(callingCode: string): FastPlan | undefined | null {
  const metadata = new Metadata() as unknown as MetadataReader;
  if (!metadata.isNonGeographicCallingCode(callingCode) && !metadata.hasCallingCode(callingCode)) return null;
  const countries = metadata.getCountryCodesForCallingCode(callingCode) ?? [];
  if (countries.length === 0 || metadata.isNonGeographicCallingCode(callingCode)) return undefined;
  const plans = countries.map((country) => countryPlan(metadata, country));
  metadata.selectNumberingPlan(countries[0]!);
  const npp = metadata.numberingPlan?.nationalPrefixForParsing();
  return { nationalPrefix: npp ? new RegExp(`^(?:${npp})`) : undefined, countries: plans };
}

function countryPlan(metadata: MetadataReader, country: string): CountryPlan | undefined {
  metadata.selectNumberingPlan(country);
  const np = metadata.numberingPlan;
  if (!np) return undefined;
  const lengths = np.possibleLengths();
  if (!lengths || !np.nationalNumberPattern()) return undefined;
  const types: CountryPlan['types'] = [];
  for (const name of NUMBER_TYPES) {
    const t = np.type(name);
    const pattern = t?.pattern();
    if (!t || !pattern) continue;
    const tl = t.possibleLengths();
    types.push({ pattern: entirely(pattern), lengths: tl ? new Set(tl) : undefined });
  }
  // Without types, validity is the national pattern alone: rare, and left to the full parse.
  if (types.length === 0) return undefined;
  const leading = np.leadingDigits();
  return {
    lengths: new Set(lengths),
    leadingDigits: leading ? new RegExp(leading) : undefined,
    pattern: entirely(np.nationalNumberPattern()),
    types,
  };
}

function entirely(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

/** Whether `code` is a country libphonenumber knows ("AR"), for a default country given as text. */
export function isCountryCode(code: string): code is CountryCode {
  return isSupportedCountry(code);
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
  // Named only for an error: Intl's region names cost more than the rest of a valid parse.
  if (!phone.isPossible()) {
    const where = describeCountry(phone);
    const length = validatePhoneNumberLength(text, defaultCountry);
    if (length === 'TOO_SHORT') return `is too short for a number in ${where}`;
    if (length === 'TOO_LONG') return `is too long for a number in ${where}`;
    return `is not a possible number in ${where}: no number there has ${phone.nationalNumber.length} digits`;
  }
  if (!phone.isValid()) {
    return `is not a valid number in ${describeCountry(phone)}: that number range is not in use`;
  }
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
