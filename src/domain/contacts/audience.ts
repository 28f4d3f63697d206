/**
 * Audiences: who a message to "many" goes to. A definition is one of
 *
 *   { all: true }                     every contact of the account
 *   { filter: { tags, attributes, window, last_inbound_before, last_inbound_after } }
 *   { list: { contacts: [ids or phones] } }
 *
 * and the same attribute-condition model serves the contact list's `attr=` filters. This file
 * checks definitions (every problem named with its JSON path, all of them at once) and defines
 * why a matching contact would still not receive the message: the exclusion reasons, counted
 * once per contact, the first that applies winning, in this order:
 *
 *   erased ▶ opted_out ▶ invalid_number (WhatsApp) | never_wrote (Messenger) ▶ missing_value ▶
 *   frequency_cap ▶ duplicate ▶ not_found
 *
 * `never_wrote`: a contact of a Messenger page with no message from the person, so no PSID a
 * page may write to (contacts imported or created by hand on a page).
 *
 * `duplicate` and `not_found` only arise from lists (an entry naming a contact already named,
 * an entry naming nobody in the contact book).
 */
import { cut, isRecord as isObject } from '../input-words';
import { parseIsoDuration } from '../iso-duration';
import { WHATSAPP_WINDOW } from '../window';
import { type AttributeValue, CONTACT_LIMITS, checkAttributeName, checkTag } from './contact-fields';

export const ATTRIBUTE_OPS = ['=', '!=', '<', '>', 'in', 'exists'] as const;
export type AttributeOp = (typeof ATTRIBUTE_OPS)[number];

/**
 * One condition on an attribute. Values keep their JSON type: 30 and "30" differ; `<` and `>`
 * compare numbers numerically and strings (ISO dates included) as text, and only match
 * attributes of the same type. `!=` also matches contacts that do not have the attribute.
 */
export type AttributeCondition =
  | { name: string; op: '=' | '!='; value: AttributeValue }
  | { name: string; op: '<' | '>'; value: string | number }
  | { name: string; op: 'in'; value: AttributeValue[] }
  | { name: string; op: 'exists'; value?: boolean };

export interface TagCondition {
  all: string[];
  any: string[];
  none: string[];
}

export interface AudienceFilter {
  tags: TagCondition;
  attributes: AttributeCondition[];
  window?: 'open' | 'closed';
  /**
   * Open now and closing within this many ms (the contact list's `window=expiring_within=PT1H`;
   * audience definitions do not take it: a campaign's audience is fixed at launch, a window
   * about to close is a moment, not a segment).
   */
  windowClosesWithinMs?: number;
  /** Milliseconds since the epoch. */
  lastInboundBefore?: number;
  lastInboundAfter?: number;
}

export type AudienceDefinition =
  | { kind: 'all' }
  | { kind: 'filter'; filter: AudienceFilter }
  | { kind: 'list'; contacts: string[] };

export const EXCLUSION_REASONS = [
  'erased',
  'opted_out',
  'invalid_number',
  'never_wrote',
  'missing_value',
  'frequency_cap',
  'duplicate',
  'not_found',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** What the message is: a marketing template is held back by a marketing opt-out, a utility one only by an opt-out of everything. */
export type AudiencePurpose = 'marketing' | 'utility';

/** Contact fields a template may be filled from; any other name in `needs` is an attribute. */
export const NEEDABLE_FIELDS = ['name', 'language', 'time_zone', 'phone'] as const;
export type NeedableField = (typeof NEEDABLE_FIELDS)[number];
export type Need = { field: NeedableField } | { attribute: string };

export const AUDIENCE_LIMITS = Object.freeze({
  nameLength: 100,
  tagsPerCondition: 50,
  conditions: 20,
  inValues: 100,
  listEntries: 10_000,
  needs: 20,
  sample: 10,
  /** Meta's per-user marketing limit is about a day; a week is the longest cap that makes sense. */
  maxFrequencyCapHours: 24 * 30,
});

export const DEFAULT_FREQUENCY_CAP_HOURS = 24;

export interface Problem {
  path: string;
  message: string;
}

export type CheckedDefinition = { ok: true; value: AudienceDefinition } | { ok: false; problems: Problem[] };

/**
 * Reads a definition as JSON gives it (`{all: true}`, `{filter: …}` or `{list: …}`), naming
 * every problem with its path under `at` ("definition.filter.attributes[0].op").
 */
export function checkAudienceDefinition(input: unknown, at = ''): CheckedDefinition {
  const problems: Problem[] = [];
  const path = (p: string) => (at ? `${at}.${p}` : p);
  if (!isObject(input)) {
    return {
      ok: false,
      problems: [
        {
          path: at || 'body',
          message: 'must be an object: {all: true}, {filter: {…}} or {list: {contacts: […]}}',
        },
      ],
    };
  }
  const kinds = (['all', 'filter', 'list'] as const).filter((k) => input[k] !== undefined);
  if (kinds.length !== 1) {
    return {
      ok: false,
      problems: [
        {
          path: at || 'body',
          message:
            kinds.length === 0
              ? 'names no audience: give exactly one of "all": true, "filter": {…} or "list": {"contacts": […]}'
              : `gives ${kinds.map((k) => `"${k}"`).join(' and ')}; give exactly one of them`,
        },
      ],
    };
  }
  const kind = kinds[0]!;
  if (kind === 'all') {
    if (input.all !== true)
      problems.push({ path: path('all'), message: 'must be true (every contact of the account)' });
    return problems.length ? { ok: false, problems } : { ok: true, value: { kind: 'all' } };
  }
  if (kind === 'list') {
    const list = input.list;
    if (!isObject(list) || !Array.isArray(list.contacts)) {
      return {
        ok: false,
        problems: [{ path: path('list'), message: 'must be {"contacts": ["ctc_…" or "+54 9 11 …", …]}' }],
      };
    }
    for (const key of Object.keys(list)) {
      if (key !== 'contacts')
        problems.push({
          path: path(`list.${key}`),
          message: 'is not a list field; a list has only "contacts"',
        });
    }
    if (list.contacts.length > AUDIENCE_LIMITS.listEntries) {
      problems.push({
        path: path('list.contacts'),
        message: `has ${list.contacts.length} entries; a list has at most ${AUDIENCE_LIMITS.listEntries} (import a CSV with a tag and filter on the tag instead)`,
      });
    }
    const contacts: string[] = [];
    list.contacts.forEach((c, i) => {
      if (typeof c !== 'string' || c.trim() === '' || c.length > 64) {
        problems.push({
          path: path(`list.contacts[${i}]`),
          message: 'must be a contact id (ctc_…) or a phone number, 1 to 64 characters',
        });
      } else contacts.push(c.trim());
    });
    return problems.length ? { ok: false, problems } : { ok: true, value: { kind: 'list', contacts } };
  }
  const filter = checkFilter(input.filter, path('filter'), problems);
  return problems.length || !filter
    ? { ok: false, problems }
    : { ok: true, value: { kind: 'filter', filter } };
}

const FILTER_KEYS = new Set(['tags', 'attributes', 'window', 'last_inbound_before', 'last_inbound_after']);

function checkFilter(input: unknown, at: string, problems: Problem[]): AudienceFilter | undefined {
  if (!isObject(input)) {
    problems.push({
      path: at,
      message: 'must be an object with tags, attributes, window, last_inbound_before or last_inbound_after',
    });
    return undefined;
  }
  for (const key of Object.keys(input)) {
    if (!FILTER_KEYS.has(key)) {
      problems.push({
        path: `${at}.${key}`,
        message: `is not a filter field; use ${[...FILTER_KEYS].join(', ')}`,
      });
    }
  }
  const tags = checkTagCondition(input.tags, `${at}.tags`, problems);
  const attributes: AttributeCondition[] = [];
  if (input.attributes !== undefined) {
    if (!Array.isArray(input.attributes)) {
      problems.push({ path: `${at}.attributes`, message: 'must be an array of {name, op, value}' });
    } else if (input.attributes.length > AUDIENCE_LIMITS.conditions) {
      problems.push({
        path: `${at}.attributes`,
        message: `has ${input.attributes.length} conditions; at most ${AUDIENCE_LIMITS.conditions}`,
      });
    } else {
      input.attributes.forEach((c, i) => {
        const checked = checkAttributeCondition(c, `${at}.attributes[${i}]`, problems);
        if (checked) attributes.push(checked);
      });
    }
  }
  const out: AudienceFilter = { tags, attributes };
  if (input.window !== undefined) {
    if (input.window === 'open' || input.window === 'closed') out.window = input.window;
    else problems.push({ path: `${at}.window`, message: 'must be "open" or "closed"' });
  }
  for (const [key, field] of [
    ['last_inbound_before', 'lastInboundBefore'],
    ['last_inbound_after', 'lastInboundAfter'],
  ] as const) {
    const v = input[key];
    if (v === undefined) continue;
    const ms = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms)) {
      problems.push({
        path: `${at}.${key}`,
        message: 'must be an ISO 8601 time, e.g. "2026-11-01T00:00:00Z"',
      });
    } else out[field] = ms;
  }
  return out;
}

function checkTagCondition(input: unknown, at: string, problems: Problem[]): TagCondition {
  const out: TagCondition = { all: [], any: [], none: [] };
  if (input === undefined) return out;
  if (!isObject(input)) {
    problems.push({ path: at, message: 'must be {"all": […], "any": […], "none": […]}' });
    return out;
  }
  for (const key of Object.keys(input)) {
    if (key !== 'all' && key !== 'any' && key !== 'none') {
      problems.push({ path: `${at}.${key}`, message: 'is not a tag condition; use "all", "any" or "none"' });
    }
  }
  for (const key of ['all', 'any', 'none'] as const) {
    const list = input[key];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push({ path: `${at}.${key}`, message: 'must be an array of tags' });
      continue;
    }
    if (list.length > AUDIENCE_LIMITS.tagsPerCondition) {
      problems.push({
        path: `${at}.${key}`,
        message: `has ${list.length} tags; at most ${AUDIENCE_LIMITS.tagsPerCondition}`,
      });
      continue;
    }
    const set = new Set<string>();
    list.forEach((t, i) => {
      const c = checkTag(t);
      if (c.ok) set.add(c.value);
      else problems.push({ path: `${at}.${key}[${i}]`, message: c.problem });
    });
    out[key] = [...set].sort();
  }
  return out;
}

const OPS = new Set<string>(ATTRIBUTE_OPS);

/** One condition as JSON gives it: {name, op, value}. */
export function checkAttributeCondition(
  input: unknown,
  at: string,
  problems: Problem[],
): AttributeCondition | undefined {
  if (!isObject(input)) {
    problems.push({ path: at, message: 'must be {"name": …, "op": …, "value": …}' });
    return undefined;
  }
  const before = problems.length;
  for (const key of Object.keys(input)) {
    if (key !== 'name' && key !== 'op' && key !== 'value') {
      problems.push({ path: `${at}.${key}`, message: 'is not part of a condition; use name, op and value' });
    }
  }
  const name = typeof input.name === 'string' ? checkAttributeName(input.name) : undefined;
  if (!name) problems.push({ path: `${at}.name`, message: 'must be the attribute name, a string' });
  else if (!name.ok) problems.push({ path: `${at}.name`, message: name.problem });
  const op = input.op;
  if (typeof op !== 'string' || !OPS.has(op)) {
    problems.push({
      path: `${at}.op`,
      message: `must be one of ${ATTRIBUTE_OPS.map((o) => `"${o}"`).join(', ')}`,
    });
    return undefined;
  }
  const value = checkConditionValue(op as AttributeOp, input.value, `${at}.value`, problems);
  if (problems.length > before || !name?.ok) return undefined;
  return { name: name.value, op, value } as AttributeCondition;
}

function checkConditionValue(op: AttributeOp, value: unknown, at: string, problems: Problem[]): unknown {
  const scalar = (v: unknown, where: string): AttributeValue | undefined => {
    if (typeof v === 'string') {
      if (v.length > CONTACT_LIMITS.attributeStringLength) {
        problems.push({
          path: where,
          message: `is longer than ${CONTACT_LIMITS.attributeStringLength} characters`,
        });
        return undefined;
      }
      return v;
    }
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'boolean') return v;
    problems.push({ path: where, message: 'must be a string, a finite number or a boolean' });
    return undefined;
  };
  switch (op) {
    case 'exists':
      if (value !== undefined && typeof value !== 'boolean') {
        problems.push({
          path: at,
          message: '"exists" takes no value, or true / false (false: the attribute is absent)',
        });
      }
      return value ?? true;
    case 'in':
      if (!Array.isArray(value) || value.length === 0 || value.length > AUDIENCE_LIMITS.inValues) {
        problems.push({
          path: at,
          message: `"in" takes an array of 1 to ${AUDIENCE_LIMITS.inValues} values`,
        });
        return undefined;
      }
      return value.map((v, i) => scalar(v, `${at}[${i}]`));
    case '<':
    case '>':
      if (typeof value === 'boolean') {
        problems.push({
          path: at,
          message: `"${op}" compares numbers, or text such as ISO dates; not booleans`,
        });
        return undefined;
      }
      return scalar(value, at);
    default:
      if (value === undefined) {
        problems.push({ path: at, message: `"${op}" needs a value` });
        return undefined;
      }
      return scalar(value, at);
  }
}

/**
 * The list's `attr=` query syntax: `name:op:value`, op one of eq, ne, lt, gt, in (values
 * separated by commas), exists (no value). A value is read like a CSV cell — "30" is a number,
 * "true" a boolean — unless written as a JSON string ("\"007\"") to keep it text.
 */
export const QUERY_OPS: Record<string, AttributeOp> = {
  eq: '=',
  ne: '!=',
  lt: '<',
  gt: '>',
  in: 'in',
  exists: 'exists',
};

export function parseAttributeQuery(
  text: string,
  at: string,
  problems: Problem[],
): AttributeCondition | undefined {
  const first = text.indexOf(':');
  const second = first < 0 ? -1 : text.indexOf(':', first + 1);
  const name = first < 0 ? text : text.slice(0, first);
  const opWord = first < 0 ? '' : second < 0 ? text.slice(first + 1) : text.slice(first + 1, second);
  const raw = second < 0 ? undefined : text.slice(second + 1);
  const op = QUERY_OPS[opWord];
  if (!op) {
    problems.push({
      path: at,
      message: `"${cut(text, 60)}" is not name:op:value; op is one of ${Object.keys(QUERY_OPS).join(', ')} (e.g. city:eq:Rosario, age:gt:30, email:exists)`,
    });
    return undefined;
  }
  let value: unknown;
  if (op === 'exists')
    value = raw === undefined ? undefined : raw === 'true' ? true : raw === 'false' ? false : raw;
  else if (raw === undefined) value = undefined;
  else if (op === 'in') value = splitValues(raw).map(queryValue);
  else value = queryValue(raw);
  return checkAttributeCondition({ name, op, ...(value === undefined ? {} : { value }) }, at, problems);
}

function splitValues(raw: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of raw) {
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) {
      out.push(current);
      current = '';
    } else current += ch;
  }
  out.push(current);
  return out;
}

const NUMERAL = /^-?(?:0|[1-9]\d{0,14})(?:\.\d+)?$/;

function queryValue(raw: string): AttributeValue | undefined {
  if (raw.startsWith('"') && raw.endsWith('"') && raw.length >= 2) {
    try {
      const v = JSON.parse(raw);
      if (typeof v === 'string') return v;
    } catch {
      // not JSON: taken as written below
    }
  }
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  if (NUMERAL.test(raw)) return Number(raw);
  return raw;
}

/** `needs` names contact fields or attributes a template's parameters are filled from. */
export function checkNeeds(input: readonly string[], at: string, problems: Problem[]): Need[] {
  if (input.length > AUDIENCE_LIMITS.needs) {
    problems.push({ path: at, message: `names ${input.length} values; at most ${AUDIENCE_LIMITS.needs}` });
    return [];
  }
  const out: Need[] = [];
  const seen = new Set<string>();
  input.forEach((n, i) => {
    if (seen.has(n)) return;
    seen.add(n);
    if ((NEEDABLE_FIELDS as readonly string[]).includes(n)) {
      out.push({ field: n as NeedableField });
      return;
    }
    const c = checkAttributeName(n);
    if (c.ok) out.push({ attribute: c.value });
    else
      problems.push({
        path: `${at}[${i}]`,
        message: `${c.problem} (a need is ${NEEDABLE_FIELDS.join(', ')} or an attribute name)`,
      });
  });
  return out;
}

/** The definition in its JSON form, as stored and answered (times as ISO text). */
export function definitionToJson(d: AudienceDefinition): Record<string, unknown> {
  if (d.kind === 'all') return { all: true };
  if (d.kind === 'list') return { list: { contacts: d.contacts } };
  const f = d.filter;
  const filter: Record<string, unknown> = {};
  const tags: Record<string, string[]> = {};
  for (const k of ['all', 'any', 'none'] as const) if (f.tags[k].length) tags[k] = f.tags[k];
  if (Object.keys(tags).length) filter.tags = tags;
  if (f.attributes.length) filter.attributes = f.attributes;
  if (f.window) filter.window = f.window;
  if (f.lastInboundBefore !== undefined)
    filter.last_inbound_before = new Date(f.lastInboundBefore).toISOString();
  if (f.lastInboundAfter !== undefined)
    filter.last_inbound_after = new Date(f.lastInboundAfter).toISOString();
  return { filter };
}

/** What `window=` takes on the contact list, for errors and the API's description. */
export const WINDOW_QUERY_FORMS =
  '"open", "closed" or "expiring_within=<ISO 8601 duration>" (open now and closing within it, e.g. expiring_within=PT1H, PT30M, PT90S, P1D; at most the 24-hour window)';

/**
 * The contact list's `window=` value: open, closed, or expiring_within=<duration> up to the
 * window's own length (a longer one would be every open window, and likely a mistake).
 */
export function parseWindowQuery(
  text: string,
):
  | { ok: true; value: Pick<AudienceFilter, 'window' | 'windowClosesWithinMs'> }
  | { ok: false; problem: string } {
  const t = text.trim();
  if (t === 'open' || t === 'closed') return { ok: true, value: { window: t } };
  const m = /^expiring_within=(.*)$/i.exec(t);
  if (!m) return { ok: false, problem: `must be ${WINDOW_QUERY_FORMS}; got ${JSON.stringify(cut(text))}` };
  const ms = parseIsoDuration(m[1] ?? '');
  if (ms === null)
    return {
      ok: false,
      problem: `expiring_within takes an ISO 8601 duration above zero in weeks, days, hours, minutes or seconds (PT1H, PT30M, PT90S, P1D); got ${JSON.stringify(cut(m[1] ?? ''))}`,
    };
  if (ms > WHATSAPP_WINDOW.durationMs)
    return {
      ok: false,
      problem: `expiring_within is at most the 24-hour window (PT24H or P1D); got ${cut(m[1] ?? '')} (${ms / 3_600_000} h)`,
    };
  return { ok: true, value: { window: 'open', windowClosesWithinMs: ms } };
}

/** An empty filter: every contact (the list's base case). */
export function emptyFilter(): AudienceFilter {
  return { tags: { all: [], any: [], none: [] }, attributes: [] };
}
