import type { Kysely } from 'kysely';
import type { Database } from './schema';

export async function findKeyByHash(db: Kysely<Database>, keyHash: string) {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function insertKey(
  db: Kysely<Database>,
  k: { id: string; name: string; keyHash: string; role: string },
  now: number,
) {
  await db
    .insertInto('api_keys')
    .values({
      id: k.id,
      name: k.name,
      key_hash: k.keyHash,
      role: k.role,
      created_at: now,
      last_used_at: null,
      revoked_at: null,
    })
    .onConflict((oc) => oc.column('key_hash').doNothing())
    .execute();
}

export async function countActiveKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
