/**
 * The resume-contact rule: which template goes to a waiting contact, when, filled from what.
 *
 *   {"template": {"name": "resume_conversation", "language": "es_AR",
 *                 "body": [{"from": "contact.first_name", "default": "Hola"},
 *                          {"from": "waiting.metadata.topic"}]},
 *    "before_close_minutes": 0, "handoff": true}
 *
 * The template part has the shape of POST /v1/messages' `template` (header, body, buttons), and
 * each parameter value is either a literal (as in a 1:1 send) or a reference `{"from", "default"?}`:
 *   contact.name, contact.first_name, contact.phone, contact.attributes.<name>,
 *   waiting.question, waiting.reason, waiting.metadata.<key>.
 * References are filled by the campaigns' mapping (campaigns/mapping.ts), so a resume value obeys
 * the same rules as a campaign value: cleaned, never cut, the default when absent or too long.
 *
 * When: `before_close_minutes` 0 sends once the window has closed, N sends N minutes before
 * it closes; a contact whose window is already closed (or who never wrote) is due at once.
 */

import type { ButtonSource, CampaignTemplate, HeaderSource, ParamSource } from '../campaigns/definition';
import {
  compileMapping,
  type MappingContact,
  type Resolution,
  type ResolvedTemplate,
} from '../campaigns/mapping';
import type { Problem } from '../contacts/audience';
import type { AttributeValue } from '../contacts/contact-fields';
import { describe, isRecord } from '../templates/lint/util';
import type { HeaderParam } from '../templates/model';
import { WHATSAPP_WINDOW, type WindowPolicy } from '../window';

export type { Problem };

/** A parameter value: a literal, or a reference to the contact or the waiting mark. */
export type ValueSpec = string | number | { from: string; default?: string };

export interface ResumeTemplateSpec {
  name: string;
  language: string;
  header?: { text: ValueSpec } | Record<string, unknown>;
  body?: ValueSpec[] | Record<string, ValueSpec>;
  buttons?: Array<{ payload: ValueSpec } | { url_suffix: ValueSpec } | { coupon_code: ValueSpec } | null>;
}

export interface ResumeSpec {
  template: ResumeTemplateSpec;
  before_close_minutes: number;
  handoff: boolean;
}

/** The rule in force on a mark: its own, or the account's copied when marked. */
export interface ResumeInForce extends ResumeSpec {
  source: 'mark' | 'account';
}

export const RESUME_LIMITS = Object.freeze({
  /** A window lasts 24 h: "before the close" can be at most just after it opened. */
  maxBeforeCloseMinutes: 24 * 60 - 1,
  nameMax: 512,
});

const CONTACT_FIELDS = {
  'contact.name': 'name',
  'contact.first_name': 'first_name',
  'contact.phone': 'phone',
} as const;
const WAITING_FIELDS = ['waiting.question', 'waiting.reason'] as const;
const FROM_HELP =
  'contact.name, contact.first_name, contact.phone, contact.attributes.<name>, waiting.question, waiting.reason or waiting.metadata.<key>';

export type CheckedResume = { ok: true; value: ResumeSpec } | { ok: false; problems: Problem[] };

/** Checks a rule as given (API body, routing action); every problem names its path. */
export function checkResumeSpec(input: unknown, path: string): CheckedResume {
  const problems: Problem[] = [];
  const report = (p: string, message: string) => problems.push({ path: p, message });
  if (!isRecord(input)) {
    return { ok: false, problems: [{ path, message: `must be an object, got ${describe(input)}` }] };
  }
  for (const key of Object.keys(input)) {
    if (!['template', 'before_close_minutes', 'handoff'].includes(key)) {
      report(`${path}.${key}`, 'is not a field of a resume rule (template, before_close_minutes, handoff)');
    }
  }
  const template = checkTemplate(input.template, `${path}.template`, report);
  const minutes = input.before_close_minutes ?? 0;
  if (
    typeof minutes !== 'number' ||
    !Number.isInteger(minutes) ||
    minutes < 0 ||
    minutes > RESUME_LIMITS.maxBeforeCloseMinutes
  ) {
    report(
      `${path}.before_close_minutes`,
      `must be a whole number of minutes from 0 (once the window closed) to ${RESUME_LIMITS.maxBeforeCloseMinutes}, got ${describe(minutes)}`,
    );
  }
  const handoff = input.handoff ?? false;
  if (typeof handoff !== 'boolean')
    report(`${path}.handoff`, `must be true or false, got ${describe(handoff)}`);
  if (problems.length || !template) return { ok: false, problems };
  return {
    ok: true,
    value: { template, before_close_minutes: minutes as number, handoff: handoff as boolean },
  };
}

type Report = (path: string, message: string) => void;

function checkTemplate(v: unknown, path: string, report: Report): ResumeTemplateSpec | undefined {
  if (!isRecord(v)) {
    report(path, `must be an object {name, language, header?, body?, buttons?}, got ${describe(v)}`);
    return undefined;
  }
  let ok = true;
  for (const key of ['name', 'language'] as const) {
    const s = v[key];
    if (typeof s !== 'string' || s.trim() === '' || s.length > RESUME_LIMITS.nameMax) {
      report(`${path}.${key}`, `must be the template's ${key} as text, got ${describe(s)}`);
      ok = false;
    }
  }
  for (const key of Object.keys(v)) {
    if (!['name', 'language', 'header', 'body', 'buttons'].includes(key)) {
      report(`${path}.${key}`, 'is not a field of a template (name, language, header, body, buttons)');
      ok = false;
    }
  }
  const before = ok;
  if (v.header !== undefined) {
    if (!isRecord(v.header)) {
      report(
        `${path}.header`,
        `must be an object such as {"text": …} or {"image": {"link": …}}, got ${describe(v.header)}`,
      );
      ok = false;
    } else if ('text' in v.header) ok = checkValue(v.header.text, `${path}.header.text`, report) && ok;
  }
  if (v.body !== undefined) {
    if (Array.isArray(v.body)) {
      for (const [i, x] of v.body.entries()) ok = checkValue(x, `${path}.body[${i}]`, report) && ok;
    } else if (isRecord(v.body)) {
      for (const [k, x] of Object.entries(v.body)) ok = checkValue(x, `${path}.body.${k}`, report) && ok;
    } else {
      report(
        `${path}.body`,
        `must be a list (positional {{1}}…) or an object (named {{first_name}}…), got ${describe(v.body)}`,
      );
      ok = false;
    }
  }
  if (v.buttons !== undefined) {
    if (!Array.isArray(v.buttons)) {
      report(
        `${path}.buttons`,
        `must be a list, one entry per button (null for one without a value), got ${describe(v.buttons)}`,
      );
      ok = false;
    } else {
      for (const [i, b] of v.buttons.entries()) {
        if (b === null) continue;
        const keys = isRecord(b) ? Object.keys(b) : [];
        const key = keys[0];
        if (!isRecord(b) || keys.length !== 1 || !['payload', 'url_suffix', 'coupon_code'].includes(key!)) {
          report(
            `${path}.buttons[${i}]`,
            `must be {"payload": …}, {"url_suffix": …}, {"coupon_code": …} or null, got ${describe(b)}`,
          );
          ok = false;
        } else ok = checkValue(b[key!], `${path}.buttons[${i}].${key}`, report) && ok;
      }
    }
  }
  return ok && before ? (v as unknown as ResumeTemplateSpec) : undefined;
}

function checkValue(v: unknown, path: string, report: Report): boolean {
  if (typeof v === 'string' || typeof v === 'number') return true;
  // Meta's currency and date_time parameters are literals too.
  if (isRecord(v) && ('currency' in v || 'date_time' in v)) return true;
  if (!isRecord(v) || typeof v.from !== 'string') {
    report(
      path,
      `must be a text, a number, or {"from": …, "default"?: …} naming ${FROM_HELP}; got ${describe(v)}`,
    );
    return false;
  }
  for (const key of Object.keys(v)) {
    if (key !== 'from' && key !== 'default') {
      report(`${path}.${key}`, 'is not a field of a reference (from, default)');
      return false;
    }
  }
  if (v.default !== undefined && typeof v.default !== 'string') {
    report(`${path}.default`, `must be a text, got ${describe(v.default)}`);
    return false;
  }
  if (readFrom(v.from) === undefined) {
    report(`${path}.from`, `must be one of ${FROM_HELP}; got ${describe(v.from)}`);
    return false;
  }
  return true;
}

/**
 * A reference as a campaign source: contact fields and attributes as they are; the waiting
 * mark's values as attributes under names no contact attribute can have (a NUL inside).
 */
function readFrom(from: string): Exclude<ParamSource, { kind: 'constant' }> | undefined {
  if (from in CONTACT_FIELDS)
    return { kind: 'field', field: CONTACT_FIELDS[from as keyof typeof CONTACT_FIELDS] };
  const attr = /^contact\.attributes\.(.+)$/.exec(from);
  if (attr) return { kind: 'attribute', name: attr[1]! };
  if ((WAITING_FIELDS as readonly string[]).includes(from))
    return { kind: 'attribute', name: `\u0000${from}` };
  const meta = /^waiting\.metadata\.(.+)$/.exec(from);
  if (meta) return { kind: 'attribute', name: `\u0000${from}` };
  return undefined;
}

function toSource(v: ValueSpec | Record<string, unknown>): ParamSource {
  if (isRecord(v) && typeof v.from === 'string') {
    const source = readFrom(v.from)!;
    return typeof v.default === 'string' ? { ...source, default: v.default } : source;
  }
  return { kind: 'constant', value: v as never };
}

function toCampaignTemplate(t: ResumeTemplateSpec): CampaignTemplate {
  const out: CampaignTemplate = { name: t.name, language: { kind: 'fixed', code: t.language } };
  if (t.header) {
    out.header = (
      'text' in t.header ? { text: toSource(t.header.text as ValueSpec) } : t.header
    ) as HeaderSource;
  }
  if (t.body) {
    out.body = Array.isArray(t.body)
      ? t.body.map(toSource)
      : Object.fromEntries(Object.entries(t.body).map(([k, v]) => [k, toSource(v)]));
  }
  if (t.buttons) {
    out.buttons = t.buttons.map((b) => {
      if (b === null) return null;
      const [key, value] = Object.entries(b)[0]!;
      return { [key]: toSource(value as ValueSpec) } as ButtonSource;
    });
  }
  return out;
}

/** What a resume template is filled from: the contact and the waiting mark. */
export interface ResumeContext {
  contact: MappingContact;
  waiting: { reason: string; question: string | null; metadata: Record<string, unknown> | null };
}

/**
 * The template of a 1:1 send, filled; or the values that are missing, each with the path of
 * the reference (`from`) that had nothing to give.
 */
export function fillResumeTemplate(spec: ResumeTemplateSpec, c: ResumeContext): Resolution {
  const attributes: Record<string, AttributeValue> = { ...c.contact.attributes };
  attributes['\u0000waiting.reason'] = c.waiting.reason;
  if (c.waiting.question !== null) attributes['\u0000waiting.question'] = c.waiting.question;
  for (const [k, v] of Object.entries(c.waiting.metadata ?? {})) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      attributes[`\u0000waiting.metadata.${k}`] = v;
    }
  }
  const resolution = compileMapping(toCampaignTemplate(spec), { path: 'resume.template' })({
    ...c.contact,
    attributes,
  });
  if (resolution.ok) return resolution;
  return {
    ...resolution,
    missing: resolution.missing.map((m) =>
      m.attribute?.startsWith('\u0000') ? { ...m, attribute: m.attribute.slice(1) } : m,
    ),
  };
}

/**
 * The rule's template with every reference replaced by a sample text: binding it to the stored
 * template when the rule is saved finds a wrong count or name of parameters at once.
 */
export function sampleResumeTemplate(spec: ResumeTemplateSpec): ResolvedTemplate {
  const sample = (v: unknown): unknown => (isRecord(v) && typeof v.from === 'string' ? 'sample' : v);
  const out: ResolvedTemplate = { name: spec.name, language: spec.language };
  if (spec.header) {
    out.header = ('text' in spec.header ? { text: sample(spec.header.text) } : spec.header) as HeaderParam;
  }
  if (spec.body) {
    out.body = (
      Array.isArray(spec.body)
        ? spec.body.map(sample)
        : Object.fromEntries(Object.entries(spec.body).map(([k, v]) => [k, sample(v)]))
    ) as ResolvedTemplate['body'];
  }
  if (spec.buttons) {
    out.buttons = spec.buttons.map((b) =>
      b === null ? null : Object.fromEntries(Object.entries(b).map(([k, v]) => [k, sample(v)])),
    ) as ResolvedTemplate['buttons'];
  }
  return out;
}

/**
 * When the resume template is due for a mark made or moved at `now`, given the contact's last
 * inbound message: N minutes before the window closes, at once when that moment has passed.
 */
export function resumeDueAt(
  lastInboundAt: number | null,
  beforeCloseMinutes: number,
  now: number,
  policy: WindowPolicy = WHATSAPP_WINDOW,
): number {
  if (lastInboundAt === null) return now;
  const at = lastInboundAt + policy.durationMs - beforeCloseMinutes * 60_000;
  return Math.max(at, now);
}
