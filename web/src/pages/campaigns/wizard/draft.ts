/**
 * The wizard's form and the campaign definition it is saved as (POST/PUT /v1/campaigns), both
 * ways: a reload reads the draft back into the form. What the wizard does not edit (an A/B
 * split, routing, metadata, a list audience, attribute filters…) is kept as it was written, so
 * opening a draft made through the API or the CLI never loses part of it.
 */
import type { Slot } from './slots';

export const CONTACT_FIELDS = ['first_name', 'name', 'phone'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

/** Where one value comes from, for each recipient. */
export interface ValueSource {
  kind: 'field' | 'attribute' | 'constant';
  field: ContactField;
  attribute: string;
  /** The constant, or a media header's link. */
  value: string;
  /** For a field or an attribute: used when the contact has none (else the contact is left out). */
  fallback: string;
}

export const emptySource = (): ValueSource => ({
  kind: 'constant',
  field: 'first_name',
  attribute: '',
  value: '',
  fallback: '',
});

export type AudienceChoice =
  | { kind: 'all' }
  | { kind: 'saved'; id: string }
  | { kind: 'filter'; tagsAll: string[]; tagsNone: string[]; window: '' | 'open' | 'closed' }
  | { kind: 'kept'; definition: Record<string, unknown> };

export interface ScheduleChoice {
  when: 'launch' | 'at' | 'local';
  /** `at`: a datetime-local value, in the browser's zone. */
  at: string;
  /** `local`: the hour on each recipient's clock, and a date or a weekday. */
  localTime: string;
  localDay: 'date' | 'weekday';
  localDate: string;
  localWeekday: string;
  quiet: 'account' | 'none' | 'custom';
  quietFrom: string;
  quietTo: string;
  /** datetime-local, or '' for none. */
  expires: string;
  fallbackZone: string;
}

export interface WizardState {
  name: string;
  accountId: string | undefined;
  template: { name: string; language: string } | undefined;
  audience: AudienceChoice;
  values: Record<string, ValueSource>;
  schedule: ScheduleChoice;
  pace: number | undefined;
  /** The definition's other keys, and a filter's other conditions, as written. */
  kept: Record<string, unknown>;
  keptFilter: Record<string, unknown>;
  /** A language object ({contact_language, fallback}) or an A/B split the wizard shows but does not edit. */
  keptLanguage: unknown;
  split: boolean;
}

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

export function emptySchedule(): ScheduleChoice {
  return {
    when: 'launch',
    at: '',
    localTime: '10:00',
    localDay: 'date',
    localDate: '',
    localWeekday: 'monday',
    quiet: 'account',
    quietFrom: '21:00',
    quietTo: '09:00',
    expires: '',
    fallbackZone: '',
  };
}

export function emptyWizard(): WizardState {
  return {
    name: '',
    accountId: undefined,
    template: undefined,
    audience: { kind: 'all' },
    values: {},
    schedule: emptySchedule(),
    pace: undefined,
    kept: {},
    keptFilter: {},
    keptLanguage: undefined,
    split: false,
  };
}

// ─── To the definition ────────────────────────────────────────────────────────────────────

type Json = Record<string, unknown>;

function sourceJson(s: ValueSource | undefined): unknown {
  if (!s) return '';
  if (s.kind === 'constant') return s.value;
  const base = s.kind === 'field' ? { field: s.field } : { attribute: s.attribute.trim() };
  return s.fallback.trim() ? { ...base, default: s.fallback } : base;
}

/** A value not given yet: an empty constant, or an attribute without a name. */
export function unset(s: ValueSource | undefined): boolean {
  return (
    !s || (s.kind === 'constant' && s.value.trim() === '') || (s.kind === 'attribute' && !s.attribute.trim())
  );
}

/**
 * The template part of the definition, from the values given for each of its slots. A part
 * whose values are not all given yet is left out (a draft saved before the values step), since
 * the API refuses an empty value; the values step does not go on until each is given.
 */
export function templateJson(w: WizardState, slots: Slot[]): Json | undefined {
  if (!w.template) return undefined;
  const out: Json = { name: w.template.name, language: w.keptLanguage ?? w.template.language };
  const body = slots.filter((s) => s.place === 'body');
  if (body.length > 0 && !body.some((s) => unset(w.values[s.key]))) {
    const named = body.some((s) => !/^body\.\d+$/.test(s.key));
    out.body = named
      ? Object.fromEntries(body.map((s) => [s.key.slice(5), sourceJson(w.values[s.key])]))
      : body.map((s) => sourceJson(w.values[s.key]));
  }
  const header = slots.find((s) => s.key === 'header');
  if (header && unset(w.values.header)) {
    // Not given yet: left out, as above.
  } else if (header?.place === 'header_text') out.header = { text: sourceJson(w.values.header) };
  else if (header?.place === 'header_media')
    out.header = { [header.media ?? 'image']: { link: (w.values.header?.value ?? '').trim() } };
  const buttons = slots.filter((s) => s.button !== undefined);
  if (buttons.length > 0) {
    const list: unknown[] = [];
    const last = Math.max(...buttons.map((s) => s.button!));
    for (let i = 0; i <= last; i++) {
      const s = buttons.find((b) => b.button === i);
      const v = s ? w.values[s.key] : undefined;
      if (!s || unset(v)) list.push(null);
      else {
        const key =
          s.place === 'payload' ? 'payload' : s.place === 'url_suffix' ? 'url_suffix' : 'coupon_code';
        list.push({ [key]: sourceJson(v) });
      }
    }
    // Trailing nulls say nothing: Meta's buttons past the last value keep their own.
    while (list.length > 0 && list.at(-1) === null) list.pop();
    if (list.length > 0) out.buttons = list;
  }
  return out;
}

export function audienceJson(a: AudienceChoice, keptFilter: Json): Json {
  if (a.kind === 'all') return { all: true };
  if (a.kind === 'saved') return { audience_id: a.id };
  if (a.kind === 'kept') return a.definition;
  const filter: Json = { ...keptFilter };
  const keptTags = (keptFilter.tags ?? {}) as Json;
  const tags: Json = { ...keptTags };
  if (a.tagsAll.length) tags.all = a.tagsAll;
  else delete tags.all;
  if (a.tagsNone.length) tags.none = a.tagsNone;
  else delete tags.none;
  if (Object.keys(tags).length) filter.tags = tags;
  else delete filter.tags;
  if (a.window) filter.window = a.window;
  else delete filter.window;
  return { filter };
}

/** A datetime-local value (the browser's zone) as an ISO instant; '' when empty or unreadable. */
export function localToIso(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** An ISO instant as a datetime-local value in the browser's zone. */
export function isoToLocal(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function scheduleJson(s: ScheduleChoice): Json | undefined {
  const out: Json = {};
  if (s.when === 'at') out.at = localToIso(s.at) || s.at;
  if (s.when === 'local') {
    out.local_time =
      s.localDay === 'date'
        ? { time: s.localTime, date: s.localDate }
        : { time: s.localTime, weekday: s.localWeekday };
  }
  if (s.quiet === 'none') out.quiet_hours = null;
  if (s.quiet === 'custom') out.quiet_hours = { from: s.quietFrom, to: s.quietTo };
  if (s.expires) out.expires_at = localToIso(s.expires) || s.expires;
  if (s.fallbackZone.trim()) out.fallback_time_zone = s.fallbackZone.trim();
  return Object.keys(out).length ? out : undefined;
}

/** The whole definition, as POST /v1/campaigns takes it. */
export function definitionOf(w: WizardState, slots: Slot[]): Json {
  const def: Json = { ...w.kept, name: w.name.trim() };
  if (w.accountId) def.account_id = w.accountId;
  if (!w.split) {
    const template = templateJson(w, slots);
    if (template) def.template = template;
  }
  def.audience = audienceJson(w.audience, w.keptFilter);
  const schedule = scheduleJson(w.schedule);
  if (schedule) def.schedule = schedule;
  else delete def.schedule;
  if (w.pace !== undefined) def.pace = w.pace;
  else delete def.pace;
  return def;
}

// ─── From the definition ──────────────────────────────────────────────────────────────────

const record = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;

function sourceOf(v: unknown): ValueSource {
  const s = emptySource();
  const r = record(v);
  if (!r) return { ...s, value: v === undefined || v === null ? '' : String(v) };
  const fallback = r.default === undefined ? '' : String(r.default);
  if (typeof r.field === 'string') return { ...s, kind: 'field', field: r.field as ContactField, fallback };
  if (typeof r.attribute === 'string') return { ...s, kind: 'attribute', attribute: r.attribute, fallback };
  return s;
}

function valuesOf(template: Json): Record<string, ValueSource> {
  const values: Record<string, ValueSource> = {};
  const body = template.body;
  if (Array.isArray(body))
    body.forEach((v, i) => {
      values[`body.${i + 1}`] = sourceOf(v);
    });
  else if (record(body)) for (const [k, v] of Object.entries(body as Json)) values[`body.${k}`] = sourceOf(v);
  const header = record(template.header);
  if (header?.text !== undefined) values.header = sourceOf(header.text);
  else if (header) {
    const media = record(header.image ?? header.video ?? header.document);
    if (media) values.header = { ...emptySource(), value: String(media.link ?? '') };
  }
  if (Array.isArray(template.buttons))
    template.buttons.forEach((b, i) => {
      const r = record(b);
      const v = r?.payload ?? r?.url_suffix ?? r?.coupon_code;
      if (v !== undefined) values[`button.${i}`] = sourceOf(v);
    });
  return values;
}

function audienceOf(a: unknown): { audience: AudienceChoice; keptFilter: Json } {
  const r = record(a) ?? {};
  if (r.all === true) return { audience: { kind: 'all' }, keptFilter: {} };
  if (typeof r.audience_id === 'string')
    return { audience: { kind: 'saved', id: r.audience_id }, keptFilter: {} };
  const filter = record(r.filter);
  // A window the form has no words for (expiring_within=…) keeps the whole audience as written.
  if (filter && (filter.window === undefined || filter.window === 'open' || filter.window === 'closed')) {
    const tags = record(filter.tags) ?? {};
    const strings = (v: unknown) => (Array.isArray(v) ? v.map(String) : []);
    const { window, ...rest } = filter;
    return {
      audience: {
        kind: 'filter',
        tagsAll: strings(tags.all),
        tagsNone: strings(tags.none),
        window: (window as 'open' | 'closed' | undefined) ?? '',
      },
      keptFilter: rest,
    };
  }
  return { audience: { kind: 'kept', definition: r }, keptFilter: {} };
}

function scheduleOf(v: unknown): ScheduleChoice {
  const s = emptySchedule();
  const r = record(v);
  if (!r) return s;
  if (typeof r.at === 'string') {
    s.when = 'at';
    s.at = isoToLocal(r.at);
  }
  const local = record(r.local_time);
  if (local) {
    s.when = 'local';
    s.localTime = String(local.time ?? s.localTime);
    if (typeof local.weekday === 'string') {
      s.localDay = 'weekday';
      s.localWeekday = local.weekday;
    } else s.localDate = String(local.date ?? '');
  }
  if ('quiet_hours' in r) {
    const q = record(r.quiet_hours);
    if (q) {
      s.quiet = 'custom';
      s.quietFrom = String(q.from ?? s.quietFrom);
      s.quietTo = String(q.to ?? s.quietTo);
    } else s.quiet = 'none';
  }
  if (typeof r.expires_at === 'string') s.expires = isoToLocal(r.expires_at);
  if (typeof r.fallback_time_zone === 'string') s.fallbackZone = r.fallback_time_zone;
  return s;
}

/** A saved draft's definition, back into the wizard's form. */
export function wizardOf(definition: Json): WizardState {
  const { name, account_id, template, variants, audience, schedule, pace, ...kept } = definition;
  const w = emptyWizard();
  w.name = typeof name === 'string' ? name : '';
  w.accountId = typeof account_id === 'string' ? account_id : undefined;
  const t = record(template);
  if (t && typeof t.name === 'string') {
    const language = t.language;
    w.template = {
      name: t.name,
      language: typeof language === 'string' ? language : String(record(language)?.fallback ?? ''),
    };
    if (typeof language !== 'string') w.keptLanguage = language;
    w.values = valuesOf(t);
  }
  if (variants !== undefined) {
    w.split = true;
    w.kept = { ...kept, variants };
  } else w.kept = kept;
  const a = audienceOf(audience);
  w.audience = a.audience;
  w.keptFilter = a.keptFilter;
  w.schedule = scheduleOf(schedule);
  w.pace = typeof pace === 'number' ? pace : undefined;
  return w;
}

/**
 * First sources for a template's slots. A named variable called like a contact field or
 * attribute ({{first_name}}, {{topic}}) is filled from it; a media header, a URL suffix and a
 * code start from the template's example; a positional body variable starts empty, so that no
 * example ("Emilia") goes to everyone unnoticed: the operator says where each comes from.
 */
export function initialValues(slots: Slot[]): Record<string, ValueSource> {
  const values: Record<string, ValueSource> = {};
  for (const s of slots) {
    if (s.optional) continue;
    const name = s.key.slice(5);
    if (s.place === 'body' && !/^\d+$/.test(name)) {
      values[s.key] = (CONTACT_FIELDS as readonly string[]).includes(name)
        ? { ...emptySource(), kind: 'field', field: name as ContactField }
        : { ...emptySource(), kind: 'attribute', attribute: name };
    } else if (s.place === 'body' || s.place === 'header_text') values[s.key] = emptySource();
    else values[s.key] = { ...emptySource(), value: s.example ?? '' };
  }
  return values;
}

/** The contact fields and attributes a definition fills from without a fallback (the preview's `needs`). */
export function needsOf(w: WizardState): string[] {
  const needs = new Set<string>();
  for (const v of Object.values(w.values)) {
    if (v.fallback.trim()) continue;
    if (v.kind === 'field') needs.add(v.field === 'first_name' ? 'name' : v.field);
    if (v.kind === 'attribute' && v.attribute.trim()) needs.add(v.attribute.trim());
  }
  return [...needs];
}
