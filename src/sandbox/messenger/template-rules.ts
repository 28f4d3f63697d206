/**
 * Page utility templates (reference §2.4): what creation refuses at once, what review rejects a
 * moment later, and how a send's `message.template` parameters are checked against an approved
 * template and rendered for the person's thread.
 *
 * Creation (synchronous, code 100): name, language, category UTILITY only, one BODY, at most
 * one HEADER (TEXT ≤ 60 or IMAGE), FOOTER without variables, BUTTONS of types POSTBACK, URL and
 * PHONE_NUMBER (at most 3); a QUICK_REPLY button fails with subcode 2018416 ("Message Template
 * Creation Failed"). Review (Meta's rejection reasons): variables not `{{1}}…{{n}}` in order, or
 * at the very start or end of the body → INCORRECT_PARAMS; more variables than words →
 * PARAMS_TO_WORD_RATIO_EXCEED_LIMIT; a variable without a sample →
 * TEMPLATE_VARIABLES_MISSING_SAMPLE_VALUES; marketing words → TAG_SHOULD_BE_MARKETING.
 */
import type { MetaError } from '../errors';
import { graphError, param } from './errors';
import type { MessengerButton, MessengerContent, PageTemplate } from './state';

type Obj = Record<string, unknown>;

export interface PageTemplateInput {
  name: string;
  language: string;
  category: 'UTILITY';
  parameter_format: 'POSITIONAL' | 'NAMED';
  components: Obj[];
}

const NAME = /^[a-z0-9_]{1,512}$/;
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2,4})?$/;
const ANY_VAR = /\{\{([^{}]*)\}\}/g;
const POSITIONAL_VAR = /^\d+$/;
const NAMED_VAR = /^[a-z][a-z0-9_]*$/;
const BUTTON_TYPES = new Set(['POSTBACK', 'URL', 'PHONE_NUMBER']);
const MAX_BUTTONS = 3;
const MARKETING_WORDS = /\b(discount|descuento|promo\w*|sale|oferta|offer)\b|%\s*off\b/i;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function creationFailed(message: string): MetaError {
  return graphError(100, 'Invalid parameter', {
    subcode: 2018416,
    transient: false,
    userTitle: 'Message Template Creation Failed',
    userMsg: message,
  });
}

/** Form bodies carry JSON in strings; Graph accepts both. */
function jsonField(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!s.startsWith('[') && !s.startsWith('{')) return v;
  try {
    return JSON.parse(s);
  } catch {
    return v;
  }
}

/** Checks a creation request; throws Graph's code 100 for what Meta refuses at once. */
export function parseTemplateInput(raw: unknown): PageTemplateInput {
  if (!isObj(raw)) throw param('The parameter name is required');
  const b = raw;
  if (b.library_template_name !== undefined) {
    throw param(
      'library_template_name: the sandbox has no template library; create the template with its components',
    );
  }
  if (typeof b.name !== 'string' || b.name === '') throw param('The parameter name is required');
  if (!NAME.test(b.name))
    throw param(
      `Param name must be at most 512 lowercase letters, digits and underscores, got ${JSON.stringify(b.name)}`,
    );
  if (typeof b.language !== 'string' || b.language === '') throw param('The parameter language is required');
  if (!LANGUAGE.test(b.language))
    throw param(
      `Param language must be a language code such as en or es_AR, got ${JSON.stringify(b.language)}`,
    );
  if (typeof b.category !== 'string' || b.category === '') throw param('The parameter category is required');
  if (b.category.toUpperCase() !== 'UTILITY') {
    throw graphError(100, 'Invalid parameter', {
      transient: false,
      userTitle: 'Invalid category',
      userMsg: `Page message templates are UTILITY; got ${b.category}. Marketing messages go through the Marketing Message API.`,
    });
  }
  const format = b.parameter_format === undefined ? 'POSITIONAL' : String(b.parameter_format).toUpperCase();
  if (format !== 'POSITIONAL' && format !== 'NAMED')
    throw param(
      `Param parameter_format must be one of {POSITIONAL, NAMED} - got "${String(b.parameter_format)}"`,
    );
  const components = jsonField(b.components);
  if (!Array.isArray(components) || components.length === 0)
    throw param('The parameter components is required and must be a non-empty array');
  const out: Obj[] = [];
  const seen = new Set<string>();
  components.forEach((c, i) => {
    const where = `components[${i}]`;
    if (!isObj(c) || typeof c.type !== 'string') throw param(`Param ${where}[type] is required`);
    const type = c.type.toUpperCase();
    if (!['HEADER', 'BODY', 'FOOTER', 'BUTTONS'].includes(type))
      throw param(`Param ${where}[type] must be one of {HEADER, BODY, FOOTER, BUTTONS} - got "${c.type}"`);
    if (seen.has(type)) throw param(`Param components has more than one ${type}`);
    seen.add(type);
    checkComponent(type, c, where);
    const normalized: Obj = { ...c, type };
    if (type === 'BUTTONS')
      normalized.buttons = (c.buttons as Obj[]).map((b) => ({ ...b, type: String(b.type).toUpperCase() }));
    out.push(normalized);
  });
  if (!seen.has('BODY')) throw param('Param components must contain a BODY');
  return {
    name: b.name,
    language: b.language,
    category: 'UTILITY',
    parameter_format: format,
    components: out,
  };
}

function checkComponent(type: string, c: Obj, where: string): void {
  if (type === 'BODY') {
    if (typeof c.text !== 'string' || c.text.trim() === '') throw param(`Param ${where}[text] is required`);
    if (c.text.length > 1024) throw param(`Param ${where}[text] must be at most 1024 characters`);
    return;
  }
  if (type === 'HEADER') {
    const format = typeof c.format === 'string' ? c.format.toUpperCase() : 'TEXT';
    if (format === 'TEXT') {
      if (typeof c.text !== 'string' || c.text === '') throw param(`Param ${where}[text] is required`);
      if (c.text.length > 60) throw param(`Param ${where}[text] must be at most 60 characters`);
    } else if (format !== 'IMAGE') {
      throw param(`Param ${where}[format] must be one of {TEXT, IMAGE} - got "${String(c.format)}"`);
    }
    return;
  }
  if (type === 'FOOTER') {
    if (typeof c.text !== 'string' || c.text === '') throw param(`Param ${where}[text] is required`);
    if (c.text.length > 60) throw param(`Param ${where}[text] must be at most 60 characters`);
    if (/\{\{/.test(c.text)) throw param(`Param ${where}[text] cannot contain variables`);
    return;
  }
  const buttons = c.buttons;
  if (!Array.isArray(buttons) || buttons.length === 0)
    throw param(`Param ${where}[buttons] must be a non-empty array`);
  buttons.forEach((btn, j) => {
    const w = `${where}[buttons][${j}]`;
    if (!isObj(btn) || typeof btn.type !== 'string') throw param(`Param ${w}[type] is required`);
    const bt = btn.type.toUpperCase();
    if (bt === 'QUICK_REPLY')
      throw creationFailed(
        'QUICK_REPLY buttons are not supported in Page message templates; use POSTBACK buttons.',
      );
    if (!BUTTON_TYPES.has(bt))
      throw param(`Param ${w}[type] must be one of {POSTBACK, URL, PHONE_NUMBER} - got "${btn.type}"`);
    if (typeof btn.text !== 'string' || btn.text === '') throw param(`Param ${w}[text] is required`);
    if (btn.text.length > 20) throw param(`Param ${w}[text] must be at most 20 characters`);
    if (bt === 'POSTBACK' && (typeof btn.payload !== 'string' || btn.payload === ''))
      throw param(`Param ${w}[payload] is required for a POSTBACK button`);
    if (bt === 'URL' && (typeof btn.url !== 'string' || !/^https?:\/\//.test(btn.url)))
      throw param(`Param ${w}[url] must be an http(s) URL`);
    if (bt === 'PHONE_NUMBER' && (typeof btn.phone_number !== 'string' || btn.phone_number === ''))
      throw param(`Param ${w}[phone_number] is required for a PHONE_NUMBER button`);
  });
  if (buttons.length > MAX_BUTTONS)
    throw param(`Param ${where}[buttons] must have at most ${MAX_BUTTONS} buttons`);
}

function component(t: { components: Obj[] }, type: string): Obj | undefined {
  return t.components.find((c) => String(c.type).toUpperCase() === type);
}

function varsOf(text: string): string[] {
  return [...text.matchAll(ANY_VAR)].map((m) => (m[1] ?? '').trim());
}

function distinct(names: string[]): string[] {
  return [...new Set(names)];
}

export interface ReviewOutcome {
  status: 'APPROVED' | 'REJECTED';
  reason: string;
}

/** Meta approves Page templates "within seconds"; these are the few reasons it rejects one. */
export function reviewTemplate(t: PageTemplateInput, rejectMarketingWords: boolean): ReviewOutcome {
  const reject = (reason: string): ReviewOutcome => ({ status: 'REJECTED', reason });
  const body = component(t, 'BODY');
  const header = component(t, 'HEADER');
  const bodyText = String(body?.text ?? '');
  const headerText = typeof header?.text === 'string' ? header.text : '';
  const named = t.parameter_format === 'NAMED';
  for (const text of [bodyText, headerText]) {
    const vars = varsOf(text);
    if (!vars.every((v) => (named ? NAMED_VAR : POSITIONAL_VAR).test(v))) return reject('INCORRECT_PARAMS');
    if (!named) {
      const order = distinct(vars).map(Number);
      if (order.some((n, i) => n !== i + 1)) return reject('INCORRECT_PARAMS');
    }
  }
  const trimmed = bodyText.trim();
  if (/^\{\{[^{}]*\}\}/.test(trimmed) || /\{\{[^{}]*\}\}$/.test(trimmed)) return reject('INCORRECT_PARAMS');
  const bodyVars = distinct(varsOf(bodyText));
  const words = bodyText
    .replace(ANY_VAR, ' ')
    .split(/\s+/)
    .filter((w) => /\p{L}|\p{N}/u.test(w)).length;
  if (bodyVars.length > words) return reject('PARAMS_TO_WORD_RATIO_EXCEED_LIMIT');
  if (
    !hasSamples(body, bodyVars, 'body', named) ||
    !hasSamples(header, distinct(varsOf(headerText)), 'header', named)
  )
    return reject('TEMPLATE_VARIABLES_MISSING_SAMPLE_VALUES');
  const buttons = component(t, 'BUTTONS');
  for (const b of (buttons?.buttons as Obj[] | undefined) ?? []) {
    if (String(b.type).toUpperCase() !== 'URL' || !/\{\{/.test(String(b.url))) continue;
    const ex = b.example;
    const ok =
      (isObj(ex) && typeof ex.url_suffix_example === 'string') ||
      (Array.isArray(ex) && typeof ex[0] === 'string');
    if (!ok) return reject('TEMPLATE_VARIABLES_MISSING_SAMPLE_VALUES');
  }
  if (rejectMarketingWords) {
    const all = [headerText, bodyText, String(component(t, 'FOOTER')?.text ?? '')].join(' ');
    if (MARKETING_WORDS.test(all)) return reject('TAG_SHOULD_BE_MARKETING');
  }
  return { status: 'APPROVED', reason: 'NONE' };
}

function hasSamples(c: Obj | undefined, vars: string[], kind: 'body' | 'header', named: boolean): boolean {
  if (vars.length === 0) return true;
  const ex = c?.example;
  if (!isObj(ex)) return false;
  if (named) {
    const list = ex[`${kind}_text_named_params`];
    if (!Array.isArray(list)) return false;
    const given = new Set(
      list
        .filter((p) => isObj(p) && typeof p.example === 'string' && p.example !== '')
        .map((p) => p.param_name),
    );
    return vars.every((v) => given.has(v));
  }
  const raw = ex[`${kind}_text`];
  const values = kind === 'body' && Array.isArray(raw) && Array.isArray(raw[0]) ? raw[0] : raw;
  return Array.isArray(values) && values.length >= vars.length && values.every((v) => typeof v === 'string');
}

// ---------- sending ----------

export interface TemplateRef {
  name: string;
  language: string;
  components: Obj[];
}

/**
 * Checks the parameters of a UTILITY send against the approved template, positionally (fact
 * sheet §2.4: one `buttons` component, POSTBACK payloads and URL suffixes in button order), and
 * renders what the person sees. Throws code 100 (1893029 for too few POSTBACK parameters).
 */
export function bindTemplate(t: PageTemplate, ref: TemplateRef): MessengerContent {
  const named = t.parameterFormat === 'NAMED';
  const byType = new Map<string, { c: Obj; i: number }>();
  ref.components.forEach((c, i) => {
    const type = String(c.type ?? '').toLowerCase();
    if (type === 'button')
      throw param(
        `Invalid component type "button" in param "message[template][components][${i}]": give one "buttons" component with positional parameters`,
      );
    if (!['header', 'body', 'buttons'].includes(type))
      throw param(`Param message[template][components][${i}][type] must be one of {header, body, buttons}`);
    if (byType.has(type))
      throw param(`Param message[template][components] has more than one ${type} component`);
    byType.set(type, { c, i });
  });
  const header = component(t, 'HEADER');
  const body = component(t, 'BODY');
  const content: MessengerContent = {
    type: 'utility',
    quickReplies: [],
    buttons: [],
    template: { name: t.name, language: t.language },
  };
  if (header) {
    const format = typeof header.format === 'string' ? header.format.toUpperCase() : 'TEXT';
    const given = byType.get('header');
    if (format === 'IMAGE') {
      const p = paramsOf(given, 'header')[0];
      const image = isObj(p) && isObj(p.image) ? p.image : undefined;
      if (!image || (typeof image.link !== 'string' && typeof image.id !== 'string'))
        throw param('Param message[template][components][header] needs one image parameter (link or id)');
      content.header = '';
      content.url = typeof image.link === 'string' ? image.link : `attachment:${String(image.id)}`;
    } else {
      content.header = fill(String(header.text), given, 'header', named);
    }
  } else if (byType.has('header')) {
    throw param(
      'Number of parameters does not match the expected number of params: the template has no header',
    );
  }
  content.text = fill(String(body?.text ?? ''), byType.get('body'), 'body', named);
  const footer = component(t, 'FOOTER');
  if (footer) content.footer = String(footer.text);
  content.buttons = bindButtons(component(t, 'BUTTONS'), byType.get('buttons'));
  return content;
}

function paramsOf(given: { c: Obj; i: number } | undefined, kind: string): unknown[] {
  if (!given) return [];
  const p = given.c.parameters;
  if (!Array.isArray(p))
    throw param(`Param message[template][components][${given.i}][parameters] must be an array (${kind})`);
  return p;
}

function fill(text: string, given: { c: Obj; i: number } | undefined, kind: string, named: boolean): string {
  const vars = distinct(varsOf(text));
  const params = paramsOf(given, kind);
  if (params.length !== vars.length)
    throw param(
      `Number of parameters does not match the expected number of params: the ${kind} expects ${vars.length}, got ${params.length}`,
    );
  const values = new Map<string, string>();
  params.forEach((p, j) => {
    const where = `message[template][components][${given?.i}][parameters][${j}]`;
    if (!isObj(p) || String(p.type).toLowerCase() !== 'text' || typeof p.text !== 'string' || p.text === '')
      throw param(`Param ${where} must be {"type": "text", "text": "<non-empty>"}`);
    if (named) {
      if (typeof p.parameter_name !== 'string' || !vars.includes(p.parameter_name))
        throw param(
          `Param ${where}[parameter_name] must name one of the template's parameters (${vars.join(', ')})`,
        );
      values.set(p.parameter_name, p.text);
    } else {
      values.set(vars[j] as string, p.text);
    }
  });
  return text.replace(ANY_VAR, (_m, v: string) => values.get(v.trim()) ?? '');
}

function bindButtons(tpl: Obj | undefined, given: { c: Obj; i: number } | undefined): MessengerButton[] {
  const buttons = (tpl?.buttons as Obj[] | undefined) ?? [];
  const expected = buttons.filter(
    (b) => b.type === 'POSTBACK' || (b.type === 'URL' && /\{\{/.test(String(b.url))),
  );
  const params = paramsOf(given, 'buttons');
  const postbacks = expected.filter((b) => b.type === 'POSTBACK').length;
  const postbackParams = params.filter((p) => isObj(p) && String(p.type).toUpperCase() === 'POSTBACK').length;
  if (postbackParams < postbacks)
    throw param(
      `The template has ${postbacks} POSTBACK button(s) but the buttons component gives ${postbackParams} POSTBACK parameter(s)`,
      1893029,
    );
  if (params.length !== expected.length)
    throw param(
      `Number of parameters does not match the expected number of params: the buttons expect ${expected.length}, got ${params.length}`,
    );
  let k = 0;
  return buttons.map((b) => {
    const type = String(b.type);
    const title = String(b.text);
    if (type === 'PHONE_NUMBER') return { type: 'phone_number', title, payload: String(b.phone_number) };
    if (type === 'URL' && !/\{\{/.test(String(b.url))) return { type: 'web_url', title, url: String(b.url) };
    const p = params[k] as Obj;
    const where = `message[template][components][${given?.i}][parameters][${k}]`;
    k += 1;
    if (String(p.type).toUpperCase() !== type)
      throw param(`Param ${where}[type] must be ${type} (the template's button "${title}")`);
    if (type === 'POSTBACK') {
      if (typeof p.payload !== 'string' || p.payload === '')
        throw param(`Param ${where}[payload] is required`);
      return { type: 'postback', title, payload: p.payload };
    }
    if (typeof p.url !== 'string' || p.url === '') throw param(`Param ${where}[url] is required`);
    return { type: 'web_url', title, url: String(b.url).replace(ANY_VAR, p.url) };
  });
}
