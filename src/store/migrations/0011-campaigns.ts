import { type Kysely, sql } from 'kysely';

/**
 * Campaigns and their recipients (domain/campaigns/lifecycle.ts has both lifecycles).
 *
 * - `campaigns.definition` is the definition as the API took it (JSON), checked by
 *   domain/campaigns/definition.ts before it is stored and parsed again when read: one source of
 *   truth, shown back exactly as written.
 * - `campaign_recipients` is the audience materialised once at launch, one row per contact,
 *   keyed (campaign_id, contact_id) so a second launch or a crash during materialisation inserts
 *   nothing twice. Contacts are materialised in id order, so the key is appended to.
 *   (campaign_id, state, send_at, contact_id) is how the runner finds the recipients that are due, in order;
 *   message_id is how a message's status finds its recipient.
 * - `messages.campaign_id` marks a campaign's messages in the one outbox. Its partial index
 *   (campaign_id, status) costs 1:1 messages nothing and answers the campaign's questions
 *   without a scan: how many are still queued (the runner keeps that bounded, so 1:1 messages
 *   never wait behind a whole campaign), hold them on pause, withdraw them on cancel or expiry,
 *   and count the funnel by status.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('state_reason', 'text')
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('template_name', 'text', (c) => c.notNull())
    .addColumn('recipients', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('materialised_at', 'bigint')
    .addColumn('holder', 'text')
    .addColumn('heartbeat_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('launched_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();
  // Listing is per account, newest first; ids grow with time.
  await db.schema.createIndex('campaigns_account_id').on('campaigns').columns(['account_id', 'id']).execute();
  await db.schema.createIndex('campaigns_state').on('campaigns').columns(['state']).execute();

  await db.schema
    .createTable('campaign_recipients')
    .addColumn('campaign_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('variant', 'text')
    .addColumn('send_at', 'bigint')
    .addColumn('message_id', 'text')
    .addColumn('replied_at', 'bigint')
    .addColumn('reply_payload', 'text')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('campaign_recipients_pk', ['campaign_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('campaign_recipients_due')
    .on('campaign_recipients')
    // contact_id last: the runner reads due recipients in (send_at, contact_id) order, and at a
    // launch they all share one send_at; without it every batch sorts every pending recipient.
    .columns(['campaign_id', 'state', 'send_at', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('campaign_recipients_message')
    .on('campaign_recipients')
    .column('message_id')
    .where(sql.ref('message_id'), 'is not', null)
    .execute();

  await db.schema.alterTable('messages').addColumn('campaign_id', 'text').execute();
  await db.schema
    .createIndex('messages_campaign')
    .on('messages')
    .columns(['campaign_id', 'status'])
    .where(sql.ref('campaign_id'), 'is not', null)
    .execute();
}
