/**
 * Send-time binding: the bot's values + an approved template → the `template` object of a
 * Cloud API send. Every rule Meta would enforce after the HTTP call (132000, 132012, 131008,
 * 100 …) is checked here first, and ALL problems are reported at once, so a bot developer fixes
 * a request in one round instead of one error per try.
 */

import { type ErrorDetail, RecontactError } from '../errors';
import { isRecord } from '../input-words';
import {
  type CloudTemplate,
  findComponent,
  type HeaderComponent,
  type ParameterFormat,
  type TemplateButton,
  type TemplateDefinition,
  type TemplateParams,
} from './model';
import { parseVariables, variableNames } from './variables';

export const HEADER_TEXT_PARAM_MAX = 60;
export const BODY_PARAM_MAX = 1024;
export const PAYLOAD_MAX = 256;
export const COUPON_CODE_MAX = 15;
export const URL_MAX = 2000;

type CloudParameter = Record<string, unknown>;
type CloudComponent = Record<string, unknown>;
type MediaKind = 'image' | 'video' | 'document';

const MEDIA_KIND: Record<Exclude<HeaderComponent['format'], 'TEXT' | 'LOCATION'>, MediaKind> = {
  IMAGE: 'image',
  VIDEO: 'video',
  // [UNCONFIRMED] GIF headers are sent as MP4 video, the form WhatsApp plays GIFs in.
  GIF: 'video',
  DOCUMENT: 'document',
};

/** Where problems are collected; `path` points into the request, e.g. "template.body[2]". */
type Report = (path: string, message: string) => void;

export function bindTemplate(def: TemplateDefinition, params: TemplateParams | undefined): CloudTemplate {
  const problems: ErrorDetail[] = [];
  const report: Report = (path, message) => problems.push({ path, message });
  const values = readParams(params, report);
  const format = parameterFormat(def);
  const components = [
    bindHeader(def, values.header, format, report),
    bindBody(def, values.body, format, report),
    ...bindButtons(def, values.buttons, otpCode(values.body), report),
  ].filter((c): c is CloudComponent => c !== undefined);
  if (problems.length > 0) {
    throw new RecontactError(
      'TEMPLATE_PARAMS_INVALID',
      `Template ${def.name} (${def.language}) cannot be sent with these values`,
      { details: problems, hint: hintFor(def, format) },
    );
  }
  const template: CloudTemplate = {
    name: def.name,
    language: { code: def.language, policy: 'deterministic' },
  };
  if (components.length > 0) template.components = components;
  return template;
}

/**
 * Replaces each {{x}} that has a value; the others stay as written, so a preview shows what
 * is still missing. Positional values may be given as an array ({{1}} is values[0]).
 */
export function hydrateText(
  text: string,
  values: Readonly<Record<string, string>> | readonly string[],
): string {
  const lookup = (name: string): string | undefined =>
    Array.isArray(values) ? values[Number(name) - 1] : (values as Readonly<Record<string, string>>)[name];
  let out = '';
  let from = 0;
  for (const v of parseVariables(text)) {
    out += text.slice(from, v.start) + (lookup(v.name) ?? v.raw);
    from = v.end;
  }
  return out + text.slice(from);
}

/** POSITIONAL ({{1}}) or NAMED ({{first_name}}); Meta's default is POSITIONAL. */
export function parameterFormat(def: TemplateDefinition): ParameterFormat {
  // The variables decide when there are any: an approved template's declared format always
  // matches them, and reading them means a definition missing the field still binds.
  const texts = def.components.flatMap((c) =>
    c.type === 'BODY' || c.type === 'HEADER' ? [c.text ?? ''] : [],
  );
  const variables = texts.flatMap(parseVariables);
  if (variables.length === 0) return def.parameter_format ?? 'POSITIONAL';
  return variables.some((v) => !v.positional) ? 'NAMED' : 'POSITIONAL';
}

/** Example values per variable name, as the template's author gave them to Meta. */
export function exampleValues(def: TemplateDefinition): {
  header: Record<string, string>;
  body: Record<string, string>;
} {
  const header = findComponent(def, 'HEADER');
  const body = findComponent(def, 'BODY');
  return {
    header: examplesByName(
      header?.text ?? '',
      header?.example?.header_text,
      header?.example?.header_text_named_params,
    ),
    body: examplesByName(
      body?.text ?? '',
      body?.example?.body_text?.[0],
      body?.example?.body_text_named_params,
    ),
  };
}

function examplesByName(
  text: string,
  positional: readonly string[] | undefined,
  named: ReadonlyArray<{ param_name: string; example: string }> | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of variableNames(text)) {
    const example = /^\d+$/.test(name)
      ? positional?.[Number(name) - 1]
      : named?.find((n) => n.param_name === name)?.example;
    if (example !== undefined) out[name] = example;
  }
  return out;
}

// ─── The request as a whole ────────────────────────────────────────────────────────────────

interface RawParams {
  header: unknown;
  body: unknown;
  buttons: unknown;
}

function readParams(params: unknown, report: Report): RawParams {
  if (params === undefined || params === null)
    return { header: undefined, body: undefined, buttons: undefined };
  if (!isRecord(params)) {
    report('template', `values must be an object { header?, body?, buttons? }, got ${describe(params)}`);
    return { header: undefined, body: undefined, buttons: undefined };
  }
  for (const key of presentKeys(params)) {
    if (key !== 'header' && key !== 'body' && key !== 'buttons') {
      report(`template.${key}`, `unknown key "${key}"; template values are header, body and buttons`);
    }
  }
  return { header: params.header, body: params.body, buttons: params.buttons };
}

// ─── Body ─────────────────────────────────────────────────────────────────────────────────

function bindBody(def: TemplateDefinition, values: unknown, format: ParameterFormat, report: Report) {
  const names = variableNames(findComponent(def, 'BODY')?.text ?? '');
  if (names.length === 0) {
    const given = countValues(values);
    if (given > 0) report('template.body', `the body has no variables, got ${plural(given, 'value')}`);
    return undefined;
  }
  const parameters =
    format === 'NAMED' ? bindNamedBody(names, values, report) : bindPositionalBody(names, values, report);
  return parameters && { type: 'body', parameters };
}

function bindPositionalBody(names: string[], values: unknown, report: Report): CloudParameter[] | undefined {
  const count = Math.max(...names.map(Number));
  const expected = `expected ${plural(count, 'body value')} (${positionalRange(count)})`;
  if (values === undefined || values === null) {
    report('template.body', `${expected}, got none`);
    return undefined;
  }
  if (!Array.isArray(values)) {
    report(
      'template.body',
      `the body uses positional variables (${positionalRange(count)}), so its values are an array in that order; got ${describe(values)}`,
    );
    return undefined;
  }
  if (values.length !== count)
    report(`template.body[${Math.min(count, values.length)}]`, `${expected}, got ${values.length}`);
  return values
    .slice(0, count)
    .map((v, i) => toParameter(v, `template.body[${i}]`, `body value {{${i + 1}}}`, BODY_PARAM_MAX, report));
}

function bindNamedBody(names: string[], values: unknown, report: Report): CloudParameter[] | undefined {
  const list = names.map((n) => `{{${n}}}`).join(', ');
  if (values === undefined || values === null) {
    report('template.body', `expected body values for ${list}, got none`);
    return undefined;
  }
  if (!isRecord(values)) {
    report(
      'template.body',
      `the body uses named variables (${list}), so its values are an object keyed by name; got ${describe(values)}`,
    );
    return undefined;
  }
  for (const key of presentKeys(values)) {
    if (!names.includes(key))
      report(`template.body.${key}`, `the body has no variable {{${key}}}; it has ${list}`);
  }
  return names.map((name) => {
    const path = `template.body.${name}`;
    if (values[name] === undefined || values[name] === null) {
      report(path, `missing body value for {{${name}}} (the body needs ${list})`);
      return {};
    }
    return {
      ...toParameter(values[name], path, `body value {{${name}}}`, BODY_PARAM_MAX, report),
      parameter_name: name,
    };
  });
}

/** Authentication templates repeat the one-time code of body {{1}} in their OTP button. */
function otpCode(body: unknown): string | undefined {
  const first = Array.isArray(body) ? body[0] : undefined;
  return typeof first === 'string' || typeof first === 'number' ? String(first) : undefined;
}

// ─── Parameter values ───────────────────────────────────────────────────────────────────

function toParameter(
  value: unknown,
  path: string,
  label: string,
  max: number,
  report: Report,
): CloudParameter {
  if (typeof value === 'string' || typeof value === 'number') {
    const text = textValue(value, path, label, max, report);
    return { type: 'text', text };
  }
  if (isRecord(value) && isRecord(value.currency)) {
    const c = value.currency;
    const fallback = textValue(
      c.fallback_value,
      `${path}.currency.fallback_value`,
      `${label} fallback_value`,
      max,
      report,
    );
    if (typeof c.code !== 'string' || !/^[A-Z]{3}$/.test(c.code)) {
      report(
        `${path}.currency.code`,
        `${label} currency code must be 3 capital letters (ISO 4217, e.g. "ARS"), got ${describe(c.code)}`,
      );
    }
    if (!Number.isInteger(c.amount_1000)) {
      report(
        `${path}.currency.amount_1000`,
        `${label} amount_1000 must be a whole number, the amount × 1000 (42500 for 42.50), got ${describe(c.amount_1000)}`,
      );
    }
    return {
      type: 'currency',
      currency: { fallback_value: fallback, code: c.code, amount_1000: c.amount_1000 },
    };
  }
  if (isRecord(value) && isRecord(value.date_time)) {
    const path2 = `${path}.date_time.fallback_value`;
    const fallback = textValue(value.date_time.fallback_value, path2, `${label} fallback_value`, max, report);
    return { type: 'date_time', date_time: { fallback_value: fallback } };
  }
  report(path, `${label} must be text, a number, { currency } or { date_time }, got ${describe(value)}`);
  return {};
}

/** Numbers become strings; the text must pass Meta's parameter rules or it is reported. */
function textValue(value: unknown, path: string, label: string, max: number, report: Report): string {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) return String(value);
    report(path, `${label} must be a finite number, got ${value}`);
    return '';
  }
  if (typeof value !== 'string') {
    report(path, `${label} must be text, got ${describe(value)}`);
    return '';
  }
  const problem = textProblem(value, max);
  if (problem) report(path, `${label} ${problem}`);
  return value;
}

/** Meta rejects these after the call ("Param text cannot have new-line/tab characters …"). */
function textProblem(text: string, max: number): string | undefined {
  if (text.trim() === '') return 'is empty';
  if (/[\r\n]/.test(text)) return 'contains a line break, which WhatsApp rejects in a parameter';
  if (text.includes('\t')) return 'contains a tab, which WhatsApp rejects in a parameter';
  if (/ {5}/.test(text)) return 'has more than 4 consecutive spaces, which WhatsApp rejects in a parameter';
  // Counted in characters as a person sees them: an emoji is one, not two UTF-16 units.
  const length = [...text].length;
  if (length > max) return `is ${length} characters long; the limit is ${max}`;
  return undefined;
}

// ─── Header ─────────────────────────────────────────────────────────────────────────────

function bindHeader(def: TemplateDefinition, value: unknown, format: ParameterFormat, report: Report) {
  const header = findComponent(def, 'HEADER');
  const given = isRecord(value) ? presentKeys(value) : [];
  if (!header) {
    if (value !== undefined && value !== null)
      report('template.header', 'the template has no header, got a header value');
    return undefined;
  }
  const parameter = bindHeaderParameter(header, value, given, format, report);
  return parameter && { type: 'header', parameters: [parameter] };
}

function bindHeaderParameter(
  header: HeaderComponent,
  value: unknown,
  given: string[],
  format: ParameterFormat,
  report: Report,
): CloudParameter | undefined {
  if (header.format === 'TEXT') return bindTextHeader(header, value, given, format, report);
  if (header.format === 'LOCATION') return bindLocationHeader(value, given, report);
  return bindMediaHeader(header.format, value, given, report);
}

function bindTextHeader(
  header: HeaderComponent,
  value: unknown,
  given: string[],
  format: ParameterFormat,
  report: Report,
): CloudParameter | undefined {
  const text = header.text ?? '';
  const name = variableNames(text)[0];
  const absent = value === undefined || value === null;
  if (name === undefined) {
    if (!absent)
      report(
        'template.header',
        `the header is fixed text ("${text}") and takes no value, got ${describe(value)}`,
      );
    return undefined;
  }
  if (absent || !isRecord(value) || given.length !== 1 || given[0] !== 'text') {
    const got = absent ? 'nothing' : describe(value);
    report('template.header', `the header "${text}" needs { text } for {{${name}}}, got ${got}`);
    return undefined;
  }
  const param = {
    type: 'text',
    text: textValue(
      value.text,
      'template.header.text',
      `header value {{${name}}}`,
      HEADER_TEXT_PARAM_MAX,
      report,
    ),
  };
  return format === 'NAMED' ? { ...param, parameter_name: name } : param;
}

function bindMediaHeader(
  format: Exclude<HeaderComponent['format'], 'TEXT' | 'LOCATION'>,
  value: unknown,
  given: string[],
  report: Report,
): CloudParameter | undefined {
  const kind = MEDIA_KIND[format];
  const needs = `${format} header needs ${article(kind)} ${kind} ({ ${kind}: { link } } or { ${kind}: { id } })`;
  if (value === undefined || value === null) {
    report('template.header', `${needs}, got nothing`);
    return undefined;
  }
  if (!isRecord(value) || given.length !== 1 || given[0] !== kind) {
    const got =
      isRecord(value) && given.length === 1 ? `${article(given[0] ?? '')} ${given[0]}` : describe(value);
    report('template.header', `${needs}, got ${got}`);
    return undefined;
  }
  const media = mediaRef(value[kind], kind, report);
  return media && { type: kind, [kind]: media };
}

function mediaRef(ref: unknown, kind: MediaKind, report: Report): Record<string, string> | undefined {
  const path = `template.header.${kind}`;
  if (!isRecord(ref)) {
    report(path, `the ${kind} must be an object with a link or an id, got ${describe(ref)}`);
    return undefined;
  }
  const hasLink = ref.link !== undefined;
  const hasId = ref.id !== undefined;
  if (hasLink === hasId) {
    report(path, `the ${kind} needs exactly one of link or id, got ${hasLink ? 'both' : 'neither'}`);
    return undefined;
  }
  const out: Record<string, string> = {};
  if (hasLink) {
    if (!isHttpUrl(ref.link))
      report(`${path}.link`, `the ${kind} link must be an http(s) URL, got ${describe(ref.link)}`);
    out.link = String(ref.link);
  } else {
    if (typeof ref.id !== 'string' || ref.id.trim() === '') {
      report(`${path}.id`, `the ${kind} id must be a media id from an upload, got ${describe(ref.id)}`);
    }
    out.id = String(ref.id);
  }
  if (kind === 'document' && ref.filename !== undefined) {
    if (typeof ref.filename !== 'string' || ref.filename.trim() === '') {
      report(
        `${path}.filename`,
        `the document filename must be non-empty text, got ${describe(ref.filename)}`,
      );
    }
    out.filename = String(ref.filename);
  }
  return out;
}

function bindLocationHeader(value: unknown, given: string[], report: Report): CloudParameter | undefined {
  const needs = 'LOCATION header needs { location: { latitude, longitude, name?, address? } }';
  if (!isRecord(value) || given.length !== 1 || given[0] !== 'location' || !isRecord(value.location)) {
    report(
      'template.header',
      `${needs}, got ${value === undefined || value === null ? 'nothing' : describe(value)}`,
    );
    return undefined;
  }
  const loc = value.location;
  const location: Record<string, string> = {
    latitude: coordinate(loc.latitude, 90, 'latitude', report),
    longitude: coordinate(loc.longitude, 180, 'longitude', report),
  };
  for (const key of ['name', 'address'] as const) {
    if (loc[key] === undefined) continue;
    if (typeof loc[key] !== 'string')
      report(`template.header.location.${key}`, `the location ${key} must be text`);
    location[key] = String(loc[key]);
  }
  return { type: 'location', location };
}

/** Meta's examples send coordinates as strings; numbers and numeric strings are both taken. */
function coordinate(value: unknown, limit: number, name: string, report: Report): string {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || Math.abs(n) > limit) {
    report(
      `template.header.location.${name}`,
      `the location ${name} must be a number from -${limit} to ${limit}, got ${describe(value)}`,
    );
  }
  return String(value);
}

// ─── Buttons ────────────────────────────────────────────────────────────────────────────

function bindButtons(
  def: TemplateDefinition,
  values: unknown,
  code: string | undefined,
  report: Report,
): CloudComponent[] {
  const buttons = findComponent(def, 'BUTTONS')?.buttons ?? [];
  if (values !== undefined && values !== null && !Array.isArray(values)) {
    report(
      'template.buttons',
      `buttons must be an array aligned with the template's buttons, got ${describe(values)}`,
    );
    return [];
  }
  const list: unknown[] = Array.isArray(values) ? values : [];
  if (list.length > buttons.length) {
    report(
      'template.buttons',
      `the template has ${plural(buttons.length, 'button')}, got ${plural(list.length, 'button value')}`,
    );
  }
  const components: CloudComponent[] = [];
  buttons.forEach((button, i) => {
    const component = bindButton(button, i, list[i], code, report);
    if (component) components.push(component);
  });
  return components;
}

function bindButton(
  button: TemplateButton,
  index: number,
  value: unknown,
  code: string | undefined,
  report: Report,
): CloudComponent | undefined {
  const path = `template.buttons[${index}]`;
  const label = buttonLabel(button);
  const given = isRecord(value) ? presentKeys(value) : [];
  const absent = value === undefined || value === null || (isRecord(value) && given.length === 0);
  const takes = (key: string): boolean => {
    if (isRecord(value) && given.length === 1 && given[0] === key) return true;
    report(path, `${label} takes { ${key} }, got ${describe(value)}`);
    return false;
  };
  const component = (subType: string, parameter: CloudParameter): CloudComponent => ({
    type: 'button',
    sub_type: subType,
    index: String(index),
    parameters: [parameter],
  });

  switch (button.type) {
    case 'QUICK_REPLY': {
      // The payload is optional: without one the tap still arrives, carrying the button text.
      if (absent || !takes('payload')) return undefined;
      const payload = boundedText(
        (value as Record<string, unknown>).payload,
        `${path}.payload`,
        `${label} payload`,
        PAYLOAD_MAX,
        report,
      );
      return component('quick_reply', { type: 'payload', payload });
    }
    case 'URL': {
      if (parseVariables(button.url).length === 0) {
        if (!absent)
          report(
            path,
            `${label} links to a fixed address (${button.url}) and takes no value, got ${describe(value)}`,
          );
        return undefined;
      }
      if (absent) {
        report(path, `${label} needs { url_suffix } to complete ${button.url}, got nothing`);
        return undefined;
      }
      if (!takes('url_suffix')) return undefined;
      const suffixPath = `${path}.url_suffix`;
      const suffix = textValue(
        (value as Record<string, unknown>).url_suffix,
        suffixPath,
        `${label} url_suffix`,
        URL_MAX,
        report,
      );
      const url = hydrateText(button.url, [suffix]);
      if (url.length > URL_MAX)
        report(suffixPath, `${label} makes a URL of ${url.length} characters; the limit is ${URL_MAX}`);
      return component('url', { type: 'text', text: suffix });
    }
    case 'PHONE_NUMBER':
      if (!absent)
        report(
          path,
          `${label} calls a fixed number (${button.phone_number}) and takes no value, got ${describe(value)}`,
        );
      return undefined;
    case 'COPY_CODE': {
      if (absent) {
        report(path, `${label} needs { coupon_code } (at most ${COUPON_CODE_MAX} characters), got nothing`);
        return undefined;
      }
      if (!takes('coupon_code')) return undefined;
      const codePath = `${path}.coupon_code`;
      const coupon = boundedText(
        (value as Record<string, unknown>).coupon_code,
        codePath,
        `${label} coupon_code`,
        COUPON_CODE_MAX,
        report,
      );
      return component('copy_code', { type: 'coupon_code', coupon_code: coupon });
    }
    case 'OTP':
      // Meta wants the same one-time code in the body and in the button; taking it from body
      // {{1}} means the two can never disagree.
      if (!absent) report(path, `${label} takes no value: it repeats the code given as body value {{1}}`);
      return code === undefined ? undefined : component('url', { type: 'text', text: code });
    default:
      report(path, `button type ${(button as { type: string }).type} is not supported`);
      return undefined;
  }
}

/** Payloads and coupon codes: never shown as message text, so only emptiness and length. */
function boundedText(value: unknown, path: string, label: string, max: number, report: Report): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' || value === '') {
    report(path, `${label} must be non-empty text, got ${describe(value)}`);
    return '';
  }
  const length = [...value].length;
  if (length > max) report(path, `${label} is ${length} characters long; the limit is ${max}`);
  return value;
}

function buttonLabel(button: TemplateButton): string {
  const kind = {
    QUICK_REPLY: 'quick-reply',
    URL: 'URL',
    PHONE_NUMBER: 'phone',
    COPY_CODE: 'copy-code',
    OTP: 'OTP',
  }[button.type];
  return button.text ? `${kind} button "${button.text}"` : `${kind} button`;
}

// ─── The hint ───────────────────────────────────────────────────────────────────────────

/** Shows the shape this template wants, filled with the author's own examples. */
function hintFor(def: TemplateDefinition, format: ParameterFormat): string {
  const names = variableNames(findComponent(def, 'BODY')?.text ?? '');
  const examples = exampleValues(def).body;
  const sample = (name: string) => examples[name] ?? `value for {{${name}}}`;
  const parts: string[] = [];
  if (names.length > 0) {
    const shape =
      format === 'NAMED'
        ? JSON.stringify(Object.fromEntries(names.map((n) => [n, sample(n)])))
        : JSON.stringify(names.map(sample));
    parts.push(
      `This template's body takes ${format === 'NAMED' ? 'an object keyed by name' : 'an array'}: ${shape}.`,
    );
  }
  if (findComponent(def, 'BUTTONS')) {
    parts.push(
      "Button values go in buttons[], in the template's button order, null for a button that takes none.",
    );
  }
  parts.push('Values are single-line text: no line breaks, tabs or runs of 5 spaces.');
  return parts.join(' ');
}

// ─── Small helpers ──────────────────────────────────────────────────────────────────────

/** Keys with a value: a validator may leave `key: undefined` behind for absent options. */
function presentKeys(value: Record<string, unknown>): string[] {
  return Object.keys(value).filter((k) => value[k] !== undefined);
}

function countValues(values: unknown): number {
  if (Array.isArray(values)) return values.length;
  return isRecord(values) ? presentKeys(values).length : 0;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** How a value looks, for messages: `{ video }`, `an array of 2`, `"abc"`, `nothing`. */
function describe(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (isRecord(value)) {
    const keys = presentKeys(value);
    return keys.length === 0 ? 'an empty object' : `{ ${keys.join(', ')} }`;
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return `${typeof value} ${String(value)}`;
}

function positionalRange(count: number): string {
  return count === 1 ? '{{1}}' : `{{1}}..{{${count}}}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}
