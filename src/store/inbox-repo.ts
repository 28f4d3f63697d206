import type { Kysely } from 'kysely';
import type { Dialect } from './database';
import type { Database } from './schema';

/** The webhook is durable once this returns: only then is Meta answered 200. */
export async function insertWebhook(
  db: Kysely<Database>,
  w: { id: string; channel: string; body: string },
  now: number,
): Promise<void> {
  await db
    .insertInto('webhook_inbox')
    .values({
      id: w.id,
      channel: w.channel,
      body: w.body,
      status: 'pending',
      received_at: now,
      processed_at: null,
      error: null,
    })
    .execute();
}

/**
 * Pending bodies in arrival order. With `lock` (PostgreSQL, inside the processing transaction)
 * they are locked and rows another process is already applying are skipped, so each body is
 * applied by exactly one process.
 */
export async function pendingWebhooks(
  db: Kysely<Database>,
  limit: number,
  opts: { lock?: Dialect | false; id?: string } = {},
) {
  let q = db
    .selectFrom('webhook_inbox')
    .select(['id', 'channel', 'body', 'attempts'])
    .where('status', '=', 'pending')
    .orderBy('id')
    .limit(limit);
  if (opts.id !== undefined) q = q.where('id', '=', opts.id);
  if (opts.lock === 'postgres') q = q.forUpdate().skipLocked();
  return q.execute();
}

export async function markWebhooksProcessed(db: Kysely<Database>, ids: string[], now: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('webhook_inbox')
    .set({ status: 'processed', processed_at: now })
    .where('id', 'in', ids)
    .execute();
}

/** A body that keeps failing is parked, not retried forever; it stays in the table for inspection. */
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
      ...(park ? { status: 'failed', processed_at: now } : {}),
    }))
    .where('id', '=', id)
    .execute();
}
