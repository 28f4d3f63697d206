/**
 * The rules for a contact's own fields, shared by the API (one contact as JSON) and the CSV
 * importer (a million contacts as text). Each check returns the normalised value or a problem
 * phrase ("is not an IANA time zone…") that the caller places: a JSON path for the API, a line
 * and column for a reject. Nothing here throws for bad input, so the importer pays no exceptions.
 */
import { cut, typeName } from '../input-words';
import { storableText } from '../storable-text';

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Checked<T> => ({ ok: true, value });
const bad = <T>(problem: string): Checked<T> => ({ ok: false, problem });

export const CONTACT_LIMITS = Object.freeze({
  nameLength: 256,
  tagLength: 64,
  tagsPerContact: 50,
  attributesPerContact: 100,
  attributeNameLength: 64,
  attributeStringLength: 1024,
});

/** A value an attribute may hold. Dates are kept as their ISO text ("2026-03-01"). */
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

/** Control characters other than tab and newline: never part of a name a person typed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/;

export function checkName(input: unknown): Checked<string | null> {
  if (input === null || input === undefined) return ok(null);
  if (typeof input !== 'string') return bad(`must be a string, not ${typeName(input)}`);
  const name = storableText(input).normalize('NFC').trim();
  if (name === '') return ok(null);
  if (CONTROL.test(name)) return bad('contains a control character');
  if (name.length > CONTACT_LIMITS.nameLength) {
    return bad(`is ${name.length} characters long; the limit is ${CONTACT_LIMITS.nameLength}`);
  }
  return ok(name);
}

const languageCache = new Map<string, Checked<string>>();

/**
 * BCP-47 ("es-AR"); Meta's underscore form ("es_AR") is accepted and written with a hyphen,
 * since the contact's language is a person's, not a template's.
 */
export function checkLanguage(input: unknown): Checked<string | null> {
  if (input === null || input === undefined || input === '') return ok(null);
  if (typeof input !== 'string') return bad(`must be a string, not ${typeName(input)}`);
  const cached = languageCache.get(input);
  if (cached) return cached;
  let result: Checked<string>;
  try {
    const [canonical] = Intl.getCanonicalLocales(input.trim().replace(/_/g, '-'));
    result = canonical ? ok(canonical) : bad('is empty');
  } catch {
    result = bad(`"${cut(input)}" is not a BCP-47 language tag (e.g. "es", "es-AR", "pt-BR")`);
  }
  remember(languageCache, input, result);
  return result;
}

const zoneCache = new Map<string, Checked<string>>();

/** An IANA zone name, written as the runtime spells it ("america/bogota" → "America/Bogota"). */
export function checkTimeZone(input: unknown): Checked<string | null> {
  if (input === null || input === undefined || input === '') return ok(null);
  if (typeof input !== 'string') return bad(`must be a string, not ${typeName(input)}`);
  const cached = zoneCache.get(input);
  if (cached) return cached;
  let result: Checked<string>;
  const text = input.trim();
  // Offsets and abbreviations are refused: "-03:00" and "ART" cannot follow daylight saving.
  if (!text.includes('/') && text !== 'UTC') {
    result = bad(`"${cut(input)}" is not an IANA time zone; write a name like "America/Bogota" or "UTC"`);
  } else {
    try {
      result = ok(new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone);
    } catch {
      result = bad(`"${cut(input)}" is not an IANA time zone; write a name like "America/Bogota" or "UTC"`);
    }
  }
  remember(zoneCache, input, result);
  return result;
}

export function checkTag(input: unknown): Checked<string> {
  if (typeof input !== 'string') return bad(`must be a string, not ${typeName(input)}`);
  const tag = storableText(input).normalize('NFC').trim();
  if (tag === '') return bad('is empty');
  if (tag.length > CONTACT_LIMITS.tagLength) {
    return bad(
      `"${cut(tag)}" is ${tag.length} characters long; a tag has at most ${CONTACT_LIMITS.tagLength}`,
    );
  }
  if (CONTROL.test(tag) || /[\t\n]/.test(tag)) return bad(`"${cut(tag)}" contains a control character`);
  if (/[|;,]/.test(tag)) return bad(`"${cut(tag)}" contains "|", ";" or ",", which separate tags`);
  return ok(tag);
}

/** A set of tags: checked, deduplicated and sorted (the stored form). */
export function checkTags(input: readonly unknown[]): Checked<string[]> {
  const out = new Set<string>();
  for (const t of input) {
    const c = checkTag(t);
    if (!c.ok) return c;
    out.add(c.value);
  }
  if (out.size > CONTACT_LIMITS.tagsPerContact) {
    return bad(`has ${out.size} tags; a contact has at most ${CONTACT_LIMITS.tagsPerContact}`);
  }
  return ok([...out].sort());
}

/** Splits a CSV cell of tags: "vip|promo" or "vip; promo". */
export function splitTags(cell: string): string[] {
  return cell
    .split(/[|;]/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** Names that would shadow a contact field or confuse a template's `{{contact.…}}` lookup. */
const RESERVED = new Set([
  'id',
  'phone',
  'name',
  'language',
  'time_zone',
  'tags',
  'opted_out',
  'bsuid',
  '__proto__',
  'constructor',
  'prototype',
]);

export function checkAttributeName(name: string): Checked<string> {
  if (name.length === 0) return bad('an attribute name is empty');
  if (name.length > CONTACT_LIMITS.attributeNameLength) {
    return bad(
      `attribute name "${cut(name)}" is longer than ${CONTACT_LIMITS.attributeNameLength} characters`,
    );
  }
  if (!ATTRIBUTE_NAME.test(name)) {
    return bad(
      `attribute name "${cut(name)}" may use only letters, digits, "_", "." and "-", starting with a letter or "_"`,
    );
  }
  if (RESERVED.has(name)) return bad(`"${name}" is a contact field, not an attribute name`);
  return ok(name);
}

/** One attribute value from JSON: flat only, strings bounded, dates as ISO text. */
export function checkAttributeValue(value: unknown): Checked<AttributeValue> {
  if (typeof value === 'boolean') return ok(value);
  if (typeof value === 'number') return Number.isFinite(value) ? ok(value) : bad('is not a finite number');
  if (typeof value === 'string') {
    const text = storableText(value);
    if (text.length > CONTACT_LIMITS.attributeStringLength) {
      return bad(`is ${text.length} characters long; the limit is ${CONTACT_LIMITS.attributeStringLength}`);
    }
    if (looksLikeDate(text) && !isRealDate(text)) return bad(`"${cut(text)}" is not a real date`);
    return ok(text);
  }
  if (value === null) return bad('is null; to remove an attribute, list it under "remove"');
  return bad(`must be a string, number, boolean or ISO date, not ${typeName(value)} (attributes are flat)`);
}

export function checkAttributes(input: unknown): Checked<Attributes> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return bad(`must be an object of name → value, not ${typeName(input)}`);
  }
  const entries = Object.entries(input);
  if (entries.length > CONTACT_LIMITS.attributesPerContact) {
    return bad(
      `has ${entries.length} attributes; a contact has at most ${CONTACT_LIMITS.attributesPerContact}`,
    );
  }
  const out: Attributes = {};
  for (const [name, value] of entries) {
    const n = checkAttributeName(name);
    if (!n.ok) return n;
    const v = checkAttributeValue(value);
    if (!v.ok) return bad(`"${name}" ${v.problem}`);
    out[name] = v.value;
  }
  return ok(out);
}

const NUMBER = /^-?(?:0|[1-9]\d{0,14})(?:\.\d+)?$/;

/**
 * A CSV cell's text as an attribute value: "true"/"false" as booleans, plain numerals as numbers
 * ("007" and "+54…" stay text: leading zeros and signs are identifiers, not quantities), and
 * ISO dates checked, kept as text. An empty cell means "no value" (undefined).
 */
export function attributeFromCell(cell: string): Checked<AttributeValue | undefined> {
  const text = cell.trim();
  if (text === '') return ok(undefined);
  if (text === 'true' || text === 'TRUE' || text === 'True') return ok(true);
  if (text === 'false' || text === 'FALSE' || text === 'False') return ok(false);
  if (NUMBER.test(text)) return ok(Number(text));
  return checkAttributeValue(text);
}

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

function looksLikeDate(text: string): boolean {
  return text.length >= 10 && text.length <= 40 && DATE_SHAPE.test(text);
}

/** "2026-02-30" has the shape but no day: Date.UTC would roll it into March. */
function isRealDate(text: string): boolean {
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  const d = Number(text.slice(8, 10));
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d > days) return false;
  if (text.length > 10) {
    const h = Number(text.slice(11, 13));
    const min = Number(text.slice(14, 16));
    if (h > 23 || min > 59) return false;
    return !Number.isNaN(Date.parse(text.replace(' ', 'T')));
  }
  return true;
}

function remember<T>(cache: Map<string, T>, key: string, value: T): void {
  // Bounded: a hostile file with a million distinct zones must not grow memory without end.
  if (cache.size > 10_000) cache.clear();
  cache.set(key, value);
}
