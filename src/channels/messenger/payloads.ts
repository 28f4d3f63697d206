/**
 * Send API bodies (POST /{version}/{page-id}/messages), built from an OutboundMessage whose
 * content the domain already bound and validated in WhatsApp's shapes (the one content model
 * of the engine). What changes on the way to Messenger (reference messenger-platform.md §2–3):
 *
 * - `recipient: { id: PSID }`; `messaging_type` as the send policy decided it when the message
 *   was queued (`content.messaging`), RESPONSE when absent (Meta's own default); `tag` only
 *   with MESSAGE_TAG, and HUMAN_AGENT is the only tag that still works.
 * - text → `message.text`. Messenger takes at most 2,000 characters (WhatsApp 4,096): a
 *   longer text is refused here, never cut.
 * - reply buttons (`interactive` type button) → the text with `quick_replies` (the button id is
 *   the payload, so the tap comes back as it does on WhatsApp). Messenger has no header or
 *   footer: they become the text's first and last paragraph.
 * - template → `message.template` with `messaging_type: UTILITY`: header and body parameters
 *   as text (currency and date-time by their fallback value), and all buttons in ONE `buttons`
 *   component with positional parameters in button order: a quick reply's payload as a
 *   POSTBACK, a URL button's suffix as a URL parameter, no `index` key (Meta rejects it).
 * - No media kind exists in OutboundContent yet, so text, buttons and templates are all this
 *   file sends.
 *
 * Our message id: Messenger has no biz_opaque_callback_data. It travels as `message.metadata`
 * on text and buttons (Meta echoes it in `message_echoes`; templates take no metadata); statuses
 * are matched by Meta's `message_id` from the send answer, and by the delivery and read
 * watermarks, which cover every earlier message to that person.
 *
 * Every refusal throws MessengerPayloadError, naming what, where and how to fix it; the client
 * returns it as a local error that is never retried.
 */
import { RETIRED_MESSENGER_TAGS } from '../../domain/channels/send-policy';
import type { CloudTemplate } from '../../domain/templates/model';
import type { OutboundMessage } from '../channel';

/** Meta: text "must be UTF-8 and has a 2000 character limit". */
export const MESSENGER_TEXT_MAX = 2_000;
export const QUICK_REPLIES_MAX = 13;
/** Meta truncates longer titles; we refuse them instead. */
export const QUICK_REPLY_TITLE_MAX = 20;
export const QUICK_REPLY_PAYLOAD_MAX = 1_000;
/** Meta: metadata "has a 1000 character limit". */
export const METADATA_MAX = 1_000;

export type MessagingType = 'RESPONSE' | 'UPDATE' | 'MESSAGE_TAG' | 'UTILITY';

export interface MessengerQuickReply {
  content_type: 'text';
  title: string;
  payload: string;
}

export type MessengerTemplateParameter = Record<string, unknown> & { type: string };

export interface MessengerTemplateComponent {
  type: 'header' | 'body' | 'buttons';
  parameters: MessengerTemplateParameter[];
}

export interface MessengerTemplate {
  name: string;
  language: { code: string };
  components?: MessengerTemplateComponent[];
}

export interface MessengerSendBody {
  recipient: { id: string };
  messaging_type: MessagingType;
  tag?: 'HUMAN_AGENT';
  message: {
    text?: string;
    quick_replies?: MessengerQuickReply[];
    template?: MessengerTemplate;
    metadata?: string;
  };
  reply_to?: { mid: string };
}

/** A message Messenger would refuse as it is; `title` is short, `message` says what and how to fix. */
export class MessengerPayloadError extends Error {
  override readonly name = 'MessengerPayloadError';
  constructor(
    readonly title: string,
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Characters as Meta counts them (code points: an emoji is one, not two UTF-16 units). */
function chars(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

export function buildSendBody(m: OutboundMessage): MessengerSendBody {
  if (typeof m.to !== 'string' || m.to.trim() === '') {
    throw new MessengerPayloadError(
      'Missing Messenger recipient',
      'to',
      'the recipient must be the person’s page-scoped id (PSID), got nothing',
    );
  }
  const c = m.content;
  const messaging = messagingOf(c.kind, c.messaging);
  const body: MessengerSendBody = { recipient: { id: m.to }, messaging_type: messaging.type, message: {} };
  if (messaging.type === 'MESSAGE_TAG') body.tag = messaging.tag;
  switch (c.kind) {
    case 'text':
      body.message.text = checkedText(c.text?.body, 'content.text.body');
      break;
    case 'interactive':
      Object.assign(body.message, quickReplies(c.interactive));
      break;
    case 'template':
      body.message.template = messengerTemplate(c.template);
      break;
    default:
      throw new MessengerPayloadError(
        'Unsupported content for Messenger',
        'content.kind',
        `${describe((c as { kind: unknown }).kind)} is not text, interactive or template`,
      );
  }
  if (c.kind !== 'template' && m.messageId.length < METADATA_MAX) body.message.metadata = m.messageId;
  // Meta quotes a message only while the person's 24 h window is open; a tagged or utility
  // send is outside it by policy, where a quote would make Meta refuse the whole message.
  if (m.replyToProviderId !== undefined && (messaging.type === 'RESPONSE' || messaging.type === 'UPDATE')) {
    body.reply_to = { mid: m.replyToProviderId };
  }
  return body;
}

export function serializeSendBody(m: OutboundMessage): string {
  return JSON.stringify(buildSendBody(m));
}

function messagingOf(
  kind: string,
  messaging: OutboundMessage['content']['messaging'],
): { type: Exclude<MessagingType, 'MESSAGE_TAG'> } | { type: 'MESSAGE_TAG'; tag: 'HUMAN_AGENT' } {
  const type = messaging?.type;
  if (kind === 'template') {
    if (type === undefined || type === 'UTILITY') return { type: 'UTILITY' };
    throw new MessengerPayloadError(
      'Template sent with the wrong messaging type',
      'content.messaging.type',
      `a Messenger template goes out only as messaging_type UTILITY, the message was queued as ${type}`,
    );
  }
  switch (type) {
    case undefined:
      return { type: 'RESPONSE' };
    case 'RESPONSE':
    case 'UPDATE':
      return { type };
    case 'UTILITY':
      throw new MessengerPayloadError(
        'UTILITY carries only a template',
        'content.messaging.type',
        'messaging_type UTILITY sends an approved utility template; send this text as RESPONSE inside the window, or send a utility template',
      );
    case 'MESSAGE_TAG': {
      const tag = (messaging as { tag?: unknown }).tag;
      if (tag === 'HUMAN_AGENT') return { type, tag };
      const retired = typeof tag === 'string' ? RETIRED_MESSENGER_TAGS[tag] : undefined;
      throw new MessengerPayloadError(
        'Messenger tag not accepted',
        'content.messaging.tag',
        retired
          ? `Meta rejects the tag ${tag} since ${retired}; HUMAN_AGENT (a person, within 7 days) is the only tag left`
          : `${describe(tag)} is not a tag Recontact sends; HUMAN_AGENT is the only one`,
      );
    }
    default:
      throw new MessengerPayloadError(
        'Unknown Messenger messaging type',
        'content.messaging.type',
        `${describe(type)} is not RESPONSE, UPDATE, MESSAGE_TAG or UTILITY`,
      );
  }
}

function checkedText(text: unknown, path: string): string {
  if (typeof text !== 'string' || text === '') {
    throw new MessengerPayloadError(
      'Empty Messenger text',
      path,
      `the text must be non-empty, got ${describe(text)}`,
    );
  }
  const n = chars(text);
  if (n > MESSENGER_TEXT_MAX) {
    throw new MessengerPayloadError(
      'Text too long for Messenger',
      path,
      `the text is ${n} characters long and Messenger takes at most ${MESSENGER_TEXT_MAX}; shorten it or send it as several messages (it is never cut)`,
    );
  }
  return text;
}

/** WhatsApp reply buttons → Messenger text + quick replies. */
function quickReplies(interactive: unknown): { text: string; quick_replies: MessengerQuickReply[] } {
  const i = isObj(interactive) ? interactive : {};
  if (i.type !== 'button') {
    throw new MessengerPayloadError(
      'Unsupported interactive message for Messenger',
      'content.interactive.type',
      `Messenger gets reply buttons (type "button") as quick replies; ${describe(i.type)} has no Messenger form`,
    );
  }
  const header = isObj(i.header) ? i.header : undefined;
  if (header !== undefined && header.type !== 'text') {
    throw new MessengerPayloadError(
      'Unsupported header for Messenger',
      'content.interactive.header',
      `Messenger has no ${describe(header.type)} header on a message with quick replies; use a text header or none`,
    );
  }
  const parts = [
    header?.text,
    isObj(i.body) ? i.body.text : undefined,
    isObj(i.footer) ? i.footer.text : undefined,
  ];
  const text = checkedText(
    parts.filter((p): p is string => typeof p === 'string' && p !== '').join('\n\n'),
    'content.interactive.body.text',
  );
  const buttons = isObj(i.action) && Array.isArray(i.action.buttons) ? i.action.buttons : [];
  if (buttons.length === 0 || buttons.length > QUICK_REPLIES_MAX) {
    throw new MessengerPayloadError(
      'Wrong number of quick replies',
      'content.interactive.action.buttons',
      `Messenger takes 1 to ${QUICK_REPLIES_MAX} quick replies, got ${buttons.length}`,
    );
  }
  const quick = buttons.map((b, k): MessengerQuickReply => {
    const path = `content.interactive.action.buttons[${k}]`;
    const reply = isObj(b) && b.type === 'reply' && isObj(b.reply) ? b.reply : undefined;
    if (reply === undefined) {
      throw new MessengerPayloadError(
        'Unsupported button for Messenger',
        path,
        `only reply buttons ({ type: "reply", reply: { id, title } }) become quick replies, got ${describe(b)}`,
      );
    }
    const { id, title } = reply;
    if (typeof title !== 'string' || title === '' || chars(title) > QUICK_REPLY_TITLE_MAX) {
      throw new MessengerPayloadError(
        'Quick reply title does not fit',
        `${path}.reply.title`,
        `a quick reply's title is 1 to ${QUICK_REPLY_TITLE_MAX} characters (Meta would cut it), got ${describe(title)}`,
      );
    }
    if (typeof id !== 'string' || id === '' || chars(id) > QUICK_REPLY_PAYLOAD_MAX) {
      throw new MessengerPayloadError(
        'Quick reply payload does not fit',
        `${path}.reply.id`,
        `the button id becomes the payload, 1 to ${QUICK_REPLY_PAYLOAD_MAX} characters, got ${describe(id)}`,
      );
    }
    return { content_type: 'text', title, payload: id };
  });
  return { text, quick_replies: quick };
}

/** Header media Messenger utility templates take (Meta documents IMAGE headers only). */
const MEDIA_PARAMS = new Set(['image']);

function messengerParameter(p: unknown, path: string, where: 'header' | 'body'): MessengerTemplateParameter {
  if (!isObj(p) || typeof p.type !== 'string') {
    throw new MessengerPayloadError(
      'Invalid template parameter',
      path,
      `expected { type, … }, got ${describe(p)}`,
    );
  }
  const named = typeof p.parameter_name === 'string' ? { parameter_name: p.parameter_name } : {};
  switch (p.type) {
    case 'text':
      return { type: 'text', text: String(p.text), ...named };
    // Messenger templates have text parameters only: the value the person would have seen on
    // WhatsApp's older clients (the fallback) is the text.
    case 'currency':
    case 'date_time': {
      const v = isObj(p[p.type]) ? (p[p.type] as Obj).fallback_value : undefined;
      if (typeof v !== 'string' || v === '') {
        throw new MessengerPayloadError(
          'Invalid template parameter',
          `${path}.${p.type}.fallback_value`,
          `Messenger sends a ${p.type} value as its fallback_value text, got ${describe(v)}`,
        );
      }
      return { type: 'text', text: v, ...named };
    }
    default:
      if (where === 'header' && MEDIA_PARAMS.has(p.type)) return p as MessengerTemplateParameter;
      throw new MessengerPayloadError(
        'Template parameter not available on Messenger',
        path,
        `Messenger utility templates take text${where === 'header' ? ' and image' : ''} values in the ${where}, not ${p.type}`,
      );
  }
}

function messengerButton(c: Obj, path: string): MessengerTemplateParameter {
  const p = Array.isArray(c.parameters) ? c.parameters[0] : undefined;
  const param = isObj(p) ? p : {};
  switch (c.sub_type) {
    case 'quick_reply':
      if (typeof param.payload !== 'string' || param.payload === '') {
        throw new MessengerPayloadError(
          'Missing postback payload',
          `${path}.parameters[0].payload`,
          'a quick-reply button is a POSTBACK button on Messenger and needs its payload',
        );
      }
      return { type: 'POSTBACK', payload: param.payload };
    case 'url':
      if (typeof param.text !== 'string' || param.text === '') {
        throw new MessengerPayloadError(
          'Missing URL suffix',
          `${path}.parameters[0].text`,
          'a URL button needs the suffix that completes its address',
        );
      }
      return { type: 'URL', url: param.text };
    default:
      throw new MessengerPayloadError(
        'Template button not available on Messenger',
        `${path}.sub_type`,
        `Messenger utility templates have postback, URL and phone buttons; ${describe(c.sub_type)} has no Messenger form`,
      );
  }
}

/** WhatsApp's `template` object of a send → Messenger's (§2.4). */
export function messengerTemplate(t: CloudTemplate): MessengerTemplate {
  if (!isObj(t) || typeof t.name !== 'string' || t.name === '' || typeof t.language?.code !== 'string') {
    throw new MessengerPayloadError(
      'Invalid template',
      'content.template',
      `a template needs a name and language.code, got ${describe(t)}`,
    );
  }
  const out: MessengerTemplate = { name: t.name, language: { code: t.language.code } };
  if (t.components === undefined) return out;
  const components: MessengerTemplateComponent[] = [];
  const buttons: Array<{ index: number; at: number; param: MessengerTemplateParameter }> = [];
  let buttonsAt = -1;
  t.components.forEach((c, k) => {
    const path = `content.template.components[${k}]`;
    const params = Array.isArray(c.parameters) ? c.parameters : [];
    switch (c.type) {
      case 'header':
      case 'body': {
        const where = c.type;
        components.push({
          type: c.type,
          parameters: params.map((p, j) => messengerParameter(p, `${path}.parameters[${j}]`, where)),
        });
        break;
      }
      case 'button': {
        if (buttonsAt < 0) {
          buttonsAt = components.length;
          components.push({ type: 'buttons', parameters: [] });
        }
        const index = Number(c.index);
        buttons.push({ index: Number.isInteger(index) ? index : k, at: k, param: messengerButton(c, path) });
        break;
      }
      default:
        throw new MessengerPayloadError(
          'Template component not available on Messenger',
          `${path}.type`,
          `Messenger utility templates have header, body and buttons; ${describe(c.type)} has no Messenger form`,
        );
    }
  });
  if (buttonsAt >= 0) {
    // Positional: Meta matches the n-th parameter with the n-th button that takes one.
    buttons.sort((a, b) => a.index - b.index || a.at - b.at);
    (components[buttonsAt] as MessengerTemplateComponent).parameters = buttons.map((b) => b.param);
  }
  out.components = components;
  return out;
}
