/**
 * Web-app sessions (migration 0019). A row is found by the SHA-256 of the cookie's value; the
 * value is never stored. Reading a session also reads who it belongs to (the user, or the API
 * key it was opened with) in the same statement, so a disabled user, a changed role or a revoked
 * key takes effect at that person's next request.
 */
import type { Kysely, Selectable } from 'kysely';
import type { Database, SessionsTable } from './schema';

export type SessionRow = Selectable<SessionsTable>;

/** A session with its owner as it is now. */
export interface SessionWithOwner extends SessionRow {
  /** The user's (folded) username, or the API key's name. */
  owner_name: string | null;
  /** The user's display name (null for a key). */
  owner_display_name: string | null;
  owner_role: string | null;
  /** When the user was disabled or the key revoked; null while usable. */
  owner_disabled_at: number | null;
  /** The key's expiry (null for users and keys that do not expire). */
  owner_expires_at: number | null;
}

export async function insertSession(db: Kysely<Database>, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findSessionByHash(
  db: Kysely<Database>,
  tokenHash: string,
): Promise<SessionWithOwner | undefined> {
  return db
    .selectFrom('sessions as s')
    .leftJoin('users as u', 'u.id', 's.user_id')
    .leftJoin('api_keys as k', 'k.id', 's.api_key_id')
    .selectAll('s')
    .select((eb) => [
      eb.fn.coalesce('u.username', 'k.name').as('owner_name'),
      'u.display_name as owner_display_name',
      eb.fn.coalesce('u.role', 'k.role').as('owner_role'),
      eb.fn.coalesce('u.disabled_at', 'k.revoked_at').as('owner_disabled_at'),
      'k.expires_at as owner_expires_at',
    ])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

/** Slides the idle deadline; callers write at most once a minute per session. */
export async function touchSession(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function revokeSession(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Ends every open session of a user (disabled, or their password changed), but `keep`. */
export async function revokeUserSessions(
  db: Kysely<Database>,
  userId: string,
  now: number,
  keep?: string,
): Promise<number> {
  let q = db
    .updateTable('sessions')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now);
  if (keep) q = q.where('id', '<>', keep);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/**
 * Deletes sessions whose absolute end is before `before`: every session has ended by then
 * (revoked or idle ones earlier), so only that indexed column needs to be read.
 */
export async function pruneSessions(db: Kysely<Database>, before: number): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
