/**
 * Meta's template rules: what POST /{waba-id}/message_templates refuses at once (reference
 * §3.3, code 100 + subcode) and what the review later rejects (§3.4).
 *
 * Subcodes used (documented by Meta or pywa unless marked): 2388040 over a length or count
 * limit; 2388047 header/body/button format (variables, examples, button layout); 2388073
 * footer format; 2388293 too many variables for the text length (our ratio: more variables
 * than words); 2388299 variable at the start or end of the body; 2388019 template limit;
 * 2388024 name already exists in that language; 2388023 name deleted less than 30 days ago.
 * Missing or malformed top-level parameters get Graph's plain code 100 message.
 *
 * Review rules (deliberately few, applied after templateReviewMs):
 *  1. Adjacent variables (`{{1}} {{2}}`) → REJECTED, INVALID_FORMAT, with rejection_info.
 *  2. A UTILITY or AUTHENTICATION template worded like marketing ("descuento", "discount",
 *     "promo…", "% off") → REJECTED, INCORRECT_CATEGORY; with allow_category_change it is
 *     APPROVED as MARKETING instead (and a template_category_update webhook goes out).
 *  3. Anything else → APPROVED.
 */
import type {
  ParameterFormat,
  TemplateButton,
  TemplateCategory,
  TemplateComponent,
  TemplateDefinition,
} from '../domain/templates/model';
import { type MetaError, paramError, templateError } from './errors';
import { parseVars } from './template-shape';

export interface TemplateInput extends TemplateDefinition {
  allow_category_change?: boolean;
  message_send_ttl_seconds?: number;
}

export const CATEGORIES: readonly TemplateCategory[] = ['AUTHENTICATION', 'MARKETING', 'UTILITY'];

export const LANGUAGES = new Set(
  (
    'af sq ar ar_EG az bn bg ca zh_CN zh_HK zh_TW hr cs da nl en en_GB en_US en_AU en_CA en_IN et fil fi fr ' +
    'fr_CA de el gu ha he hi hu id ga it ja kn kk rw_RW ko ky_KG lo lv lt mk ms ml mr nb fa pl pt_BR pt_PT pa ' +
    'ro ru sr sk sl es es_AR es_ES es_MX es_CL es_CO es_PE es_VE sw sv ta te th tr uk ur uz vi zu'
  ).split(' '),
);

const NAME = /^[a-z0-9_]+$/;
const NAMED_VAR = /^[a-z_][a-z0-9_]*$/;
const HEADER_FORMATS = new Set(['TEXT', 'IMAGE', 'VIDEO', 'GIF', 'DOCUMENT', 'LOCATION']);
const BUTTON_TYPES = new Set(['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP']);
const MARKETING_WORDING = /descuento|discount|\bpromo|%\s*off\b/i;
const ADJACENT = /\}\}\s*\{\{/;

type Obj = Record<string, unknown>;
function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function limit(what: string, max: number): MetaError {
  return templateError(2388040, `${what} is too long`, `${what} can have at most ${max} characters.`);
}
function format(title: string, msg: string): MetaError {
  return templateError(2388047, title, msg);
}

/** Graph form posts carry nested objects as JSON text. */
function maybeJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  if (!t.startsWith('[') && !t.startsWith('{')) return v;
  try {
    return JSON.parse(t);
  } catch {
    return v;
  }
}

/** Normalises component, format and button type names to upper case (Meta accepts both). */
export function parseComponents(raw: unknown): TemplateComponent[] {
  const list = maybeJson(raw);
  if (!Array.isArray(list) || list.length === 0) throw paramError('The parameter components is required');
  return list.map((c) => {
    if (!isObj(c) || typeof c.type !== 'string') throw paramError('Param components[].type is required');
    const out: Obj = { ...c, type: c.type.toUpperCase() };
    if (typeof c.format === 'string') out.format = c.format.toUpperCase();
    if (Array.isArray(c.buttons)) {
      out.buttons = c.buttons.map((b: unknown) =>
        isObj(b) && typeof b.type === 'string' ? { ...b, type: b.type.toUpperCase() } : b,
      );
    }
    return out as unknown as TemplateComponent;
  });
}

export function parseCategory(raw: unknown): TemplateCategory {
  if (typeof raw !== 'string' || raw === '') throw paramError('The parameter category is required');
  const up = raw.toUpperCase() as TemplateCategory;
  if (!CATEGORIES.includes(up)) {
    throw paramError(`Param category must be one of {AUTHENTICATION, MARKETING, UTILITY} - got "${raw}".`);
  }
  return up;
}

/** Reads a create body (JSON or form-encoded) into a definition; validation is separate. */
export function parseTemplateInput(body: unknown): TemplateInput {
  if (!isObj(body)) throw paramError('The parameter name is required');
  const { name, language } = body;
  if (typeof name !== 'string' || name === '') throw paramError('The parameter name is required');
  if (typeof language !== 'string' || language === '') throw paramError('The parameter language is required');
  const category = parseCategory(body.category);
  let parameterFormat: ParameterFormat = 'POSITIONAL';
  if (body.parameter_format !== undefined) {
    const pf = String(body.parameter_format).toUpperCase();
    if (pf !== 'POSITIONAL' && pf !== 'NAMED') {
      throw paramError(
        `Param parameter_format must be one of {NAMED, POSITIONAL} - got "${String(body.parameter_format)}".`,
      );
    }
    parameterFormat = pf;
  }
  const input: TemplateInput = {
    name,
    language,
    category,
    parameter_format: parameterFormat,
    components: parseComponents(body.components),
  };
  const acc = body.allow_category_change;
  if (acc === true || acc === 'true') input.allow_category_change = true;
  if (body.message_send_ttl_seconds !== undefined) {
    const ttl = Number(body.message_send_ttl_seconds);
    if (!Number.isInteger(ttl)) throw paramError('Param message_send_ttl_seconds must be an integer');
    input.message_send_ttl_seconds = ttl;
  }
  return input;
}

/** Throws the first rule the definition breaks (Meta reports one error at a time). */
export function validateTemplate(def: TemplateInput): void {
  if (def.name.length > 512) throw limit('Template name', 512);
  if (!NAME.test(def.name)) {
    throw templateError(
      undefined,
      'Invalid template name',
      'Template names can only contain lowercase letters, numbers and underscores.',
    );
  }
  if (!LANGUAGES.has(def.language)) {
    throw templateError(undefined, 'Invalid language', `The language ${def.language} is not supported.`);
  }
  const named = def.parameter_format === 'NAMED';
  const seen = new Map<string, TemplateComponent>();
  for (const c of def.components) {
    if (!['HEADER', 'BODY', 'FOOTER', 'BUTTONS'].includes(c.type)) {
      throw format('Invalid component', `Component type ${c.type} is not supported.`);
    }
    if (seen.has(c.type))
      throw format('Invalid component', `A template can have only one ${c.type} component.`);
    seen.set(c.type, c);
  }
  const body = seen.get('BODY');
  if (body?.type !== 'BODY') throw paramError('Param components must contain a BODY component');
  for (const c of def.components) {
    if (c.type === 'HEADER') validateHeader(c as unknown as Obj, named);
    else if (c.type === 'BODY') validateBody(c as unknown as Obj, named);
    else if (c.type === 'FOOTER') validateFooter(c as unknown as Obj);
    else validateButtons(c as unknown as Obj, def.category);
  }
}

function checkVarNames(names: string[], named: boolean, where: string): void {
  for (const n of names) {
    if (named ? !NAMED_VAR.test(n) : !/^\d+$/.test(n)) {
      throw format(
        'Invalid variable',
        named
          ? `${where}: named variables use lowercase letters, digits and underscores ({{first_name}}); got {{${n}}}.`
          : `${where}: variables must be numbered ({{1}}, {{2}}, ...) unless parameter_format is NAMED; got {{${n}}}.`,
      );
    }
  }
  if (!named) {
    names.forEach((n, i) => {
      if (Number(n) !== i + 1) {
        throw format(
          'Variables are not sequential',
          `${where}: variables must be {{1}}, {{2}}, ... in order, without gaps.`,
        );
      }
    });
  }
}

function checkBraces(text: string, where: string): void {
  const stripped = text.replace(/\{\{\s*[^{}]*?\s*\}\}/g, '');
  if (stripped.includes('{{') || stripped.includes('}}')) {
    throw format('Malformed variable', `${where}: a variable is not written as {{1}} or {{name}}.`);
  }
}

function distinct(text: string): string[] {
  return [...new Set(parseVars(text).map((v) => v.name))];
}

function validateHeader(h: Obj, named: boolean): void {
  const fmt = h.format;
  if (typeof fmt !== 'string' || !HEADER_FORMATS.has(fmt)) {
    throw format(
      'Invalid header format',
      'Header format must be TEXT, IMAGE, VIDEO, GIF, DOCUMENT or LOCATION.',
    );
  }
  const example = isObj(h.example) ? h.example : {};
  if (fmt === 'TEXT') {
    if (typeof h.text !== 'string' || h.text === '')
      throw format('Header text missing', 'A TEXT header needs text.');
    if (h.text.length > 60) throw limit('Header text', 60);
    checkBraces(h.text, 'header');
    const vars = distinct(h.text);
    if (vars.length > 1) throw format('Too many variables', 'The header can have at most one variable.');
    checkVarNames(vars, named, 'header');
    if (vars.length === 1) {
      const ok = named
        ? Array.isArray(example.header_text_named_params) &&
          example.header_text_named_params.some((p: unknown) => isObj(p) && p.param_name === vars[0])
        : Array.isArray(example.header_text) && typeof example.header_text[0] === 'string';
      if (!ok)
        throw format('Missing sample', 'Add a sample value for the header variable (example.header_text).');
    }
  } else if (fmt !== 'LOCATION') {
    const handles = example.header_handle;
    if (!Array.isArray(handles) || handles.length === 0 || typeof handles[0] !== 'string') {
      throw format('Missing sample', `A ${fmt} header needs a sample media handle (example.header_handle).`);
    }
  }
}

function validateBody(b: Obj, named: boolean): void {
  const text = b.text;
  if (typeof text !== 'string' || text.trim() === '')
    throw format('Body text missing', 'The body needs text.');
  if (text.length > 1024) throw limit('Body text', 1024);
  checkBraces(text, 'body');
  const vars = distinct(text);
  checkVarNames(vars, named, 'body');
  if (vars.length === 0) return;
  const trimmed = text.trim();
  if (/^\{\{[^{}]*\}\}/.test(trimmed) || /\{\{[^{}]*\}\}$/.test(trimmed)) {
    throw templateError(
      2388299,
      "Variables can't be at the start or end of the template",
      'Variables cannot be at the very start or end of the body. Add text before the first and after the last variable.',
    );
  }
  const words = text
    .replace(/\{\{[^{}]*\}\}/g, ' ')
    .split(/\s+/)
    .filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
  if (words < vars.length) {
    throw templateError(
      2388293,
      'Too many variables for the message length',
      'This template has too many variables for its length. Add more text or use fewer variables.',
    );
  }
  const example = isObj(b.example) ? b.example : {};
  if (named) {
    const given = Array.isArray(example.body_text_named_params) ? example.body_text_named_params : [];
    const names = new Set(given.filter(isObj).map((p) => p.param_name));
    const missing = vars.find((v) => !names.has(v));
    if (missing !== undefined) {
      throw format(
        'Missing sample',
        `Add a sample value for {{${missing}}} (example.body_text_named_params).`,
      );
    }
  } else {
    const row = Array.isArray(example.body_text) ? example.body_text[0] : undefined;
    if (
      !Array.isArray(row) ||
      row.length !== vars.length ||
      row.some((v) => typeof v !== 'string' || v === '')
    ) {
      throw format(
        'Missing sample',
        `Add one sample value per body variable (example.body_text, ${vars.length} values).`,
      );
    }
  }
}

function validateFooter(f: Obj): void {
  if (typeof f.text !== 'string' || f.text === '')
    throw templateError(2388073, 'Footer text missing', 'The footer needs text.');
  if (f.text.length > 60) throw limit('Footer text', 60);
  if (f.text.includes('{{'))
    throw templateError(2388073, 'Invalid footer', 'The footer cannot contain variables.');
}

function validateButtons(c: Obj, category: TemplateCategory): void {
  const buttons = c.buttons;
  if (!Array.isArray(buttons) || buttons.length === 0) {
    throw format('Buttons missing', 'A BUTTONS component needs at least one button.');
  }
  if (buttons.length > 10) {
    throw templateError(2388040, 'Too many buttons', 'A template can have at most 10 buttons.');
  }
  const counts = new Map<string, number>();
  let qrGroups = 0;
  let prevQr = false;
  for (const raw of buttons as unknown[]) {
    if (!isObj(raw) || typeof raw.type !== 'string' || !BUTTON_TYPES.has(raw.type)) {
      throw format('Invalid button', 'Button type must be QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE or OTP.');
    }
    const b = raw as unknown as TemplateButton;
    counts.set(b.type, (counts.get(b.type) ?? 0) + 1);
    const isQr = b.type === 'QUICK_REPLY';
    if (isQr && !prevQr) qrGroups++;
    prevQr = isQr;
    const labelOptional = b.type === 'COPY_CODE' || b.type === 'OTP';
    const text = (b as { text?: unknown }).text;
    if (!labelOptional || text !== undefined) {
      if (typeof text !== 'string' || text === '')
        throw format('Button text missing', `A ${b.type} button needs text.`);
      if (text.length > 25) throw limit('Button text', 25);
      if (text.includes('{{')) throw format('Invalid button', 'Button text cannot contain variables.');
    }
    if (b.type === 'URL') validateUrlButton(raw);
    if (b.type === 'PHONE_NUMBER') {
      if (
        typeof raw.phone_number !== 'string' ||
        !/^\+?\d{5,20}$/.test(raw.phone_number.replace(/[\s-]/g, ''))
      ) {
        throw format(
          'Invalid phone number',
          'A PHONE_NUMBER button needs phone_number in international format.',
        );
      }
      if (raw.phone_number.length > 20) throw limit('Button phone number', 20);
    }
    if (b.type === 'COPY_CODE') {
      if (typeof raw.example !== 'string' || raw.example === '') {
        throw format('Missing sample', 'A COPY_CODE button needs a sample code (example).');
      }
      if (raw.example.length > 15) throw limit('Copy code sample', 15);
    }
    if (
      b.type === 'OTP' &&
      !['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'].includes(String(raw.otp_type).toUpperCase())
    ) {
      throw format('Invalid button', 'An OTP button needs otp_type COPY_CODE, ONE_TAP or ZERO_TAP.');
    }
  }
  const max: Record<string, number> = { QUICK_REPLY: 10, URL: 2, PHONE_NUMBER: 1, COPY_CODE: 1, OTP: 1 };
  for (const [type, n] of counts) {
    if (n > (max[type] ?? 10)) {
      throw templateError(
        2388040,
        'Too many buttons',
        `A template can have at most ${max[type]} ${type} button(s).`,
      );
    }
  }
  if (qrGroups > 1) {
    throw format(
      'Invalid button order',
      'Quick reply buttons must be grouped together, before or after the other buttons.',
    );
  }
  if (counts.has('OTP') && (category !== 'AUTHENTICATION' || buttons.length !== 1)) {
    throw format('Invalid button', 'OTP buttons are only for AUTHENTICATION templates, alone.');
  }
}

function validateUrlButton(b: Obj): void {
  const url = b.url;
  if (typeof url !== 'string' || !/^https?:\/\/[^\s]+$/i.test(url)) {
    throw format('Invalid URL', 'A URL button needs a valid http(s) url.');
  }
  if (url.length > 2000) throw limit('Button URL', 2000);
  const vars = parseVars(url);
  if (vars.length === 0) return;
  const v = vars[0];
  if (vars.length > 1 || !v || v.end !== url.length || v.name !== '1') {
    throw format('Invalid URL', 'A URL button can have one variable, {{1}}, at the end of the url.');
  }
  if (!Array.isArray(b.example) || typeof b.example[0] !== 'string') {
    throw format('Missing sample', 'Add a sample URL for the URL button variable (example).');
  }
}

export interface ReviewOutcome {
  status: 'APPROVED' | 'REJECTED';
  reason: string;
  category: TemplateCategory;
  rejectionInfo?: { reason: string; recommendation: string };
}

function allText(def: TemplateDefinition): string {
  const parts: string[] = [];
  for (const c of def.components) {
    if (c.type === 'BODY' || c.type === 'FOOTER') parts.push(c.text);
    else if (c.type === 'HEADER' && c.text) parts.push(c.text);
    else if (c.type === 'BUTTONS') for (const b of c.buttons) if (b.text) parts.push(b.text);
  }
  return parts.join('\n');
}

/** The sandbox's review (see the rules at the top of this file). */
export function reviewTemplate(def: TemplateDefinition & { allow_category_change?: boolean }): ReviewOutcome {
  const body = def.components.find((c) => c.type === 'BODY');
  if (body && body.type === 'BODY' && ADJACENT.test(body.text)) {
    return {
      status: 'REJECTED',
      reason: 'INVALID_FORMAT',
      category: def.category,
      rejectionInfo: {
        reason: 'Parameters are adjacent without text between them.',
        recommendation: 'Put descriptive text between variables.',
      },
    };
  }
  if (def.category !== 'MARKETING' && MARKETING_WORDING.test(allText(def))) {
    if (def.allow_category_change) return { status: 'APPROVED', reason: 'NONE', category: 'MARKETING' };
    return { status: 'REJECTED', reason: 'INCORRECT_CATEGORY', category: def.category };
  }
  return { status: 'APPROVED', reason: 'NONE', category: def.category };
}
