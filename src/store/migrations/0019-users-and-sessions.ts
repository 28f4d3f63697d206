import type { Kysely } from 'kysely';

/**
 * People who sign in to the web app, and their sessions (issue 13).
 *
 * - `users.username` is stored folded to lower case, so the unique index makes usernames
 *   unique without regard to case on both databases. A user is disabled, never deleted: what
 *   they did stays attributed to a row that exists.
 * - `sessions.token_hash` is the SHA-256 of the cookie's random value; the value itself is never
 *   stored, so reading the database does not let anyone act as a signed-in person. A session is
 *   a user's (user_id) or an API key's (api_key_id, signed in with a key): exactly one is set.
 * - Sessions are looked up by token_hash on every cookie request; (user_id) and (api_key_id) find
 *   a person's sessions to end them; (expires_at) finds the long-dead ones to prune.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('disabled_at', 'bigint')
    .addColumn('last_sign_in_at', 'bigint')
    .execute();
  await db.schema.createIndex('users_username').on('users').column('username').unique().execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('api_key_id', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('user_agent', 'text')
    .execute();
  await db.schema.createIndex('sessions_token_hash').on('sessions').column('token_hash').unique().execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();
  await db.schema.createIndex('sessions_api_key').on('sessions').column('api_key_id').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
}
