/**
 * The webhook inbox: raw bodies stored before Meta is answered, applied later in batches. Its
 * lifecycle (pending → processed | failed) is src/domain/webhook-inbox.ts.
 */
import { type Kysely, sql } from 'kysely';
import { idFloor } from '../domain/ids';
import { sourcesOf } from '../domain/lifecycle';
import { CLAIMABLE_INBOX_STATUSES, INBOX_TRANSITIONS } from '../domain/webhook-inbox';
import { chunks } from './chunks';
import { directPg, type NamedStatement } from './pg-direct';
import { withRowLock } from './row-locks';
import type { Database } from './schema';
import { directSqlite } from './sqlite-direct';

// One claimable state, compared as a literal: a literal equality is what lets both engines use
// the partial index webhook_inbox_pending (SQLite will not use it for an IN list).
const [PENDING] = CLAIMABLE_INBOX_STATUSES;
const DONE_FROM = sourcesOf(INBOX_TRANSITIONS, 'processed');
const PARKED_FROM = sourcesOf(INBOX_TRANSITIONS, 'failed');

/**
 * Webhook bodies, durable once this returns (only then is Meta answered 200); bodies that
 * arrived together in one commit (the inbox writer's group commit): all of them or none. On SQLite one prepared statement per row, on PostgreSQL one named statement for all.
 */
export async function insertWebhooks(
  db: Kysely<Database>,
  rows: ReadonlyArray<{ id: string; channel: string; body: string }>,
  now: number,
): Promise<void> {
  if (rows.length === 0) return;
  const direct = directSqlite(db);
  if (direct) {
    await direct((prepare) => {
      const insert = prepare(SQLITE_INSERT);
      for (const r of rows) insert.run(r.id, r.channel, r.body, now);
    });
    return;
  }
  const pg = directPg(db);
  if (pg) {
    for (const part of chunks(rows, 200)) {
      await pg(PG_INSERT, [part.map((r) => r.id), part.map((r) => r.channel), part.map((r) => r.body), now]);
    }
    return;
  }
  for (const part of chunks(rows, 200)) {
    await db
      .insertInto('webhook_inbox')
      .values(
        part.map((w) => ({
          id: w.id,
          channel: w.channel,
          body: w.body,
          status: PENDING,
          received_at: now,
          processed_at: null,
          error: null,
        })),
      )
      .execute();
  }
}

const SQLITE_INSERT = `INSERT INTO webhook_inbox (id, channel, body, status, received_at, processed_at, error)
  VALUES (?, ?, ?, '${PENDING}', ?, NULL, NULL)`;
const PG_INSERT: NamedStatement = {
  name: 'webhook_inbox_insert',
  text: `INSERT INTO webhook_inbox (id, channel, body, status, received_at, processed_at, error)
         SELECT v.id, v.channel, v.body, '${PENDING}', $4, NULL, NULL
           FROM unnest($1::text[], $2::text[], $3::text[]) AS v(id, channel, body)`,
};

export interface PendingWebhook {
  id: string;
  channel: string;
  attempts: number;
}

/**
 * Pending bodies in arrival order, without the bodies themselves: the process that accepted a
 * body parsed it then, and reads it again (webhookBodies) only when it did not. With `claim`
 * (inside the processing transaction) they are locked and rows another process is already
 * applying are skipped, so each body is applied by exactly one process; on SQLite the single
 * writer gives the same guarantee.
 */
export async function pendingWebhooks(
  db: Kysely<Database>,
  limit: number,
  opts: { claim?: boolean; id?: string } = {},
): Promise<PendingWebhook[]> {
  let q = db
    .selectFrom('webhook_inbox')
    .select(['id', 'channel', 'attempts'])
    .where('status', '=', sql.lit(PENDING))
    .orderBy('id')
    .limit(limit);
  if (opts.id !== undefined) q = q.where('id', '=', opts.id);
  return withRowLock(db, q, opts.claim ? { forUpdate: true, skipLocked: true } : undefined).execute();
}

/** The stored bodies of the given inbox rows, by id (rows that do not exist are left out). */
export async function webhookBodies(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const part of chunks(ids, 400)) {
    const rows = await db
      .selectFrom('webhook_inbox')
      .select(['id', 'body'])
      .where('id', 'in', part)
      .execute();
    for (const r of rows) out.set(r.id, r.body);
  }
  return out;
}

export async function markWebhooksProcessed(db: Kysely<Database>, ids: string[], now: number): Promise<void> {
  for (const part of chunks(ids, 400)) {
    await db
      .updateTable('webhook_inbox')
      .set({ status: 'processed', processed_at: now })
      .where('id', 'in', part)
      .where('status', 'in', DONE_FROM)
      .execute();
  }
}

/**
 * Counts a failed attempt at a body. A body that keeps failing is parked (`failed`), not retried
 * forever; it stays in the table for inspection.
 */
export async function markWebhookFailed(
  db: Kysely<Database>,
  id: string,
  error: string,
  park: boolean,
  now: number,
) {
  await db
    .updateTable('webhook_inbox')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      error,
      ...(park ? { status: 'failed' as const, processed_at: now } : {}),
    }))
    .where('id', '=', id)
    .where('status', 'in', PARKED_FROM)
    .execute();
}

/**
 * Deletes up to `limit` applied bodies received before `before`, oldest first. Ids grow with
 * time, so the oldest rows are the start of the primary key: each run reads what it deletes and
 * the few older bodies it keeps. A pending body (not applied yet) and a parked one (`failed`,
 * kept for a person to look at) are never deleted. Returns how many were.
 */
export async function pruneProcessedWebhooks(
  db: Kysely<Database>,
  p: { before: number; limit: number },
): Promise<number> {
  const old = db
    .selectFrom('webhook_inbox')
    .select('id')
    .where('id', '<', idFloor('whk', Math.max(0, p.before)))
    .where('status', '=', sql.lit('processed'))
    .orderBy('id')
    .limit(p.limit);
  const res = await db
    .deleteFrom('webhook_inbox')
    .where('id', 'in', old)
    .where('status', '=', sql.lit('processed'))
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
