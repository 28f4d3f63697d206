import { type Kysely, sql } from 'kysely';

/**
 * Messages held `in_doubt` per account, for /metrics' queue depth: without an index of their
 * own, counting the few of them read every message (3.8 s on SQLite, 0.5 s on PostgreSQL with
 * 1,000,000 messages). A partial index holds only those rows, so the count costs what they
 * number; the states before it (queued, sending, unconfirmed) have theirs since 0006.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('messages_in_doubt')
    .on('messages')
    .columns(['account_id'])
    .where(sql.ref('status'), '=', 'in_doubt')
    .execute();
}
