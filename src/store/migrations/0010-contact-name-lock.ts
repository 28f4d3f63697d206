import type { Kysely } from 'kysely';

/**
 * Whose name a contact carries. WhatsApp sends the person's profile name with every message, and
 * it used to overwrite whatever was there; a name the business set (through the API or an import:
 * "Emilia Gómez" from the CRM) must stay when "Emi 🌸" writes next. 1 = set by the business.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('contacts')
    .addColumn('name_locked', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
