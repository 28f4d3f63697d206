import { type Kysely, sql } from 'kysely';

/**
 * Secrets at rest and API-key management.
 * - Credentials written before encryption are marked `plain:` so that no stored value can be
 *   mistaken for an encrypted one; the key is not known here, so the first start encrypts them.
 * - API keys get an optional expiry and a short prefix for recognising them in a listing (rows
 *   from before have none: only the hash was kept).
 * - One revision counter, bumped by every change to api_keys in the same transaction, lets each
 *   process learn with one cheap read per second that its cached keys may be stale; updating
 *   that one row also serialises key changes across processes, which keeps the last admin key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    UPDATE channel_accounts
       SET access_token = 'plain:' || access_token,
           app_secret = 'plain:' || app_secret,
           verify_token = 'plain:' || verify_token`.execute(db);
  await db.schema.alterTable('api_keys').addColumn('expires_at', 'bigint').execute();
  await db.schema.alterTable('api_keys').addColumn('key_prefix', 'text').execute();
  await db.schema
    .createTable('api_key_revision')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO api_key_revision (id, revision) VALUES (1, 0)`.execute(db);
}
