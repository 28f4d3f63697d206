import { type Kysely, sql } from 'kysely';

/**
 * Events a bot can trust (issue 10): order, sequence numbers, replay.
 * - `events.position`: one global order, given by the sequencer (engine/events/sequencer.ts)
 *   after the causing transaction committed, so reading `position > last` never skips an event;
 *   `ordering_key` ("contact:ctc_…", "campaign:cmp_…", …) and `sequence`, consecutive per key.
 * - `event_sequencer`: the one row the sequencer locks (PostgreSQL) and the last position given.
 * - `event_key_sequences`: the last sequence number of each ordering key (kept after pruning, so
 *   numbers never restart).
 * - deliveries carry the event's key and position: the deliverer claims only the head of each
 *   key per endpoint; `replay` marks the ones made by POST /v1/webhook-endpoints/{id}/replay.
 * Events written before this migration get positions in (created_at, id) order and no key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('events').addColumn('position', 'bigint').execute();
  await db.schema.alterTable('events').addColumn('ordering_key', 'text').execute();
  await db.schema.alterTable('events').addColumn('sequence', 'bigint').execute();
  await sql`UPDATE events SET position = r.rn FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY created_at, id) AS rn FROM events) AS r WHERE events.id = r.id`.execute(
    db,
  );
  await db.schema.createIndex('events_position').on('events').column('position').unique().execute();
  await db.schema
    .createIndex('events_unsequenced')
    .on('events')
    .columns(['created_at', 'id'])
    .where(sql.ref('position'), 'is', null)
    .execute();
  // A contact's events (GET /v1/events?contact=): on columns written with the event, so the
  // sequencer's update does not move an entry of this index too.
  await db.schema.createIndex('events_key').on('events').columns(['ordering_key', 'created_at']).execute();
  await db.schema.createIndex('events_created').on('events').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('event_sequencer')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('last_position', 'bigint', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO event_sequencer (id, last_position) SELECT 1, COALESCE(MAX(position), 0) FROM events`.execute(
    db,
  );
  await db.schema
    .createTable('event_key_sequences')
    .addColumn('ordering_key', 'text', (c) => c.primaryKey())
    .addColumn('last_sequence', 'bigint', (c) => c.notNull())
    .execute();

  const deliveries = db.schema.alterTable('event_deliveries');
  await deliveries.addColumn('ordering_key', 'text').execute();
  await deliveries.addColumn('position', 'bigint').execute();
  await deliveries.addColumn('replay', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`UPDATE event_deliveries SET position = (SELECT e.position FROM events e WHERE e.id = event_deliveries.event_id)`.execute(
    db,
  );
  await db.schema.dropIndex('event_deliveries_due_by_endpoint').execute();
  // The claim walks an endpoint's pending deliveries in position order...
  await db.schema
    .createIndex('event_deliveries_pending_by_position')
    .on('event_deliveries')
    .columns(['endpoint_id', 'position'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  // ...and keeps only those with no earlier pending delivery of the same key.
  await db.schema
    .createIndex('event_deliveries_pending_by_key')
    .on('event_deliveries')
    .columns(['endpoint_id', 'ordering_key', 'position'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();
  // The delivery log of an endpoint, newest first; the pruner finds an event's deliveries.
  await db.schema
    .createIndex('event_deliveries_log')
    .on('event_deliveries')
    .columns(['endpoint_id', 'id'])
    .execute();
  await db.schema.createIndex('event_deliveries_event').on('event_deliveries').column('event_id').execute();
  await db.schema
    .createIndex('event_delivery_attempts_event')
    .on('event_delivery_attempts')
    .column('event_id')
    .execute();
}
