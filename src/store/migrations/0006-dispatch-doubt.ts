import { type Kysely, sql } from 'kysely';

/**
 * Sends in doubt. `posted_at` is written just before a POST leaves (status `sending`), so after
 * a crash only rows that may really have reached Meta are in doubt; `doubt_until` is when an
 * `unconfirmed` row stops waiting for Meta's status webhook. Claims now lease `queued` rows
 * without changing their status, hence a partial index on `queued` alone (the old one also
 * covered `sending`), and small ones for the doubt sweep.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('posted_at', 'bigint').execute();
  await db.schema.alterTable('messages').addColumn('doubt_until', 'bigint').execute();
  await db.schema.dropIndex('messages_due').execute();
  await db.schema
    .createIndex('messages_claimable')
    .on('messages')
    .columns(['account_id', 'next_attempt_at', 'id'])
    .where(sql.ref('status'), '=', 'queued')
    .execute();
  // One per state: SQLite uses a partial index only when the query repeats its condition.
  await db.schema
    .createIndex('messages_sending')
    .on('messages')
    .columns(['account_id', 'locked_until'])
    .where(sql.ref('status'), '=', 'sending')
    .execute();
  await db.schema
    .createIndex('messages_unconfirmed')
    .on('messages')
    .columns(['account_id', 'doubt_until'])
    .where(sql.ref('status'), '=', 'unconfirmed')
    .execute();
}
