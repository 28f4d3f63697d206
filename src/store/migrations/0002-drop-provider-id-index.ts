import type { Kysely } from 'kysely';

/**
 * Meta's message ids look random, so an index on them turns every recorded acceptance into a
 * write to a random page (performance-anchors.md part 2c: 218,000 → 33,000 in-order updates a
 * second). Nothing needs it: statuses carry our own id (biz_opaque_callback_data), and a reply's
 * quoted id is looked up among that contact's messages through messages_contact.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('messages_provider_id').ifExists().execute();
}
