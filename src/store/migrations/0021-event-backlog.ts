import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * Events wait for their position in a table of their own. An event used to be written into
 * `events` without a position and then written again by the sequencer with one: on PostgreSQL a
 * second version of a ~700-byte row and four new index entries (a position is indexed, so that
 * update is never a HOT one), for each of the three events every message's statuses make. Now
 * the writer's transaction puts the event in `event_backlog`, and the sequencer moves it, in one
 * statement, into `events` with its position: `events` rows are written once and never updated
 * by the sequencer. PostgreSQL's CPU for an event's writes and sequencing, 10,000 events through
 * the repository with the sequencer's reads: 55–68 µs an event before, 42–56 after (a bare SQL
 * loop of the writes alone: 48–55 → 26–34).
 *
 * The key is (created_at, id): the order the sequencer takes them in, and how it names the ones
 * it moves. Events already waiting in `events` without a position (written before this migration,
 * or by an older process during a rolling upgrade) are sequenced where they are, as before:
 * events_unsequenced stays for them.
 *
 * On PostgreSQL, event_key_sequences keeps half of each page free: its one row per ordering key
 * is rewritten for every event of that key, and on full pages none of those updates could stay
 * on its page (a HOT update), so each added an entry to the primary key (4,831 of 30,000 were
 * HOT at 10,000 keys; 29,609 with the free room). New pages take the setting.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('event_backlog')
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('ordering_key', 'text')
    .addPrimaryKeyConstraint('event_backlog_pkey', ['created_at', 'id'])
    .execute();
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`ALTER TABLE event_key_sequences SET (fillfactor = 50)`.execute(db);
  }
}
