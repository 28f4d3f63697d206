import { type Kysely, sql } from 'kysely';

/**
 * The idempotency index holds only messages that carry a key. Uniqueness is the same (keys are
 * unique per account; rows without a key never collided), but SQLite, which has no statistics
 * (Recontact never runs ANALYZE), had taken the full index for an index "by account": asked for
 * an account's newest messages it read every message of the account through it and sorted them
 * (300 ms for a page at 300,000 messages), where walking the primary key backwards stops after
 * one page. A partial index is used only by a query that names its condition, and a look-up by
 * key does (`idempotency_key = ?` implies `IS NOT NULL`), so nothing else is planned through it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_idempotency_unique').execute();
  await db.schema
    .createIndex('messages_idempotency_unique')
    .on('messages')
    .columns(['account_id', 'idempotency_key'])
    .unique()
    .where(sql.ref('idempotency_key'), 'is not', null)
    .execute();
}
