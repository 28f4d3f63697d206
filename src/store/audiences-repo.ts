/**
 * Saved audiences: a name (unique per account) and a definition, stored as its JSON form.
 * The unique constraint decides a race between two creations of one name; the caller turns the
 * refused insert into a clear conflict.
 */
import type { Kysely, Selectable } from 'kysely';
import type { AudiencesTable, Database } from './schema';

export type AudienceRow = Selectable<AudiencesTable>;

export interface SavedAudience {
  id: string;
  accountId: string;
  name: string;
  definition: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

function fromRow(r: AudienceRow): SavedAudience {
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    definition: JSON.parse(r.definition) as Record<string, unknown>,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

export async function findAudienceByName(
  db: Kysely<Database>,
  accountId: string,
  name: string,
): Promise<SavedAudience | undefined> {
  const r = await db
    .selectFrom('audiences')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('name', '=', name)
    .executeTakeFirst();
  return r && fromRow(r);
}

export async function getAudience(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<SavedAudience | undefined> {
  const r = await db
    .selectFrom('audiences')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r && fromRow(r);
}

export async function listAudiences(
  db: Kysely<Database>,
  accountId: string,
  limit: number,
): Promise<SavedAudience[]> {
  const rows = await db
    .selectFrom('audiences')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('name')
    .limit(limit)
    .execute();
  return rows.map(fromRow);
}

/** Inserts; undefined when the name is taken on this account (by a concurrent creation too). */
export async function insertAudience(
  db: Kysely<Database>,
  a: { id: string; accountId: string; name: string; definition: Record<string, unknown> },
  now: number,
): Promise<SavedAudience | undefined> {
  const r = await db
    .insertInto('audiences')
    .values({
      id: a.id,
      account_id: a.accountId,
      name: a.name,
      definition: JSON.stringify(a.definition),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['account_id', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return r && fromRow(r);
}

/** Replaces name and definition; 'missing' when no such audience, 'name_taken' when another has the name. */
export async function replaceAudience(
  db: Kysely<Database>,
  a: { id: string; accountId: string; name: string; definition: Record<string, unknown> },
  now: number,
): Promise<SavedAudience | 'missing' | 'name_taken'> {
  const other = await findAudienceByName(db, a.accountId, a.name);
  if (other && other.id !== a.id) return 'name_taken';
  const r = await db
    .updateTable('audiences')
    .set({ name: a.name, definition: JSON.stringify(a.definition), updated_at: now })
    .where('account_id', '=', a.accountId)
    .where('id', '=', a.id)
    .returningAll()
    .executeTakeFirst();
  return r ? fromRow(r) : 'missing';
}

export async function deleteAudience(db: Kysely<Database>, accountId: string, id: string): Promise<boolean> {
  const r = await db
    .deleteFrom('audiences')
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
