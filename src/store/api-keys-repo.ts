/**
 * API keys: rows hold the key's SHA-256, never the key. Every change goes through one
 * transaction that first bumps the single api_key_revision row: that row lock serialises key
 * changes across processes (so two admins revoking each other's key cannot both succeed and
 * leave none), and the new revision tells every process that its cached answers are stale.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ApiKeysTable, Database } from './schema';

export type ApiKeyRow = Selectable<ApiKeysTable>;
/** What may be shown about a key: everything but its hash. */
export type ApiKeyListing = Omit<ApiKeyRow, 'key_hash'>;

export interface NewKey {
  id: string;
  name: string;
  keyHash: string;
  keyPrefix: string;
  role: string;
  expiresAt: number | null;
}

const LISTED = [
  'id',
  'name',
  'role',
  'key_prefix',
  'created_at',
  'last_used_at',
  'expires_at',
  'revoked_at',
] as const;

export async function findKeyByHash(db: Kysely<Database>, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

/** The one cheap read each process makes (at most once a second) to learn whether keys changed. */
export async function readKeyRevision(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('api_key_revision')
    .select('revision')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.revision);
}

async function bumpRevision(trx: Transaction<Database>): Promise<void> {
  await trx
    .updateTable('api_key_revision')
    .set((eb) => ({ revision: eb('revision', '+', 1) }))
    .where('id', '=', 1)
    .execute();
}

function newRow(k: NewKey, now: number) {
  return {
    id: k.id,
    name: k.name,
    key_hash: k.keyHash,
    key_prefix: k.keyPrefix,
    role: k.role,
    created_at: now,
    last_used_at: null,
    expires_at: k.expiresAt,
    revoked_at: null,
  };
}

/** Inserts a key; a key whose hash is already stored (RECONTACT_API_KEY at each start) is left as it is. */
export async function insertKey(db: Kysely<Database>, k: NewKey, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await bumpRevision(trx);
    await trx
      .insertInto('api_keys')
      .values(newRow(k, now))
      .onConflict((oc) => oc.column('key_hash').doNothing())
      .execute();
  });
}

/** Keys neither revoked nor expired at `now`. */
export async function countActiveKeys(db: Kysely<Database>, now: number): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listKeys(db: Kysely<Database>): Promise<ApiKeyListing[]> {
  return db.selectFrom('api_keys').select(LISTED).orderBy('created_at').orderBy('id').execute();
}

export type RevokeResult =
  | { outcome: 'revoked' | 'already_revoked'; key: ApiKeyListing }
  | { outcome: 'not_found' }
  | { outcome: 'last_admin'; key: ApiKeyListing };

/** Revokes a key unless it is the last active admin key (revoking a revoked key changes nothing). */
export async function revokeKey(db: Kysely<Database>, id: string, now: number): Promise<RevokeResult> {
  return db.transaction().execute(async (trx): Promise<RevokeResult> => {
    await bumpRevision(trx);
    const key = await trx.selectFrom('api_keys').select(LISTED).where('id', '=', id).executeTakeFirst();
    if (!key) return { outcome: 'not_found' };
    if (key.revoked_at !== null) return { outcome: 'already_revoked', key };
    if (key.role === 'admin' && (await otherActiveAdmins(trx, id, now)) === 0) {
      return { outcome: 'last_admin', key };
    }
    await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).execute();
    return { outcome: 'revoked', key: { ...key, revoked_at: now } };
  });
}

async function otherActiveAdmins(trx: Transaction<Database>, id: string, now: number): Promise<number> {
  const row = await trx
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'admin')
    .where('id', '<>', id)
    .where('revoked_at', 'is', null)
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export type RotateResult =
  | { outcome: 'rotated'; old: ApiKeyListing; created: ApiKeyListing }
  | { outcome: 'not_found' }
  | { outcome: 'revoked'; old: ApiKeyListing };

/**
 * Replaces a key by a new one with the same name and role, in one transaction: the new key
 * exists before the old one is revoked, so rotating the last admin key never locks anyone out.
 * `expiresAt` receives the old key to decide the new key's expiry.
 */
export async function rotateKey(
  db: Kysely<Database>,
  id: string,
  next: Omit<NewKey, 'name' | 'role' | 'expiresAt'> & { expiresAt: (old: ApiKeyListing) => number | null },
  now: number,
): Promise<RotateResult> {
  return db.transaction().execute(async (trx): Promise<RotateResult> => {
    await bumpRevision(trx);
    const old = await trx.selectFrom('api_keys').select(LISTED).where('id', '=', id).executeTakeFirst();
    if (!old) return { outcome: 'not_found' };
    if (old.revoked_at !== null) return { outcome: 'revoked', old };
    const row = newRow({ ...next, name: old.name, role: old.role, expiresAt: next.expiresAt(old) }, now);
    await trx.insertInto('api_keys').values(row).execute();
    await trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).execute();
    const { key_hash: _hash, ...created } = row;
    return { outcome: 'rotated', old: { ...old, revoked_at: now }, created };
  });
}

/** Records use; callers write at most once a minute per key, so this stays off the hot path. */
export async function touchKey(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
