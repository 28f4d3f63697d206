/**
 * WhatsApp Business Account webhook bodies → WebhookItems.
 *
 * Walks every entry[] and changes[]. Known fields: `messages` (value.messages → inbound, or
 * identity_change for the system messages user_changed_number / user_changed_user_id;
 * value.statuses → status, value.errors → system error), `user_preferences` (→ user_preference:
 * marketing stop / resume), `user_id_update` (→ identity_change; not a field one can subscribe
 * to at Meta, but some BSPs forward it), `message_template_status_update`,
 * `message_template_quality_update`, `template_category_update`, `phone_number_quality_update`
 * (→ phone_quality: the number was flagged, its limit lowered or raised). Other fields are skipped (the
 * raw body stays in the inbox).
 *
 * Usernames (2026). A user may be known by a business-scoped user id (BSUID) beside, or instead
 * of, their wa_id: `from_user_id`, `recipient_user_id`, `user_id` come along, and `from` /
 * `recipient_id` / `wa_id` may be omitted. Items keep the wa_id-or-BSUID address where they
 * always had it (`from`, `recipientId`) and the BSUID beside it when there is one.
 * A body that is not JSON, or a known field whose shape is wrong, throws
 * RecontactError('WEBHOOK_PAYLOAD_INVALID') whose message names the exact path.
 *
 * Large integers. Template webhooks carry `message_template_id` as a JSON *number*, and ids can
 * exceed 2^53, where JSON.parse silently changes digits. Node 20's JSON.parse reviver has no
 * access to the source text, so before parsing, `protectLargeIntegers` scans the raw text once
 * (string-aware: it never touches digits inside string literals) and wraps every integer literal
 * above Number.MAX_SAFE_INTEGER in quotes. Those values, and only those, reach us (and `raw`) as
 * exact decimal strings; ids that fit stay numbers in `raw` and are stringified here. A cheap
 * regular-expression pre-check skips the scan for bodies with no 16-digit literal (all message
 * and status webhooks), so the common path is a plain JSON.parse.
 *
 * Unstorable characters. NUL (PostgreSQL text refuses it) and lone surrogates (no UTF-8 form)
 * in any string of the body become U+FFFD (domain/storable-text.ts) before items are built, so
 * what Meta was acknowledged for is always storable; a pre-check on the raw text for the
 * escapes that produce them keeps ordinary bodies on the plain path.
 */
import type { ProviderStatus } from '../../domain/message';
import type {
  IdentityChangeItem,
  InboundItem,
  PhoneQualityItem,
  StatusItem,
  SystemErrorItem,
  TemplateCategoryItem,
  TemplateQualityItem,
  TemplateStatusItem,
  UserPreferenceItem,
  WebhookItem,
} from '../channel';
import {
  arr,
  invalid,
  isObj,
  type Obj,
  obj,
  optStr,
  parseWebhookRoot,
  str,
  typeName,
} from '../graph/webhook-json';

type ErrorEntry = { code: number; title: string; message?: string; details?: string };

/** Statuses seen that this version does not know (for logs and tests). */
export const unknownStatuses = new Set<string>();

const PROVIDER_STATUSES: ReadonlySet<string> = new Set<ProviderStatus>([
  'sent',
  'delivered',
  'read',
  'played',
  'failed',
  'deleted',
  'warning',
]);

/** user_preferences values seen that this version does not know (for logs and tests). */
export const unknownPreferenceValues = new Set<string>();

/** Unix seconds, as Meta's string ("1749416383") or as a number → milliseconds. */
function timestampMs(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v === 'string' && /^\d{1,12}$/.test(v)) return Number(v) * 1000;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v * 1000;
  throw v === undefined
    ? invalid(`${path}.${key}`, 'is missing')
    : invalid(`${path}.${key}`, `must be Unix seconds, got ${JSON.stringify(v)}`);
}

/** An id Meta may send as a string or a JSON number (large ones arrive as strings, see above). */
function idString(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (v === undefined) throw invalid(`${path}.${key}`, 'is missing');
  throw invalid(`${path}.${key}`, `must be an integer id, got ${JSON.stringify(v)}`);
}

function parseErrors(v: unknown, path: string): ErrorEntry[] {
  const list = arr(v, path);
  const out: ErrorEntry[] = new Array(list.length);
  for (let k = 0; k < list.length; k++) {
    const p = `${path}[${k}]`;
    const e = obj(list[k], p);
    const code = e.code;
    if (typeof code !== 'number' || !Number.isInteger(code)) {
      throw code === undefined
        ? invalid(`${p}.code`, 'is missing')
        : invalid(`${p}.code`, `must be an integer, got ${JSON.stringify(code)}`);
    }
    const entry: ErrorEntry = { code, title: str(e, 'title', p) };
    const message = optStr(e, 'message', p);
    if (message !== undefined) entry.message = message;
    const data = e.error_data;
    if (data !== undefined) {
      const details = optStr(obj(data, `${p}.error_data`), 'details', `${p}.error_data`);
      if (details !== undefined) entry.details = details;
    }
    out[k] = entry;
  }
  return out;
}

function profileName(contacts: unknown[] | undefined, m: Obj): string | undefined {
  if (contacts === undefined) return undefined;
  const from = m.from;
  const userId = m.from_user_id;
  for (const c of contacts) {
    if (!isObj(c)) continue;
    if (
      (from !== undefined && c.wa_id === from) ||
      (from === undefined && userId !== undefined && c.user_id === userId)
    ) {
      const profile = c.profile;
      const name = isObj(profile) ? profile.name : undefined;
      return typeof name === 'string' ? name : undefined;
    }
  }
  return undefined;
}

const IDENTITY_SYSTEM_TYPES: ReadonlyMap<string, IdentityChangeItem['change']> = new Map([
  ['user_changed_number', 'number'],
  ['user_changed_user_id', 'user_id'],
]);

/** value.messages[k]: a user's message, or a system message saying their address changed. */
function message(
  m: Obj,
  path: string,
  externalId: string,
  contacts: unknown[] | undefined,
): InboundItem | IdentityChangeItem {
  if (m.type === 'system') {
    const sp = `${path}.system`;
    const system = obj(m.system, sp);
    const change = IDENTITY_SYSTEM_TYPES.get(system.type as string);
    if (change !== undefined) return identitySystemMessage(m, system, change, path, externalId);
  }
  return inbound(m, path, externalId, contacts);
}

/**
 * user_changed_number: `from` is the old wa_id, system.new_wa_id the new one; since Aug 2026
 * also system.previous_user_id and system.user_id when the BSUID changed with it (otherwise the
 * BSUID, from_user_id, is unchanged). user_changed_user_id: system.previous_user_id and the new
 * id in system.user_id (or from_user_id); no phone number.
 */
function identitySystemMessage(
  m: Obj,
  system: Obj,
  change: IdentityChangeItem['change'],
  path: string,
  externalId: string,
): IdentityChangeItem {
  const sp = `${path}.system`;
  const item: IdentityChangeItem = {
    kind: 'identity_change',
    externalId,
    change,
    providerMessageId: str(m, 'id', path),
    timestamp: timestampMs(m, 'timestamp', path),
    raw: m,
  };
  const waId = nonEmpty(optStr(m, 'from', path));
  const fromUserId = nonEmpty(optStr(m, 'from_user_id', path));
  const previousUserId = nonEmpty(optStr(system, 'previous_user_id', sp));
  const newUserId = nonEmpty(optStr(system, 'user_id', sp));
  if (waId !== undefined) item.waId = waId;
  if (change === 'number') {
    item.newWaId = str(system, 'new_wa_id', sp);
    if (item.newWaId === '') throw invalid(`${sp}.new_wa_id`, 'is empty');
    const before = previousUserId ?? fromUserId;
    const after = newUserId ?? (previousUserId === undefined ? fromUserId : undefined);
    if (before !== undefined) item.previousUserId = before;
    if (after !== undefined) item.userId = after;
    if (waId === undefined && before === undefined)
      throw invalid(`${path}.from`, 'is missing (and there is no from_user_id)');
  } else {
    if (previousUserId === undefined) throw invalid(`${sp}.previous_user_id`, 'is missing');
    const after = newUserId ?? fromUserId;
    if (after === undefined) throw invalid(`${sp}.user_id`, 'is missing (and there is no from_user_id)');
    item.previousUserId = previousUserId;
    item.userId = after;
  }
  return item;
}

/**
 * `user_id_update` as BSPs forward it: value.user_id_update[] entries with the old and new
 * BSUID, either flat ({previous_user_id, user_id}) or nested ({user_id: {previous, current}}),
 * and the wa_id when Meta shares it. Timestamps: the entry's, else the entry[].time.
 */
function userIdUpdateChange(value: Obj, vp: string, entryTime: number | undefined, out: WebhookItem[]): void {
  const externalId = str(obj(value.metadata, `${vp}.metadata`), 'phone_number_id', `${vp}.metadata`);
  const list = arr(value.user_id_update, `${vp}.user_id_update`);
  for (let k = 0; k < list.length; k++) {
    const p = `${vp}.user_id_update[${k}]`;
    const u = obj(list[k], p);
    let previousUserId: string | undefined;
    let userId: string | undefined;
    if (isObj(u.user_id)) {
      previousUserId = nonEmpty(optStr(u.user_id, 'previous', `${p}.user_id`));
      userId = nonEmpty(optStr(u.user_id, 'current', `${p}.user_id`));
    } else {
      previousUserId = nonEmpty(optStr(u, 'previous_user_id', p));
      userId = nonEmpty(optStr(u, 'user_id', p));
    }
    if (previousUserId === undefined) throw invalid(`${p}.previous_user_id`, 'is missing');
    if (userId === undefined) throw invalid(`${p}.user_id`, 'is missing');
    const timestamp =
      u.timestamp !== undefined || entryTime === undefined ? timestampMs(u, 'timestamp', p) : entryTime;
    const item: IdentityChangeItem = {
      kind: 'identity_change',
      externalId,
      change: 'user_id',
      previousUserId,
      userId,
      timestamp,
      raw: u,
    };
    const waId = nonEmpty(optStr(u, 'wa_id', p));
    if (waId !== undefined) item.waId = waId;
    out.push(item);
  }
}

function inbound(m: Obj, path: string, externalId: string, contacts: unknown[] | undefined): InboundItem {
  const providerMessageId = str(m, 'id', path);
  const from = optStr(m, 'from', path) ?? optStr(m, 'from_user_id', path);
  if (from === undefined) throw invalid(`${path}.from`, 'is missing (and there is no from_user_id)');
  const timestamp = timestampMs(m, 'timestamp', path);
  const type = str(m, 'type', path);
  const item: InboundItem = {
    kind: 'inbound',
    externalId,
    providerMessageId,
    from,
    timestamp,
    type,
    raw: m,
  };
  const fromUserId = nonEmpty(optStr(m, 'from_user_id', path));
  if (fromUserId !== undefined) item.fromUserId = fromUserId;
  const name = profileName(contacts, m);
  if (name !== undefined) item.profileName = name;
  if (type === 'text') {
    item.text = str(obj(m.text, `${path}.text`), 'body', `${path}.text`);
  } else if (type === 'button') {
    const b = obj(m.button, `${path}.button`);
    const text = str(b, 'text', `${path}.button`);
    // Meta is believed to echo the label when no payload was set at send time.
    item.button = { payload: optStr(b, 'payload', `${path}.button`) ?? text, text };
  } else if (type === 'interactive') {
    const p = `${path}.interactive`;
    const ia = obj(m.interactive, p);
    const iaType = str(ia, 'type', p);
    if (iaType === 'button_reply' || iaType === 'list_reply') {
      const rp = `${p}.${iaType}`;
      const r = obj(ia[iaType], rp);
      const reply: NonNullable<InboundItem['interactiveReply']> = {
        id: str(r, 'id', rp),
        title: str(r, 'title', rp),
      };
      const description = optStr(r, 'description', rp);
      if (description !== undefined) reply.description = description;
      item.interactiveReply = reply;
    }
  }
  const context = m.context;
  if (context !== undefined) {
    const id = optStr(obj(context, `${path}.context`), 'id', `${path}.context`);
    if (id !== undefined) item.contextProviderId = id;
  }
  return item;
}

function status(s: Obj, path: string, externalId: string): StatusItem {
  const providerMessageId = str(s, 'id', path);
  const st = str(s, 'status', path);
  // A status Meta adds later must not make the whole body unprocessable (Meta would retry it
  // for days): it is passed on, and the status merge treats statuses it does not know as no-ops.
  if (!PROVIDER_STATUSES.has(st)) unknownStatuses.add(st);
  const item: StatusItem = {
    kind: 'status',
    externalId,
    providerMessageId,
    status: st as ProviderStatus,
    timestamp: timestampMs(s, 'timestamp', path),
    raw: s,
  };
  const recipientId = optStr(s, 'recipient_id', path) ?? optStr(s, 'recipient_user_id', path);
  if (recipientId !== undefined) item.recipientId = recipientId;
  const recipientUserId = nonEmpty(optStr(s, 'recipient_user_id', path));
  if (recipientUserId !== undefined) item.recipientUserId = recipientUserId;
  const ours = optStr(s, 'biz_opaque_callback_data', path);
  if (ours !== undefined) item.ourMessageId = ours;
  if (s.errors !== undefined) item.errors = parseErrors(s.errors, `${path}.errors`);
  if (s.pricing !== undefined) {
    const pp = `${path}.pricing`;
    const p = obj(s.pricing, pp);
    const pricing: NonNullable<StatusItem['pricing']> = {};
    if (p.billable !== undefined) {
      if (typeof p.billable !== 'boolean')
        throw invalid(`${pp}.billable`, `must be a boolean, got ${typeName(p.billable)}`);
      pricing.billable = p.billable;
    }
    const model = optStr(p, 'pricing_model', pp);
    if (model !== undefined) pricing.pricing_model = model;
    const type = optStr(p, 'type', pp);
    if (type !== undefined) pricing.type = type;
    const category = optStr(p, 'category', pp);
    if (category !== undefined) pricing.category = category;
    item.pricing = pricing;
  }
  return item;
}

function messagesChange(value: Obj, vp: string, out: WebhookItem[]): void {
  const { messages, statuses, errors } = value;
  if (messages === undefined && statuses === undefined && errors === undefined) return;
  const meta = value.metadata;
  let externalId: string | undefined;
  if (messages !== undefined || statuses !== undefined) {
    externalId = str(obj(meta, `${vp}.metadata`), 'phone_number_id', `${vp}.metadata`);
  } else if (meta !== undefined) {
    externalId = optStr(obj(meta, `${vp}.metadata`), 'phone_number_id', `${vp}.metadata`);
  }
  if (messages !== undefined) {
    const list = arr(messages, `${vp}.messages`);
    const contacts = value.contacts === undefined ? undefined : arr(value.contacts, `${vp}.contacts`);
    for (let k = 0; k < list.length; k++) {
      const p = `${vp}.messages[${k}]`;
      out.push(message(obj(list[k], p), p, externalId!, contacts));
    }
  }
  if (statuses !== undefined) {
    const list = arr(statuses, `${vp}.statuses`);
    for (let k = 0; k < list.length; k++) {
      const p = `${vp}.statuses[${k}]`;
      out.push(status(obj(list[k], p), p, externalId!));
    }
  }
  if (errors !== undefined) {
    const item: SystemErrorItem = {
      kind: 'system_error',
      errors: parseErrors(errors, `${vp}.errors`),
      raw: value,
    };
    if (externalId !== undefined) item.externalId = externalId;
    out.push(item);
  }
}

/**
 * `user_preferences`: one item per entry of value.user_preferences. The user is named by wa_id,
 * user_id (BSUID) or both; one of them must be there. A value other than stop/resume (one Meta
 * adds later) is recorded in unknownPreferenceValues and yields no item, so the body is still
 * acknowledged (Meta would retry it for days) and kept as received in the inbox.
 */
function userPreferencesChange(value: Obj, vp: string, out: WebhookItem[]): void {
  const externalId = str(obj(value.metadata, `${vp}.metadata`), 'phone_number_id', `${vp}.metadata`);
  const list = arr(value.user_preferences, `${vp}.user_preferences`);
  for (let k = 0; k < list.length; k++) {
    const p = `${vp}.user_preferences[${k}]`;
    const u = obj(list[k], p);
    const waId = nonEmpty(optStr(u, 'wa_id', p));
    const userId = nonEmpty(optStr(u, 'user_id', p));
    if (waId === undefined && userId === undefined)
      throw invalid(`${p}.wa_id`, 'is missing (and there is no user_id)');
    const category = str(u, 'category', p);
    const v = str(u, 'value', p);
    const at = timestampMs(u, 'timestamp', p);
    const detail = optStr(u, 'detail', p);
    if (v !== 'stop' && v !== 'resume') {
      unknownPreferenceValues.add(v);
      continue;
    }
    const item: UserPreferenceItem = {
      kind: 'user_preference',
      externalId,
      category,
      value: v,
      at,
      raw: u,
    };
    if (waId !== undefined) item.waId = waId;
    if (userId !== undefined) item.userId = userId;
    if (detail !== undefined) item.detail = detail;
    out.push(item);
  }
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === '' ? undefined : v;
}

function templateStatus(wabaId: string, v: Obj, vp: string): TemplateStatusItem {
  const item: TemplateStatusItem = {
    kind: 'template_status',
    wabaId,
    event: str(v, 'event', vp),
    providerTemplateId: idString(v, 'message_template_id', vp),
    name: str(v, 'message_template_name', vp),
    language: str(v, 'message_template_language', vp),
    raw: v,
  };
  const reason = optStr(v, 'reason', vp);
  if (reason !== undefined) item.reason = reason;
  const details = templateStatusDetails(v, vp);
  if (details !== undefined) item.details = details;
  return item;
}

/** rejection_info {reason, recommendation}, other_info {title, description}, disable_info {disable_date}. */
function templateStatusDetails(v: Obj, vp: string): string | undefined {
  if (v.rejection_info !== undefined) {
    const p = `${vp}.rejection_info`;
    const r = obj(v.rejection_info, p);
    return joinDefined(optStr(r, 'reason', p), optStr(r, 'recommendation', p), ' ');
  }
  if (v.other_info !== undefined) {
    const p = `${vp}.other_info`;
    const o = obj(v.other_info, p);
    return joinDefined(optStr(o, 'title', p), optStr(o, 'description', p), ': ');
  }
  if (v.disable_info !== undefined) {
    const d = obj(v.disable_info, `${vp}.disable_info`).disable_date;
    if (typeof d === 'string' || typeof d === 'number') return `disable_date ${d}`;
  }
  return undefined;
}

function joinDefined(a: string | undefined, b: string | undefined, sep: string): string | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : a + sep + b;
}

function templateQuality(wabaId: string, v: Obj, vp: string): TemplateQualityItem {
  const item: TemplateQualityItem = {
    kind: 'template_quality',
    wabaId,
    providerTemplateId: idString(v, 'message_template_id', vp),
    name: str(v, 'message_template_name', vp),
    language: str(v, 'message_template_language', vp),
    newScore: str(v, 'new_quality_score', vp),
    raw: v,
  };
  const previous = optStr(v, 'previous_quality_score', vp);
  if (previous !== undefined) item.previousScore = previous;
  return item;
}

function templateCategory(wabaId: string, v: Obj, vp: string): TemplateCategoryItem {
  const item: TemplateCategoryItem = {
    kind: 'template_category',
    wabaId,
    providerTemplateId: idString(v, 'message_template_id', vp),
    name: str(v, 'message_template_name', vp),
    language: str(v, 'message_template_language', vp),
    newCategory: str(v, 'new_category', vp),
    raw: v,
  };
  const previous = optStr(v, 'previous_category', vp);
  if (previous !== undefined) item.previousCategory = previous;
  return item;
}

/** The number's quality or messaging limit changed (FLAGGED, DOWNGRADE, …). */
function phoneQuality(wabaId: string, v: Obj, vp: string, at: number | undefined): PhoneQualityItem {
  const item: PhoneQualityItem = {
    kind: 'phone_quality',
    wabaId,
    // Meta sends it as digits; a string with a + or spaces is reduced to its digits.
    displayPhoneNumber: idString(v, 'display_phone_number', vp).replace(/\D/g, ''),
    event: str(v, 'event', vp).toUpperCase(),
    raw: v,
  };
  const current = optStr(v, 'current_limit', vp);
  if (current !== undefined) item.currentLimit = current;
  const old = optStr(v, 'old_limit', vp);
  if (old !== undefined) item.oldLimit = old;
  if (at !== undefined) item.at = at;
  return item;
}

/** entry[].time (Unix seconds) in milliseconds, when present. */
function entryTime(entry: Obj, ep: string): number | undefined {
  return entry.time === undefined ? undefined : timestampMs(entry, 'time', ep);
}

/** Parses a (signature-verified) webhook body. Throws RecontactError('WEBHOOK_PAYLOAD_INVALID'). */
export function parseWebhook(rawBody: Buffer): WebhookItem[] {
  const root = parseWebhookRoot(rawBody, 'whatsapp_business_account');
  const entries = arr(root.entry, 'entry');
  const out: WebhookItem[] = [];
  for (let i = 0; i < entries.length; i++) {
    const ep = `entry[${i}]`;
    const entry = obj(entries[i], ep);
    const changes = arr(entry.changes, `${ep}.changes`);
    for (let j = 0; j < changes.length; j++) {
      const cp = `${ep}.changes[${j}]`;
      const change = obj(changes[j], cp);
      const field = str(change, 'field', cp);
      const vp = `${cp}.value`;
      switch (field) {
        case 'messages':
          messagesChange(obj(change.value, vp), vp, out);
          break;
        case 'user_preferences':
          userPreferencesChange(obj(change.value, vp), vp, out);
          break;
        case 'user_id_update':
          userIdUpdateChange(obj(change.value, vp), vp, entryTime(entry, ep), out);
          break;
        case 'message_template_status_update':
          out.push(templateStatus(idString(entry, 'id', ep), obj(change.value, vp), vp));
          break;
        case 'message_template_quality_update':
          out.push(templateQuality(idString(entry, 'id', ep), obj(change.value, vp), vp));
          break;
        case 'template_category_update':
          out.push(templateCategory(idString(entry, 'id', ep), obj(change.value, vp), vp));
          break;
        case 'phone_number_quality_update':
          out.push(phoneQuality(idString(entry, 'id', ep), obj(change.value, vp), vp, entryTime(entry, ep)));
          break;
        default:
          // Fields we do not consume (account_update, security, ...) are not errors.
          break;
      }
    }
  }
  return out;
}
