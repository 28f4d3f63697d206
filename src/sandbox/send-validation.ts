/**
 * Checks a POST /{phone-number-id}/messages body the way the Cloud API does (reference §1,
 * §5) and turns it into what the simulated phone will show. Throws MetaError on the first
 * problem; the order of checks follows the envelope, then the typed object.
 *
 * Code choices where Meta is vague: envelope schema errors use Graph's code 100 with a
 * descriptive message (as Graph does), missing fields 131008, bad values 131009, template
 * parameter problems 132000 / 132005 / 132012 / 132018, unknown or unapproved templates 132001.
 */
import { MetaError, messagingError, paramError } from './errors';
import type {
  AccountState,
  InboxButton,
  MessageContent,
  MessageHeader,
  PricingCategory,
  SandboxState,
  StoredTemplate,
} from './state';
import { type CompiledButton, render } from './template-shape';
import { usernames } from './usernames';

export interface ValidatedSend {
  /** `to` (or `recipient`) as the caller wrote it (echoed in `contacts[].input`). */
  input: string;
  waId: string;
  /** The BSUID the send was addressed to (`recipient`), when it was not addressed by phone. */
  userId?: string;
  type: string;
  bizOpaque: string | undefined;
  category: PricingCategory;
  content: MessageContent;
  template: StoredTemplate | null;
}

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

const TYPES = new Set([
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'template',
  'reaction',
]);
const MEDIA_TYPES = new Set(['image', 'audio', 'video', 'document', 'sticker']);
const CAPTION_TYPES = new Set(['image', 'video', 'document']);
const SENDABLE = new Set(['APPROVED', 'FLAGGED', 'REINSTATED']);
const BAD_PARAM_TEXT = /[\n\t]| {5,}/;
export const PARAM_TEXT_DETAILS =
  'Param text cannot have new-line/tab characters or more than 4 consecutive spaces';
const PHONE = /^\+?[\d\s().-]+$/;
const HTTP_URL = /^https?:\/\/\S+$/i;

/** The wa_id Meta would derive from `to`: digits only, 7–15 of them, no leading 0. */
export function normalizeTo(to: string): string | null {
  if (!PHONE.test(to)) return null;
  const digits = to.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15 || digits.startsWith('0')) return null;
  return digits;
}

export function validateSend(body: unknown, account: AccountState, state: SandboxState): ValidatedSend {
  if (!isObj(body)) throw paramError('The parameter messaging_product is required.');
  const mp = body.messaging_product;
  if (mp === undefined || mp === null || mp === '')
    throw paramError('The parameter messaging_product is required.');
  if (mp !== 'whatsapp')
    throw paramError(`Param messaging_product must be one of {WHATSAPP} - got "${String(mp)}".`);
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') {
    throw messagingError(131009, 'Param recipient_type is not valid');
  }

  const to = body.to;
  const recipient = body.recipient;
  const byBsuid =
    (to === undefined || to === null || to === '') && recipient !== undefined && recipient !== null;
  let input: string;
  let waId: string;
  let userId: string | undefined;
  if (byBsuid) {
    // A BSUID (a user with a username); `to` wins when both are given, as at Meta.
    if (typeof recipient !== 'string' || !BSUID.test(recipient)) {
      throw messagingError(131009, 'Param recipient is not valid');
    }
    const known = usernames(state).waIdOf(recipient);
    if (known === undefined) throw messagingError(131009, 'Param recipient is not valid');
    input = recipient;
    waId = known;
    userId = recipient;
  } else {
    if (to === undefined || to === null || to === '')
      throw messagingError(131008, 'The parameter to is required.');
    if (typeof to !== 'string' && typeof to !== 'number')
      throw messagingError(131009, 'Param to is not valid');
    input = String(to);
    const digits = normalizeTo(input);
    if (!digits) throw messagingError(131009, 'Param to is not valid');
    waId = digits;
  }
  if (waId === account.displayPhoneNumber) throw messagingError(131021, 'Recipient cannot be sender.');

  const type = body.type === undefined ? 'text' : body.type;
  if (typeof type !== 'string' || !TYPES.has(type)) {
    throw paramError(
      `Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got "${String(type)}".`,
    );
  }

  const opaque = body.biz_opaque_callback_data;
  let bizOpaque: string | undefined;
  if (opaque !== undefined && opaque !== null) {
    if (typeof opaque !== 'string') throw paramError('Param biz_opaque_callback_data must be a string.');
    if (opaque.length > 512)
      throw paramError('Param biz_opaque_callback_data must be at most 512 characters long.');
    bizOpaque = opaque;
  }

  let contextWamid: string | undefined;
  if (body.context !== undefined) {
    if (!isObj(body.context) || typeof body.context.message_id !== 'string' || !body.context.message_id) {
      throw messagingError(131009, 'Param context.message_id is not valid');
    }
    contextWamid = body.context.message_id;
  }

  const payload = body[type];
  if (payload === undefined || payload === null)
    throw messagingError(131008, `The parameter ${type} is required.`);

  let content: MessageContent;
  let category: PricingCategory = 'service';
  let template: StoredTemplate | null = null;
  if (type === 'template') {
    if (!isObj(payload)) throw messagingError(131009, 'Param template must be an object');
    template = findSendableTemplate(payload, account, state);
    if (userId !== undefined && template.category === 'AUTHENTICATION') throw bsuidNotSupported();
    content = bindTemplate(payload, template);
    category = template.category.toLowerCase() as PricingCategory;
  } else if (type === 'contacts') {
    if (!Array.isArray(payload) || payload.length === 0) {
      throw messagingError(131009, 'Param contacts must be a non-empty array');
    }
    const names = payload.map((c) => (isObj(c) && isObj(c.name) ? String(c.name.formatted_name ?? '') : ''));
    content = { type, text: names.filter(Boolean).join(', '), buttons: [] };
  } else {
    if (!isObj(payload)) throw messagingError(131009, `Param ${type} must be an object`);
    content = validateFreeForm(type, payload);
  }
  if (contextWamid !== undefined) content.contextWamid = contextWamid;
  const out: ValidatedSend = { input, waId, type, bizOpaque, category, content, template };
  if (userId !== undefined) out.userId = userId;
  return out;
}

const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;

/** Meta refuses authentication templates (one-time codes) to a BSUID: they need the phone. */
function bsuidNotSupported(): MetaError {
  return new MetaError(400, 131062, {
    error: {
      message: '(#131062) BSUID recipient not supported',
      type: 'OAuthException',
      code: 131062,
      error_data: {
        messaging_product: 'whatsapp',
        details:
          'Authentication templates cannot be sent to a business-scoped user ID. Use the phone number.',
      },
      fbtrace_id: 'AbsuidNotSupported',
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Templates

function findSendableTemplate(t: Obj, account: AccountState, state: SandboxState): StoredTemplate {
  const name = t.name;
  if (typeof name !== 'string' || !name)
    throw messagingError(131008, 'The parameter template.name is required.');
  const language = t.language;
  if (!isObj(language) || typeof language.code !== 'string' || !language.code) {
    throw messagingError(131008, 'The parameter template.language.code is required.');
  }
  const policy = language.policy;
  if (policy !== undefined && policy !== 'deterministic' && policy !== 'fallback') {
    throw paramError(
      `Param template['language']['policy'] must be one of {FALLBACK, DETERMINISTIC} - got "${String(policy)}".`,
    );
  }
  const code = language.code;
  const tpl = state.findTemplate(account.wabaId, name, code);
  const missing = `template name (${name}) does not exist in ${code}`;
  if (!tpl) throw messagingError(132001, missing);
  if (SENDABLE.has(tpl.status)) return tpl;
  if (tpl.status === 'PAUSED')
    throw messagingError(132015, `Template ${name} (${code}) is paused because of low quality.`);
  if (tpl.status === 'DISABLED')
    throw messagingError(132016, `Template ${name} (${code}) has been disabled.`);
  throw messagingError(132001, missing);
}

function countError(where: string, got: number, expected: number) {
  return messagingError(
    132000,
    `${where}: number of localizable_params (${got}) does not match the expected number of params (${expected})`,
  );
}

function paramsOf(c: Obj, where: string): Obj[] {
  const ps = c.parameters;
  if (ps === undefined || ps === null) return [];
  if (!Array.isArray(ps)) throw messagingError(131009, `${where}: parameters must be an array`);
  for (const p of ps)
    if (!isObj(p)) throw messagingError(131009, `${where}: each parameter must be an object`);
  return ps as Obj[];
}

/** Binds text-like parameters (text, currency, date_time) to the variables of one component. */
function bindText(
  params: Obj[],
  vars: string[],
  named: boolean,
  where: string,
  allowRich: boolean,
): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < params.length; i++) {
    const p = params[i] as Obj;
    const ptype = p.type;
    let text: string;
    if (ptype === 'text') {
      if (typeof p.text !== 'string' || p.text === '') {
        throw messagingError(131008, `${where}: Param text is required for parameter ${i + 1}`);
      }
      text = p.text;
      if (BAD_PARAM_TEXT.test(text)) throw messagingError(132018, PARAM_TEXT_DETAILS);
    } else if (allowRich && ptype === 'currency') {
      const c = p.currency;
      if (
        !isObj(c) ||
        typeof c.fallback_value !== 'string' ||
        typeof c.code !== 'string' ||
        typeof c.amount_1000 !== 'number'
      ) {
        throw messagingError(131009, `${where}: currency needs fallback_value, code and amount_1000`);
      }
      text = c.fallback_value;
    } else if (allowRich && ptype === 'date_time') {
      const d = p.date_time;
      if (!isObj(d) || typeof d.fallback_value !== 'string') {
        throw messagingError(131009, `${where}: date_time needs fallback_value`);
      }
      text = d.fallback_value;
    } else {
      throw messagingError(
        132012,
        `${where}: Format mismatch, expected TEXT, received ${String(ptype ?? 'UNKNOWN').toUpperCase()}`,
      );
    }
    const pname = p.parameter_name;
    let key: string;
    if (named) {
      if (typeof pname !== 'string' || !pname) {
        throw messagingError(
          132012,
          `${where}: parameter_name is required for templates with parameter_format NAMED`,
        );
      }
      if (!vars.includes(pname)) {
        throw messagingError(132012, `${where}: parameter_name ${pname} is not a parameter of the template`);
      }
      key = pname;
    } else {
      if (pname !== undefined) {
        throw messagingError(
          132012,
          `${where}: parameter_name is not expected for templates with parameter_format POSITIONAL`,
        );
      }
      key = String(i + 1);
    }
    if (values.has(key)) throw messagingError(131009, `${where}: parameter ${key} is given twice`);
    values.set(key, text);
  }
  return values;
}

function mediaRef(m: unknown, where: string): { link?: string; id?: string; filename?: string } {
  if (!isObj(m)) throw messagingError(131008, `${where}: media object is required`);
  const hasLink = typeof m.link === 'string' && m.link !== '';
  const hasId = typeof m.id === 'string' && m.id !== '';
  if (hasLink === hasId) throw messagingError(131009, `${where}: media must have either link or id`);
  if (hasLink && !HTTP_URL.test(m.link as string))
    throw messagingError(131009, `${where}: link is not a valid URL`);
  const out: { link?: string; id?: string; filename?: string } = hasLink
    ? { link: m.link as string }
    : { id: m.id as string };
  if (typeof m.filename === 'string') out.filename = m.filename;
  return out;
}

function parseIndex(raw: unknown): number | null {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'string' && /^\d{1,3}$/.test(raw)) return Number(raw);
  return null;
}

function bindTemplate(t: Obj, tpl: StoredTemplate): MessageContent {
  const compiled = tpl.compiled;
  const named = compiled.format === 'NAMED';
  const comps = t.components;
  if (comps !== undefined && comps !== null && !Array.isArray(comps)) {
    throw messagingError(131009, 'Param template.components must be an array');
  }
  let headerComp: Obj | undefined;
  let bodyComp: Obj | undefined;
  const buttonComps = new Map<number, Obj>();
  for (const c of (comps ?? []) as unknown[]) {
    if (!isObj(c)) throw messagingError(131009, 'Param template.components must hold objects');
    const ctype = String(c.type ?? '').toLowerCase();
    if (ctype === 'header') {
      if (headerComp) throw messagingError(131009, 'header: component given twice');
      headerComp = c;
    } else if (ctype === 'body') {
      if (bodyComp) throw messagingError(131009, 'body: component given twice');
      bodyComp = c;
    } else if (ctype === 'button') {
      const index = parseIndex(c.index);
      if (index === null)
        throw messagingError(131009, 'buttons: index must be a button position such as "0"');
      if (buttonComps.has(index))
        throw messagingError(131009, `buttons: button at index ${index} given twice`);
      buttonComps.set(index, c);
    } else {
      throw messagingError(
        131009,
        `Param template.components[].type must be header, body or button - got "${ctype}"`,
      );
    }
  }

  // Header
  let header: MessageHeader | undefined;
  const h = compiled.header;
  const hParams = headerComp ? paramsOf(headerComp, 'header') : [];
  if (!h) {
    if (hParams.length > 0) throw countError('header', hParams.length, 0);
  } else if (h.format === 'TEXT') {
    if (hParams.length !== h.vars.length) throw countError('header', hParams.length, h.vars.length);
    const values = bindText(hParams, h.vars, named, 'header', false);
    const text = render(h.text ?? [], values);
    if (text.length > 60) throw messagingError(132005, 'header: hydrated text is longer than 60 characters');
    header = { type: 'text', text };
  } else {
    const expected = h.format === 'GIF' ? 'video' : h.format.toLowerCase();
    const first = hParams[0];
    if (!first)
      throw messagingError(132012, `header: Format mismatch, expected ${h.format}, received UNKNOWN`);
    if (hParams.length > 1) throw countError('header', hParams.length, 1);
    const ptype = String(first.type ?? 'UNKNOWN').toLowerCase();
    if (ptype !== expected && !(h.format === 'GIF' && ptype === 'gif')) {
      throw messagingError(
        132012,
        `header: Format mismatch, expected ${h.format}, received ${ptype.toUpperCase()}`,
      );
    }
    if (ptype === 'location') {
      const loc = first.location;
      if (!isObj(loc) || !isCoordinate(loc.latitude) || !isCoordinate(loc.longitude)) {
        throw messagingError(131009, 'header: location needs latitude and longitude');
      }
      header = {
        type: 'location',
        text: [loc.name, loc.address].filter((x) => typeof x === 'string').join(', '),
      };
    } else {
      header = { type: ptype as MessageHeader['type'], ...mediaRef(first[ptype], 'header') };
    }
  }

  // Body
  const bParams = bodyComp ? paramsOf(bodyComp, 'body') : [];
  const bodyVars = compiled.body.vars;
  if (bParams.length !== bodyVars.length) throw countError('body', bParams.length, bodyVars.length);
  const bodyValues = bindText(bParams, bodyVars, named, 'body', true);
  const text = render(compiled.body.text, bodyValues);
  if (text.length > compiled.bodyLimit) {
    throw messagingError(132005, `body: hydrated text is longer than ${compiled.bodyLimit} characters`);
  }

  // Buttons
  const buttons = compiled.buttons.map(baseButton);
  for (const [index, c] of buttonComps) {
    const tb = compiled.buttons[index];
    const where = `button at index ${index}`;
    if (!tb) throw messagingError(131009, `buttons: template ${tpl.name} has no button at index ${index}`);
    const sub = String(c.sub_type ?? '').toLowerCase();
    if (!sub) throw messagingError(131008, `${where}: sub_type is required`);
    const subOk = sub === tb.subType || (tb.subType === 'otp' && (sub === 'url' || sub === 'copy_code'));
    if (!subOk) {
      throw messagingError(
        132012,
        `${where}: sub_type ${sub} does not match the template's ${tb.type} button`,
      );
    }
    const ps = paramsOf(c, where);
    if (ps.length > tb.params || (!tb.optional && ps.length < tb.params))
      throw countError(where, ps.length, tb.params);
    const p = ps[0];
    if (!p) continue;
    const ptype = String(p.type ?? 'UNKNOWN').toLowerCase();
    const typeOk = ptype === tb.paramType || (tb.subType === 'otp' && ptype === 'coupon_code');
    if (!typeOk) {
      throw messagingError(
        132012,
        `${where}: Format mismatch, expected ${String(tb.paramType).toUpperCase()}, received ${ptype.toUpperCase()}`,
      );
    }
    const value = p[ptype];
    if (typeof value !== 'string' || value === '')
      throw messagingError(131008, `${where}: Param ${ptype} is required`);
    const out = buttons[index] as InboxButton;
    if (tb.subType === 'quick_reply') {
      if (value.length > 1000)
        throw messagingError(131009, `${where}: payload must be at most 1000 characters long`);
      out.payload = value;
    } else if (tb.subType === 'url') {
      out.url = (tb.urlBase ?? '') + value;
    } else {
      if (tb.subType === 'copy_code' && value.length > 15) {
        throw messagingError(131009, `${where}: coupon_code must be at most 15 characters long`);
      }
      out.code = value;
    }
  }
  for (const tb of compiled.buttons) {
    if (!tb.optional && tb.params === 1 && !buttonComps.has(tb.index)) {
      throw countError(`button at index ${tb.index}`, 0, 1);
    }
  }

  const content: MessageContent = {
    type: 'template',
    text,
    buttons,
    template: { name: tpl.name, language: tpl.language, category: tpl.category },
  };
  if (header) content.header = header;
  if (compiled.footer !== null) content.footer = compiled.footer;
  return content;
}

function baseButton(b: CompiledButton): InboxButton {
  const out: InboxButton = { index: b.index, kind: b.subType, text: b.text };
  if (b.subType === 'url' && b.params === 0 && b.urlBase !== undefined) out.url = b.urlBase;
  if (b.phoneNumber !== undefined) out.phoneNumber = b.phoneNumber;
  return out;
}

function isCoordinate(x: unknown): boolean {
  return (
    (typeof x === 'number' && Number.isFinite(x)) ||
    (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x)))
  );
}

// ---------------------------------------------------------------------------------------------
// Free-form messages

function lengthError(what: string, min: number, max: number) {
  return messagingError(131009, `${what} length invalid. Min length: ${min}, Max length: ${max}`);
}

function checkLength(value: unknown, what: string, min: number, max: number): string {
  if (typeof value !== 'string' || value.length < min || value.length > max)
    throw lengthError(what, min, max);
  return value;
}

function validateFreeForm(type: string, p: Obj): MessageContent {
  if (type === 'text') {
    const body = p.body;
    if (body === undefined || body === null || body === '')
      throw messagingError(131008, 'The parameter text.body is required.');
    if (typeof body !== 'string') throw messagingError(131009, "Param text['body'] must be a string");
    if (body.length > 4096) throw paramError("Param text['body'] must be at most 4096 characters long.");
    if (p.preview_url !== undefined && typeof p.preview_url !== 'boolean') {
      throw messagingError(131009, "Param text['preview_url'] must be a boolean");
    }
    return { type, text: body, buttons: [] };
  }
  if (MEDIA_TYPES.has(type)) {
    const ref = mediaRef(p, type);
    let caption = '';
    if (p.caption !== undefined) {
      if (!CAPTION_TYPES.has(type)) throw messagingError(131009, `Param ${type}.caption is not supported`);
      caption = checkLength(p.caption, 'Caption', 0, 1024);
    }
    return { type, text: caption, header: { type: type as MessageHeader['type'], ...ref }, buttons: [] };
  }
  if (type === 'location') {
    if (!isCoordinate(p.latitude) || !isCoordinate(p.longitude)) {
      throw messagingError(131009, 'Param location needs numeric latitude and longitude');
    }
    const text = [p.name, p.address].filter((x) => typeof x === 'string').join(', ');
    return { type, text, buttons: [] };
  }
  if (type === 'reaction') {
    if (typeof p.message_id !== 'string' || !p.message_id) {
      throw messagingError(131008, 'The parameter reaction.message_id is required.');
    }
    const emoji = typeof p.emoji === 'string' ? p.emoji : '';
    return { type, text: emoji, buttons: [], contextWamid: p.message_id };
  }
  return validateInteractive(p);
}

function validateInteractive(i: Obj): MessageContent {
  const itype = i.type;
  if (typeof itype !== 'string' || !itype)
    throw messagingError(131008, 'The parameter interactive.type is required.');
  if (itype !== 'button' && itype !== 'list' && itype !== 'cta_url') {
    throw messagingError(131009, `Interactive type ${itype} is not supported by the sandbox`);
  }
  const body = i.body;
  if (!isObj(body) || body.text === undefined) {
    throw messagingError(131008, 'The parameter interactive.body.text is required.');
  }
  const text = checkLength(body.text, 'Body text', 1, 1024);
  const content: MessageContent = { type: 'interactive', text, buttons: [] };
  if (i.footer !== undefined) {
    if (!isObj(i.footer)) throw messagingError(131009, 'Param interactive.footer must be an object');
    content.footer = checkLength(i.footer.text, 'Footer text', 1, 60);
  }
  if (i.header !== undefined) {
    const hd = i.header;
    if (!isObj(hd)) throw messagingError(131009, 'Param interactive.header must be an object');
    if (hd.type === 'text') {
      content.header = { type: 'text', text: checkLength(hd.text, 'Header text', 1, 60) };
    } else if (itype !== 'list' && (hd.type === 'image' || hd.type === 'video' || hd.type === 'document')) {
      content.header = { type: hd.type, ...mediaRef(hd[hd.type], 'interactive.header') };
    } else {
      throw messagingError(131009, `Invalid header type ${String(hd.type)} for interactive ${itype}`);
    }
  }
  const action = i.action;
  if (!isObj(action)) throw messagingError(131008, 'The parameter interactive.action is required.');

  if (itype === 'button') {
    const buttons = action.buttons;
    if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) {
      throw messagingError(131009, 'Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3');
    }
    const ids = new Set<string>();
    const titles = new Set<string>();
    buttons.forEach((b: unknown, index) => {
      if (!isObj(b) || b.type !== 'reply' || !isObj(b.reply)) {
        throw messagingError(
          131009,
          'Invalid button. Each button must be {type: "reply", reply: {id, title}}',
        );
      }
      const id = checkLength(b.reply.id, 'Button id', 1, 256);
      if (id.trim() !== id) throw messagingError(131009, 'Button id cannot have leading or trailing spaces');
      const title = checkLength(b.reply.title, 'Button title', 1, 20);
      if (ids.has(id)) throw messagingError(131009, 'Duplicate button id');
      if (titles.has(title)) throw messagingError(131009, 'Button title must be unique');
      ids.add(id);
      titles.add(title);
      content.buttons.push({ index, kind: 'reply', text: title, id });
    });
    return content;
  }

  if (itype === 'list') {
    checkLength(action.button, 'Button text', 1, 20);
    const sections = action.sections;
    if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) {
      throw messagingError(
        131009,
        'Invalid sections count. Min allowed sections: 1, Max allowed sections: 10',
      );
    }
    const ids = new Set<string>();
    let index = 0;
    for (const s of sections as unknown[]) {
      if (!isObj(s) || !Array.isArray(s.rows)) throw messagingError(131009, 'Each section needs rows');
      if (sections.length > 1 || s.title !== undefined) checkLength(s.title, 'Section title', 1, 24);
      for (const r of s.rows as unknown[]) {
        if (!isObj(r)) throw messagingError(131009, 'Each row must be an object');
        const id = checkLength(r.id, 'Row id', 1, 200);
        const title = checkLength(r.title, 'Row title', 1, 24);
        const row: InboxButton = { index, kind: 'list_row', text: title, id };
        if (r.description !== undefined)
          row.description = checkLength(r.description, 'Row description', 0, 72);
        if (ids.has(id)) throw messagingError(131009, 'Duplicate row id');
        ids.add(id);
        content.buttons.push(row);
        index++;
      }
    }
    if (index < 1 || index > 10) {
      throw messagingError(131009, 'Invalid rows count. Min allowed rows: 1, Max allowed rows: 10');
    }
    return content;
  }

  // cta_url
  const params = action.parameters;
  if (action.name !== 'cta_url' || !isObj(params)) {
    throw messagingError(
      131009,
      'Param interactive.action must be {name: "cta_url", parameters: {display_text, url}}',
    );
  }
  const label = checkLength(params.display_text, 'Display text', 1, 20);
  if (typeof params.url !== 'string' || !HTTP_URL.test(params.url)) {
    throw messagingError(131009, 'Param interactive.action.parameters.url is not a valid URL');
  }
  content.buttons.push({ index: 0, kind: 'url', text: label, url: params.url });
  return content;
}
