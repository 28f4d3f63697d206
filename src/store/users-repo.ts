/**
 * Users of the web app (migration 0019). Rows hold a scrypt hash of the password, never the
 * password; listings leave the hash out. Usernames arrive folded to lower case
 * (domain/access/usernames.ts), so the unique index is a case-insensitive one.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import { withRowLock } from './row-locks';
import type { Database, UsersTable } from './schema';

export type UserRow = Selectable<UsersTable>;
/** What may be shown about a user: everything but the password hash. */
export type UserListing = Omit<UserRow, 'password_hash'>;

const LISTED = [
  'id',
  'username',
  'display_name',
  'role',
  'created_at',
  'updated_at',
  'disabled_at',
  'last_sign_in_at',
] as const;

export interface NewUser {
  id: string;
  username: string;
  displayName: string | null;
  role: string;
  passwordHash: string;
}

/** Inserts a user; 'taken' when the username is already someone's (nothing is written then). */
export async function insertUser(
  db: Kysely<Database>,
  u: NewUser,
  now: number,
): Promise<{ outcome: 'created'; user: UserListing } | { outcome: 'taken' }> {
  const row = {
    id: u.id,
    username: u.username,
    display_name: u.displayName,
    role: u.role,
    password_hash: u.passwordHash,
    created_at: now,
    updated_at: now,
    disabled_at: null,
    last_sign_in_at: null,
  };
  const inserted = await db
    .insertInto('users')
    .values(row)
    .onConflict((oc) => oc.column('username').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return { outcome: 'taken' };
  const { password_hash: _hash, ...user } = row;
  return { outcome: 'created', user };
}

/** The user who signs in with this (folded) username, hash included. */
export async function findUserByUsername(
  db: Kysely<Database>,
  username: string,
): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

export async function findUserById(db: Kysely<Database>, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listUsers(db: Kysely<Database>): Promise<UserListing[]> {
  return db.selectFrom('users').select(LISTED).orderBy('username').execute();
}

export interface UserChanges {
  displayName?: string | null;
  role?: string;
  passwordHash?: string;
  /** true: disable now (a disabled user stays disabled since then); false: enable. */
  disabled?: boolean;
}

export type UpdateUserResult =
  | { outcome: 'updated'; user: UserListing; before: UserListing }
  | { outcome: 'not_found' }
  | { outcome: 'last_admin'; user: UserListing };

/**
 * Changes a user in one transaction, refusing a change that would leave no enabled admin user
 * (demoting or disabling the last one). On PostgreSQL the enabled admins are locked first, so
 * two admins demoting each other at once cannot both succeed; SQLite has one writer at a time.
 */
export async function updateUser(
  db: Kysely<Database>,
  id: string,
  changes: UserChanges,
  now: number,
): Promise<UpdateUserResult> {
  return db.transaction().execute(async (trx): Promise<UpdateUserResult> => {
    const admins = await withRowLock(
      db,
      trx.selectFrom('users').select('id').where('role', '=', 'admin').where('disabled_at', 'is', null),
      { forUpdate: true },
    ).execute();
    const before = await trx.selectFrom('users').select(LISTED).where('id', '=', id).executeTakeFirst();
    if (!before) return { outcome: 'not_found' };
    const after: UserListing = {
      ...before,
      ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.disabled === true && before.disabled_at === null ? { disabled_at: now } : {}),
      ...(changes.disabled === false ? { disabled_at: null } : {}),
      updated_at: now,
    };
    const wasAdmin = before.role === 'admin' && before.disabled_at === null;
    const staysAdmin = after.role === 'admin' && after.disabled_at === null;
    if (wasAdmin && !staysAdmin && admins.every((a) => a.id === id))
      return { outcome: 'last_admin', user: before };
    await setUser(trx, id, after, changes.passwordHash);
    return { outcome: 'updated', user: after, before };
  });
}

async function setUser(trx: Transaction<Database>, id: string, u: UserListing, passwordHash?: string) {
  await trx
    .updateTable('users')
    .set({
      display_name: u.display_name,
      role: u.role,
      disabled_at: u.disabled_at,
      updated_at: u.updated_at,
      ...(passwordHash !== undefined ? { password_hash: passwordHash } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** Records a successful sign-in (and a rehash with today's parameters, when one was made). */
export async function recordSignIn(
  db: Kysely<Database>,
  id: string,
  now: number,
  rehashed?: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ last_sign_in_at: now, ...(rehashed ? { password_hash: rehashed } : {}) })
    .where('id', '=', id)
    .execute();
}
