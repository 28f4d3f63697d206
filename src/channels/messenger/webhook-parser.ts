/**
 * Messenger webhook bodies (`object: "page"`) → WebhookItems.
 *
 * Walks every entry[] (Meta batches several, from several pages) and, in each, messaging[]
 * (one event per item) and changes[] (template review). Times are epoch milliseconds, as
 * Messenger sends them (WhatsApp's are seconds).
 *
 * What each event becomes, and why (the window rule is the fact sheet's, §1):
 * - `message` → inbound, isMessage true: text, attachments (type: the attachment's, `sticker`
 *   when any part is one, since stickers come in both forms until Aug 30, 2026) or a quick
 *   reply (type `quick_reply`, `button` = payload + title, so reply routing matches it like a
 *   WhatsApp button). `reply_to.mid` is the quoted message.
 * - `message.is_echo` → a `sent` status for the message the page sent (sender and recipient
 *   are swapped): Meta's proof that it took the message, found by our id in `metadata` (text
 *   and buttons carry it) or by its mid. It is how a send whose answer was lost (a crash, a
 *   timeout) is settled instead of held in doubt. An echo never opens the window, which only the
 *   person's actions do; an echo of a person typing in Meta's inbox names no message of ours
 *   and changes nothing.
 * - `postback` (Get Started, buttons, menu, utility-template POSTBACK buttons), `reaction`
 *   (action "react") and `referral` (an m.me link into an existing thread) → inbound with
 *   isMessage false: each reopens the 24 h window, none is a message (HUMAN_AGENT's 7 days
 *   count from messages only). They have no message id of their own (a postback may carry
 *   one), so a deterministic id is made from what identifies them: a redelivered body yields
 *   the same id and the inbox's unique provider ids absorb it.
 * - A reaction removed (`unreact`) → nothing: Meta lists reacting as reopening the window, not
 *   taking a reaction back, and a window believed open that Meta thinks closed costs a send
 *   refused with 10/2018278.
 * - `delivery` / `read` → watermark items: "everything sent before `watermark`" (ms); the
 *   delivery's `mids` are covered by its watermark and stay in `raw`.
 * - `optin` → nothing: opting in does not open the window, and the only opt-in Recontact could
 *   use (recurring notifications) was retired on Feb 10, 2026; the body stays in the inbox.
 * - Anything else (handovers, standby, edits, policy enforcement, account linking) → nothing.
 * - changes[] `message_template_status_update` / `messenger_template_status_update` (Meta names
 *   the field both ways) → template_status with `wabaId` = the page id: a page owns its utility
 *   templates as a WABA owns WhatsApp's.
 *
 * Hostile input: the body is bounded by the route (3 MB); the walk is flat (known paths only,
 * no recursion over the body), unknown fields are ignored, ids are bounded in length, large
 * integers keep their digits and unstorable characters become U+FFFD, as for WhatsApp. A body
 * that is not JSON, or a known field of the wrong shape, throws
 * RecontactError('WEBHOOK_PAYLOAD_INVALID') whose message names the exact path.
 */
import { createHash } from 'node:crypto';
import type { InboundItem, StatusItem, TemplateStatusItem, WatermarkItem, WebhookItem } from '../channel';
import {
  invalid,
  isObj,
  type Obj,
  obj,
  optStr,
  parseWebhookRoot,
  str,
  typeName,
} from '../graph/webhook-json';

/** Page ids and PSIDs are Graph ids (digits, under 20 today); anything this long is not one. */
const MAX_ID_LENGTH = 64;
/** Message ids ("m_…", the older "mid.…:…") are longer, but not without bound. */
const MAX_MID_LENGTH = 512;

const TEMPLATE_STATUS_FIELDS: ReadonlySet<string> = new Set([
  'message_template_status_update',
  'messenger_template_status_update',
]);

function optArr(v: unknown, path: string): unknown[] | undefined {
  if (v === undefined || Array.isArray(v)) return v;
  throw invalid(path, `must be an array, got ${typeName(v)}`);
}

/** A Graph id: a non-empty string (or a JSON integer, which Meta has been seen to send). */
function id(o: Obj, key: string, path: string, max = MAX_ID_LENGTH): string {
  const v = o[key];
  let s: string;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) s = String(v);
  else if (v === undefined) throw invalid(`${path}.${key}`, 'is missing');
  else throw invalid(`${path}.${key}`, `must be an id string, got ${typeName(v)}`);
  if (s === '') throw invalid(`${path}.${key}`, 'is empty');
  if (s.length > max)
    throw invalid(`${path}.${key}`, `is ${s.length} characters long, at most ${max} expected`);
  return s;
}

/** Epoch milliseconds, as a JSON integer or a string of digits; undefined when absent. */
function optMs(o: Obj, key: string, path: string): number | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  throw invalid(`${path}.${key}`, `must be epoch milliseconds, got ${JSON.stringify(v)}`);
}

/** A stable id for an event Meta gives none: the same event always hashes to the same id. */
function derivedId(kind: string, parts: ReadonlyArray<string | number>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([kind, ...parts]))
    .digest('base64url');
  return `${kind}.${digest.slice(0, 32)}`;
}

/** The envelope every messaging[] event shares. */
interface Envelope {
  pageId: string;
  psid: string;
  timestamp: number;
  raw: Obj;
}

function inboundBase(e: Envelope, providerMessageId: string, type: string, isMessage: boolean): InboundItem {
  return {
    kind: 'inbound',
    externalId: e.pageId,
    providerMessageId,
    from: e.psid,
    timestamp: e.timestamp,
    type,
    isMessage,
    raw: e.raw,
  };
}

function message(e: Envelope, m: Obj, path: string): InboundItem {
  const item = inboundBase(e, id(m, 'mid', path, MAX_MID_LENGTH), 'text', true);
  const text = optStr(m, 'text', path);
  if (text !== undefined) item.text = text;
  const attachments = optArr(m.attachments, `${path}.attachments`);
  if (m.quick_reply !== undefined) {
    const qp = `${path}.quick_reply`;
    const payload = str(obj(m.quick_reply, qp), 'payload', qp);
    item.type = 'quick_reply';
    item.button = { payload, text: text ?? payload };
  } else if (attachments !== undefined && attachments.length > 0) {
    const types = attachments.map((a, k) => {
      const ap = `${path}.attachments[${k}]`;
      return str(obj(a, ap), 'type', ap);
    });
    item.type = types.includes('sticker') ? 'sticker' : types[0]!;
  } else if (text === undefined) {
    // A message Meta adds a new shape for: stored and answered like WhatsApp's "unsupported".
    item.type = 'unsupported';
  }
  if (m.reply_to !== undefined) {
    const rp = `${path}.reply_to`;
    const r = obj(m.reply_to, rp);
    if (r.mid !== undefined) item.contextProviderId = id(r, 'mid', rp, MAX_MID_LENGTH);
  }
  return item;
}

function postback(e: Envelope, p: Obj, path: string): InboundItem {
  const payload = optStr(p, 'payload', path);
  const title = optStr(p, 'title', path);
  if (payload === undefined && title === undefined) throw invalid(`${path}.payload`, 'is missing');
  const mid = p.mid === undefined ? undefined : id(p, 'mid', path, MAX_MID_LENGTH);
  const item = inboundBase(
    e,
    mid ?? derivedId('postback', [e.pageId, e.psid, e.timestamp, payload ?? '', title ?? '']),
    'postback',
    false,
  );
  item.button = { payload: payload ?? title!, text: title ?? payload! };
  return item;
}

/** A reaction added; undefined for one taken back (see the header). */
function reaction(e: Envelope, r: Obj, path: string): InboundItem | undefined {
  const action = optStr(r, 'action', path) ?? 'react';
  if (action !== 'react') return undefined;
  const mid = r.mid === undefined ? undefined : id(r, 'mid', path, MAX_MID_LENGTH);
  const emoji = optStr(r, 'emoji', path);
  const name = optStr(r, 'reaction', path);
  const item = inboundBase(
    e,
    derivedId('reaction', [e.pageId, e.psid, e.timestamp, mid ?? '', emoji ?? name ?? '']),
    'reaction',
    false,
  );
  const shown = emoji ?? name;
  if (shown !== undefined) item.text = shown;
  // The reacted-to message is the one it answers, as a quoted reply would be.
  if (mid !== undefined) item.contextProviderId = mid;
  return item;
}

function referral(e: Envelope, r: Obj, path: string): InboundItem {
  const ref = optStr(r, 'ref', path);
  const source = optStr(r, 'source', path);
  return inboundBase(
    e,
    derivedId('referral', [e.pageId, e.psid, e.timestamp, ref ?? '', source ?? '']),
    'referral',
    false,
  );
}

function watermark(e: Envelope, w: Obj, path: string, status: WatermarkItem['status']): WatermarkItem {
  const mark = optMs(w, 'watermark', path);
  if (mark === undefined) throw invalid(`${path}.watermark`, 'is missing');
  return {
    kind: 'watermark',
    externalId: e.pageId,
    recipientId: e.psid,
    status,
    watermark: mark,
    timestamp: e.timestamp,
    raw: e.raw,
  };
}

/** One entry[].messaging[k] event → at most one item. */
function messagingEvent(ev: Obj, path: string, entryTime: number | undefined): WebhookItem | undefined {
  // Echoes and opt-ins first: an opt-in's sender may be a user_ref (Checkbox plugin) with no PSID.
  if (ev.optin !== undefined) return undefined;
  const m = ev.message;
  if (isObj(m) && m.is_echo === true) return echo(ev, m, path, entryTime);
  const known =
    m !== undefined ||
    ev.postback !== undefined ||
    ev.reaction !== undefined ||
    ev.referral !== undefined ||
    ev.delivery !== undefined ||
    ev.read !== undefined;
  if (!known) return undefined;

  const sender = obj(ev.sender, `${path}.sender`);
  const recipient = obj(ev.recipient, `${path}.recipient`);
  const e: Envelope = {
    pageId: id(recipient, 'id', `${path}.recipient`),
    psid: id(sender, 'id', `${path}.sender`),
    timestamp: 0,
    raw: ev,
  };
  // Meta's own delivery sample omits the event's timestamp: the entry's time, then the
  // watermark, stand in for it.
  const timestamp = optMs(ev, 'timestamp', path) ?? entryTime;
  if (m !== undefined)
    return message(withTime(e, timestamp, path), obj(m, `${path}.message`), `${path}.message`);
  if (ev.postback !== undefined)
    return postback(withTime(e, timestamp, path), obj(ev.postback, `${path}.postback`), `${path}.postback`);
  if (ev.reaction !== undefined)
    return reaction(withTime(e, timestamp, path), obj(ev.reaction, `${path}.reaction`), `${path}.reaction`);
  if (ev.referral !== undefined)
    return referral(withTime(e, timestamp, path), obj(ev.referral, `${path}.referral`), `${path}.referral`);
  const [key, status] =
    ev.delivery !== undefined ? (['delivery', 'delivered'] as const) : (['read', 'read'] as const);
  const w = obj(ev[key], `${path}.${key}`);
  const fallback = timestamp ?? optMs(w, 'watermark', `${path}.${key}`);
  return watermark(withTime(e, fallback, path), w, `${path}.${key}`, status);
}

/** Our message ids (domain/ids.ts): only such a metadata names a message of ours. */
const OUR_MESSAGE_ID = /^msg_[0-9A-HJKMNP-TV-Z]{26}$/;

function echo(ev: Obj, m: Obj, path: string, entryTime: number | undefined): StatusItem {
  const mp = `${path}.message`;
  const item: StatusItem = {
    kind: 'status',
    // Swapped: the page sent it, the person received it.
    externalId: id(obj(ev.sender, `${path}.sender`), 'id', `${path}.sender`),
    recipientId: id(obj(ev.recipient, `${path}.recipient`), 'id', `${path}.recipient`),
    providerMessageId: id(m, 'mid', mp, MAX_MID_LENGTH),
    status: 'sent',
    timestamp: 0,
    raw: ev,
  };
  const at = optMs(ev, 'timestamp', path) ?? entryTime;
  if (at === undefined) throw invalid(`${path}.timestamp`, 'is missing');
  item.timestamp = at;
  const metadata = optStr(m, 'metadata', mp);
  if (metadata !== undefined && OUR_MESSAGE_ID.test(metadata)) item.ourMessageId = metadata;
  return item;
}

function withTime(e: Envelope, timestamp: number | undefined, path: string): Envelope {
  if (timestamp === undefined) throw invalid(`${path}.timestamp`, 'is missing');
  e.timestamp = timestamp;
  return e;
}

function templateStatus(pageId: string, v: Obj, vp: string): TemplateStatusItem {
  const item: TemplateStatusItem = {
    kind: 'template_status',
    wabaId: pageId,
    event: str(v, 'event', vp),
    providerTemplateId: id(v, 'message_template_id', vp, MAX_MID_LENGTH),
    name: str(v, 'message_template_name', vp),
    language: str(v, 'message_template_language', vp),
    raw: v,
  };
  const reason = optStr(v, 'reason', vp);
  if (reason !== undefined) item.reason = reason;
  return item;
}

/** Parses a (signature-verified) Messenger webhook body. Throws RecontactError('WEBHOOK_PAYLOAD_INVALID'). */
export function parseMessengerWebhook(rawBody: Buffer): WebhookItem[] {
  const root = parseWebhookRoot(rawBody, 'page');
  const entries = optArr(root.entry, 'entry');
  if (entries === undefined) throw invalid('entry', 'is missing');
  const out: WebhookItem[] = [];
  for (let i = 0; i < entries.length; i++) {
    const ep = `entry[${i}]`;
    const entry = obj(entries[i], ep);
    const time = optMs(entry, 'time', ep);
    const messaging = optArr(entry.messaging, `${ep}.messaging`) ?? [];
    for (let k = 0; k < messaging.length; k++) {
      const p = `${ep}.messaging[${k}]`;
      const item = messagingEvent(obj(messaging[k], p), p, time);
      if (item !== undefined) out.push(item);
    }
    const changes = optArr(entry.changes, `${ep}.changes`) ?? [];
    for (let j = 0; j < changes.length; j++) {
      const cp = `${ep}.changes[${j}]`;
      const change = obj(changes[j], cp);
      const field = str(change, 'field', cp);
      if (TEMPLATE_STATUS_FIELDS.has(field))
        out.push(templateStatus(id(entry, 'id', ep), obj(change.value, `${cp}.value`), `${cp}.value`));
    }
  }
  return out;
}
