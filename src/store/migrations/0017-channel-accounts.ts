import { type Kysely, sql } from 'kysely';

/**
 * Many channel accounts on two channels. The table is rebuilt, because a Messenger page has no
 * phone-number id or WABA, and SQLite cannot relax a NOT NULL or move a unique constraint:
 *   - `external_id` is Meta's id of the sending identity (a WhatsApp phone-number id, a Messenger
 *     page id); Graph object ids are unique across types, so it identifies the account in a
 *     webhook whatever the channel, and is unique with `channel` here;
 *   - `waba_id` is WhatsApp's only; `messaging_limit` is WhatsApp's tier as declared (null: the
 *     process-wide MESSAGING_LIMIT);
 *   - `disabled_at`: a disabled account sends nothing and refuses new work, its rows stay;
 *   - `source`: who manages the row (env: the WHATSAPP_* shortcut, config: the config file, api);
 *   - `name` is unique: people and URLs (/webhooks/whatsapp/{account}) name accounts by it.
 * The credential columns keep their names: SecretBox binds each sealed value to its column name,
 * so the copied values still open.
 *
 * `contacts.last_user_message_at`: Messenger's HUMAN_AGENT tag counts 7 days from the person's
 * last *message*, while a reaction or a postback also reopens the 24 h window
 * (`last_inbound_at`); the two differ on Messenger only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('channel_accounts').renameTo('channel_accounts_0016').execute();
  await db.schema
    .createTable('channel_accounts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('external_id', 'text', (c) => c.notNull())
    .addColumn('waba_id', 'text')
    .addColumn('access_token', 'text', (c) => c.notNull())
    .addColumn('app_secret', 'text', (c) => c.notNull())
    .addColumn('verify_token', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('graph_version', 'text', (c) => c.notNull())
    .addColumn('throughput_mps', 'integer', (c) => c.notNull())
    .addColumn('messaging_limit', 'integer')
    .addColumn('source', 'text', (c) => c.notNull().defaultTo('env'))
    .addColumn('disabled_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('channel_accounts_external_unique', ['channel', 'external_id'])
    .addUniqueConstraint('channel_accounts_name_unique', ['name'])
    .execute();
  await sql`
    INSERT INTO channel_accounts (id, channel, name, external_id, waba_id, access_token, app_secret,
      verify_token, base_url, graph_version, throughput_mps, messaging_limit, source, disabled_at,
      created_at, updated_at)
    SELECT id, channel, name, phone_number_id, waba_id, access_token, app_secret, verify_token,
      base_url, graph_version, throughput_mps, NULL, 'env', NULL, created_at, created_at
    FROM channel_accounts_0016`.execute(db);
  await db.schema.dropTable('channel_accounts_0016').execute();

  await db.schema.alterTable('contacts').addColumn('last_user_message_at', 'bigint').execute();
  await sql`UPDATE contacts SET last_user_message_at = last_inbound_at`.execute(db);
}
