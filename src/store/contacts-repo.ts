import type { Kysely, Selectable } from 'kysely';
import type { ContactsTable, Database } from './schema';

export type ContactRow = Selectable<ContactsTable>;

export async function findContact(db: Kysely<Database>, accountId: string, waId: string) {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('wa_id', '=', waId)
    .executeTakeFirst();
}

/** Returns the contact for (account, wa_id), creating it when first seen. */
export async function ensureContact(
  db: Kysely<Database>,
  c: { id: string; accountId: string; waId: string; phoneE164: string | null; name?: string | null },
  now: number,
): Promise<ContactRow> {
  // Most sends go to people we already know: look first, insert only when missing.
  const known = await findContact(db, c.accountId, c.waId);
  if (known) return known;
  await db
    .insertInto('contacts')
    .values({
      id: c.id,
      account_id: c.accountId,
      wa_id: c.waId,
      phone_e164: c.phoneE164,
      name: c.name ?? null,
      last_inbound_at: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['account_id', 'wa_id']).doNothing())
    .execute();
  const row = await findContact(db, c.accountId, c.waId);
  if (!row) throw new Error(`contact ${c.accountId}/${c.waId} vanished after insert`);
  return row;
}

/**
 * Records an inbound message's time. The window only ever moves forward: a late, reordered
 * webhook for an older message must not shorten it.
 */
export async function recordInbound(
  db: Kysely<Database>,
  contactId: string,
  at: number,
  name: string | undefined,
  now: number,
): Promise<void> {
  // One statement: the comparison happens under the row's write lock, so two concurrent
  // batches cannot move the window backwards either.
  await db
    .updateTable('contacts')
    .set((eb) => ({
      last_inbound_at: eb
        .case()
        .when(eb.or([eb('last_inbound_at', 'is', null), eb('last_inbound_at', '<', at)]))
        .then(at)
        .else(eb.ref('last_inbound_at'))
        .end(),
      updated_at: now,
      ...(name ? { name } : {}),
    }))
    .where('id', '=', contactId)
    .execute();
}
