/**
 * The Send API body (reference §3.2–3.3, §2.1–2.4), checked before anything about the person:
 * JSON or form-encoded (each top-level field JSON in a string); `recipient.id`; exactly one of
 * `message` and `sender_action`; `messaging_type` (missing = RESPONSE); tags (the three retired
 * on 27 April 2026 → 100/1893061, older ones → 100, HUMAN_AGENT only with MESSAGE_TAG);
 * `message` with exactly one of text (≤ 2000 characters), attachment (media by URL or
 * attachment id, button and generic templates; any other template_type, such as a WhatsApp-style
 * utility wrapper, is "Invalid template type") and template (UTILITY only; a WhatsApp-style
 * `index` key is refused by name); quick replies (≤ 13, titles cut at 20 characters as Meta
 * does, payload ≤ 1000); metadata (≤ 1000).
 */
import type { MetaError } from '../errors';
import { graphError, param, retiredTag } from './errors';
import type { MessagingType, MessengerButton, MessengerContent, QuickReply } from './state';
import type { TemplateRef } from './template-rules';

type Obj = Record<string, unknown>;

export const RETIRED_TAGS = new Set(['ACCOUNT_UPDATE', 'CONFIRMED_EVENT_UPDATE', 'POST_PURCHASE_UPDATE']);
/** Tags from before March 2020 (§2.2): Meta answers them as unknown values. */
const OLD_TAGS = new Set([
  'SHIPPING_UPDATE',
  'RESERVATION_UPDATE',
  'ISSUE_RESOLUTION',
  'APPOINTMENT_UPDATE',
  'GAME_EVENT',
  'TRANSPORTATION_UPDATE',
  'FEATURE_FUNCTIONALITY_UPDATE',
  'TICKET_UPDATE',
  'PAYMENT_UPDATE',
  'PERSONAL_FINANCE_UPDATE',
  'COMMUNITY_ALERT',
  'CONFIRMED_EVENT_REMINDER',
  'NON_PROMOTIONAL_SUBSCRIPTION',
  'PAIRING_UPDATE',
  'APPLICATION_UPDATE',
  'BUSINESS_PRODUCTIVITY',
]);
const MESSAGING_TYPES: readonly MessagingType[] = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG', 'UTILITY'];
const SENDER_ACTIONS = new Set(['typing_on', 'typing_off', 'mark_seen', 'react', 'unreact']);
const MEDIA = new Set(['image', 'audio', 'video', 'file']);
const BUTTON_TYPES = new Set([
  'web_url',
  'postback',
  'phone_number',
  'account_link',
  'account_unlink',
  'game_play',
]);
const MAX_TEXT = 2000;
const MAX_QUICK_REPLIES = 13;
const QUICK_REPLY_TITLE = 20;

export interface ParsedSend {
  recipientId: string;
  messagingType: MessagingType;
  tag: string | undefined;
  senderAction?: { action: string; messageId?: string; reaction?: string };
  content?: MessengerContent;
  /** For UTILITY: the template and its parameters, bound against the page's template later. */
  template?: TemplateRef;
  metadata?: string;
  /** The body with its form-encoded fields parsed, as recorded. */
  body: Obj;
}

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A form-encoded body has each top-level field as JSON in a string (§3.1). */
function field(b: Obj, key: string): unknown {
  const v = b[key];
  if (typeof v !== 'string') return v;
  const s = v.trim();
  if (!s.startsWith('{') && !s.startsWith('[')) return v;
  try {
    return JSON.parse(s);
  } catch {
    throw param(`Param ${key} must be a JSON object`);
  }
}

function chars(s: string): number {
  return [...s].length;
}

export function validateSend(raw: unknown): ParsedSend {
  if (!isObj(raw)) throw param('The parameter recipient is required');
  const body: Obj = { ...raw };
  for (const k of ['recipient', 'message', 'payload', 'reply_to']) if (k in body) body[k] = field(raw, k);
  delete body.access_token;

  const recipient = body.recipient;
  if (recipient === undefined) throw param('The parameter recipient is required');
  if (!isObj(recipient)) throw param('Param recipient must be a JSON object');
  if (recipient.notification_messages_token !== undefined || recipient.one_time_notif_token !== undefined)
    throw param(
      'Invalid or expired notification token: recurring notifications were retired on 10 February 2026',
    );
  if (recipient.id === undefined) {
    if (
      recipient.user_ref !== undefined ||
      recipient.comment_id !== undefined ||
      recipient.post_id !== undefined
    )
      throw param('No matching user found', 2018001);
    throw param('Param recipient[id] is required');
  }
  const recipientId = typeof recipient.id === 'number' ? String(recipient.id) : recipient.id;
  if (typeof recipientId !== 'string' || !/^\d+$/.test(recipientId))
    throw param(
      `Param recipient[id] must be a valid ID string (e.g. "123"), got ${JSON.stringify(recipient.id)}`,
    );

  const rawType = body.messaging_type;
  let messagingType: MessagingType = 'RESPONSE';
  if (rawType !== undefined) {
    if (typeof rawType !== 'string' || !(MESSAGING_TYPES as readonly string[]).includes(rawType))
      throw param(
        `Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG, UTILITY} - got "${String(rawType)}"`,
      );
    messagingType = rawType as MessagingType;
  }
  const tag = checkTag(body.tag, messagingType);

  const hasMessage = body.message !== undefined;
  const hasAction = body.sender_action !== undefined;
  if (hasMessage && hasAction) throw param('Only one of message or sender_action can be sent in one request');
  if (!hasMessage && !hasAction) throw param('Must send either message or sender_action');

  if (hasAction) {
    const action = body.sender_action;
    if (typeof action !== 'string' || !SENDER_ACTIONS.has(action))
      throw param(
        `Param sender_action must be one of {typing_on, typing_off, mark_seen, react, unreact} - got "${String(action)}"`,
      );
    const out: ParsedSend = { recipientId, messagingType, tag, senderAction: { action }, body };
    if (action === 'react' || action === 'unreact') {
      const p = body.payload;
      if (!isObj(p) || typeof p.message_id !== 'string')
        throw param(`Param payload[message_id] is required for sender_action ${action}`);
      out.senderAction = { action, messageId: p.message_id };
      if (action === 'react') {
        if (typeof p.reaction !== 'string' || p.reaction === '')
          throw param('Param payload[reaction] is required for sender_action react');
        out.senderAction.reaction = p.reaction;
      }
    }
    return out;
  }

  const message = body.message;
  if (!isObj(message)) throw param('Param message must be a JSON object');
  const kinds = (['text', 'attachment', 'template'] as const).filter((k) => message[k] !== undefined);
  if (kinds.length !== 1)
    throw param('Param message must contain exactly one of text, attachment or template');
  const out: ParsedSend = { recipientId, messagingType, tag, body };
  if (message.metadata !== undefined) {
    if (typeof message.metadata !== 'string' || message.metadata.length > 1000)
      throw param('Param message[metadata] must be a string of at most 1000 characters');
    out.metadata = message.metadata;
  }
  const quickReplies = parseQuickReplies(message.quick_replies);
  const kind = kinds[0];
  if (kind === 'template') {
    if (messagingType !== 'UTILITY')
      throw param('Param message[template] can only be sent with messaging_type UTILITY');
    if (quickReplies.length > 0) throw param('Param message[quick_replies] cannot be sent with a template');
    out.template = parseTemplateRef(message.template);
    return out;
  }
  if (messagingType === 'UTILITY')
    throw param('messaging_type UTILITY needs message[template]: the name of an approved utility template');
  const content: MessengerContent =
    kind === 'text' ? textContent(message.text) : attachmentContent(message.attachment);
  content.quickReplies = quickReplies;
  const replyTo = body.reply_to;
  if (replyTo !== undefined) {
    if (!isObj(replyTo) || typeof replyTo.mid !== 'string') throw param('Param reply_to[mid] is required');
    content.replyTo = replyTo.mid;
  }
  if (
    body.notification_type !== undefined &&
    !['REGULAR', 'SILENT_PUSH', 'NO_PUSH'].includes(String(body.notification_type))
  )
    throw param(
      `Param notification_type must be one of {REGULAR, SILENT_PUSH, NO_PUSH} - got "${String(body.notification_type)}"`,
    );
  out.content = content;
  return out;
}

function checkTag(raw: unknown, type: MessagingType): string | undefined {
  if (raw === undefined) {
    if (type === 'MESSAGE_TAG') throw param('Param tag is required when messaging_type is MESSAGE_TAG');
    return undefined;
  }
  if (typeof raw !== 'string' || raw === '') throw param('Param tag must be a string');
  // A retired tag fails whatever messaging_type it rides with: that is how the in-window
  // replies of tools that tagged everything broke on 27 April 2026.
  if (RETIRED_TAGS.has(raw)) throw retiredTag(raw);
  if (raw !== 'HUMAN_AGENT' && raw !== 'CUSTOMER_FEEDBACK') {
    const old = OLD_TAGS.has(raw) ? ' (retired on 4 March 2020)' : '';
    throw param(`Param tag must be one of {HUMAN_AGENT, CUSTOMER_FEEDBACK} - got "${raw}"${old}`);
  }
  if (type !== 'MESSAGE_TAG')
    throw param(`Param tag can only be used with messaging_type MESSAGE_TAG, got ${type}`);
  if (raw === 'CUSTOMER_FEEDBACK')
    throw param('The CUSTOMER_FEEDBACK tag can only be used with the Customer Feedback template');
  return raw;
}

function textContent(text: unknown): MessengerContent {
  if (typeof text !== 'string' || text === '')
    throw param('Param message[text] must be a non-empty UTF-8 encoded string');
  if (chars(text) > MAX_TEXT)
    throw param(`Length of param message[text] must be less than or equal to ${MAX_TEXT}`);
  return { type: 'text', text, quickReplies: [], buttons: [] };
}

function parseQuickReplies(raw: unknown): QuickReply[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw param('Param message[quick_replies] must be an array');
  if (raw.length === 0) throw param('Param message[quick_replies] must be a non-empty array');
  if (raw.length > MAX_QUICK_REPLIES)
    throw param(
      `Param message[quick_replies] must have at most ${MAX_QUICK_REPLIES} elements, got ${raw.length}`,
    );
  return raw.map((q, i) => {
    const where = `message[quick_replies][${i}]`;
    if (!isObj(q)) throw param(`Param ${where} must be a JSON object`);
    const type = q.content_type;
    if (type === 'location') throw param(`Param ${where}[content_type] location is no longer supported`);
    if (type !== 'text' && type !== 'user_phone_number' && type !== 'user_email')
      throw param(`Param ${where}[content_type] must be one of {text, user_phone_number, user_email}`);
    const out: QuickReply = { contentType: type };
    if (type === 'text') {
      if (typeof q.title !== 'string' || q.title === '') throw param(`Param ${where}[title] is required`);
      if (typeof q.payload !== 'string' && typeof q.payload !== 'number')
        throw param(`Param ${where}[payload] is required`);
      out.title = [...q.title].slice(0, QUICK_REPLY_TITLE).join('');
    }
    if (q.payload !== undefined) {
      const payload = String(q.payload);
      if (payload.length > 1000) throw param(`Param ${where}[payload] must be at most 1000 characters`);
      out.payload = payload;
    }
    if (q.image_url !== undefined) {
      if (typeof q.image_url !== 'string') throw param(`Param ${where}[image_url] must be a URL`);
      out.imageUrl = q.image_url;
    }
    return out;
  });
}

function invalidTemplateType(given: unknown): MetaError {
  return param(
    `Invalid template type ${JSON.stringify(given)}: utility templates go in message[template] with messaging_type UTILITY, not in an attachment`,
  );
}

function attachmentContent(raw: unknown): MessengerContent {
  if (!isObj(raw)) throw param('Param message[attachment] must be a JSON object');
  const type = raw.type;
  const payload = raw.payload;
  if (typeof type !== 'string') throw param('Param message[attachment][type] is required');
  if (!isObj(payload)) throw param('Param message[attachment][payload] is required');
  if (MEDIA.has(type)) {
    const url = payload.url;
    const id = payload.attachment_id;
    if (typeof url === 'string' && /^https?:\/\//.test(url))
      return { type, url, quickReplies: [], buttons: [] };
    if (typeof id === 'string' || typeof id === 'number')
      return { type, url: `attachment:${String(id)}`, quickReplies: [], buttons: [] };
    throw param('Param message[attachment][payload] needs a url (http or https) or an attachment_id');
  }
  if (type !== 'template')
    throw param(
      `Param message[attachment][type] must be one of {image, audio, video, file, template} - got "${type}"`,
    );
  const tt = payload.template_type;
  if (tt === 'button') {
    const text = payload.text;
    if (typeof text !== 'string' || text === '')
      throw param('Param message[attachment][payload][text] is required');
    if (chars(text) > 640)
      throw param('Param message[attachment][payload][text] must be at most 640 characters');
    const buttons = parseButtons(payload.buttons, 'message[attachment][payload][buttons]', true);
    return { type: 'button', text, quickReplies: [], buttons };
  }
  if (tt === 'generic') {
    const elements = payload.elements;
    if (!Array.isArray(elements) || elements.length === 0)
      throw param('Param message[attachment][payload][elements] must be a non-empty array');
    if (elements.length > 10)
      throw param('Param message[attachment][payload][elements] must have at most 10 elements');
    return {
      type: 'generic',
      quickReplies: [],
      buttons: [],
      elements: elements.map((e, i) => {
        const where = `message[attachment][payload][elements][${i}]`;
        if (!isObj(e) || typeof e.title !== 'string' || e.title === '')
          throw param(`Param ${where}[title] is required`);
        if (chars(e.title) > 80) throw param(`Param ${where}[title] must be at most 80 characters`);
        if (e.subtitle !== undefined && (typeof e.subtitle !== 'string' || chars(e.subtitle) > 80))
          throw param(`Param ${where}[subtitle] must be a string of at most 80 characters`);
        const el: NonNullable<MessengerContent['elements']>[number] = {
          title: e.title,
          buttons: e.buttons === undefined ? [] : parseButtons(e.buttons, `${where}[buttons]`, false),
        };
        if (typeof e.subtitle === 'string') el.subtitle = e.subtitle;
        if (typeof e.image_url === 'string') el.imageUrl = e.image_url;
        return el;
      }),
    };
  }
  throw invalidTemplateType(tt);
}

function parseButtons(raw: unknown, where: string, required: boolean): MessengerButton[] {
  if (!Array.isArray(raw) || (required && raw.length === 0))
    throw param(`Param ${where} must be a non-empty array`);
  if (raw.length > 3) throw param(`Param ${where} must have at most 3 buttons`);
  return raw.map((b, i) => {
    const w = `${where}[${i}]`;
    if (!isObj(b) || typeof b.type !== 'string' || !BUTTON_TYPES.has(b.type))
      throw param(`Param ${w}[type] must be one of {${[...BUTTON_TYPES].join(', ')}}`);
    if (typeof b.title !== 'string' || b.title === '') throw param(`Param ${w}[title] is required`);
    if (chars(b.title) > 20) throw param(`Param ${w}[title] must be at most 20 characters`);
    const out: MessengerButton = { type: b.type, title: b.title };
    if (b.type === 'web_url') {
      if (typeof b.url !== 'string' || !/^https?:\/\//.test(b.url))
        throw param(`Param ${w}[url] must be a URL`);
      out.url = b.url;
    } else if (b.type === 'postback' || b.type === 'phone_number') {
      if (typeof b.payload !== 'string' || b.payload === '') throw param(`Param ${w}[payload] is required`);
      if (b.payload.length > 1000) throw param(`Param ${w}[payload] must be at most 1000 characters`);
      out.payload = b.payload;
    }
    return out;
  });
}

/** `message.template` (§2.4): name, language {code}, components; no WhatsApp-only keys. */
function parseTemplateRef(raw: unknown): TemplateRef {
  if (!isObj(raw)) throw param('Param message[template] must be a JSON object');
  rejectKeys(raw, 'message[template]');
  if (typeof raw.name !== 'string' || raw.name === '')
    throw param('Param message[template][name] is required');
  const lang = raw.language;
  const code = isObj(lang) ? lang.code : lang;
  if (typeof code !== 'string' || code === '')
    throw param('Param message[template][language][code] is required');
  const components = raw.components ?? [];
  if (!Array.isArray(components)) throw param('Param message[template][components] must be an array');
  components.forEach((c, i) => {
    if (!isObj(c)) throw param(`Param message[template][components][${i}] must be a JSON object`);
  });
  return { name: raw.name, language: code, components: components as Obj[] };
}

/** WhatsApp's button `index` and `sub_type` have no place here (§2.4, observed). */
function rejectKeys(o: unknown, where: string): void {
  if (Array.isArray(o)) {
    o.forEach((x, i) => {
      rejectKeys(x, `${where}[${i}]`);
    });
    return;
  }
  if (!isObj(o)) return;
  for (const key of ['index', 'sub_type']) {
    if (key in o) throw graphError(100, `(#100) Invalid keys "${key}" were found in param "${where}".`);
  }
  for (const [k, v] of Object.entries(o)) rejectKeys(v, `${where}[${k}]`);
}
