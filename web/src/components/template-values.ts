/**
 * The values a template needs, read from its components as Meta holds them, and filled for one
 * contact. Only templates whose values are all text (body and text-header variables) are offered
 * in the web app's forms; one that needs an image, a URL suffix or a coupon code is sent through
 * the API, where those values are given.
 */
import type { components } from '../api/schema';

export type Template = components['schemas']['Template'];
export type ContactDetail = components['schemas']['ContactDetail'];

export interface TemplateFields {
  /** Body variables in order ({{1}}, {{2}}… or names as they first appear). */
  body: string[];
  /** The text header's variable, if it has one. */
  header: string | null;
  /** The template needs values the forms do not take (media, URL suffix, coupon). */
  needsOther: boolean;
}

const VARIABLE = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

function variablesOf(text: unknown): string[] {
  if (typeof text !== 'string') return [];
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1]!))];
}

export function templateFields(t: Template): TemplateFields {
  const out: TemplateFields = { body: [], header: null, needsOther: false };
  for (const c of t.components) {
    const type = String(c.type ?? '').toUpperCase();
    if (type === 'BODY') {
      const names = variablesOf(c.text);
      out.body = t.parameter_format === 'POSITIONAL' ? names.sort((a, b) => Number(a) - Number(b)) : names;
    } else if (type === 'HEADER') {
      if (c.format === 'TEXT' || c.format === undefined) out.header = variablesOf(c.text)[0] ?? null;
      else out.needsOther = true;
    } else if (type === 'BUTTONS') {
      for (const b of (c.buttons as Array<Record<string, unknown>> | undefined) ?? []) {
        if (b.type === 'COPY_CODE' || b.type === 'OTP') out.needsOther = true;
        if (b.type === 'URL' && variablesOf(b.url).length > 0) out.needsOther = true;
      }
    }
  }
  return out;
}

/** Approved templates the forms can fill, authentication ones left out (they carry codes). */
export function sendableTemplates(all: Template[]): Template[] {
  return all.filter(
    (t) => t.status === 'APPROVED' && t.category !== 'AUTHENTICATION' && !templateFields(t).needsOther,
  );
}

export const templateKey = (t: Pick<Template, 'name' | 'language'>) => `${t.name}|${t.language}`;

/** The `template` of POST /v1/messages from the values typed, keyed `header` / the variable names. */
export function templateRequest(t: Template, values: Record<string, string>) {
  const f = templateFields(t);
  const body =
    f.body.length === 0
      ? undefined
      : t.parameter_format === 'POSITIONAL'
        ? f.body.map((n) => values[n] ?? '')
        : Object.fromEntries(f.body.map((n) => [n, values[n] ?? '']));
  return {
    name: t.name,
    language: t.language,
    ...(body === undefined ? {} : { body }),
    ...(f.header ? { header: { text: values.header ?? '' } } : {}),
  };
}

/** The body as the person will read it, with the values typed so far. */
export function previewBody(t: Template, values: Record<string, string>): string {
  const body = t.components.find((c) => String(c.type).toUpperCase() === 'BODY');
  const text = typeof body?.text === 'string' ? body.text : '';
  return text.replace(VARIABLE, (raw, name: string) => (values[name]?.trim() ? values[name]! : raw));
}

type ValueSpec = string | number | { from?: unknown; default?: unknown } | null | undefined;

/**
 * First values for a contact: the resume rule's references when the template is the rule's
 * (contact.first_name, waiting.metadata.topic…), else a variable named like a contact field or
 * attribute. What cannot be known is left for the agent to type.
 */
export function initialValues(
  t: Template,
  contact: ContactDetail,
  rule: { template: Record<string, unknown> } | undefined,
): Record<string, string> {
  const f = templateFields(t);
  const out: Record<string, string> = {};
  const ruleTemplate = rule?.template;
  const sameTemplate = ruleTemplate?.name === t.name && ruleTemplate?.language === t.language;
  const ruleBody = sameTemplate
    ? (ruleTemplate?.body as ValueSpec[] | Record<string, ValueSpec> | undefined)
    : undefined;
  f.body.forEach((name, i) => {
    const spec = Array.isArray(ruleBody) ? ruleBody[i] : ruleBody?.[name];
    const value = spec === undefined ? guess(name, contact) : resolve(spec, contact);
    if (value) out[name] = value;
  });
  if (f.header) {
    const header = sameTemplate ? (ruleTemplate?.header as { text?: ValueSpec } | undefined) : undefined;
    const value = header?.text === undefined ? guess(f.header, contact) : resolve(header.text, contact);
    if (value) out.header = value;
  }
  return out;
}

function firstName(contact: ContactDetail): string | undefined {
  return contact.name?.trim().split(/\s+/)[0] || undefined;
}

function guess(name: string, contact: ContactDetail): string | undefined {
  const key = name.toLowerCase();
  if (key === 'first_name' || key === 'nombre') return firstName(contact);
  if (key === 'name') return contact.name ?? undefined;
  const attribute = contact.attributes[name];
  return attribute === undefined ? undefined : String(attribute);
}

function resolve(spec: ValueSpec, contact: ContactDetail): string | undefined {
  if (typeof spec === 'string' || typeof spec === 'number') return String(spec);
  if (!spec || typeof spec !== 'object' || typeof spec.from !== 'string') return undefined;
  const fallback = typeof spec.default === 'string' ? spec.default : undefined;
  const from = spec.from;
  const waiting = contact.waiting;
  let value: unknown;
  if (from === 'contact.name') value = contact.name;
  else if (from === 'contact.first_name') value = firstName(contact);
  else if (from === 'contact.phone') value = contact.phone;
  else if (from.startsWith('contact.attributes.')) value = contact.attributes[from.slice(19)];
  else if (from === 'waiting.question') value = waiting?.question;
  else if (from === 'waiting.reason') value = waiting?.reason;
  else if (from.startsWith('waiting.metadata.')) value = waiting?.metadata?.[from.slice(17)];
  const text = value === undefined || value === null ? '' : String(value).trim();
  return text || fallback;
}
