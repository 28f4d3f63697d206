import { type Kysely, sql } from 'kysely';

/**
 * The contact book: profile fields, tags, consent, imports and audiences.
 *
 * - `contacts.wa_id` stays the channel address and the unique key: the phone's digits, or the
 *   business-scoped user id (BSUID) for a user known only by it. `bsuid` keeps the BSUID of a
 *   contact whose phone is known too, so either address finds the same person.
 * - Tags live twice: `contacts.tags` (a sorted JSON array, what a read shows) and `contact_tags`
 *   (one row per tag, what a filter uses: an index seek per tag instead of a scan of 1,000,000
 *   JSON arrays).
 * - `marketing_consent` / `all_consent` are the state derived from `consent_events`, kept beside
 *   the contact so that a send and an audience count read one row, not the ledger.
 * - `last_marketing_at`: when a marketing template was last queued to the contact, for the
 *   frequency cap of audiences (Meta's 131049 per-user marketing limit).
 * - The old `opted_out` column of 0001 was never written; it stays, unused, because migrations
 *   are forward-only.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const contact = (name: string, type: 'text' | 'bigint' | 'integer', fill?: string | number) =>
    db.schema
      .alterTable('contacts')
      .addColumn(name, type, (c) => (fill === undefined ? c : c.notNull().defaultTo(fill)))
      .execute();
  await contact('bsuid', 'text');
  await contact('language', 'text');
  await contact('time_zone', 'text');
  await contact('time_zone_inferred', 'integer', 0);
  await contact('tags', 'text', '[]');
  await contact('marketing_consent', 'text', 'unknown');
  await contact('all_consent', 'text', 'unknown');
  await contact('consent_updated_at', 'bigint');
  await contact('last_marketing_at', 'bigint');
  await contact('erased_at', 'bigint');

  await db.schema
    .createIndex('contacts_account_bsuid')
    .unique()
    .on('contacts')
    .columns(['account_id', 'bsuid'])
    .where(sql.ref('bsuid'), 'is not', null)
    .execute();
  // Listing and counting are per account: keyset pagination walks (account_id, id).
  await db.schema.createIndex('contacts_account_id').on('contacts').columns(['account_id', 'id']).execute();
  await db.schema
    .createIndex('contacts_account_inbound')
    .on('contacts')
    .columns(['account_id', 'last_inbound_at'])
    .execute();

  await db.schema
    .createTable('contact_tags')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('contact_tags_pk', ['account_id', 'tag', 'contact_id'])
    .execute();
  await db.schema.createIndex('contact_tags_contact').on('contact_tags').columns(['contact_id']).execute();

  await db.schema
    .createTable('consent_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text')
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('consent_events_contact')
    .on('consent_events')
    .columns(['contact_id', 'at'])
    .execute();

  await db.schema
    .createTable('consent_settings')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('settings', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('source_name', 'text')
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('rows_read', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('bytes_read', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('unchanged', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rejected', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('holder', 'text')
    .addColumn('heartbeat_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('imports_account')
    .on('imports')
    .columns(['account_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('import_rejects')
    .addColumn('import_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('line', 'bigint', (c) => c.notNull())
    .addColumn('column', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('value', 'text')
    .addPrimaryKeyConstraint('import_rejects_pk', ['import_id', 'seq'])
    .execute();

  await db.schema
    .createTable('audiences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('audiences_account_name_unique', ['account_id', 'name'])
    .execute();

  // What a reply to a template means beyond "a reply": e.g. a quick reply that opts out.
  await db.schema.alterTable('templates').addColumn('routing', 'text').execute();
}
