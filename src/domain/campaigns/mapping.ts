/**
 * A campaign's template part filled for one recipient: the sources of definition.ts (constants,
 * contact attributes, contact fields, with defaults) become exactly the `template` object a 1:1
 * send takes (`POST /v1/messages`: {name, language, header?, body?, buttons?}), so a campaign
 * message and a 1:1 message go through the same binder and the same send path.
 *
 * Rules, per value taken from the contact:
 *   - absent (no attribute, no name, no phone) or empty once trimmed: the default, else missing;
 *   - numbers and booleans are written as text (30 → "30", true → "true");
 *   - whitespace Meta refuses in a parameter (line breaks, tabs, 5 spaces in a row) is folded
 *     into single spaces: a name imported with a stray newline still greets its person;
 *   - longer than the place allows (60 characters for a header, 1,024 for the body, …): the
 *     default, else missing. A value is never cut: "Emil" is not Emilia.
 * A recipient with any value missing is excluded with the reason `missing_value` (the audience
 * preview's name for it), and the answer lists every missing value with its path, so a plan
 * says "47 contacts have no first_name" rather than "47 invalid".
 *
 * Metadata values keep their JSON type; a missing one without default leaves its key out.
 *
 * This runs for up to a million recipients, so a definition is compiled once (compileMapping,
 * compileCampaign) into closures that only read the contact; nothing here re-reads the
 * definition per recipient, and a language choice is cached per distinct contact language.
 */
import { type AttributeValue, checkLanguage } from '../contacts/contact-fields';
import { METADATA_LIMITS } from '../metadata-limits';
import { charCount } from '../templates/lint/util';
import type { ButtonParam, HeaderParam, ParamValue } from '../templates/model';
import {
  type ButtonSource,
  type CampaignDefinition,
  type CampaignTemplate,
  type CampaignVariant,
  type ContactParamField,
  METADATA_HEADROOM_BYTES,
  type MetadataSource,
  type ParamSource,
  SLOT_MAX,
  type Slot,
  type TemplateLanguage,
} from './definition';

/** What the mapping reads of a contact (a row of the contact book, attributes parsed). */
export interface MappingContact {
  name: string | null;
  /** "+5491155551234", or null for a contact known only by a business-scoped user id. */
  phone_e164: string | null;
  /** BCP-47 ("es-AR"), or null when unknown. */
  language: string | null;
  attributes: Readonly<Record<string, AttributeValue>>;
}

/** The `template` of a 1:1 send (sendMessageBody.template), filled for one recipient. */
export interface ResolvedTemplate {
  name: string;
  language: string;
  header?: HeaderParam;
  body?: ParamValue[] | Record<string, ParamValue>;
  buttons?: Array<ButtonParam | null>;
}

export type MissingProblem = 'absent' | 'empty' | 'too_long';

/** One value the recipient lacks: where it goes, where it comes from, and what was wrong. */
export interface MissingValue {
  /** Into the definition: "template.body[0]", "variants[1].template.header.text", "metadata". */
  path: string;
  attribute?: string;
  field?: ContactParamField;
  problem: MissingProblem;
}

export const MISSING_VALUE = 'missing_value' as const;

export type Resolution =
  | { ok: true; value: ResolvedTemplate }
  | { ok: false; reason: typeof MISSING_VALUE; missing: MissingValue[] };

export interface MappingOptions {
  /**
   * The languages the template is approved in (Meta codes). Needed only for "the contact's
   * language": without it no contact language can be confirmed, so everyone gets the fallback.
   */
  availableLanguages?: readonly string[];
  /** Where the template sits in the definition, for the paths of missing values. */
  path?: string;
}

// ─── One template ─────────────────────────────────────────────────────────────────────────

/** Precomputed "missing" answers of one value, so the hot path allocates none. */
class Miss {
  constructor(readonly value: MissingValue) {}
}

type Getter = (c: MappingContact) => ParamValue | Miss;

/** Compiles the template part once; the function fills it for one contact. */
export function compileMapping(
  template: CampaignTemplate,
  options: MappingOptions = {},
): (contact: MappingContact) => Resolution {
  const at = options.path ?? 'template';
  const language = compileLanguage(template.language, options.availableLanguages);
  const header = compileHeader(template.header, `${at}.header`);
  const body = compileBody(template.body, `${at}.body`);
  const buttons = compileButtons(template.buttons, `${at}.buttons`);

  return (contact) => {
    let missing: MissingValue[] | undefined;
    const take = (get: Getter): ParamValue => {
      const v = get(contact);
      if (v instanceof Miss) {
        // A copy: the precomputed answer is shared by every recipient who lacks this value.
        if (missing) missing.push({ ...v.value });
        else missing = [{ ...v.value }];
        return '';
      }
      return v;
    };
    const value: ResolvedTemplate = { name: template.name, language: language(contact.language) };
    if (header) value.header = header(take);
    if (body) value.body = body(take);
    if (buttons) value.buttons = buttons(take);
    return missing ? { ok: false, reason: MISSING_VALUE, missing } : { ok: true, value };
  };
}

type Take = (get: Getter) => ParamValue;

function compileHeader(
  header: CampaignTemplate['header'],
  at: string,
): ((take: Take) => HeaderParam) | undefined {
  if (!header) return undefined;
  if ('text' in header) {
    const get = compileSource(header.text, `${at}.text`, 'header_text');
    return (take) => ({ text: take(get) as string });
  }
  // Media and location are constants; each recipient gets its own copy to own.
  const json = JSON.stringify(header);
  return () => JSON.parse(json) as HeaderParam;
}

function compileBody(
  body: CampaignTemplate['body'],
  at: string,
): ((take: Take) => ParamValue[] | Record<string, ParamValue>) | undefined {
  if (!body) return undefined;
  if (Array.isArray(body)) {
    const getters = body.map((s, i) => compileSource(s, `${at}[${i}]`, 'body'));
    return (take) => {
      const out = new Array<ParamValue>(getters.length);
      for (let i = 0; i < getters.length; i++) out[i] = take(getters[i]!);
      return out;
    };
  }
  const entries = Object.entries(body).map(
    ([name, s]) => [name, compileSource(s, `${at}.${name}`, 'body')] as const,
  );
  return (take) => {
    const out: Record<string, ParamValue> = {};
    for (const [name, get] of entries) out[name] = take(get);
    return out;
  };
}

function compileButtons(
  buttons: CampaignTemplate['buttons'],
  at: string,
): ((take: Take) => Array<ButtonParam | null>) | undefined {
  if (!buttons) return undefined;
  const slots = buttons.map((b, i) => {
    if (!b) return null;
    const key = buttonKey(b);
    const source = (b as Record<typeof key, ParamSource>)[key];
    return { key, get: compileSource(source, `${at}[${i}].${key}`, key) };
  });
  return (take) =>
    slots.map((s) => (s ? ({ [s.key]: take(s.get) as string } as unknown as ButtonParam) : null));
}

function buttonKey(b: ButtonSource): 'payload' | 'url_suffix' | 'coupon_code' {
  if ('payload' in b) return 'payload';
  return 'url_suffix' in b ? 'url_suffix' : 'coupon_code';
}

/** One value: a constant as is, or the contact's value through the rules at the top. */
function compileSource(source: ParamSource, path: string, slot: Slot): Getter {
  if (source.kind === 'constant') {
    const value = source.value;
    // Currency and date_time constants are objects: a copy each, as for media headers.
    if (typeof value !== 'object') return () => value;
    const json = JSON.stringify(value);
    return () => JSON.parse(json) as ParamValue;
  }
  const origin =
    source.kind === 'attribute' ? { attribute: source.name } : { field: source.field as ContactParamField };
  const miss = (problem: MissingProblem) => new Miss({ path, ...origin, problem });
  const absent = miss('absent');
  const empty = miss('empty');
  const tooLong = miss('too_long');
  const fallback = source.default;
  const read = reader(source);
  const max = SLOT_MAX[slot];
  return (c) => {
    const raw = read(c);
    if (raw === undefined) return fallback ?? absent;
    const text = cleanText(typeof raw === 'string' ? raw : String(raw));
    if (text === '') return fallback ?? empty;
    // UTF-16 length bounds the character count from above: only long texts are counted.
    if (text.length > max && charCount(text) > max) return fallback ?? tooLong;
    return text;
  };
}

/** The contact's raw value for a source, or undefined when it has none. */
function reader(
  source: Exclude<ParamSource, { kind: 'constant' }>,
): (c: MappingContact) => AttributeValue | undefined {
  if (source.kind === 'attribute') {
    const name = source.name;
    return (c) => {
      // Own properties of the right types only: "toString" is no one's attribute.
      if (!Object.hasOwn(c.attributes, name)) return undefined;
      const v = c.attributes[name];
      return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
    };
  }
  switch (source.field) {
    case 'name':
      return (c) => c.name ?? undefined;
    case 'first_name':
      return (c) => firstName(c.name);
    case 'phone':
      return (c) => c.phone_e164 ?? undefined;
  }
}

/**
 * The first word of a name: "María José Pérez" → "María". A CRM's "Last, First" form names the
 * person after the comma ("Pérez, Ana" → "Ana"), and punctuation around the word is not part of
 * it: "Hola Pérez," would greet the wrong word.
 */
export function firstName(name: string | null): string | undefined {
  if (name === null) return undefined;
  const comma = name.indexOf(',');
  const given = comma >= 0 && name.slice(comma + 1).trim() !== '' ? name.slice(comma + 1) : name;
  const word = given.trim().split(/\s+/)[0] ?? '';
  return word.replace(/^[\p{P}\p{S}]+|[\p{P}\p{S}]+$/gu, '');
}

const REFUSED_WHITESPACE = /[\r\n\t\v\f\u0085\u2028\u2029]| {5}/;

/** Trimmed, with the whitespace WhatsApp refuses in a parameter folded into single spaces. */
function cleanText(text: string): string {
  return (REFUSED_WHITESPACE.test(text) ? text.replace(/\s+/g, ' ') : text).trim();
}

// ─── Language ─────────────────────────────────────────────────────────────────────────────

/** Meta has no code for these languages under their BCP-47 names. */
const META_ALIASES: Readonly<Record<string, string>> = { no: 'nb', tl: 'fil', iw: 'he', in: 'id' };

/**
 * The template language for a contact. A fixed language is just that. "The contact's language,
 * falling back to X" tries, among the languages the template is approved in:
 *   1. the contact's language and region ("es-AR" → es_AR);
 *   2. the bare language (es);
 *   3. the fallback, when it is the same language (es_ES for an es-CL contact);
 *   4. another region of the same language, the first in code order (es_MX), so a
 *      Spanish speaker gets Spanish rather than the English fallback;
 *   5. the fallback.
 * A contact without a language, or with one that is not BCP-47, gets the fallback.
 */
export function pickLanguage(
  language: TemplateLanguage,
  contactLanguage: string | null | undefined,
  availableLanguages: readonly string[],
): string {
  if (language.kind === 'fixed') return language.code;
  const fallback = language.fallback;
  const wanted = metaLanguageParts(contactLanguage);
  if (!wanted) return fallback;
  const available = new Set(availableLanguages);
  if (wanted.region && available.has(`${wanted.base}_${wanted.region}`))
    return `${wanted.base}_${wanted.region}`;
  if (available.has(wanted.base)) return wanted.base;
  if (baseOf(fallback) === wanted.base) return fallback;
  const sibling = [...available].filter((code) => baseOf(code) === wanted.base).sort()[0];
  return sibling ?? fallback;
}

/** "es-AR" → {base: "es", region: "AR"}; "zh-Hant-TW" → {zh, TW}; "es_ar" is taken too. */
function metaLanguageParts(tag: string | null | undefined): { base: string; region?: string } | undefined {
  if (!tag) return undefined;
  const checked = checkLanguage(tag);
  if (!checked.ok || !checked.value) return undefined;
  const [first, ...rest] = checked.value.split('-');
  const base = META_ALIASES[first!.toLowerCase()] ?? first!.toLowerCase();
  const region = rest.find((s) => /^[A-Za-z]{2}$/.test(s))?.toUpperCase();
  return region ? { base, region } : { base };
}

function baseOf(code: string): string {
  const i = code.indexOf('_');
  return i < 0 ? code : code.slice(0, i);
}

function compileLanguage(
  language: TemplateLanguage,
  available: readonly string[] | undefined,
): (contactLanguage: string | null) => string {
  if (language.kind === 'fixed') {
    const code = language.code;
    return () => code;
  }
  const list = available ?? [];
  const cache = new Map<string | null, string>();
  return (contactLanguage) => {
    let code = cache.get(contactLanguage);
    if (code === undefined) {
      code = pickLanguage(language, contactLanguage, list);
      // Contact languages are few; a hostile book with a million distinct tags must not grow this.
      if (cache.size >= 10_000) cache.clear();
      cache.set(contactLanguage, code);
    }
    return code;
  };
}

// ─── Variants ─────────────────────────────────────────────────────────────────────────────

/** 32-bit FNV-1a over the UTF-16 code units of `key`, unsigned. */
export function fnv1a32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * FNV-1a, then MurmurHash3's finaliser. FNV-1a's lowest bit is only the parity of the keys'
 * character codes (the multiplier is odd), so a 1:1 split taken modulo 2 would follow how ids
 * happen to be spelled; the finaliser mixes every bit into every other.
 */
export function stableHash(key: string): number {
  let h = fnv1a32(key);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The variant a recipient gets, from a hash of `recipientKey` alone: a re-run, a second worker
 * or a restart after a crash assigns the same one. Use the campaign id with the contact id as
 * the key ("cmp_…:ctc_…"), so the same contacts do not land in variant A of every campaign.
 */
export function assignVariant<V extends { weight: number }>(recipientKey: string, variants: readonly V[]): V {
  if (variants.length === 0) throw new RangeError('assignVariant needs at least one variant');
  if (variants.length === 1) return variants[0]!;
  let total = 0;
  for (const v of variants) total += v.weight;
  let point = stableHash(recipientKey) % total;
  for (const v of variants) {
    if (point < v.weight) return v;
    point -= v.weight;
  }
  return variants[variants.length - 1]!;
}

// ─── Metadata ─────────────────────────────────────────────────────────────────────────────

export type MetadataResolution =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; reason: typeof MISSING_VALUE; missing: MissingValue[] };

/**
 * Compiles the campaign's metadata: constants as written, sources per recipient. The result
 * must leave room for what Recontact adds (campaign_id), so a recipient whose values would
 * make it too large is missing `metadata` (too_long) rather than sent with a part cut off.
 */
export function compileMetadata(
  metadata: Readonly<Record<string, MetadataSource>>,
  path = 'metadata',
): (contact: MappingContact) => MetadataResolution {
  const constants: Record<string, unknown> = {};
  const sources: Array<{
    key: string;
    keyBytes: number;
    read: (c: MappingContact) => AttributeValue | undefined;
    fallback?: string;
  }> = [];
  for (const [key, source] of Object.entries(metadata)) {
    if (source.kind === 'constant') constants[key] = source.value;
    else sources.push({ key, keyBytes: keyBytes(key), read: reader(source), fallback: source.default });
  }
  const limit = METADATA_LIMITS.maxBytes - METADATA_HEADROOM_BYTES;
  const constantBytes = Buffer.byteLength(JSON.stringify(constants), 'utf8');
  const constantEntries = Object.entries(constants);
  const tooLarge: MissingValue = { path, problem: 'too_long' };
  return (contact) => {
    // Key by key, not a spread: adding a key to a spread copy costs V8 a slow dictionary object.
    const value: Record<string, unknown> = {};
    for (let i = 0; i < constantEntries.length; i++) value[constantEntries[i]![0]] = constantEntries[i]![1];
    if (sources.length === 0) return { ok: true, value };
    // An upper bound first: exact JSON bytes cost more than the rest of the mapping together.
    let bound = constantBytes;
    for (const s of sources) {
      let v: AttributeValue | undefined = s.read(contact);
      if (v === undefined || (typeof v === 'string' && v.trim() === '')) v = s.fallback;
      if (v === undefined) continue;
      value[s.key] = v;
      bound += s.keyBytes + (typeof v === 'string' ? 6 * v.length + 2 : 24);
    }
    if (bound > limit && Buffer.byteLength(JSON.stringify(value), 'utf8') > limit) {
      return { ok: false, reason: MISSING_VALUE, missing: [{ ...tooLarge }] };
    }
    return { ok: true, value };
  };
}

/** Bytes a key adds to an object's JSON at the most: the key escaped, quotes, colon, comma. */
function keyBytes(key: string): number {
  return 6 * key.length + 4;
}

// ─── A whole campaign ─────────────────────────────────────────────────────────────────────

export type CampaignResolution =
  | { ok: true; variant: string; template: ResolvedTemplate; metadata: Record<string, unknown> }
  | { ok: false; variant: string; reason: typeof MISSING_VALUE; missing: MissingValue[] };

/**
 * Compiles every variant and the metadata once; the function picks the recipient's variant
 * (assignVariant on `recipientKey`) and fills it. `availableLanguages` gives the approved
 * languages of a template by name, for "the contact's language".
 */
export function compileCampaign(
  def: Pick<CampaignDefinition, 'variants' | 'metadata'>,
  options: { availableLanguages?: (templateName: string) => readonly string[] } = {},
): (recipientKey: string, contact: MappingContact) => CampaignResolution {
  const split = def.variants.length > 1;
  const variants = def.variants.map((v: CampaignVariant, i) => ({
    label: v.label,
    weight: v.weight,
    resolve: compileMapping(v.template, {
      availableLanguages: options.availableLanguages?.(v.template.name),
      path: split ? `variants[${i}].template` : 'template',
    }),
  }));
  const metadata = compileMetadata(def.metadata);
  return (recipientKey, contact) => {
    const variant = assignVariant(recipientKey, variants);
    const template = variant.resolve(contact);
    const meta = metadata(contact);
    if (!template.ok || !meta.ok) {
      const missing = [...(template.ok ? [] : template.missing), ...(meta.ok ? [] : meta.missing)];
      return { ok: false, variant: variant.label, reason: MISSING_VALUE, missing };
    }
    return { ok: true, variant: variant.label, template: template.value, metadata: meta.value };
  };
}

/**
 * The contact values a template cannot do without (sources with no default), as the audience
 * preview's `needs` names them: "name", "phone" or an attribute name. first_name needs the name.
 * It cannot see values that are present but too long; the compiled mapping catches those.
 */
export function templateNeeds(template: CampaignTemplate): string[] {
  const needs = new Set<string>();
  const add = (s: ParamSource) => {
    if (s.kind === 'constant' || s.default !== undefined) return;
    if (s.kind === 'attribute') needs.add(s.name);
    else needs.add(s.field === 'phone' ? 'phone' : 'name');
  };
  if (template.header && 'text' in template.header) add(template.header.text);
  if (template.body)
    for (const s of Array.isArray(template.body) ? template.body : Object.values(template.body)) add(s);
  for (const b of template.buttons ?? []) if (b) add((b as Record<string, ParamSource>)[buttonKey(b)]!);
  return [...needs];
}
