import { type Kysely, sql } from 'kysely';

/**
 * Held messages ("send when allowed"): a free-form message kept back while the window is closed,
 * released when the contact writes. `hold_until` bounds the wait; `fallback_message_id` is the
 * template sent in its place when it was held (the answer to an idempotent replay names it);
 * `released_by` is the inbound message that released it (set for every held message of the
 * contact at once, in the webhook's transaction) and `released_at` when it went back to the
 * queue, one at a time in created order. Partial indexes keep the sweeps on the few held rows;
 * SQLite uses one only when the query repeats its condition, so each names its own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('hold_until', 'bigint').execute();
  await db.schema.alterTable('messages').addColumn('fallback_message_id', 'text').execute();
  await db.schema.alterTable('messages').addColumn('released_by', 'text').execute();
  await db.schema.alterTable('messages').addColumn('released_at', 'bigint').execute();
  // What is held for a contact, in created order (the release order).
  await db.schema
    .createIndex('messages_held')
    .on('messages')
    .columns(['contact_id', 'created_at', 'id'])
    .where(sql.ref('status'), '=', 'held')
    .execute();
  // The expiry sweep.
  await db.schema
    .createIndex('messages_hold_until')
    .on('messages')
    .columns(['hold_until'])
    .where(sql.ref('status'), '=', 'held')
    .execute();
  // releasedByInbound, and the release loop's look for messages waiting their turn.
  await db.schema
    .createIndex('messages_released_by')
    .on('messages')
    .columns(['released_by', 'created_at', 'id'])
    .where(sql.ref('released_by'), 'is not', null)
    .execute();
}
