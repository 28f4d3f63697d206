/**
 * People who sign in to the web app: create, list, change role or name, set a password,
 * disable. A user is never deleted (what they did stays attributed); disabling one, or setting
 * their password, ends their open sessions. The last enabled admin user cannot be demoted or
 * disabled, so the web app can always be managed by someone.
 */

import { checkPasswordRules } from '../../domain/access/password-rules';
import { checkDisplayName, normalizeUsername } from '../../domain/access/usernames';
import { RecontactError } from '../../domain/errors';
import { isoTimeOrNull } from '../../domain/iso-time';
import { revokeUserSessions } from '../../store/sessions-repo';
import {
  findUserById,
  findUserByUsername,
  insertUser,
  listUsers,
  recordSignIn,
  type UserListing,
  type UserRow,
  updateUser,
} from '../../store/users-repo';
import type { EngineContext } from '../context';
import type { Role } from './api-keys';
import { hashPassword, needsRehash, verifyNobody, verifyPassword } from './passwords';

/** What the API shows about a user: never the password nor its hash. */
export interface UserView {
  id: string;
  username: string;
  name: string | null;
  role: Role;
  status: 'active' | 'disabled';
  created_at: string;
  updated_at: string;
  disabled_at: string | null;
  last_sign_in_at: string | null;
}

export function toUserView(u: UserListing): UserView {
  return {
    id: u.id,
    username: u.username,
    name: u.display_name,
    role: u.role as Role,
    status: u.disabled_at === null ? 'active' : 'disabled',
    created_at: new Date(u.created_at).toISOString(),
    updated_at: new Date(u.updated_at).toISOString(),
    disabled_at: isoTimeOrNull(u.disabled_at),
    last_sign_in_at: isoTimeOrNull(u.last_sign_in_at),
  };
}

export interface NewUserInput {
  username: string;
  name?: string | undefined;
  role: Role;
  password: string;
}

export interface UserChangeInput {
  name?: string | null | undefined;
  role?: Role | undefined;
  password?: string | undefined;
  disabled?: boolean | undefined;
}

/** One answer for an unknown username and a wrong password, so neither can be told apart. */
export function wrongCredentials(): RecontactError {
  return new RecontactError('AUTH_INVALID', 'Wrong username or password', {
    hint: 'Check both (usernames ignore case, passwords do not). An admin can set a new password on the Users page or with `recontact users password <username>`.',
  });
}

export class Users {
  constructor(private readonly ctx: EngineContext) {}

  async create(input: NewUserInput): Promise<UserView> {
    const username = normalizeUsername(input.username);
    const displayName = input.name === undefined ? null : checkDisplayName(input.name);
    checkPasswordRules(input.password);
    const r = await insertUser(
      this.ctx.store.db,
      {
        id: this.ctx.id('usr'),
        username,
        displayName,
        role: input.role,
        passwordHash: await hashPassword(input.password),
      },
      this.ctx.clock(),
    );
    if (r.outcome === 'taken') {
      throw new RecontactError('USERNAME_TAKEN', `The username "${username}" is taken`, {
        details: [{ path: 'body.username', message: 'another user has it (usernames ignore case)' }],
        hint: 'Pick another username, or change the existing user (PATCH /v1/users/{id}).',
      });
    }
    return toUserView(r.user);
  }

  async list(): Promise<UserView[]> {
    return (await listUsers(this.ctx.store.db)).map(toUserView);
  }

  /** A user by id (usr_…) or by username (any case). */
  async find(idOrUsername: string): Promise<UserView> {
    return toUserView(stripHash(await this.row(idOrUsername)));
  }

  /**
   * Changes a user. A new password ends all their sessions; disabling ends them too (and they
   * are refused at their next request anyway). USER_LAST_ADMIN when this would leave no
   * enabled admin user.
   */
  async update(idOrUsername: string, change: UserChangeInput): Promise<UserView> {
    const user = await this.row(idOrUsername);
    const displayName =
      change.name === undefined ? undefined : change.name === null ? null : checkDisplayName(change.name);
    if (change.password !== undefined) checkPasswordRules(change.password);
    const now = this.ctx.clock();
    const r = await updateUser(
      this.ctx.store.db,
      user.id,
      {
        ...(displayName !== undefined ? { displayName } : {}),
        ...(change.role !== undefined ? { role: change.role } : {}),
        ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
        ...(change.password !== undefined ? { passwordHash: await hashPassword(change.password) } : {}),
      },
      now,
    );
    if (r.outcome === 'not_found') throw userNotFound(idOrUsername);
    if (r.outcome === 'last_admin') {
      throw new RecontactError(
        'USER_LAST_ADMIN',
        `"${user.username}" is the last enabled admin user; ${change.disabled ? 'disabling' : 'demoting'} them would leave nobody to manage users in the web app`,
        {
          hint: 'Make another user an admin first (PATCH /v1/users/{id} with "role": "admin", or `recontact users create --role admin`).',
        },
      );
    }
    if (change.password !== undefined || (change.disabled === true && r.before.disabled_at === null)) {
      await revokeUserSessions(this.ctx.store.db, user.id, now);
    }
    return toUserView(r.user);
  }

  /**
   * A signed-in user's own new password, given the current one; their other sessions end, the
   * one they are using stays. A wrong current password is INPUT_INVALID (not 401: they are
   * signed in), naming the field.
   */
  async changeOwnPassword(userId: string, current: string, next: string, keepSession: string): Promise<void> {
    const user = await this.row(userId);
    if (!(await verifyPassword(current, user.password_hash))) {
      throw new RecontactError('INPUT_INVALID', 'The current password is not right', {
        details: [{ path: 'body.current', message: 'is not your current password' }],
        hint: 'Type the password you signed in with; if you forgot it, an admin can set a new one.',
      });
    }
    checkPasswordRules(next, 'body.new');
    const now = this.ctx.clock();
    await updateUser(this.ctx.store.db, user.id, { passwordHash: await hashPassword(next) }, now);
    await revokeUserSessions(this.ctx.store.db, user.id, now, keepSession);
  }

  /**
   * The user these credentials are for. An unknown username costs the same hash as a wrong
   * password and gets the same answer; a disabled user is told so only with the right password.
   */
  async verify(username: string, password: string): Promise<UserView> {
    let folded: string | undefined;
    try {
      folded = normalizeUsername(username);
    } catch {
      folded = undefined;
    }
    const user = folded === undefined ? undefined : await findUserByUsername(this.ctx.store.db, folded);
    if (!user) {
      await verifyNobody(password);
      throw wrongCredentials();
    }
    if (!(await verifyPassword(password, user.password_hash))) throw wrongCredentials();
    if (user.disabled_at !== null) {
      throw new RecontactError(
        'AUTH_INVALID',
        `The user "${user.username}" was disabled at ${new Date(user.disabled_at).toISOString()}`,
        { hint: 'Ask an admin to enable the user again (Users page, or PATCH /v1/users/{id}).' },
      );
    }
    const now = this.ctx.clock();
    const rehashed = needsRehash(user.password_hash) ? await hashPassword(password) : undefined;
    await recordSignIn(this.ctx.store.db, user.id, now, rehashed);
    return toUserView({ ...stripHash(user), last_sign_in_at: now });
  }

  private async row(idOrUsername: string): Promise<UserRow> {
    const db = this.ctx.store.db;
    let user = idOrUsername.startsWith('usr_') ? await findUserById(db, idOrUsername) : undefined;
    if (!user) {
      const folded = idOrUsername.trim().toLowerCase();
      user = await findUserByUsername(db, folded);
    }
    if (!user) throw userNotFound(idOrUsername);
    return user;
  }
}

function stripHash(u: UserRow): UserListing {
  const { password_hash: _hash, ...rest } = u;
  return rest;
}

function userNotFound(idOrUsername: string): RecontactError {
  return new RecontactError('USER_NOT_FOUND', `No user "${idOrUsername}"`, {
    details: [{ path: 'id', message: 'neither the id (usr_…) nor the username of any user' }],
    hint: 'List the users with GET /v1/users (or `recontact users list`).',
  });
}
