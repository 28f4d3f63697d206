/**
 * Erasing a person (a data-protection request), in one transaction, across every table that
 * holds something of theirs. What stays is anonymous: the rows themselves, so that counts per
 * status, template and day still add up, and the fact that consent was withdrawn.
 *
 *   contacts          address → "erased:<id>", phone, BSUID, name, language, zone, attributes
 *                     and tags cleared, erased_at set (the row never shows up again)
 *   contact_tags      deleted
 *   messages          recipient → the placeholder, content → {kind, erased}, metadata,
 *                     idempotency key and request hash cleared; a queued one is failed
 *   message_events    details redacted
 *   inbound_messages  text and payload → "[erased]"
 *   consent_events    evidence cleared (entries kept)
 *   events            payloads about the contact redacted, metadata cleared
 *   webhook_inbox     processed bodies that mention the person redacted
 *   import_rejects    offending values that hold the number cleared
 *   audiences         list entries naming the contact removed
 *
 * Redacting JSON walks it: a string holding any of the person's strings (number, name, message
 * bodies) becomes "[erased]", and so does every value under a key that carries content.
 */
import { type Kysely, sql } from 'kysely';
import { normalizePhone } from '../domain/phone';
import { chunks } from './chunks';
import type { ContactRow } from './contacts-repo';
import type { Database } from './schema';

export const ERASED = '[erased]';

export function erasedAddress(contactId: string): string {
  return `erased:${contactId}`;
}

/** Rows touched per table. */
export type ErasureCounts = Record<
  | 'contacts'
  | 'contact_tags'
  | 'messages'
  | 'messages_cancelled'
  | 'message_events'
  | 'inbound_messages'
  | 'consent_events'
  | 'events'
  | 'webhook_inbox'
  | 'import_rejects'
  | 'audiences'
  | 'waiting_marks'
  | 'window_timers'
  | 'reply_actions',
  number
>;

/** Keys whose values are a person's content wherever they appear in a payload about them. */
const CONTENT_KEYS = new Set([
  'text',
  'body',
  'caption',
  'button_text',
  'payload',
  'title',
  'name',
  'profile',
  'wa_id',
  'phone',
  'to',
  'from',
  'recipient_id',
  'user_id',
  'bsuid',
  'parameters',
]);

const MIN_NEEDLE = 3;

/**
 * Erases the contact (read and locked by the caller in this transaction). `now` is the erasure
 * time; the failed-before-sending mark of queued messages uses it too.
 */
export async function eraseContact(
  db: Kysely<Database>,
  contact: ContactRow,
  now: number,
): Promise<ErasureCounts> {
  const id = contact.id;
  const placeholder = erasedAddress(id);
  const messages = await db
    .selectFrom('messages')
    .select(['id', 'kind', 'content', 'error_message'])
    .where('contact_id', '=', id)
    .execute();
  const inbound = await db
    .selectFrom('inbound_messages')
    .select(['id', 'text', 'payload'])
    .where('contact_id', '=', id)
    .execute();

  const needles = new Set<string>();
  const add = (s: string | null | undefined) => {
    if (s && s.trim().length >= MIN_NEEDLE) needles.add(s.trim());
  };
  add(contact.wa_id);
  add(contact.phone_e164);
  add(contact.bsuid);
  add(contact.name);
  for (const m of inbound) {
    add(m.text);
    add(m.payload);
  }
  for (const m of messages) for (const s of valuesIn(safeParse(m.content))) add(s);
  // The question a waiting mark carried is in conversation events too.
  const marks = await db
    .selectFrom('waiting_marks')
    .select(['question', 'metadata'])
    .where('contact_id', '=', id)
    .execute();
  for (const m of marks) {
    add(m.question);
    if (m.metadata !== null) for (const s of valuesIn(safeParse(m.metadata))) add(s);
  }
  const redactor = redactorFor([...needles]);

  const counts: ErasureCounts = {
    contacts: 0,
    contact_tags: 0,
    messages: 0,
    messages_cancelled: 0,
    message_events: 0,
    inbound_messages: 0,
    consent_events: 0,
    events: 0,
    webhook_inbox: 0,
    import_rejects: 0,
    audiences: 0,
    waiting_marks: 0,
    window_timers: 0,
    reply_actions: 0,
  };

  // A message not yet handed to the dispatcher (or held for the contact to write) must not leave
  // for an erased person.
  const cancelled = await db
    .updateTable('messages')
    .set({
      status: 'failed',
      failed_at: now,
      error_class: 'erased',
      error_message: 'The contact was erased before this message was sent',
      updated_at: now,
    })
    .where('contact_id', '=', id)
    .where('status', 'in', ['queued', 'held'])
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
    .executeTakeFirst();
  counts.messages_cancelled = Number(cancelled.numUpdatedRows);

  for (const m of messages) {
    await db
      .updateTable('messages')
      .set({
        to_wa: placeholder,
        content: JSON.stringify({ kind: m.kind, erased: true }),
        metadata: null,
        idempotency_key: null,
        request_hash: null,
        // Meta's error text is rarely personal; it is kept unless it holds one of the strings.
        error_message: m.error_message === null ? null : redactor.text(m.error_message),
      })
      .where('id', '=', m.id)
      .execute();
  }
  counts.messages = messages.length;

  for (const part of chunks(
    messages.map((m) => m.id),
    300,
  )) {
    const events = await db
      .selectFrom('message_events')
      .select(['id', 'detail'])
      .where('message_id', 'in', part)
      .where('detail', 'is not', null)
      .execute();
    for (const e of events) {
      await db
        .updateTable('message_events')
        .set({ detail: JSON.stringify(redactor.deep(safeParse(e.detail!))) })
        .where('id', '=', e.id)
        .execute();
      counts.message_events++;
    }
  }

  const inboundResult = await db
    .updateTable('inbound_messages')
    .set({
      text: sql`CASE WHEN text IS NULL THEN NULL ELSE ${ERASED} END`,
      payload: sql`CASE WHEN payload IS NULL THEN NULL ELSE ${ERASED} END`,
    })
    .where('contact_id', '=', id)
    .executeTakeFirst();
  counts.inbound_messages = Number(inboundResult.numUpdatedRows);

  const consent = await db
    .updateTable('consent_events')
    .set({ evidence: null })
    .where('contact_id', '=', id)
    .executeTakeFirst();
  counts.consent_events = Number(consent.numUpdatedRows);

  // Events name the contact by id in their data; the outbox has no contact column to seek. The
  // backlog first: the sequencer locks the rows it moves, so a row it is moving meanwhile is
  // waited for, gone from the backlog by then, and found in `events` by the second read.
  for (const table of ['event_backlog', 'events'] as const) {
    const events = await db
      .selectFrom(table)
      .select(['id', 'payload'])
      .where((eb) => eb.or([eb('payload', 'like', `%${id}%`), eb('payload', 'like', `%${contact.wa_id}%`)]))
      .execute();
    for (const e of events) {
      const redacted = JSON.stringify(redactor.deep(safeParse(e.payload), true));
      if (redacted === e.payload) continue;
      await db.updateTable(table).set({ payload: redacted }).where('id', '=', e.id).execute();
      counts.events++;
    }
  }

  // Meta's bodies as received: a body waiting to be applied is left alone (applying it later
  // makes a new contact, as a new message from the number would).
  const addresses = [contact.wa_id, contact.bsuid].filter((a): a is string => !!a);
  if (addresses.length) {
    const bodies = await db
      .selectFrom('webhook_inbox')
      .select(['id', 'body'])
      .where('status', '!=', 'pending')
      .where((eb) => eb.or(addresses.map((a) => eb('body', 'like', `%${a}%`))))
      .execute();
    for (const b of bodies) {
      const redacted = JSON.stringify(redactor.deep(safeParse(b.body)));
      if (redacted === b.body) continue;
      await db.updateTable('webhook_inbox').set({ body: redacted }).where('id', '=', b.id).execute();
      counts.webhook_inbox++;
    }
  }

  const digits = contact.wa_id.replace(/\D/g, '');
  if (digits.length >= 7) {
    const rejects = await db
      .updateTable('import_rejects')
      .set({ value: null })
      .where('value', 'like', `%${digits.slice(-7)}%`)
      .executeTakeFirst();
    counts.import_rejects = Number(rejects.numUpdatedRows);
  }

  const lists = await db
    .selectFrom('audiences')
    .select(['id', 'definition'])
    .where('account_id', '=', contact.account_id)
    .where('definition', 'like', '%"list"%')
    .execute();
  for (const a of lists) {
    const def = safeParse(a.definition) as { list?: { contacts?: unknown[] } };
    const entries = def.list?.contacts;
    if (!Array.isArray(entries)) continue;
    const kept = entries.filter((e) => typeof e !== 'string' || !namesContact(e, contact));
    if (kept.length === entries.length) continue;
    await db
      .updateTable('audiences')
      .set({ definition: JSON.stringify({ ...def, list: { ...def.list, contacts: kept } }), updated_at: now })
      .where('id', '=', a.id)
      .execute();
    counts.audiences++;
  }

  // A waiting mark keeps the person's question in their own words: it is cleared (no resume
  // template may go to an erased person) and its question and metadata are dropped.
  await db
    .updateTable('waiting_marks')
    .set({ state: 'cleared', cleared_at: now, cleared_by: 'erasure', resume_due_at: null, updated_at: now })
    .where('contact_id', '=', id)
    .where('state', '!=', 'cleared')
    .execute();
  const dropped = await db
    .updateTable('waiting_marks')
    .set({ question: null, metadata: null, updated_at: now })
    .where('contact_id', '=', id)
    .executeTakeFirst();
  counts.waiting_marks = Number(dropped.numUpdatedRows);
  // Their window's timers would announce an erased person's window: they are spent, unfired.
  const timers = await db
    .updateTable('window_timers')
    .set({ fired_at: now, outcome: 'gone' })
    .where('contact_id', '=', id)
    .where('fired_at', 'is', null)
    .executeTakeFirst();
  counts.window_timers = Number(timers.numUpdatedRows);
  // What routing rules did with their replies may quote them (an attribute set, a tag).
  const actions = await db
    .selectFrom('reply_actions')
    .select(['inbound_id', 'action_index', 'detail'])
    .where('contact_id', '=', id)
    .execute();
  for (const a of actions) {
    if (a.detail === null) continue;
    const redacted = redactor.text(a.detail);
    if (redacted === a.detail) continue;
    await db
      .updateTable('reply_actions')
      .set({ detail: redacted })
      .where('inbound_id', '=', a.inbound_id)
      .where('action_index', '=', a.action_index)
      .execute();
    counts.reply_actions++;
  }

  const tags = await db.deleteFrom('contact_tags').where('contact_id', '=', id).executeTakeFirst();
  counts.contact_tags = Number(tags.numDeletedRows);

  await db
    .updateTable('contacts')
    .set({
      wa_id: placeholder,
      phone_e164: null,
      bsuid: null,
      name: null,
      language: null,
      time_zone: null,
      time_zone_inferred: 0,
      attributes: '{}',
      tags: '[]',
      erased_at: now,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute();
  counts.contacts = 1;
  return counts;
}

function namesContact(entry: string, contact: ContactRow): boolean {
  const e = entry.trim();
  if (e === contact.id || e === contact.wa_id || e === contact.bsuid) return true;
  try {
    return normalizePhone(e).waId === contact.wa_id;
  } catch {
    return false;
  }
}

interface Redactor {
  text(s: string): string;
  /** Redacts a JSON value; `content` also blanks every value under a content key and clears metadata. */
  deep(v: unknown, content?: boolean): unknown;
}

function redactorFor(needles: string[]): Redactor {
  const lowered = needles.map((n) => n.toLowerCase());
  const text = (s: string) => {
    const l = s.toLowerCase();
    return lowered.some((n) => l.includes(n)) ? ERASED : s;
  };
  const deep = (v: unknown, content = false): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map((x) => deep(x, content));
    if (typeof v === 'object' && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (content && k === 'metadata') out[k] = x === null ? null : {};
        else if (content && CONTENT_KEYS.has(k) && x !== null)
          out[k] = typeof x === 'object' ? blank(x) : ERASED;
        else out[k] = deep(x, content);
      }
      return out;
    }
    return v;
  };
  return { text, deep };
}

/** Every string in a value becomes "[erased]"; the shape stays. */
function blank(v: unknown): unknown {
  if (typeof v === 'string') return ERASED;
  if (Array.isArray(v)) return v.map(blank);
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, blank(x)]));
  }
  return v;
}

/** What a person wrote or was sent in bound content: parameter texts, bodies, payloads (not types or names of templates). */
const VALUE_KEYS = new Set(['text', 'body', 'payload', 'coupon_code', 'caption', 'filename']);

function valuesIn(v: unknown, under = false): string[] {
  if (typeof v === 'string') return under ? [v] : [];
  if (Array.isArray(v)) return v.flatMap((x) => valuesIn(x, under));
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).flatMap(([k, x]) => valuesIn(x, VALUE_KEYS.has(k)));
  }
  return [];
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
