/**
 * The editor's form state (a Draft) and Meta's template shape, both ways. The form holds plain
 * strings; toTemplate builds the create body that lint, diff and push take, and says where each
 * form field landed (components[2].buttons[0]…) so a lint finding's path finds its field again.
 * Components and buttons the form has no fields for are kept as they came and sent back as such.
 */

export type Category = 'UTILITY' | 'MARKETING' | 'AUTHENTICATION';
export type ParameterFormat = 'POSITIONAL' | 'NAMED';
export type HeaderFormat = 'NONE' | 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION';
export type ButtonType = 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER' | 'COPY_CODE';

export const HEADER_FORMATS: HeaderFormat[] = ['NONE', 'TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'];
export const BUTTON_TYPES: ButtonType[] = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE'];
export const CATEGORIES: Category[] = ['UTILITY', 'MARKETING', 'AUTHENTICATION'];

export interface DraftButton {
  /** Stable across edits, for React and for focus; never sent. */
  key: string;
  type: ButtonType | 'OTHER';
  text: string;
  url: string;
  /** The whole example URL, when the url ends with {{1}}. */
  urlExample: string;
  phone: string;
  /** A COPY_CODE button's sample code. */
  code: string;
  /** A button of a type the form does not edit (OTP, FLOW…), sent back unchanged. */
  raw?: Record<string, unknown>;
}

export interface Draft {
  name: string;
  language: string;
  category: string;
  parameterFormat: ParameterFormat;
  headerFormat: HeaderFormat;
  headerText: string;
  /** The example of the header text's one variable. */
  headerExample: string;
  /** A sample media link for an IMAGE, VIDEO or DOCUMENT header (Meta's header_handle). */
  headerMedia: string;
  body: string;
  /** Example values by variable name ("1", "first_name"). */
  bodyExamples: Record<string, string>;
  footer: string;
  buttons: DraftButton[];
  /** Components of other types (CAROUSEL, LIMITED_TIME_OFFER…), sent back unchanged after the others. */
  otherComponents: Record<string, unknown>[];
}

/** Where each part of the form is in the template's components, for lint findings. */
export interface DraftPaths {
  header?: string;
  body: string;
  footer?: string;
  buttons?: string;
}

let keySeq = 0;
export const newButtonKey = (): string => `b${++keySeq}`;

export function emptyButton(type: ButtonType): DraftButton {
  return { key: newButtonKey(), type, text: '', url: '', urlExample: '', phone: '', code: '' };
}

export function newDraft(language: string): Draft {
  return {
    name: '',
    language,
    category: 'UTILITY',
    parameterFormat: 'POSITIONAL',
    headerFormat: 'NONE',
    headerText: '',
    headerExample: '',
    headerMedia: '',
    body: '',
    bodyExamples: {},
    footer: '',
    buttons: [],
    otherComponents: [],
  };
}

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Distinct variable names of a text, in order of first appearance ("1", "first_name"). */
export function variablesOf(text: string): string[] {
  return [...new Set([...text.matchAll(VARIABLE)].map((m) => m[1] ?? '').filter((n) => n !== ''))];
}

/** Positional names in number order ({{2}} {{1}} still sends [value of 1, value of 2]). */
function ordered(names: string[], format: ParameterFormat): string[] {
  if (format === 'NAMED') return names;
  return [...names].sort((a, b) => Number(a) - Number(b));
}

function exampleFor(
  format: ParameterFormat,
  names: string[],
  values: Record<string, string>,
  key: 'header' | 'body',
) {
  if (names.length === 0 || names.every((n) => !values[n])) return undefined;
  const list = ordered(names, format);
  if (format === 'NAMED') {
    return {
      [`${key}_text_named_params`]: list.map((n) => ({ param_name: n, example: values[n] ?? '' })),
    };
  }
  const texts = list.map((n) => values[n] ?? '');
  return key === 'body' ? { body_text: [texts] } : { header_text: texts };
}

function buttonOf(b: DraftButton): Record<string, unknown> {
  if (b.type === 'OTHER') return b.raw ?? {};
  if (b.type === 'QUICK_REPLY') return { type: b.type, text: b.text };
  if (b.type === 'URL') {
    return {
      type: b.type,
      text: b.text,
      url: b.url,
      ...(/\{\{/.test(b.url) ? { example: [b.urlExample] } : {}),
    };
  }
  if (b.type === 'PHONE_NUMBER') return { type: b.type, text: b.text, phone_number: b.phone };
  return { type: b.type, example: b.code };
}

/** The template in Meta's create shape, and where each form part went. */
export function toTemplate(d: Draft): { template: Record<string, unknown>; paths: DraftPaths } {
  const components: Record<string, unknown>[] = [];
  const at = () => `components[${components.length}]`;
  const paths: DraftPaths = { body: '' };
  if (d.headerFormat !== 'NONE') {
    paths.header = at();
    const header: Record<string, unknown> = { type: 'HEADER', format: d.headerFormat };
    if (d.headerFormat === 'TEXT') {
      header.text = d.headerText;
      const names = variablesOf(d.headerText);
      const example = exampleFor(
        d.parameterFormat,
        names,
        Object.fromEntries(names.map((n) => [n, d.headerExample])),
        'header',
      );
      if (example) header.example = example;
    } else if (d.headerFormat !== 'LOCATION' && d.headerMedia.trim() !== '') {
      header.example = { header_handle: [d.headerMedia.trim()] };
    }
    components.push(header);
  }
  paths.body = at();
  const body: Record<string, unknown> = { type: 'BODY', text: d.body };
  const example = exampleFor(d.parameterFormat, variablesOf(d.body), d.bodyExamples, 'body');
  if (example) body.example = example;
  components.push(body);
  if (d.footer !== '') {
    paths.footer = at();
    components.push({ type: 'FOOTER', text: d.footer });
  }
  if (d.buttons.length > 0) {
    paths.buttons = at();
    components.push({ type: 'BUTTONS', buttons: d.buttons.map(buttonOf) });
  }
  components.push(...d.otherComponents);
  return {
    template: {
      name: d.name,
      language: d.language,
      category: d.category,
      parameter_format: d.parameterFormat,
      components,
    },
    paths,
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

function namedExamples(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const e of list)
    if (isRecord(e) && typeof e.param_name === 'string') out[e.param_name] = str(e.example);
  return out;
}

function buttonFrom(raw: unknown): DraftButton {
  const b = isRecord(raw) ? raw : {};
  const base = emptyButton('QUICK_REPLY');
  switch (b.type) {
    case 'QUICK_REPLY':
      return { ...base, text: str(b.text) };
    case 'URL':
      return {
        ...base,
        type: 'URL',
        text: str(b.text),
        url: str(b.url),
        urlExample: Array.isArray(b.example) ? str(b.example[0]) : str(b.example),
      };
    case 'PHONE_NUMBER':
      return { ...base, type: 'PHONE_NUMBER', text: str(b.text), phone: str(b.phone_number) };
    case 'COPY_CODE':
      return {
        ...base,
        type: 'COPY_CODE',
        code: Array.isArray(b.example) ? str(b.example[0]) : str(b.example),
      };
    default:
      return { ...base, type: 'OTHER', text: str(b.text), raw: b };
  }
}

/** A stored template (GET /v1/templates/…) as a draft. */
export function fromTemplate(t: {
  name: string;
  language: string;
  category: string;
  parameter_format: string;
  components: Array<Record<string, unknown>>;
}): Draft {
  const d = newDraft(t.language);
  d.name = t.name;
  d.category = t.category;
  d.parameterFormat = t.parameter_format === 'NAMED' ? 'NAMED' : 'POSITIONAL';
  for (const c of t.components) {
    const example = isRecord(c.example) ? c.example : {};
    if (c.type === 'HEADER') {
      const format = str(c.format).toUpperCase();
      d.headerFormat = (HEADER_FORMATS as string[]).includes(format) ? (format as HeaderFormat) : 'TEXT';
      d.headerText = str(c.text);
      const named = Object.values(namedExamples(example.header_text_named_params));
      d.headerExample = Array.isArray(example.header_text) ? str(example.header_text[0]) : (named[0] ?? '');
      d.headerMedia = Array.isArray(example.header_handle) ? str(example.header_handle[0]) : '';
    } else if (c.type === 'BODY') {
      d.body = str(c.text);
      if (d.parameterFormat === 'NAMED') d.bodyExamples = namedExamples(example.body_text_named_params);
      else {
        const row =
          Array.isArray(example.body_text) && Array.isArray(example.body_text[0]) ? example.body_text[0] : [];
        const names = ordered(variablesOf(d.body), 'POSITIONAL');
        d.bodyExamples = Object.fromEntries(names.map((n, i) => [n, str(row[i])]));
      }
    } else if (c.type === 'FOOTER') {
      d.footer = str(c.text);
    } else if (c.type === 'BUTTONS') {
      d.buttons = Array.isArray(c.buttons) ? c.buttons.map(buttonFrom) : [];
    } else {
      d.otherComponents.push(c);
    }
  }
  return d;
}

/** Which form field a lint finding's path is about: a field name, `button:<key>`, or 'general'. */
export function fieldOfPath(path: string | undefined, paths: DraftPaths, d: Draft): string {
  if (path === undefined) return 'general';
  const within = (p: string | undefined) =>
    p !== undefined && (path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
  if (path === 'name' || path === 'language' || path === 'category') return path;
  if (path === 'parameter_format') return 'parameterFormat';
  if (within(paths.header)) {
    if (path.includes('.example')) return d.headerFormat === 'TEXT' ? 'headerExample' : 'headerMedia';
    return path.endsWith('.text') ? 'headerText' : 'headerFormat';
  }
  if (within(paths.body)) return path.includes('.example') ? 'bodyExamples' : 'body';
  if (within(paths.footer)) return 'footer';
  if (within(paths.buttons)) {
    const m = /\.buttons\[(\d+)\]/.exec(path.slice(paths.buttons!.length));
    const button = m ? d.buttons[Number(m[1])] : undefined;
    return button ? `button:${button.key}` : 'buttons';
  }
  return 'general';
}
