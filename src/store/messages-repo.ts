import { type Kysely, type Selectable, sql, type Updateable } from 'kysely';
import type { Dialect } from './database';
import type { Database, MessageEventsTable, MessagesTable } from './schema';

export type MessageRow = Selectable<MessagesTable>;
export type MessageEventRow = Selectable<MessageEventsTable>;
export type NewMessage = Omit<
  MessagesTable,
  | 'attempts'
  | 'locked_by'
  | 'locked_until'
  | 'error_code'
  | 'error_class'
  | 'error_message'
  | 'accepted_at'
  | 'sent_at'
  | 'delivered_at'
  | 'read_at'
  | 'failed_at'
  | 'replied_at'
  | 'provider_message_id'
>;
export type NewMessageEvent = Selectable<MessageEventsTable>;

const CHUNK = 400;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function insertMessageEvents(db: Kysely<Database>, events: NewMessageEvent[]): Promise<void> {
  for (const part of chunks(events, 200)) await db.insertInto('message_events').values(part).execute();
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

export interface ClaimedMessage {
  id: string;
  to_wa: string;
  content: string;
  reply_to_provider_id: string | null;
  attempts: number;
}

/**
 * Claims due messages of one account in a single statement and counts the attempt now, so a
 * crash still uses it up. A row left in `sending` by a dead worker is claimable again only once
 * its lease has expired AND the recovery grace has passed: during that grace a status webhook
 * carrying our id (biz_opaque_callback_data) proves Meta accepted it and moves it forward,
 * so it is never sent twice. Status lists are literals, not parameters, so SQLite can see that
 * the query implies the partial index `messages_due`.
 */
export async function claimDueMessages(
  db: Kysely<Database>,
  dialect: Dialect,
  p: {
    accountId: string;
    workerId: string;
    now: number;
    leaseMs: number;
    recoveryGraceMs: number;
    limit: number;
  },
): Promise<ClaimedMessage[]> {
  const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const res = await sql<ClaimedMessage>`
    UPDATE messages
       SET status = 'sending', locked_by = ${p.workerId}, locked_until = ${p.now + p.leaseMs},
           attempts = attempts + 1, updated_at = ${p.now}
     WHERE id IN (
       SELECT id FROM messages
        WHERE account_id = ${p.accountId}
          AND status IN ('queued', 'sending')
          AND next_attempt_at <= ${p.now}
          AND (locked_until IS NULL OR locked_until <= ${p.now - p.recoveryGraceMs})
        ORDER BY next_attempt_at, id
        LIMIT ${p.limit}
        ${lock})
    RETURNING id, to_wa, content, reply_to_provider_id, attempts`.execute(db);
  return res.rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface AcceptedResult {
  id: string;
  providerMessageId: string;
}

/**
 * Records Meta's acceptance for a batch. A status webhook may already have moved the row past
 * `accepted` (sent, even delivered): acceptance never moves it back, and the provider id a
 * webhook recorded wins. One UPDATE … FROM (VALUES …) per chunk: the same SQL on both engines.
 * Returns the ids that really became `accepted` (the others were already further along).
 */
export async function markAccepted(
  db: Kysely<Database>,
  rows: AcceptedResult[],
  now: number,
): Promise<string[]> {
  const changed: string[] = [];
  for (const part of chunks(rows)) {
    const values = sql.join(part.map((r) => sql`(${r.id}, ${r.providerMessageId})`));
    const res = await sql<{ id: string; status: string }>`
      UPDATE messages
         SET status = CASE WHEN messages.status IN ('queued', 'sending') THEN 'accepted' ELSE messages.status END,
             provider_message_id = COALESCE(messages.provider_message_id, v.column2),
             accepted_at = ${now}, locked_by = NULL, locked_until = NULL, updated_at = ${now}
        FROM (VALUES ${values}) AS v
       WHERE messages.id = v.column1
   RETURNING messages.id, messages.status`.execute(db);
    for (const r of res.rows) if (r.status === 'accepted') changed.push(r.id);
  }
  return changed;
}

export interface RetryResult {
  id: string;
  nextAttemptAt: number;
  errorCode: number | null;
  errorClass: string;
  errorMessage: string;
}

/**
 * Applies one change per row, but only to rows this worker still holds in `sending`: a lease
 * that expired and was claimed by another worker is no longer ours to change. Returns the ids
 * that changed.
 */
async function updateOwnedSending(
  db: Kysely<Database>,
  workerId: string,
  rows: Array<{ id: string; set: Updateable<MessagesTable> }>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const r of rows) {
    const res = await db
      .updateTable('messages')
      .set(r.set)
      .where('id', '=', r.id)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'sending')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) changed.push(r.id);
  }
  return changed;
}

/** Puts messages back in the queue for a later attempt; returns the ids that changed. */
export function markRetry(db: Kysely<Database>, workerId: string, rows: RetryResult[], now: number) {
  return updateOwnedSending(
    db,
    workerId,
    rows.map((r) => ({
      id: r.id,
      set: {
        status: 'queued',
        next_attempt_at: r.nextAttemptAt,
        locked_by: null,
        locked_until: null,
        error_code: r.errorCode,
        error_class: r.errorClass,
        error_message: r.errorMessage,
        updated_at: now,
      },
    })),
  );
}

export interface FailedResult {
  id: string;
  errorCode: number | null;
  errorClass: string;
  errorMessage: string;
}

/** Marks messages failed; returns the ids that changed. */
export function markFailed(db: Kysely<Database>, workerId: string, rows: FailedResult[], now: number) {
  return updateOwnedSending(
    db,
    workerId,
    rows.map((r) => ({
      id: r.id,
      set: {
        status: 'failed',
        failed_at: now,
        locked_by: null,
        locked_until: null,
        error_code: r.errorCode,
        error_class: r.errorClass,
        error_message: r.errorMessage,
        updated_at: now,
      },
    })),
  );
}

/** Releases this worker's leases (graceful stop) so another worker may claim them at once. */
export async function releaseLeases(db: Kysely<Database>, workerId: string, ids: string[], now: number) {
  for (const part of chunks(ids)) {
    await db
      .updateTable('messages')
      .set({ status: 'queued', locked_by: null, locked_until: null, updated_at: now })
      .where('id', 'in', part)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'sending')
      .execute();
  }
}

/**
 * Reads messages by our ids. With `lock` (PostgreSQL), the rows stay locked until the caller's
 * transaction ends, so two webhook batches touching one message apply one after the other
 * instead of overwriting each other's merge. SQLite needs no lock: it has one writer.
 */
export async function findMessagesByIds(
  db: Kysely<Database>,
  ids: string[],
  lock: Dialect | false = false,
): Promise<MessageRow[]> {
  const out: MessageRow[] = [];
  // Sorted, so concurrent lockers take row locks in one order and cannot deadlock.
  for (const part of chunks([...ids].sort())) {
    let q = db.selectFrom('messages').selectAll().where('id', 'in', part).orderBy('id');
    if (lock === 'postgres') q = q.forUpdate();
    out.push(...(await q.execute()));
  }
  return out;
}

/**
 * Finds messages by Meta's ids among the messages of the given contacts. Meta's ids are not
 * indexed (see migration 0002): the contact narrows the search through messages_contact.
 */
export async function findMessagesOfContactsByProviderIds(
  db: Kysely<Database>,
  contactIds: string[],
  providerIds: string[],
  lock: Dialect | false = false,
): Promise<MessageRow[]> {
  if (contactIds.length === 0 || providerIds.length === 0) return [];
  const out: MessageRow[] = [];
  for (const contacts of chunks([...contactIds].sort(), 200)) {
    for (const ids of chunks([...providerIds].sort(), 200)) {
      let q = db
        .selectFrom('messages')
        .selectAll()
        .where('contact_id', 'in', contacts)
        .where('provider_message_id', 'in', ids)
        .orderBy('id');
      if (lock === 'postgres') q = q.forUpdate();
      out.push(...(await q.execute()));
    }
  }
  return out;
}

export type MessageUpdate = Partial<
  Pick<
    MessagesTable,
    | 'status'
    | 'provider_message_id'
    | 'sent_at'
    | 'delivered_at'
    | 'read_at'
    | 'failed_at'
    | 'replied_at'
    | 'error_code'
    | 'error_class'
    | 'error_message'
    | 'locked_by'
    | 'locked_until'
  >
>;

export async function updateMessage(db: Kysely<Database>, id: string, set: MessageUpdate, now: number) {
  await db
    .updateTable('messages')
    .set({ ...set, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** The latest message we sent to a contact before `before`, for replies that quote nothing. */
export async function lastOutboundTo(db: Kysely<Database>, contactId: string, before: number, since: number) {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('contact_id', '=', contactId)
    .where('created_at', '<=', before)
    .where('created_at', '>=', since)
    .where('status', 'in', ['accepted', 'sent', 'delivered', 'read'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
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
>;

/**
 * Writes the delivery state of many messages in one statement per chunk (webhook batches touch
 * thousands of rows; one UPDATE per row would be one round trip each on PostgreSQL). VALUES
 * columns arrive untyped, hence the casts; the SQL is the same on both engines.
 */
export async function writeStatusStates(
  db: Kysely<Database>,
  rows: StatusState[],
  now: number,
): Promise<void> {
  for (const part of chunks(rows, 300)) {
    const values = sql.join(
      part.map(
        (r) =>
          sql`(${r.id}, ${r.status}, ${r.provider_message_id}, ${r.sent_at}, ${r.delivered_at}, ${r.read_at}, ${r.failed_at}, ${r.error_code}, ${r.error_class}, ${r.error_message}, ${r.locked_by}, ${r.locked_until})`,
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
             updated_at = ${now}
        FROM (VALUES ${values}) AS v
       WHERE messages.id = v.column1`.execute(db);
  }
}
