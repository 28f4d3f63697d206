import type { Kysely } from 'kysely';

/**
 * The template's category as it was when the message was queued. The dispatcher reads it to
 * hold back a marketing template whose contact opted out of marketing after it was queued (a
 * STOP in the middle of a paced campaign); without it, telling marketing from utility would
 * take a lookup of the template for every claim.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('template_category', 'text').execute();
}
