/**
 * A campaign as a person writes it — the JSON of `POST /v1/campaigns`, or a YAML/JSON file for
 * `recontact campaigns create FILE` — checked into a CampaignDefinition, or every problem at once,
 * each with its JSON path ("template.body[1].attribute") and how to fix it:
 *
 *   name: Descuento taxi
 *   account_id: acc_…                                   # optional: the default account
 *   template:
 *     name: taxi_discount
 *     language: { contact_language: true, fallback: es_AR }   # or simply es_AR
 *     header: { text: { field: first_name, default: Hola } }
 *     body: [ { attribute: first_name, default: cliente }, "10%" ]
 *     buttons: [ { payload: TAXI_YES }, { payload: STOP_PROMOS } ]
 *   audience: { filter: { tags: { all: [taxi] } } }     # or {all: true}, {list: {contacts}}, {audience_id}
 *   schedule: { at, local_time, quiet_hours, expires_at }      # read by schedule.ts
 *   pace: 20                                            # messages per second
 *   frequency_cap_hours: 24
 *   category: MARKETING
 *   metadata: { offer: taxi10, customer: { attribute: customer_id } }
 *   routing: { on_reply: [ { match: { payload: [TAXI_YES] }, actions: [ { tag: [taxi] } ] } ] }
 *
 * The template part mirrors the `template` of `POST /v1/messages` (header, body as an array for
 * {{1}}… or an object for {{name}}…, buttons index-aligned), except that each value is a
 * *source* the campaign fills per recipient (mapping.ts):
 *   - a string or a number: a constant, the same for everyone (numbers written as text);
 *   - `{attribute: "first_name", default?: "cliente"}`: one of the contact's attributes;
 *   - `{field: "name" | "first_name" | "phone", default?}`: the contact's own fields, where
 *     first_name is the first word of the name and phone the E.164 number ("+5491155551234");
 *   - in the body only, `{currency: …}` / `{date_time: …}`: constants as in /v1/messages.
 * Media and location headers are constants. Constants and defaults are checked against Meta's
 * parameter rules here, so a definition that passes never fails later for its own text; only a
 * contact's values can still be missing, and those exclude that recipient (missing_value).
 *
 * Decisions where the issue is silent:
 *   - `template` or `variants` (2 to 10 of `{label?, weight, template}`), never both: an A/B
 *     split is a list of templates, and a plain campaign is the one-variant case of it, so the
 *     checked definition always holds `variants` (a plain template becomes variant "A", weight 1).
 *   - The audience is `{audience_id}` (a saved one, read at launch) or, inline, exactly what a
 *     saved audience holds: `{all}`, `{filter}` or `{list: {contacts}}`, checked by the audience
 *     rules themselves (contacts/audience.ts), limits included (10,000 list entries).
 *   - `metadata` is flat: each value a JSON scalar or a source as above, resolved per recipient
 *     (a missing attribute without default leaves its key out: metadata is for the bot, not the
 *     person). Keys starting with `campaign_` are Recontact's: it adds `campaign_id` itself.
 *   - `category` (MARKETING or UTILITY) is the category the operator expects: the launch can
 *     refuse a template Meta has recategorised. AUTHENTICATION is refused: codes go one by one.
 *   - `schedule` is only required to be an object here; schedule.ts reads its fields.
 */

import {
  AUDIENCE_LIMITS,
  type AudienceDefinition,
  checkAudienceDefinition,
  type Problem,
} from '../contacts/audience';
import { checkAttributeName } from '../contacts/contact-fields';
import { cut } from '../input-words';
import { METADATA_LIMITS } from '../metadata-limits';
import { checkReplyRouting, type ReplyRouting } from '../replies/reply-rules';
import { storableText } from '../storable-text';
import {
  BODY_PARAM_MAX,
  COUPON_CODE_MAX,
  HEADER_TEXT_PARAM_MAX,
  PAYLOAD_MAX,
  URL_MAX,
} from '../templates/bind';
import { suggestLanguage } from '../templates/lint/language';
import { NAME_MAX_LENGTH, suggestName } from '../templates/lint/name';
import { charCount, describe, isRecord } from '../templates/lint/util';
import { NAMED_VARIABLE_PATTERN } from '../templates/lint/variables';
import type { HeaderParam, ParamValue } from '../templates/model';

export type { Problem };

// ─── The checked definition ──────────────────────────────────────────────────────────────

/** Contact fields a template value may be filled from. */
export const CONTACT_PARAM_FIELDS = ['name', 'first_name', 'phone'] as const;
export type ContactParamField = (typeof CONTACT_PARAM_FIELDS)[number];

/** Where a value lands: each place has Meta's own rules for its text. */
export type Slot = 'header_text' | 'body' | 'payload' | 'url_suffix' | 'coupon_code' | 'metadata';

/** The longest text each place takes, in characters (Meta's limits, as the binder enforces them). */
export const SLOT_MAX: Readonly<Record<Slot, number>> = Object.freeze({
  header_text: HEADER_TEXT_PARAM_MAX,
  body: BODY_PARAM_MAX,
  payload: PAYLOAD_MAX,
  url_suffix: URL_MAX,
  coupon_code: COUPON_CODE_MAX,
  metadata: 1024,
});

/** Places shown to the person as message text: single-line, as Meta requires of parameters. */
export const SINGLE_LINE_SLOTS: ReadonlySet<Slot> = new Set(['header_text', 'body', 'url_suffix']);

export type ParamSource =
  | { kind: 'constant'; value: ParamValue }
  | { kind: 'attribute'; name: string; default?: string }
  | { kind: 'field'; field: ContactParamField; default?: string };

export type MetadataSource =
  | { kind: 'constant'; value: string | number | boolean | null }
  | Exclude<ParamSource, { kind: 'constant' }>;

export type HeaderSource = { text: ParamSource } | Exclude<HeaderParam, { text: string }>;

export type ButtonSource =
  | { payload: ParamSource }
  | { url_suffix: ParamSource }
  | { coupon_code: ParamSource };

/** A Meta template language code ("es_AR"), or the contact's language with a fallback. */
export type TemplateLanguage = { kind: 'fixed'; code: string } | { kind: 'contact'; fallback: string };

export interface CampaignTemplate {
  name: string;
  language: TemplateLanguage;
  header?: HeaderSource;
  /** An array for positional variables ({{1}} is [0]), an object for named ones. */
  body?: ParamSource[] | Record<string, ParamSource>;
  buttons?: Array<ButtonSource | null>;
}

export interface CampaignVariant {
  /** Shown beside the variant's results ("A", "B", or the author's own label). */
  label: string;
  /** A share of the split, relative to the other variants' weights. */
  weight: number;
  template: CampaignTemplate;
}

export type CampaignAudience = AudienceDefinition | { kind: 'saved'; audienceId: string };

export type CampaignCategory = 'MARKETING' | 'UTILITY';

export interface CampaignDefinition {
  name: string;
  accountId?: string;
  /** At least one; more than one is an A/B split. */
  variants: CampaignVariant[];
  audience: CampaignAudience;
  /** Passed through for schedule.ts; only known to be an object. */
  schedule?: Record<string, unknown>;
  pacePerSecond?: number;
  frequencyCapHours?: number;
  category?: CampaignCategory;
  metadata: Record<string, MetadataSource>;
  /** What replies to its messages do, instead of the template's table (domain/replies). */
  routing?: ReplyRouting;
}

export type CheckedCampaign = { ok: true; value: CampaignDefinition } | { ok: false; problems: Problem[] };

/**
 * Bytes of the metadata limit kept for what Recontact adds to every campaign message
 * (`"campaign_id": "cmp_…"` and a variant label), so a definition that fits still fits then.
 */
export const METADATA_HEADROOM_BYTES = 128;

export const CAMPAIGN_LIMITS = Object.freeze({
  nameLength: 200,
  accountIdLength: 64,
  audienceIdLength: 64,
  bodyValues: 100,
  /** Meta allows at most 10 buttons on a template. */
  buttons: 10,
  variants: 10,
  variantWeight: 10_000,
  labelLength: 40,
  minPace: 1,
  maxPace: 1000,
  maxFrequencyCapHours: AUDIENCE_LIMITS.maxFrequencyCapHours,
  metadataKeyLength: 64,
  mediaIdLength: 256,
  filenameLength: 240,
  locationTextLength: 1000,
});

const TOP_KEYS = [
  'name',
  'account_id',
  'template',
  'variants',
  'audience',
  'schedule',
  'pace',
  'frequency_cap_hours',
  'category',
  'metadata',
  'routing',
] as const;
const TEMPLATE_KEYS = ['name', 'language', 'header', 'body', 'buttons'] as const;
const VARIANT_KEYS = ['label', 'weight', 'template'] as const;
const AUDIENCE_KEYS = ['all', 'filter', 'list', 'audience_id'] as const;
const HEADER_KEYS = ['text', 'image', 'video', 'document', 'location'] as const;
const BUTTON_KEYS = ['payload', 'url_suffix', 'coupon_code'] as const;
const SOURCE_KEYS = ['attribute', 'field', 'default'] as const;

/** Labels given to variants that have none, in order. */
const DEFAULT_LABELS = 'ABCDEFGHIJ';
const LABEL = /^[A-Za-z0-9_-]+$/;
const TEMPLATE_NAME = /^[a-z0-9_]+$/;
/** Meta's codes: a language, and optionally "_" and a region ("es", "es_AR", "prs_AF"). */
const LANGUAGE_CODE = /^[a-z]{2,3}(?:_[A-Z]{2})?$/;
const AUDIENCE_ID = /^aud_[0-9A-Za-z]+$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

// ─── Parsing ──────────────────────────────────────────────────────────────────────────────

/** Collects a problem; `count()` lets a sub-reader see whether its part added any. */
interface Report {
  (path: string, message: string): void;
  count(): number;
}

function reporter(problems: Problem[]): Report {
  const report = (path: string, message: string) => {
    problems.push({ path, message });
  };
  return Object.assign(report, { count: () => problems.length });
}

/**
 * Checks a campaign as JSON or YAML gives it. `at` prefixes every path (e.g. "body" for an API
 * request); the root itself is named "$" when `at` is empty.
 */
export function parseCampaignDefinition(input: unknown, at = ''): CheckedCampaign {
  const problems: Problem[] = [];
  const report = reporter(problems);
  const p = (key: string) => (at ? `${at}.${key}` : key);
  if (!isRecord(input)) {
    report(at || '$', `a campaign is an object {name, template, audience, …}, got ${describe(input)}`);
    return { ok: false, problems };
  }
  unknownKeys(input, TOP_KEYS, at, 'a campaign', report);

  const name = readName(input.name, p('name'), report);
  const accountId = readAccountId(input.account_id, p('account_id'), report);
  const variants = readVariants(input, p, report);
  const audience = readAudience(input.audience, p('audience'), problems);
  const schedule = readSchedule(input.schedule, p('schedule'), report);
  const pace = readPace(input.pace, p('pace'), report);
  const cap = readCap(input.frequency_cap_hours, p('frequency_cap_hours'), report);
  const category = readCategory(input.category, p('category'), report);
  const metadata = readMetadata(input.metadata, p('metadata'), report);
  const routing = readRouting(input.routing, p('routing'), problems);

  if (problems.length > 0 || name === undefined || !variants || !audience) return { ok: false, problems };
  const value: CampaignDefinition = { name, variants, audience, metadata };
  if (accountId !== undefined) value.accountId = accountId;
  if (schedule !== undefined) value.schedule = schedule;
  if (pace !== undefined) value.pacePerSecond = pace;
  if (cap !== undefined) value.frequencyCapHours = cap;
  if (category !== undefined) value.category = category;
  if (routing !== undefined) value.routing = routing;
  return { ok: true, value };
}

/** A reply routing table, checked by its own rules with paths under `path`; absent or null: none. */
function readRouting(v: unknown, path: string, problems: Problem[]): ReplyRouting | undefined {
  if (v === undefined || v === null) return undefined;
  const checked = checkReplyRouting(v, path);
  if (checked.ok) return checked.value;
  problems.push(...checked.problems.map((p) => ({ path: p.path ?? path, message: p.message })));
  return undefined;
}

function readName(v: unknown, path: string, report: Report): string | undefined {
  if (v === undefined || v === null) {
    report(path, 'is required: a name for people to recognise the campaign, e.g. "Descuento taxi marzo"');
    return undefined;
  }
  if (typeof v !== 'string') {
    report(path, `must be text, got ${describe(v)}`);
    return undefined;
  }
  const name = storableText(v).normalize('NFC').trim();
  if (name === '') report(path, 'is empty; give the campaign a name people will recognise');
  else if (CONTROL.test(name))
    report(path, 'contains a control character (a line break or tab); keep it on one line');
  else if (charCount(name) > CAMPAIGN_LIMITS.nameLength) {
    report(path, `is ${charCount(name)} characters long; the limit is ${CAMPAIGN_LIMITS.nameLength}`);
  } else return name;
  return undefined;
}

function readAccountId(v: unknown, path: string, report: Report): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (
    typeof v !== 'string' ||
    v.trim() === '' ||
    v.length > CAMPAIGN_LIMITS.accountIdLength ||
    /\s/.test(v)
  ) {
    report(
      path,
      `must be a channel account id (acc_…, 1 to ${CAMPAIGN_LIMITS.accountIdLength} characters without spaces), got ${describe(v)}; leave it out for the default account`,
    );
    return undefined;
  }
  return v;
}

// ─── Template and variants ────────────────────────────────────────────────────────────────

function readVariants(
  input: Record<string, unknown>,
  p: (key: string) => string,
  report: Report,
): CampaignVariant[] | undefined {
  const hasTemplate = input.template !== undefined && input.template !== null;
  const hasVariants = input.variants !== undefined && input.variants !== null;
  if (hasTemplate && hasVariants) {
    report(
      p('variants'),
      'give either "template" (one template for everyone) or "variants" (an A/B split), not both',
    );
    return undefined;
  }
  if (!hasTemplate && !hasVariants) {
    report(
      p('template'),
      'is required: {name, language, body, …}, or give "variants": [{weight, template}, …] for an A/B split',
    );
    return undefined;
  }
  if (hasTemplate) {
    const template = readTemplate(input.template, p('template'), report);
    return template && [{ label: DEFAULT_LABELS[0]!, weight: 1, template }];
  }
  const list = input.variants;
  const path = p('variants');
  if (!Array.isArray(list)) {
    report(path, `must be an array of {label?, weight, template}, got ${describe(list)}`);
    return undefined;
  }
  if (list.length < 2 || list.length > CAMPAIGN_LIMITS.variants) {
    report(
      path,
      list.length < 2
        ? `has ${list.length} variant${list.length === 1 ? '' : 's'}; a split needs 2 to ${CAMPAIGN_LIMITS.variants} (for one template, write "template" instead)`
        : `has ${list.length} variants; at most ${CAMPAIGN_LIMITS.variants}`,
    );
    return undefined;
  }
  const out: CampaignVariant[] = [];
  const labels = new Map<string, number>();
  list.forEach((v, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(v)) {
      report(at, `a variant is {label?, weight, template}, got ${describe(v)}`);
      return;
    }
    unknownKeys(v, VARIANT_KEYS, at, 'a variant', report);
    const label = readLabel(v.label, i, `${at}.label`, report);
    if (label !== undefined) {
      const first = labels.get(label);
      if (first !== undefined) {
        report(`${at}.label`, `"${label}" is already the label of variants[${first}]; labels must differ`);
      } else labels.set(label, i);
    }
    const weight = readWeight(v.weight, `${at}.weight`, report);
    const template = readTemplate(v.template, `${at}.template`, report);
    if (label !== undefined && weight !== undefined && template) out.push({ label, weight, template });
  });
  return out.length === list.length ? out : undefined;
}

function readLabel(v: unknown, index: number, path: string, report: Report): string | undefined {
  if (v === undefined || v === null) return DEFAULT_LABELS[index];
  if (typeof v !== 'string' || !LABEL.test(v) || v.length > CAMPAIGN_LIMITS.labelLength) {
    report(
      path,
      `must be 1 to ${CAMPAIGN_LIMITS.labelLength} letters, digits, "_" or "-" (e.g. "A", "short_text"), got ${describe(v)}`,
    );
    return undefined;
  }
  return v;
}

function readWeight(v: unknown, path: string, report: Report): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= CAMPAIGN_LIMITS.variantWeight) return v;
  report(
    path,
    `${v === undefined ? 'is required' : `is ${describe(v)}`}: a whole number from 1 to ${CAMPAIGN_LIMITS.variantWeight}, the variant's share relative to the others (50 and 50 split evenly)`,
  );
  return undefined;
}

function readTemplate(v: unknown, path: string, report: Report): CampaignTemplate | undefined {
  if (!isRecord(v)) {
    report(path, `a template is {name, language, header?, body?, buttons?}, got ${describe(v)}`);
    return undefined;
  }
  const before = report.count();
  unknownKeys(v, TEMPLATE_KEYS, path, 'a template', report);
  const name = readTemplateName(v.name, `${path}.name`, report);
  const language = readLanguage(v.language, `${path}.language`, report);
  const template: CampaignTemplate = { name: name ?? '', language: language ?? { kind: 'fixed', code: '' } };
  if (v.header !== undefined && v.header !== null) {
    const header = readHeader(v.header, `${path}.header`, report);
    if (header) template.header = header;
  }
  if (v.body !== undefined && v.body !== null) {
    const body = readBody(v.body, `${path}.body`, report);
    if (body) template.body = body;
  }
  if (v.buttons !== undefined && v.buttons !== null) {
    const buttons = readButtons(v.buttons, `${path}.buttons`, report);
    if (buttons) template.buttons = buttons;
  }
  return report.count() === before ? template : undefined;
}

function readTemplateName(v: unknown, path: string, report: Report): string | undefined {
  if (typeof v !== 'string' || v === '') {
    report(
      path,
      `${v === undefined ? 'is required' : `is ${describe(v)}`}: the approved template's name, e.g. "taxi_discount"`,
    );
    return undefined;
  }
  if (!TEMPLATE_NAME.test(v)) {
    const suggestion = suggestName(v);
    report(
      path,
      `"${cut(v)}" is not a template name: Meta's names use lowercase letters, digits and "_"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`,
    );
    return undefined;
  }
  if (v.length > NAME_MAX_LENGTH) {
    report(path, `is ${v.length} characters long; a template name has at most ${NAME_MAX_LENGTH}`);
    return undefined;
  }
  return v;
}

const LANGUAGE_HELP =
  'a Meta language code ("es_AR"), or {"contact_language": true, "fallback": "es_AR"} to use each contact\'s language when the template has it';

function readLanguage(v: unknown, path: string, report: Report): TemplateLanguage | undefined {
  if (typeof v === 'string') {
    const code = readLanguageCode(v, path, report);
    return code === undefined ? undefined : { kind: 'fixed', code };
  }
  if (!isRecord(v)) {
    report(path, `${v === undefined ? 'is required' : `is ${describe(v)}`}: ${LANGUAGE_HELP}`);
    return undefined;
  }
  unknownKeys(v, ['contact_language', 'fallback'], path, 'a language choice', report);
  if (v.contact_language !== true) {
    report(
      `${path}.contact_language`,
      v.contact_language === false
        ? 'is false; for one language for everyone, write the code itself: "language": "es_AR"'
        : `must be true, got ${describe(v.contact_language)} (${LANGUAGE_HELP})`,
    );
  }
  if (v.fallback === undefined || v.fallback === null) {
    report(
      `${path}.fallback`,
      'is required: the language code for contacts whose language the template lacks, e.g. "es_AR"',
    );
    return undefined;
  }
  if (typeof v.fallback !== 'string') {
    report(`${path}.fallback`, `must be a Meta language code such as "es_AR", got ${describe(v.fallback)}`);
    return undefined;
  }
  const fallback = readLanguageCode(v.fallback, `${path}.fallback`, report);
  return fallback === undefined || v.contact_language !== true ? undefined : { kind: 'contact', fallback };
}

function readLanguageCode(v: string, path: string, report: Report): string | undefined {
  if (LANGUAGE_CODE.test(v)) return v;
  const suggestion = suggestLanguage(v);
  report(
    path,
    `"${cut(v)}" is not a Meta template language code; ${suggestion ? `write "${suggestion}" (Meta's codes use an underscore: language_REGION)` : 'use a code such as "es", "es_AR", "en_US" or "pt_BR"'}`,
  );
  return undefined;
}

function readHeader(v: unknown, path: string, report: Report): HeaderSource | undefined {
  const keys = isRecord(v) ? Object.keys(v).filter((k) => v[k] !== undefined) : [];
  if (!isRecord(v) || keys.length !== 1 || !(HEADER_KEYS as readonly string[]).includes(keys[0]!)) {
    report(
      path,
      `a header value is one of {text}, {image}, {video}, {document} or {location}, as in /v1/messages; got ${isRecord(v) ? (keys.length === 0 ? 'an empty object' : `{ ${keys.join(', ')} }`) : describe(v)}`,
    );
    return undefined;
  }
  const key = keys[0] as (typeof HEADER_KEYS)[number];
  const value = v[key];
  if (key === 'text') {
    const text = readSource(value, `${path}.text`, 'header_text', report);
    return text && { text };
  }
  if (key === 'location') {
    const location = readLocation(value, `${path}.location`, report);
    return location && { location };
  }
  const media = readMedia(value, key, `${path}.${key}`, report);
  return media && ({ [key]: media } as HeaderSource);
}

function readMedia(
  v: unknown,
  kind: 'image' | 'video' | 'document',
  path: string,
  report: Report,
): { link?: string; id?: string; filename?: string } | undefined {
  const shape = `{"link": "https://…"} or {"id": "<media id>"}${kind === 'document' ? ', with an optional "filename"' : ''}`;
  if (!isRecord(v)) {
    report(path, `the ${kind} is ${shape}, got ${describe(v)}`);
    return undefined;
  }
  const before = report.count();
  unknownKeys(
    v,
    kind === 'document' ? ['link', 'id', 'filename'] : ['link', 'id'],
    path,
    `a ${kind}`,
    report,
  );
  const hasLink = v.link !== undefined;
  const hasId = v.id !== undefined;
  if (hasLink === hasId)
    report(path, `the ${kind} needs exactly one of link or id, got ${hasLink ? 'both' : 'neither'}`);
  if (hasLink && !isHttpUrl(v.link)) {
    report(
      `${path}.link`,
      `must be an http(s) URL of at most ${URL_MAX} characters, got ${describe(v.link)}`,
    );
  }
  if (hasId && (typeof v.id !== 'string' || v.id === '' || v.id.length > CAMPAIGN_LIMITS.mediaIdLength)) {
    report(
      `${path}.id`,
      `must be a media id (text, 1 to ${CAMPAIGN_LIMITS.mediaIdLength} characters), got ${describe(v.id)}`,
    );
  }
  if (
    v.filename !== undefined &&
    (typeof v.filename !== 'string' ||
      v.filename === '' ||
      v.filename.length > CAMPAIGN_LIMITS.filenameLength)
  ) {
    report(
      `${path}.filename`,
      `must be a file name of 1 to ${CAMPAIGN_LIMITS.filenameLength} characters, got ${describe(v.filename)}`,
    );
  }
  if (report.count() !== before) return undefined;
  const out: { link?: string; id?: string; filename?: string } = hasLink
    ? { link: v.link as string }
    : { id: v.id as string };
  if (typeof v.filename === 'string') out.filename = v.filename;
  return out;
}

function readLocation(
  v: unknown,
  path: string,
  report: Report,
): Extract<HeaderParam, { location: unknown }>['location'] | undefined {
  if (!isRecord(v)) {
    report(path, `the location is {latitude, longitude, name?, address?}, got ${describe(v)}`);
    return undefined;
  }
  const before = report.count();
  unknownKeys(v, ['latitude', 'longitude', 'name', 'address'], path, 'a location', report);
  const coordinate = (key: 'latitude' | 'longitude', limit: number) => {
    const raw = v[key];
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isFinite(n) || Math.abs(n) > limit) {
      report(`${path}.${key}`, `must be a number from -${limit} to ${limit}, got ${describe(raw)}`);
    }
    return raw as number | string;
  };
  const location: { latitude: number | string; longitude: number | string; name?: string; address?: string } =
    {
      latitude: coordinate('latitude', 90),
      longitude: coordinate('longitude', 180),
    };
  for (const key of ['name', 'address'] as const) {
    const text = v[key];
    if (text === undefined) continue;
    if (typeof text !== 'string' || text.length > CAMPAIGN_LIMITS.locationTextLength) {
      report(
        `${path}.${key}`,
        `must be text of at most ${CAMPAIGN_LIMITS.locationTextLength} characters, got ${describe(text)}`,
      );
    } else location[key] = text;
  }
  return report.count() === before ? location : undefined;
}

function readBody(
  v: unknown,
  path: string,
  report: Report,
): ParamSource[] | Record<string, ParamSource> | undefined {
  if (Array.isArray(v)) {
    if (v.length > CAMPAIGN_LIMITS.bodyValues) {
      report(path, `has ${v.length} values; at most ${CAMPAIGN_LIMITS.bodyValues}`);
      return undefined;
    }
    const out = v.map((s, i) => readSource(s, `${path}[${i}]`, 'body', report));
    return out.every((s) => s !== undefined) ? (out as ParamSource[]) : undefined;
  }
  if (!isRecord(v)) {
    report(
      path,
      `must be an array (values for {{1}}, {{2}}, … in order) or an object keyed by variable name (for {{first_name}} …), got ${describe(v)}`,
    );
    return undefined;
  }
  const keys = Object.keys(v);
  if (keys.length > CAMPAIGN_LIMITS.bodyValues) {
    report(path, `has ${keys.length} values; at most ${CAMPAIGN_LIMITS.bodyValues}`);
    return undefined;
  }
  const out: Record<string, ParamSource> = {};
  let complete = true;
  for (const key of keys) {
    if (!NAMED_VARIABLE_PATTERN.test(key)) {
      report(
        `${path}.${key}`,
        `"${cut(key)}" is not a variable name: named variables use lowercase letters, digits and "_", starting with a letter`,
      );
      complete = false;
      continue;
    }
    const source = readSource(v[key], `${path}.${key}`, 'body', report);
    if (source) out[key] = source;
    else complete = false;
  }
  return complete ? out : undefined;
}

function readButtons(v: unknown, path: string, report: Report): Array<ButtonSource | null> | undefined {
  if (!Array.isArray(v)) {
    report(
      path,
      `must be an array aligned with the template's buttons (null for one that takes nothing), got ${describe(v)}`,
    );
    return undefined;
  }
  if (v.length > CAMPAIGN_LIMITS.buttons) {
    report(path, `has ${v.length} values; a template has at most ${CAMPAIGN_LIMITS.buttons} buttons`);
    return undefined;
  }
  let complete = true;
  const out = v.map((b, i): ButtonSource | null => {
    const at = `${path}[${i}]`;
    if (b === null || b === undefined) return null;
    const keys = isRecord(b) ? Object.keys(b).filter((k) => b[k] !== undefined) : [];
    if (!isRecord(b) || keys.length !== 1 || !(BUTTON_KEYS as readonly string[]).includes(keys[0]!)) {
      report(
        at,
        `a button value is {payload} (quick reply), {url_suffix} (URL button) or {coupon_code} (copy-code button), or null; got ${isRecord(b) ? (keys.length === 0 ? 'an empty object' : `{ ${keys.join(', ')} }`) : describe(b)}`,
      );
      complete = false;
      return null;
    }
    const key = keys[0] as (typeof BUTTON_KEYS)[number];
    const source = readSource(b[key], `${at}.${key}`, key, report);
    if (!source) {
      complete = false;
      return null;
    }
    return { [key]: source } as ButtonSource;
  });
  return complete ? out : undefined;
}

// ─── Sources ──────────────────────────────────────────────────────────────────────────────

const SOURCE_HELP =
  'a constant text, {"attribute": "first_name", "default": "cliente"} or {"field": "name" | "first_name" | "phone", "default": …}';

function readSource(v: unknown, path: string, slot: Slot, report: Report): ParamSource | undefined {
  if (typeof v === 'string' || typeof v === 'number') {
    const text = constantText(v, path, slot, report);
    return text === undefined ? undefined : { kind: 'constant', value: text };
  }
  if (slot === 'body' && isRecord(v) && (v.currency !== undefined || v.date_time !== undefined)) {
    const value = readRichConstant(v, path, report);
    return value === undefined ? undefined : { kind: 'constant', value };
  }
  if (!isRecord(v)) {
    report(
      path,
      typeof v === 'boolean'
        ? `is ${describe(v)}; write the words to show as text (e.g. "sí"), or use ${SOURCE_HELP}`
        : `must be ${SOURCE_HELP}; got ${describe(v)}`,
    );
    return undefined;
  }
  return readReference(v, path, slot, report);
}

/** `{attribute, default?}` or `{field, default?}`: a value taken from the contact. */
function readReference(
  v: Record<string, unknown>,
  path: string,
  slot: Slot,
  report: Report,
): Exclude<ParamSource, { kind: 'constant' }> | undefined {
  const before = report.count();
  unknownKeys(v, SOURCE_KEYS, path, 'a value source', report);
  const hasAttribute = v.attribute !== undefined;
  const hasField = v.field !== undefined;
  if (hasAttribute === hasField) {
    report(
      path,
      hasAttribute
        ? 'gives both "attribute" and "field"; a value comes from one of them'
        : `names no source: give "attribute" (a contact attribute) or "field" (name, first_name, phone); ${SOURCE_HELP}`,
    );
    return undefined;
  }
  let fallback: string | undefined;
  if (v.default !== undefined) {
    if (typeof v.default !== 'string' && typeof v.default !== 'number') {
      report(
        `${path}.default`,
        `must be text (shown when the contact has no value), got ${describe(v.default)}`,
      );
    } else fallback = constantText(v.default, `${path}.default`, slot, report);
  }
  let source: Exclude<ParamSource, { kind: 'constant' }> | undefined;
  if (hasAttribute) {
    const name = v.attribute;
    if (typeof name !== 'string') {
      report(`${path}.attribute`, `must be an attribute name, e.g. "first_name", got ${describe(name)}`);
    } else {
      const checked = checkAttributeName(name);
      if (!checked.ok) {
        const field = (CONTACT_PARAM_FIELDS as readonly string[]).includes(name);
        report(
          `${path}.attribute`,
          field ? `${checked.problem}; write {"field": "${name}"} to use it` : checked.problem,
        );
      } else source = { kind: 'attribute', name: checked.value };
    }
  } else if (typeof v.field === 'string' && (CONTACT_PARAM_FIELDS as readonly string[]).includes(v.field)) {
    source = { kind: 'field', field: v.field as ContactParamField };
  } else {
    report(
      `${path}.field`,
      `must be one of ${CONTACT_PARAM_FIELDS.map((f) => `"${f}"`).join(', ')}, got ${describe(v.field)}; for anything else use {"attribute": …}`,
    );
  }
  if (!source || report.count() !== before) return undefined;
  if (fallback !== undefined) source.default = fallback;
  return source;
}

/** A constant or a default: it must already pass Meta's rules for the place it goes. */
function constantText(v: string | number, path: string, slot: Slot, report: Report): string | undefined {
  if (typeof v === 'number' && !Number.isFinite(v)) {
    report(path, `must be a finite number or text, got ${v}`);
    return undefined;
  }
  const text = typeof v === 'number' ? String(v) : storableText(v);
  const problem = textProblem(text, slot);
  if (problem) {
    report(path, `${problem} (${slotName(slot)})`);
    return undefined;
  }
  return text;
}

/** What Meta would refuse in a parameter's text, or undefined when it is fine. */
export function textProblem(text: string, slot: Slot): string | undefined {
  if (slot !== 'metadata' && text.trim() === '') return 'is empty';
  if (SINGLE_LINE_SLOTS.has(slot)) {
    if (/[\r\n]/.test(text)) return 'contains a line break, which WhatsApp rejects in a parameter';
    if (text.includes('\t')) return 'contains a tab, which WhatsApp rejects in a parameter';
    if (/ {5}/.test(text)) return 'has more than 4 consecutive spaces, which WhatsApp rejects in a parameter';
  }
  const max = SLOT_MAX[slot];
  // UTF-16 length bounds the character count from above: only long texts need counting.
  if (text.length > max && charCount(text) > max)
    return `is ${charCount(text)} characters long; the limit is ${max}`;
  return undefined;
}

function slotName(slot: Slot): string {
  return {
    header_text: 'a header value',
    body: 'a body value',
    payload: 'a quick-reply payload',
    url_suffix: 'a URL suffix',
    coupon_code: 'a coupon code',
    metadata: 'a metadata value',
  }[slot];
}

/** `{currency: {fallback_value, code, amount_1000}}` or `{date_time: {fallback_value}}`. */
function readRichConstant(v: Record<string, unknown>, path: string, report: Report): ParamValue | undefined {
  const keys = Object.keys(v);
  if (keys.length !== 1) {
    report(path, 'a rich value is either {currency: …} or {date_time: …}, alone');
    return undefined;
  }
  const before = report.count();
  const fallback = (obj: Record<string, unknown>, at: string): string | undefined => {
    if (typeof obj.fallback_value === 'string') {
      return constantText(obj.fallback_value, `${at}.fallback_value`, 'body', report);
    }
    report(`${at}.fallback_value`, `is required: the text shown as is, got ${describe(obj.fallback_value)}`);
    return undefined;
  };
  if (v.currency !== undefined) {
    const c = v.currency;
    const at = `${path}.currency`;
    if (!isRecord(c)) {
      report(at, `must be {fallback_value, code, amount_1000}, got ${describe(c)}`);
      return undefined;
    }
    unknownKeys(c, ['fallback_value', 'code', 'amount_1000'], at, 'a currency', report);
    const text = fallback(c, at);
    if (typeof c.code !== 'string' || !/^[A-Z]{3}$/.test(c.code)) {
      report(`${at}.code`, `must be 3 capital letters (ISO 4217, e.g. "ARS"), got ${describe(c.code)}`);
    }
    if (!Number.isInteger(c.amount_1000)) {
      report(
        `${at}.amount_1000`,
        `must be a whole number, the amount × 1000 (42500 for 42.50), got ${describe(c.amount_1000)}`,
      );
    }
    if (report.count() !== before || text === undefined) return undefined;
    return {
      currency: { fallback_value: text, code: c.code as string, amount_1000: c.amount_1000 as number },
    };
  }
  const d = v.date_time;
  const at = `${path}.date_time`;
  if (!isRecord(d)) {
    report(at, `must be {fallback_value}, got ${describe(d)}`);
    return undefined;
  }
  unknownKeys(d, ['fallback_value'], at, 'a date_time', report);
  const text = fallback(d, at);
  return report.count() !== before || text === undefined
    ? undefined
    : { date_time: { fallback_value: text } };
}

// ─── Audience, schedule, pace, cap, category ─────────────────────────────────────────────

function readAudience(v: unknown, path: string, problems: Problem[]): CampaignAudience | undefined {
  const help =
    'an audience is {"all": true}, {"filter": {…}}, {"list": {"contacts": […]}} or {"audience_id": "aud_…"}';
  if (v === undefined || v === null) {
    problems.push({ path, message: `is required: ${help}` });
    return undefined;
  }
  if (!isRecord(v)) {
    problems.push({ path, message: `${help}; got ${describe(v)}` });
    return undefined;
  }
  const report = reporter(problems);
  const before = problems.length;
  unknownKeys(v, AUDIENCE_KEYS, path, 'an audience', report);
  const given = AUDIENCE_KEYS.filter((k) => v[k] !== undefined);
  if (given.length !== 1) {
    problems.push({
      path,
      message:
        given.length === 0
          ? `names no audience; ${help}`
          : `gives ${given.map((k) => `"${k}"`).join(' and ')}; give exactly one of them`,
    });
    return undefined;
  }
  if (problems.length !== before) return undefined;
  if (given[0] === 'audience_id') {
    const id = v.audience_id;
    if (typeof id !== 'string' || !AUDIENCE_ID.test(id) || id.length > CAMPAIGN_LIMITS.audienceIdLength) {
      problems.push({
        path: `${path}.audience_id`,
        message: `must be a saved audience's id ("aud_…", as GET /v1/audiences lists them), got ${describe(id)}`,
      });
      return undefined;
    }
    return { kind: 'saved', audienceId: id };
  }
  const checked = checkAudienceDefinition(v, path);
  if (!checked.ok) {
    problems.push(...checked.problems);
    return undefined;
  }
  return checked.value;
}

function readSchedule(v: unknown, path: string, report: Report): Record<string, unknown> | undefined {
  if (v === undefined || v === null) return undefined;
  if (isRecord(v)) return v;
  report(path, `must be an object {at?, local_time?, quiet_hours?, expires_at?}, got ${describe(v)}`);
  return undefined;
}

function readPace(v: unknown, path: string, report: Report): number | undefined {
  if (v === undefined || v === null) return undefined;
  const { minPace, maxPace } = CAMPAIGN_LIMITS;
  if (typeof v === 'number' && Number.isFinite(v) && v >= minPace && v <= maxPace) return v;
  report(
    path,
    `must be messages per second, a number from ${minPace} to ${maxPace} (Meta's highest throughput per number), got ${describe(v)}; leave it out to send at the account's pace`,
  );
  return undefined;
}

function readCap(v: unknown, path: string, report: Report): number | undefined {
  if (v === undefined || v === null) return undefined;
  const max = CAMPAIGN_LIMITS.maxFrequencyCapHours;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max) return v;
  report(
    path,
    `must be whole hours from 0 (no cap) to ${max}: contacts sent a marketing template within that time are left out; got ${describe(v)}`,
  );
  return undefined;
}

function readCategory(v: unknown, path: string, report: Report): CampaignCategory | undefined {
  if (v === undefined || v === null) return undefined;
  const upper = typeof v === 'string' ? v.toUpperCase() : undefined;
  if (upper === 'MARKETING' || upper === 'UTILITY') return upper;
  report(
    path,
    upper === 'AUTHENTICATION'
      ? 'is AUTHENTICATION; one-time codes are sent one by one with POST /v1/messages, not as a campaign'
      : `must be "MARKETING" or "UTILITY" (the template category you expect), got ${describe(v)}`,
  );
  return undefined;
}

// ─── Metadata ─────────────────────────────────────────────────────────────────────────────

function readMetadata(v: unknown, path: string, report: Report): Record<string, MetadataSource> {
  const out: Record<string, MetadataSource> = {};
  if (v === undefined || v === null) return out;
  if (!isRecord(v)) {
    report(
      path,
      `must be an object of key → value (echoed in every event of every message), got ${describe(v)}`,
    );
    return out;
  }
  const entries = Object.entries(v);
  if (entries.length > METADATA_LIMITS.maxKeys) {
    report(path, `has ${entries.length} keys; at most ${METADATA_LIMITS.maxKeys} are allowed`);
    return out;
  }
  // Sources stand in as their defaults (or nothing): the size the metadata has at the least.
  const standIn: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    standIn[key] = isRecord(value) ? (typeof value.default === 'string' ? value.default : '') : value;
  }
  const bytes = Buffer.byteLength(JSON.stringify(standIn), 'utf8');
  const room = METADATA_LIMITS.maxBytes - METADATA_HEADROOM_BYTES;
  if (bytes > room) {
    report(
      path,
      `is ${bytes} bytes as JSON; a campaign's metadata has at most ${room} (${METADATA_LIMITS.maxBytes} less room for campaign_id); keep an id here and the rest in your system`,
    );
    return out;
  }
  for (const [key, value] of entries) {
    const at = `${path}.${key}`;
    if (key === '' || key.length > CAMPAIGN_LIMITS.metadataKeyLength) {
      report(at, `a metadata key has 1 to ${CAMPAIGN_LIMITS.metadataKeyLength} characters`);
      continue;
    }
    if (key.startsWith('campaign_')) {
      report(
        at,
        `keys starting with "campaign_" are Recontact's (it adds campaign_id itself); rename "${cut(key)}"`,
      );
      continue;
    }
    if (value === null || typeof value === 'boolean') {
      out[key] = { kind: 'constant', value };
    } else if (typeof value === 'number') {
      if (Number.isFinite(value)) out[key] = { kind: 'constant', value };
      else report(at, `must be a finite number, got ${value}`);
    } else if (typeof value === 'string') {
      out[key] = { kind: 'constant', value: storableText(value) };
    } else if (isRecord(value) && (value.attribute !== undefined || value.field !== undefined)) {
      const source = readReference(value, at, 'metadata', report);
      if (source) out[key] = source;
    } else {
      report(
        at,
        `metadata is flat: each value is text, a number, true/false, null, or {"attribute": …} / {"field": …} for a per-recipient value; got ${describe(value)}`,
      );
    }
  }
  return out;
}

// ─── Small helpers ────────────────────────────────────────────────────────────────────────

/** Reports each key of `v` not in `known`, naming the known ones. */
function unknownKeys(
  v: Record<string, unknown>,
  known: readonly string[],
  path: string,
  what: string,
  report: Report,
): void {
  for (const key of Object.keys(v)) {
    if (!known.includes(key)) {
      report(
        path ? `${path}.${key}` : key,
        `unknown key "${cut(key)}"; ${what} takes ${known.map((k) => `"${k}"`).join(', ')}`,
      );
    }
  }
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > URL_MAX) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}
