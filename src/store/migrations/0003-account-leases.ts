import type { Kysely } from 'kysely';

/**
 * Meta's limits are per phone number, so one process at a time paces each account: the holder
 * of its lease. A lease that is not renewed expires, and another worker takes the account over.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('account_leases')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
}
