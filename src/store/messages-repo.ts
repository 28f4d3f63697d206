import { type Kysely, type Selectable, sql } from 'kysely';
import type { MessageKind, MessageStatus } from '../domain/message';
import type { ReplyRouting } from '../domain/replies/reply-rules';
import { chunks } from './chunks';
import { directPg, jsonInsert, jsonRows, type NamedStatement } from './pg-direct';
import { type RowLock, withRowLock } from './row-locks';
import type { Database, MessageEventsTable, MessagesTable } from './schema';
import { directSqlite } from './sqlite-direct';

export type MessageRow = Selectable<MessagesTable>;
export type MessageEventRow = Selectable<MessageEventsTable>;
/** A message the send path decided to queue; the repository turns it into its row. */
export interface NewMessage {
  id: string;
  accountId: string;
  contactId: string;
  /** The recipient's wa_id. */
  to: string;
  /** The bound content, exactly what will go to the channel adapter; stored as JSON. */
  content: { kind: MessageKind };
  /** With the template's category, which the dispatcher's consent guard reads. */
  template: { name: string; language: string; category?: string } | null;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  /** Provider id of an inbound message to quote. */
  replyToProviderId: string | null;
  /** When it was queued, which is also when it is first due unless `dueAt` says later. */
  queuedAt: number;
  dueAt?: number;
  /** The campaign that queued it. */
  campaignId?: string;
  /** Reply routing given with the send, overriding its template's and campaign's. */
  routing?: ReplyRouting | null;
}
export type NewMessageEvent = Selectable<MessageEventsTable>;

const CHUNK = 400;

const TIMELINE_COLUMNS = ['id', 'message_id', 'status', 'at', 'source', 'detail'] as const;
const PG_TIMELINE_INSERT = jsonInsert('message_events_insert', 'message_events', TIMELINE_COLUMNS);

export async function insertMessageEvents(db: Kysely<Database>, events: NewMessageEvent[]): Promise<void> {
  const pg = directPg(db);
  if (pg) {
    for (const part of chunks(events, 500)) await pg(PG_TIMELINE_INSERT, [jsonRows(part, TIMELINE_COLUMNS)]);
    return;
  }
  for (const part of chunks(events, 200)) await db.insertInto('message_events').values(part).execute();
}

/** Where every message starts; the dispatcher takes it from there. */
const QUEUED: MessageStatus = 'queued';

/**
 * Messages that insertMessages writes in one statement: up to this many, given the store's own
 * Kysely instance, the insert commits all or nothing without a transaction around it.
 */
export const MESSAGES_PER_STATEMENT = 200;

/**
 * Queues messages, one statement per chunk, and returns their rows in the order given. The rows
 * are built here, not read back with RETURNING: each column is given or starts at a value known
 * here, and reading about 40 columns back cost SQLite as much again as the insert (13–17 µs a
 * row on this machine). Typing the row as MessageRow keeps it in step with the schema, and
 * messages-repo.test.ts compares it with the stored row on both databases.
 */
export async function insertMessages(db: Kysely<Database>, messages: NewMessage[]): Promise<MessageRow[]> {
  const rows = messages.map(queuedRow);
  const direct = directSqlite(db);
  if (direct) {
    // SQLite: one prepared statement per row (sqlite-direct.ts), instead of a statement of up to
    // 200 rows built by Kysely and compiled by SQLite for each length of the last chunk.
    await direct((prepare) => {
      const insert = prepare(INSERT_SQL);
      for (const r of rows) insert.run(INSERTED.map((c) => r[c]));
    });
    return rows;
  }
  const pg = directPg(db);
  if (pg) {
    // PostgreSQL: one named statement per chunk, the rows as one JSON document (pg-direct.ts).
    for (const part of chunks(rows, MESSAGES_PER_STATEMENT))
      await pg(PG_INSERT, [JSON.stringify(part, INSERTED_KEYS)]);
    return rows;
  }
  for (const part of chunks(rows, MESSAGES_PER_STATEMENT)) {
    await db
      .insertInto('messages')
      .values(
        part.map((r) => {
          // The named columns only: a plain loop, no pair arrays per column on intake's path.
          const named = {} as Record<Inserted, unknown>;
          for (const c of INSERTED) named[c] = r[c];
          return named as Pick<MessageRow, Inserted>;
        }),
      )
      .execute();
  }
  return rows;
}

/** The columns an insert names; every other one starts at its default (queuedRow says which). */
const INSERTED = [
  'id',
  'account_id',
  'contact_id',
  'to_wa',
  'kind',
  'content',
  'template_name',
  'template_language',
  'template_category',
  'metadata',
  'idempotency_key',
  'request_hash',
  'reply_to_provider_id',
  'status',
  'next_attempt_at',
  'created_at',
  'campaign_id',
  'routing',
  'updated_at',
] as const satisfies ReadonlyArray<keyof MessageRow>;
type Inserted = (typeof INSERTED)[number];
const INSERT_SQL = `INSERT INTO messages (${INSERTED.join(', ')}) VALUES (${INSERTED.map(() => '?').join(', ')})`;
/** JSON.stringify's allowlist: each row's named columns, nothing else. */
const INSERTED_KEYS: string[] = [...INSERTED];
/** Every row's columns read from one JSON array of objects (all text or numbers), by name. */
const PG_INSERT: NamedStatement = {
  name: 'messages_insert',
  text: `INSERT INTO messages (${INSERTED.join(', ')})
         SELECT ${INSERTED.join(', ')} FROM json_populate_recordset(NULL::messages, $1::json)`,
};

/** A new message's whole row: what the request gave, and every other column as it starts. */
function queuedRow(m: NewMessage): MessageRow {
  return {
    id: m.id,
    account_id: m.accountId,
    contact_id: m.contactId,
    to_wa: m.to,
    kind: m.content.kind,
    content: JSON.stringify(m.content),
    template_name: m.template?.name ?? null,
    template_language: m.template?.language ?? null,
    template_category: m.template?.category ?? null,
    metadata: m.metadata === null ? null : JSON.stringify(m.metadata),
    idempotency_key: m.idempotencyKey,
    request_hash: m.requestHash,
    reply_to_provider_id: m.replyToProviderId,
    status: QUEUED,
    provider_message_id: null,
    attempts: 0,
    next_attempt_at: m.dueAt ?? m.queuedAt,
    locked_by: null,
    locked_until: null,
    error_code: null,
    error_class: null,
    error_message: null,
    created_at: m.queuedAt,
    updated_at: m.queuedAt,
    accepted_at: null,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    replied_at: null,
    posted_at: null,
    doubt_until: null,
    campaign_id: m.campaignId ?? null,
    pricing_category: null,
    billable: null,
    routing: m.routing ? JSON.stringify(m.routing) : null,
    hold_until: null,
    fallback_message_id: null,
    released_by: null,
    released_at: null,
  };
}

export async function getMessage(db: Kysely<Database>, id: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findByIdempotencyKey(db: Kysely<Database>, accountId: string, key: string) {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

export async function getTimeline(db: Kysely<Database>, messageId: string): Promise<MessageEventRow[]> {
  return db
    .selectFrom('message_events')
    .selectAll()
    .where('message_id', '=', messageId)
    .orderBy('id')
    .execute();
}

/**
 * Reads messages by our ids. With `forUpdate` the rows stay locked until the caller's
 * transaction ends, so two webhook batches touching one message apply one after the other
 * instead of overwriting each other's merge (see row-locks.ts).
 */
export async function findMessagesByIds(
  db: Kysely<Database>,
  ids: string[],
  lock?: RowLock,
): Promise<MessageRow[]> {
  // Not a named statement on PostgreSQL: it reads every column (see pg-direct.ts).
  return inIdOrder(ids, (part) =>
    withRowLock(
      db,
      db.selectFrom('messages').selectAll().where('id', 'in', part).orderBy('id'),
      lock,
    ).execute(),
  );
}

/**
 * Reads by id in chunks, sorted, so concurrent lockers take row locks in one order and cannot
 * deadlock.
 */
async function inIdOrder<R>(ids: string[], read: (part: string[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const part of chunks([...ids].sort(), CHUNK)) out.push(...(await read(part)));
  return out;
}

/** A message as the status applier reads it: every column but its content, the largest. */
export type MessageState = Omit<MessageRow, 'content'>;
const STATE_KEYS: Record<keyof MessageState, true> = {
  id: true,
  account_id: true,
  contact_id: true,
  to_wa: true,
  kind: true,
  template_name: true,
  template_language: true,
  template_category: true,
  metadata: true,
  idempotency_key: true,
  request_hash: true,
  reply_to_provider_id: true,
  status: true,
  provider_message_id: true,
  attempts: true,
  next_attempt_at: true,
  locked_by: true,
  locked_until: true,
  error_code: true,
  error_class: true,
  error_message: true,
  created_at: true,
  updated_at: true,
  accepted_at: true,
  sent_at: true,
  delivered_at: true,
  read_at: true,
  failed_at: true,
  replied_at: true,
  posted_at: true,
  doubt_until: true,
  campaign_id: true,
  pricing_category: true,
  billable: true,
  hold_until: true,
  fallback_message_id: true,
  released_by: true,
  released_at: true,
  routing: true,
};
const STATE_COLUMNS = Object.keys(STATE_KEYS) as Array<keyof MessageState>;

/**
 * Messages by our ids for a status to be applied: each row without its content (about 500 of its
 * 850 bytes, which a status never reads), sorted and locked as findMessagesByIds does.
 */
export async function findMessageStatesByIds(
  db: Kysely<Database>,
  ids: string[],
  lock?: RowLock,
): Promise<MessageState[]> {
  return inIdOrder(ids, (part) =>
    withRowLock(
      db,
      db.selectFrom('messages').select(STATE_COLUMNS).where('id', 'in', part).orderBy('id'),
      lock,
    ).execute(),
  );
}

/**
 * Finds messages by Meta's ids among the messages of the given contacts. Meta's ids are not
 * indexed (see migration 0002): the contact narrows the search through messages_contact.
 */
export async function findMessagesOfContactsByProviderIds(
  db: Kysely<Database>,
  contactIds: string[],
  providerIds: string[],
  lock?: RowLock,
): Promise<MessageRow[]> {
  if (contactIds.length === 0 || providerIds.length === 0) return [];
  const out: MessageRow[] = [];
  for (const contacts of chunks([...contactIds].sort(), 200)) {
    for (const ids of chunks([...providerIds].sort(), 200)) {
      const q = db
        .selectFrom('messages')
        .selectAll()
        .where('contact_id', 'in', contacts)
        .where('provider_message_id', 'in', ids)
        .orderBy('id');
      out.push(...(await withRowLock(db, q, lock).execute()));
    }
  }
  return out;
}

/**
 * Everything a batch of replies may answer, in one query per chunk of contacts: the messages
 * they quote (by Meta's id) and the messages in `statuses` sent to those contacts between
 * `since` and `until`. The caller picks per reply; ordered by contact, then time.
 */
export async function findReplyCandidates(
  db: Kysely<Database>,
  p: {
    contactIds: string[];
    quotedProviderIds: string[];
    statuses: readonly MessageStatus[];
    since: number;
    until: number;
  },
): Promise<MessageRow[]> {
  const out: MessageRow[] = [];
  const quoted = [...new Set(p.quotedProviderIds)];
  for (const contacts of chunks([...new Set(p.contactIds)].sort(), 200)) {
    const rows = await db
      .selectFrom('messages')
      .selectAll()
      .where('contact_id', 'in', contacts)
      .where((eb) => {
        const recent = eb.and([
          eb('created_at', '>=', p.since),
          eb('created_at', '<=', p.until),
          eb('status', 'in', [...p.statuses]),
        ]);
        return quoted.length ? eb.or([eb('provider_message_id', 'in', quoted), recent]) : recent;
      })
      .orderBy('contact_id')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    out.push(...rows);
  }
  return out;
}

/**
 * Marks messages replied, one statement per chunk. The first reply wins: a message already
 * marked keeps its time. Returns the ids that were marked now.
 */
export async function markReplied(
  db: Kysely<Database>,
  replies: ReadonlyArray<{ id: string; at: number }>,
  now: number,
): Promise<Set<string>> {
  const marked = new Set<string>();
  for (const part of chunks([...replies], CHUNK)) {
    const values = sql.join(part.map((r) => sql`(${r.id}, ${r.at})`));
    const res = await sql<{ id: string }>`
      UPDATE messages
         SET replied_at = CAST(v.column2 AS BIGINT), updated_at = ${now}
        FROM (VALUES ${values}) AS v
       WHERE messages.id = v.column1 AND messages.replied_at IS NULL
   RETURNING messages.id`.execute(db);
    for (const r of res.rows) marked.add(r.id);
  }
  return marked;
}

export type StatusState = Pick<
  MessageRow,
  | 'id'
  | 'status'
  | 'provider_message_id'
  | 'sent_at'
  | 'delivered_at'
  | 'read_at'
  | 'failed_at'
  | 'error_code'
  | 'error_class'
  | 'error_message'
  | 'locked_by'
  | 'locked_until'
  | 'pricing_category'
  | 'billable'
>;

const STATUS_COLUMNS = [
  'id',
  'status',
  'provider_message_id',
  'sent_at',
  'delivered_at',
  'read_at',
  'failed_at',
  'error_code',
  'error_class',
  'error_message',
  'locked_by',
  'locked_until',
  'pricing_category',
  'billable',
] as const satisfies ReadonlyArray<keyof StatusState>;
/** PostgreSQL's form: the states as one JSON document, typed by the messages table's own columns. */
const PG_STATUS_STATES: NamedStatement = {
  name: 'messages_status_states',
  text: `UPDATE messages
            SET ${STATUS_COLUMNS.slice(1)
              .map((c) => `${c} = v.${c}`)
              .join(', ')}, updated_at = $2
           FROM json_populate_recordset(NULL::messages, $1::json) AS v
          WHERE messages.id = v.id`,
};

/**
 * Writes the delivery state of many messages in one statement per chunk (webhook batches touch
 * thousands of rows; one UPDATE per row would be one round trip each on PostgreSQL). VALUES
 * columns arrive untyped, hence the casts. PostgreSQL's store takes PG_STATUS_STATES instead.
 */
export async function writeStatusStates(
  db: Kysely<Database>,
  rows: StatusState[],
  now: number,
): Promise<void> {
  const pg = directPg(db);
  if (pg) {
    for (const part of chunks(rows, 500)) await pg(PG_STATUS_STATES, [jsonRows(part, STATUS_COLUMNS), now]);
    return;
  }
  for (const part of chunks(rows, 300)) {
    const values = sql.join(
      part.map(
        (r) =>
          sql`(${r.id}, ${r.status}, ${r.provider_message_id}, ${r.sent_at}, ${r.delivered_at}, ${r.read_at}, ${r.failed_at}, ${r.error_code}, ${r.error_class}, ${r.error_message}, ${r.locked_by}, ${r.locked_until}, ${r.pricing_category}, ${r.billable})`,
      ),
    );
    await sql`
      UPDATE messages
         SET status = v.column2,
             provider_message_id = v.column3,
             sent_at = CAST(v.column4 AS BIGINT),
             delivered_at = CAST(v.column5 AS BIGINT),
             read_at = CAST(v.column6 AS BIGINT),
             failed_at = CAST(v.column7 AS BIGINT),
             error_code = CAST(v.column8 AS INTEGER),
             error_class = v.column9,
             error_message = v.column10,
             locked_by = v.column11,
             locked_until = CAST(v.column12 AS BIGINT),
             pricing_category = v.column13,
             billable = CAST(v.column14 AS INTEGER),
             updated_at = ${now}
        FROM (VALUES ${values}) AS v
       WHERE messages.id = v.column1`.execute(db);
  }
}

/** The filters of listMessages: each is optional, and they combine with AND. */
export interface MessageListFilter {
  accountId?: string;
  statuses?: ReadonlyArray<MessagesTable['status']>;
  contactId?: string;
  /** The recipient's address (wa_id digits or a BSUID), found through the contacts table and messages_contact. */
  waId?: string;
  templateName?: string;
  /** Only messages created before this one: the page after it. */
  beforeId?: string;
  limit: number;
}

/**
 * Messages newest first. Ids grow with creation time, so ordering by id is ordering by age on
 * the primary key, and a page ends at one id instead of an offset that drifts while new
 * messages arrive.
 */
export async function listMessages(db: Kysely<Database>, f: MessageListFilter): Promise<MessageRow[]> {
  let q = db.selectFrom('messages').selectAll();
  if (f.accountId !== undefined) q = q.where('account_id', '=', f.accountId);
  if (f.statuses?.length) q = q.where('status', 'in', [...f.statuses]);
  if (f.contactId !== undefined) q = q.where('contact_id', '=', f.contactId);
  if (f.waId !== undefined) {
    // A BSUID is the wa_id of a contact known only by it, and the bsuid of one whose phone is known.
    const address = f.waId;
    let contacts = db
      .selectFrom('contacts')
      .select('id')
      .where((eb) => eb.or([eb('wa_id', '=', address), eb('bsuid', '=', address)]));
    if (f.accountId !== undefined) contacts = contacts.where('account_id', '=', f.accountId);
    q = q.where('contact_id', 'in', contacts);
  }
  if (f.templateName !== undefined) q = q.where('template_name', '=', f.templateName);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  return q.orderBy('id', 'desc').limit(f.limit).execute();
}
