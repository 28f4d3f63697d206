/**
 * The dispatcher's side of the messages table: reading due rows, the "posting" mark, results,
 * and the doubt sweep.
 *
 * Reading due rows writes nothing. The account lease (leases-repo.ts) makes one worker the only
 * sender of an account, so a per-row lease would only rewrite every row once more; the worker
 * keeps what it read in memory. Should two workers ever both believe they hold an account (a
 * stalled holder whose lease lapsed), markPosting's `queued → sending` is the fence: one
 * statement changes a row once, so exactly one of them posts it. Every later write is fenced by
 * the worker that posted the row, so a worker that lost it cannot change it any more.
 *
 * A row becomes `sending` only when its POST is about to leave, so after a crash the rows in
 * doubt are exactly those that may have reached Meta, not a whole batch read ahead.
 */

import { type Kysely, type Selectable, sql } from 'kysely';
import type { ConsentState } from '../domain/contacts/consent';
import { ACCEPTABLE_FROM, CLAIMABLE_STATUSES, type InDoubtPolicy } from '../domain/message';
import { fenceRequeued } from './campaign-recipients-repo';
import { chunks } from './chunks';
import { indexLiteral, notIndexed } from './index-literal';
import { directPg, type NamedStatement } from './pg-direct';
import type { Database, MessagesTable } from './schema';
import { directSqlite, type Prepare } from './sqlite-direct';

type Row = Selectable<MessagesTable>;

/** Rows per statement: one IN-list or VALUES list of each write stays this long. */
export const ROWS_PER_STATEMENT = 400;
const CHUNK = ROWS_PER_STATEMENT;

const list = (values: readonly string[]) => sql.join(values.map((v) => sql.lit(v)));
/** The state messages_claimable holds, as a literal (see index-literal.ts). */
const CLAIMABLE = indexLiteral(CLAIMABLE_STATUSES[0]);

/**
 * The same reads and writes as one prepared statement per row, for SQLite (sqlite-direct.ts).
 * States are our own constants, written into the text; each row is named by its key, and its
 * state is a fence, compared but never used to find it (`|| ''`, see index-literal.ts).
 */
const textList = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');
/**
 * A due row comes with what the consent guard weighs (consent-guard.ts), read in the same
 * statement by the contact's primary key: its contact's consent, the template's category and
 * the metadata, but only when that contact opted out of something (rare); nulls otherwise, so
 * the usual row carries nothing more and the guard reads nothing.
 */
const OPTED_OUT = `(c.all_consent = 'opted_out' OR c.marketing_consent = 'opted_out')`;
const DUE_COLUMNS = `m.id, m.to_wa, m.content, m.reply_to_provider_id, m.attempts,
       CASE WHEN ${OPTED_OUT} THEN c.all_consent END AS consent_all,
       CASE WHEN ${OPTED_OUT} THEN c.marketing_consent END AS consent_marketing,
       CASE WHEN ${OPTED_OUT} THEN m.template_category END AS consent_category,
       CASE WHEN ${OPTED_OUT} THEN m.metadata END AS consent_metadata
  FROM messages m LEFT JOIN contacts c ON c.id = m.contact_id`;

export const ROW_SQL = {
  dueIds: `SELECT id FROM messages WHERE account_id = ? AND status = '${CLAIMABLE_STATUSES[0]}'
             AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
  /**
   * The due rows of the ids in `?` (a JSON array), in one statement rather than one per id:
   * about 1 µs a row less here (5–6 µs a row read cold), and one text for any number of ids.
   */
  dueRows: `SELECT ${DUE_COLUMNS}
             WHERE m.id IN (SELECT value FROM json_each(?)) AND (m.status || '') = '${CLAIMABLE_STATUSES[0]}'`,
  posting: `UPDATE messages SET status = 'sending', attempts = attempts + 1, posted_at = ?,
                   locked_by = ?, locked_until = ?, updated_at = ?
             WHERE id = ? AND (status || '') = 'queued' AND next_attempt_at <= ?`,
  accepted: `UPDATE messages SET status = 'accepted', provider_message_id = COALESCE(provider_message_id, ?),
                    accepted_at = ?, locked_until = NULL, doubt_until = NULL, updated_at = ?
              WHERE id = ? AND (status || '') IN (${textList(ACCEPTABLE_FROM)})`,
  // A status webhook got there first: the row keeps its later state, the rest is recorded.
  acceptedLate: `UPDATE messages SET provider_message_id = COALESCE(provider_message_id, ?),
                        accepted_at = ?, locked_until = NULL, doubt_until = NULL, updated_at = ?
                  WHERE id = ?`,
} as const;

/**
 * The same on PostgreSQL, one named statement per batch whatever its length (pg-direct.ts): the
 * ids as arrays. The fences and index choices are those of the Kysely forms below, which another
 * Kysely instance over the same pool still takes.
 */
const PG_ACCEPT = `UPDATE messages
     SET status = CASE WHEN messages.status IN (${textList(ACCEPTABLE_FROM)}) THEN 'accepted' ELSE messages.status END,
         provider_message_id = COALESCE(messages.provider_message_id, v.provider_id),
         accepted_at = $1, locked_until = NULL, doubt_until = NULL, updated_at = $1
    FROM unnest($2::text[], $3::text[]) AS v(id, provider_id)
   WHERE messages.id = v.id
RETURNING messages.id, messages.status`;
/** The `sending` mark at `$1`, its worker, lease end and ids in the parameters named. */
const pgPosting = (worker: string, until: string, ids: string) => `UPDATE messages
     SET status = 'sending', attempts = attempts + 1, posted_at = $1,
         locked_by = ${worker}, locked_until = ${until}, updated_at = $1
   WHERE id = ANY(${ids}::text[]) AND (status || '') = 'queued' AND next_attempt_at <= $1
RETURNING id`;
export const PG_SQL = {
  dueIds: {
    name: 'dispatch_due_ids',
    text: `SELECT id FROM messages WHERE account_id = $1 AND status = '${CLAIMABLE_STATUSES[0]}'
             AND next_attempt_at <= $2 ORDER BY next_attempt_at, id LIMIT $3`,
  },
  dueRows: {
    name: 'dispatch_due_rows',
    text: `SELECT ${DUE_COLUMNS}
            WHERE m.id = ANY($1::text[]) AND (m.status || '') = '${CLAIMABLE_STATUSES[0]}'`,
  },
  posting: { name: 'dispatch_posting', text: pgPosting('$2', '$3', '$4') },
  accepted: { name: 'dispatch_accepted', text: PG_ACCEPT },
  /** Both in one statement: one commit for a group of answers and the next marks. */
  acceptedAndPosting: {
    name: 'dispatch_accepted_and_posting',
    text: `WITH accepted AS (${PG_ACCEPT}), posting AS (${pgPosting('$4', '$5', '$6')})
           SELECT id, status FROM accepted UNION ALL SELECT id, 'posting' AS status FROM posting`,
  },
} as const satisfies Record<string, NamedStatement>;

export interface ClaimedMessage {
  id: string;
  to_wa: string;
  content: string;
  reply_to_provider_id: string | null;
  attempts: number;
  /** These four are null unless the contact has opted out of something (see DUE_COLUMNS). */
  consent_all: ConsentState | null;
  consent_marketing: ConsentState | null;
  consent_category: string | null;
  consent_metadata: string | null;
}

/**
 * Due `queued` rows of one account, oldest due first, leaving out the ids the caller holds
 * already (its buffer). The ids come from the partial index `messages_claimable` alone (it
 * covers them; the status is a literal so SQLite sees that the query implies the index), then
 * only the new rows are read whole.
 */
export async function readDueMessages(
  db: Kysely<Database>,
  p: { accountId: string; now: number; limit: number; skip: ReadonlySet<string> },
): Promise<ClaimedMessage[]> {
  if (p.limit <= 0) return [];
  const direct = directSqlite(db);
  if (direct) {
    return direct((prepare) => {
      const due = prepare(ROW_SQL.dueIds).all(p.accountId, p.now, p.limit + p.skip.size) as Array<{
        id: string;
      }>;
      const ids = unheld(due, p);
      if (ids.length === 0) return [];
      // Our own ids (prefix and base32), so the JSON is a plain list of strings.
      return inDueOrder(ids, prepare(ROW_SQL.dueRows).all(JSON.stringify(ids)) as ClaimedMessage[]);
    });
  }
  const pg = directPg(db);
  if (pg) {
    const ids = unheld(
      await pg<{ id: string }>(PG_SQL.dueIds, [p.accountId, p.now, p.limit + p.skip.size]),
      p,
    );
    if (ids.length === 0) return [];
    return inDueOrder(ids, await pg<ClaimedMessage>(PG_SQL.dueRows, [ids]));
  }
  const due = await sql<{ id: string }>`
    SELECT id FROM messages
     WHERE account_id = ${p.accountId}
       AND status = ${CLAIMABLE}
       AND next_attempt_at <= ${p.now}
     ORDER BY next_attempt_at, id
     LIMIT ${p.limit + p.skip.size}`.execute(db);
  const ids = unheld(due.rows, p);
  if (ids.length === 0) return [];
  const rows: ClaimedMessage[] = [];
  for (const part of chunks(ids, CHUNK)) {
    const due = await sql<ClaimedMessage>`SELECT ${sql.raw(DUE_COLUMNS)}
       WHERE m.id IN (${sql.join(part)}) AND (m.status || '') = ${CLAIMABLE_STATUSES[0]}`.execute(db);
    rows.push(...due.rows);
  }
  return inDueOrder(ids, rows);
}

/** The due ids the caller does not hold already, no more than it asked for. */
function unheld(
  due: ReadonlyArray<{ id: string }>,
  p: { limit: number; skip: ReadonlySet<string> },
): string[] {
  const ids: string[] = [];
  for (const { id } of due) {
    if (ids.length === p.limit) break;
    if (!p.skip.has(id)) ids.push(id);
  }
  return ids;
}

/** The rows in due order, as the index gave their ids; a row that left the queue meanwhile is gone. */
function inDueOrder(ids: readonly string[], rows: readonly ClaimedMessage[]): ClaimedMessage[] {
  const byId = new Map(rows.map((r) => [r.id, r] as const));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/**
 * Records that these POSTs are about to leave: `sending`, the attempt counted, this worker the
 * poster until `now + leaseMs`. Only rows still `queued` and due change (a cancel, an erasure or
 * a campaign's pause may have taken one meanwhile, or another worker posted it); the caller posts
 * exactly the ids returned.
 */
export async function markPosting(
  db: Kysely<Database>,
  workerId: string,
  ids: string[],
  now: number,
  leaseMs: number,
): Promise<string[]> {
  const direct = directSqlite(db);
  if (direct) return direct((prepare) => postingRows(prepare, workerId, ids, now, leaseMs));
  const pg = directPg(db);
  if (pg) {
    const out: string[] = [];
    for (const part of chunks(ids, CHUNK))
      for (const r of await pg<{ id: string }>(PG_SQL.posting, [now, workerId, now + leaseMs, part]))
        out.push(r.id);
    return out;
  }
  const out: string[] = [];
  for (const part of chunks(ids, CHUNK)) {
    const res = await db
      .updateTable('messages')
      .set((eb) => ({
        status: 'sending',
        attempts: eb('attempts', '+', 1),
        posted_at: now,
        // Until then a send still in flight is this worker's; after, it looks abandoned.
        locked_by: workerId,
        locked_until: now + leaseMs,
        updated_at: now,
      }))
      .where('id', 'in', part)
      .where(notIndexed('status'), '=', 'queued')
      // A paused campaign holds its queued rows in the future (campaign-recipients-repo):
      // one already buffered here is not posted.
      .where('next_attempt_at', '<=', now)
      .returning('id')
      .execute();
    for (const r of res) out.push(r.id);
  }
  return out;
}

/**
 * Undoes `sending` marks that committed although the worker was told they failed (the
 * connection dropped after the commit): the worker never posted those rows, so they are simply
 * queued again. The mark's own time identifies them; a later mark is left alone.
 */
export async function revertUnpostedMarks(
  db: Kysely<Database>,
  p: { workerId: string; ids: string[]; postedAt: number },
): Promise<number> {
  let n = 0;
  for (const part of chunks(p.ids, CHUNK)) {
    const res = await db
      .updateTable('messages')
      .set((eb) => ({ status: 'queued', attempts: eb('attempts', '-', 1), posted_at: null }))
      .where('id', 'in', part)
      .where('locked_by', '=', p.workerId)
      .where('status', '=', 'sending')
      .where('posted_at', '=', p.postedAt)
      .executeTakeFirst();
    n += Number(res.numUpdatedRows);
  }
  return n;
}

export interface AcceptedResult {
  id: string;
  providerMessageId: string;
}

/**
 * Records Meta's acceptance. A status webhook may already have moved the row past `accepted`:
 * acceptance never moves it back, and the provider id a webhook recorded wins. Acceptance also
 * settles a row that was in doubt. `locked_by` stays: it names the worker that posted the
 * message (the timeline's acceptance entry shows it). Returns the ids that really became
 * `accepted`.
 */
export async function markAccepted(
  db: Kysely<Database>,
  rows: AcceptedResult[],
  now: number,
): Promise<string[]> {
  const direct = directSqlite(db);
  if (direct) return direct((prepare) => acceptedRows(prepare, rows, now));
  const pg = directPg(db);
  if (pg) {
    const changed: string[] = [];
    for (const part of chunks(rows, CHUNK)) {
      const res = await pg<{ id: string; status: string }>(PG_SQL.accepted, [
        now,
        part.map((r) => r.id),
        part.map((r) => r.providerMessageId),
      ]);
      for (const r of res) if (r.status === 'accepted') changed.push(r.id);
    }
    return changed;
  }
  const changed: string[] = [];
  for (const part of chunks(rows, CHUNK)) {
    const values = sql.join(part.map((r) => sql`(${r.id}, ${r.providerMessageId})`));
    const res = await sql<{ id: string; status: string }>`
      UPDATE messages
         SET status = CASE WHEN messages.status IN (${list(ACCEPTABLE_FROM)}) THEN 'accepted' ELSE messages.status END,
             provider_message_id = COALESCE(messages.provider_message_id, v.column2),
             accepted_at = ${now}, locked_until = NULL, doubt_until = NULL,
             updated_at = ${now}
        FROM (VALUES ${values}) AS v
       WHERE messages.id = v.column1
   RETURNING messages.id, messages.status`.execute(db);
    for (const r of res.rows) if (r.status === 'accepted') changed.push(r.id);
  }
  return changed;
}

/**
 * markAccepted and markPosting written together, in one transaction (one statement on
 * PostgreSQL): the answers that arrived meanwhile ride with the next `sending` mark instead of
 * costing a commit of their own. The two sets never share a row (a row being marked is queued, an
 * answered one is not), and each keeps its own fences. Returns what each would have.
 */
export async function markAcceptedAndPosting(
  db: Kysely<Database>,
  p: { accepted: AcceptedResult[]; workerId: string; ids: string[]; now: number; leaseMs: number },
): Promise<{ accepted: string[]; posted: string[] }> {
  const pg = directPg(db);
  if (pg && p.accepted.length <= CHUNK && p.ids.length <= CHUNK) {
    const rows = await pg<{ id: string; status: string }>(PG_SQL.acceptedAndPosting, [
      p.now,
      p.accepted.map((r) => r.id),
      p.accepted.map((r) => r.providerMessageId),
      p.workerId,
      p.now + p.leaseMs,
      p.ids,
    ]);
    const out = { accepted: [] as string[], posted: [] as string[] };
    for (const r of rows) {
      if (r.status === 'posting') out.posted.push(r.id);
      else if (r.status === 'accepted') out.accepted.push(r.id);
    }
    return out;
  }
  const direct = directSqlite(db);
  if (direct) {
    // SQLite: both sets of per-row statements in one transaction of the direct runner.
    return direct((prepare) => ({
      accepted: acceptedRows(prepare, p.accepted, p.now),
      posted: postingRows(prepare, p.workerId, p.ids, p.now, p.leaseMs),
    }));
  }
  return db.transaction().execute(async (trx) => ({
    accepted: await markAccepted(trx, p.accepted, p.now),
    posted: await markPosting(trx, p.workerId, p.ids, p.now, p.leaseMs),
  }));
}

/** markPosting's per-row statements on SQLite, in the caller's transaction. */
function postingRows(
  prepare: Prepare,
  workerId: string,
  ids: string[],
  now: number,
  leaseMs: number,
): string[] {
  const mark = prepare(ROW_SQL.posting);
  return ids.filter((id) => mark.run(now, workerId, now + leaseMs, now, id, now).changes === 1);
}

/** markAccepted's per-row statements on SQLite, in the caller's transaction. */
function acceptedRows(prepare: Prepare, rows: AcceptedResult[], now: number): string[] {
  const accept = prepare(ROW_SQL.accepted);
  const late = prepare(ROW_SQL.acceptedLate);
  const out: string[] = [];
  for (const r of rows) {
    if (accept.run(r.providerMessageId, now, now, r.id).changes === 1) out.push(r.id);
    else late.run(r.providerMessageId, now, now, r.id);
  }
  return out;
}

interface ErrorFields {
  errorCode: number | null;
  errorClass: string;
  errorMessage: string;
}

export interface RetryResult extends ErrorFields {
  id: string;
  nextAttemptAt: number;
}

export type FailedResult = ErrorFields & { id: string };

export interface UnconfirmedResult extends ErrorFields {
  id: string;
}

/**
 * One change per row, only to rows this worker posted and that nothing settled meanwhile
 * (`sending`, or `unconfirmed` by a sweep while the answer was still on its way).
 */
async function updatePosted(
  db: Kysely<Database>,
  workerId: string,
  rows: Array<{ id: string; set: Partial<Row> }>,
): Promise<string[]> {
  const changed: string[] = [];
  for (const r of rows) {
    const res = await db
      .updateTable('messages')
      .set(r.set)
      .where('id', '=', r.id)
      .where('locked_by', '=', workerId)
      .where('status', 'in', ['sending', 'unconfirmed'])
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) changed.push(r.id);
  }
  return changed;
}

const errorSet = (r: ErrorFields) => ({
  error_code: r.errorCode,
  error_class: r.errorClass,
  error_message: r.errorMessage,
});

/** Meta (or the network, before anything was sent) said no for now: back to the queue. */
export async function markRetry(
  db: Kysely<Database>,
  workerId: string,
  rows: RetryResult[],
  now: number,
): Promise<string[]> {
  const changed = await updatePosted(
    db,
    workerId,
    rows.map((r) => ({
      id: r.id,
      set: {
        status: 'queued',
        next_attempt_at: r.nextAttemptAt,
        locked_by: null,
        locked_until: null,
        doubt_until: null,
        ...errorSet(r),
        updated_at: now,
      },
    })),
  );
  // A campaign paused or ended while this send was out does not get it back in the queue.
  await fenceRequeued(db, changed, now);
  return changed;
}

export function markFailed(db: Kysely<Database>, workerId: string, rows: FailedResult[], now: number) {
  return updatePosted(
    db,
    workerId,
    rows.map((r) => ({
      id: r.id,
      set: {
        status: 'failed',
        failed_at: now,
        locked_by: null,
        locked_until: null,
        doubt_until: null,
        ...errorSet(r),
        updated_at: now,
      },
    })),
  );
}

/** The POST may have reached Meta but its answer was lost (timeout, reset): wait for proof. */
export function markUnconfirmed(
  db: Kysely<Database>,
  workerId: string,
  rows: UnconfirmedResult[],
  now: number,
  graceMs: number,
) {
  return updatePosted(
    db,
    workerId,
    rows.map((r) => ({
      id: r.id,
      set: { status: 'unconfirmed', doubt_until: now + graceMs, ...errorSet(r), updated_at: now },
    })),
  );
}

/** Fails never-posted rows the consent guard held back; returns the ids that changed. */
export async function failRefusedClaims(
  db: Kysely<Database>,
  rows: ReadonlyArray<{ id: string; errorMessage: string }>,
  now: number,
): Promise<string[]> {
  const out: string[] = [];
  for (const r of rows) {
    const res = await db
      .updateTable('messages')
      .set({
        status: 'failed',
        failed_at: now,
        locked_by: null,
        locked_until: null,
        error_code: null,
        error_class: 'permanent',
        error_message: r.errorMessage,
        updated_at: now,
      })
      .where('id', '=', r.id)
      .where('status', '=', CLAIMABLE_STATUSES[0])
      .returning('id')
      .execute();
    for (const x of res) out.push(x.id);
  }
  return out;
}

/**
 * Rows left `sending` by a worker that is gone (its lease lapsed, or it is this worker's
 * previous life: posted before `startedAt`) are unconfirmed from now on: Meta may have accepted
 * them, so they wait `graceMs` for the status webhook carrying our id. The grace counts from
 * this moment, when someone is listening again, not from the crash.
 */
export async function markStaleSendsUnconfirmed(
  db: Kysely<Database>,
  p: { accountId: string; workerId: string; startedAt: number; now: number; graceMs: number },
): Promise<Array<Pick<Row, 'id' | 'posted_at' | 'locked_by'>>> {
  return db
    .updateTable('messages')
    .set({
      status: 'unconfirmed',
      doubt_until: p.now + p.graceMs,
      error_message: 'The worker sending this message stopped before Meta answered',
      updated_at: p.now,
    })
    .where('account_id', '=', p.accountId)
    .where('status', '=', indexLiteral('sending'))
    .where((eb) =>
      eb.or([
        eb('locked_until', '<=', p.now),
        eb.and([eb('locked_by', '=', p.workerId), eb('posted_at', '<', p.startedAt)]),
      ]),
    )
    .returning(['id', 'posted_at', 'locked_by'])
    .execute();
}

/**
 * Unconfirmed rows whose grace has passed without proof, settled by the policy: `resend` puts
 * them back in the queue (at least once), `fail` holds them as `in_doubt` for a person or the bot
 * (at most once). Returns the rows as they are now.
 */
export async function settleExpiredDoubts(
  db: Kysely<Database>,
  p: { accountId: string; now: number; policy: InDoubtPolicy; limit: number },
): Promise<Row[]> {
  const set =
    p.policy === 'resend'
      ? {
          status: 'queued' as const,
          next_attempt_at: p.now,
          locked_by: null,
          locked_until: null,
          doubt_until: null,
          updated_at: p.now,
        }
      : {
          status: 'in_doubt' as const,
          locked_by: null,
          locked_until: null,
          doubt_until: null,
          updated_at: p.now,
        };
  const ids = await db
    .selectFrom('messages')
    .select('id')
    .where('account_id', '=', p.accountId)
    .where('status', '=', indexLiteral('unconfirmed'))
    .where('doubt_until', '<=', p.now)
    .orderBy('id')
    .limit(p.limit)
    .execute();
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('messages')
    .set(set)
    .where(
      'id',
      'in',
      ids.map((r) => r.id),
    )
    .where('status', '=', 'unconfirmed')
    .returningAll()
    .execute();
  if (p.policy === 'resend') {
    await fenceRequeued(
      db,
      rows.map((r) => r.id),
      p.now,
    );
  }
  return rows;
}

/** How many messages of an account are unsettled, by state (logs and the doubt report). */
export async function countUnsettled(
  db: Kysely<Database>,
  accountId: string,
): Promise<{ sending: number; unconfirmed: number }> {
  const rows = await db
    .selectFrom('messages')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('account_id', '=', accountId)
    .where('status', 'in', ['sending', 'unconfirmed'])
    .groupBy('status')
    .execute();
  const out = { sending: 0, unconfirmed: 0 };
  for (const r of rows) out[r.status as 'sending' | 'unconfirmed'] = Number(r.n);
  return out;
}

/** An operator (or the bot) decides to send a held message again. */
export async function requeueInDoubt(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const res = await db
    .updateTable('messages')
    .set({ status: 'queued', next_attempt_at: now, locked_by: null, locked_until: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'in_doubt')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
