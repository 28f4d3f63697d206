/**
 * Web-app sessions. Signing in (with a username and password, or with an API key) makes a
 * random 256-bit token that only the browser keeps, in an HttpOnly cookie; the database keeps
 * its SHA-256, like an API key's. Each request with the cookie reads the session and its owner
 * in one statement, so a disabled user, a changed role or a revoked key counts from that
 * person's next request. Lifetimes are domain/access/session-policy.ts's.
 *
 * The CSRF token is an HMAC of the session token: the server can always recompute it from the
 * cookie it is sent, it needs no column, and a page of another origin can neither read the
 * cookie nor the answer that carries the token.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  dueForTouch,
  SESSION_POLICY,
  type SessionPolicy,
  sessionEndsAt,
  sessionState,
} from '../../domain/access/session-policy';
import { RecontactError } from '../../domain/errors';
import {
  findSessionByHash,
  insertSession,
  pruneSessions,
  revokeSession,
  type SessionWithOwner,
  touchSession,
} from '../../store/sessions-repo';
import type { EngineContext } from '../context';
import { type ApiKeys, type Principal, ROLES, type Role } from './api-keys';
import type { Users } from './users';

export type SessionKind = 'user' | 'api_key';

/** What GET /v1/session shows: who is signed in, and the token to send with changes. */
export interface SessionView {
  user: { name: string; display_name: string | null; role: Role; kind: SessionKind };
  csrf_token: string;
}

export interface ActiveSession {
  id: string;
  kind: SessionKind;
  /** The same shape an API key gives, so every route's role check works unchanged. */
  principal: Principal;
  view: SessionView;
  /** Seconds until the session's absolute end (the cookie's Max-Age). */
  maxAgeSeconds: number;
}

export interface SignedIn extends ActiveSession {
  /** The cookie's value: shown to the browser once, never stored. */
  token: string;
}

/** Sessions ended this long ago are deleted (at a sign-in, so no timer is needed). */
const PRUNE_AFTER_MS = 30 * 24 * 3_600_000;
const CSRF_CONTEXT = 'recontact csrf v1';

export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function csrfTokenFor(token: string): string {
  return createHmac('sha256', token).update(CSRF_CONTEXT).digest('base64url');
}

/** Constant-time: the comparison's duration says nothing about how much of a guess was right. */
export function csrfMatches(token: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const want = Buffer.from(csrfTokenFor(token));
  const got = Buffer.from(given);
  return got.length === want.length && timingSafeEqual(got, want);
}

export class Sessions {
  constructor(
    private readonly ctx: EngineContext,
    private readonly users: Users,
    private readonly apiKeys: ApiKeys,
    private readonly policy: SessionPolicy = SESSION_POLICY,
  ) {}

  async signInWithPassword(username: string, password: string, userAgent?: string): Promise<SignedIn> {
    const user = await this.users.verify(username, password);
    return this.open({ user_id: user.id, api_key_id: null }, userAgent);
  }

  /** AUTH_INVALID, with the key's own reason (unknown, revoked, expired), as with any request. */
  async signInWithKey(key: string, userAgent?: string): Promise<SignedIn> {
    const principal = await this.apiKeys.authenticate(key);
    return this.open({ user_id: null, api_key_id: principal.keyId }, userAgent);
  }

  /** The session of a cookie's token; AUTH_INVALID saying why when it cannot be used. */
  async resolve(token: string): Promise<ActiveSession> {
    const row = await findSessionByHash(this.ctx.store.db, hashSessionToken(token));
    const now = this.ctx.clock();
    if (!row) throw ended('is not known (signed out, or from another installation)');
    // First: a disabled user or a revoked key is the reason their sessions were ended.
    const owner = ownerOf(row, now);
    const state = sessionState(row, now, this.policy);
    if (state === 'revoked') throw ended(`was ended at ${iso(row.revoked_at!)}`);
    if (state === 'expired')
      throw ended(
        `expired at ${iso(row.expires_at)}: a session lasts at most ${days(this.policy.lifetimeMs)}`,
      );
    if (state === 'idle') {
      throw ended(
        `ended at ${iso(sessionEndsAt(row, this.policy))} after ${hours(this.policy.idleMs)} without use`,
      );
    }
    if (dueForTouch(row, now, this.policy)) await touchSession(this.ctx.store.db, row.id, now);
    return this.active(row, owner, token, now);
  }

  /** Ends the session of this token (an unknown or ended one: nothing to do). */
  async signOut(token: string): Promise<void> {
    const row = await findSessionByHash(this.ctx.store.db, hashSessionToken(token));
    if (row) await revokeSession(this.ctx.store.db, row.id, this.ctx.clock());
  }

  private async open(
    owner: { user_id: string; api_key_id: null } | { user_id: null; api_key_id: string },
    userAgent: string | undefined,
  ): Promise<SignedIn> {
    const now = this.ctx.clock();
    const token = randomBytes(32).toString('base64url');
    const row = {
      id: this.ctx.id('ses'),
      token_hash: hashSessionToken(token),
      ...owner,
      created_at: now,
      last_seen_at: now,
      expires_at: now + this.policy.lifetimeMs,
      revoked_at: null,
      user_agent: userAgent ? userAgent.slice(0, 200) : null,
    };
    await insertSession(this.ctx.store.db, row);
    await pruneSessions(this.ctx.store.db, now - PRUNE_AFTER_MS);
    const stored = await findSessionByHash(this.ctx.store.db, row.token_hash);
    if (!stored) throw new Error(`session ${row.id} vanished right after it was written`);
    return { ...this.active(stored, ownerOf(stored, now), token, now), token };
  }

  private active(row: SessionWithOwner, owner: Owner, token: string, now: number): ActiveSession {
    const kind: SessionKind = row.user_id !== null ? 'user' : 'api_key';
    return {
      id: row.id,
      kind,
      principal: { keyId: (row.user_id ?? row.api_key_id)!, name: owner.name, role: owner.role },
      view: {
        user: { name: owner.name, display_name: row.owner_display_name, role: owner.role, kind },
        csrf_token: csrfTokenFor(token),
      },
      maxAgeSeconds: Math.max(0, Math.floor((row.expires_at - now) / 1000)),
    };
  }
}

interface Owner {
  name: string;
  role: Role;
}

/** The owner as they are now; AUTH_INVALID when the user was disabled or the key revoked, removed or expired. */
function ownerOf(row: SessionWithOwner, now: number): Owner {
  const what = row.user_id !== null ? 'user' : 'API key';
  if (row.owner_name === null || !(ROLES as readonly string[]).includes(row.owner_role ?? '')) {
    throw ended(`belongs to a ${what} that no longer exists`);
  }
  if (row.owner_disabled_at !== null) {
    const how = row.user_id !== null ? 'was disabled' : 'was revoked';
    throw ended(`ended: the ${what} "${row.owner_name}" ${how} at ${iso(row.owner_disabled_at)}`);
  }
  if (row.owner_expires_at !== null && now >= row.owner_expires_at) {
    throw ended(`ended: the API key "${row.owner_name}" expired at ${iso(row.owner_expires_at)}`);
  }
  return { name: row.owner_name, role: row.owner_role as Role };
}

function ended(why: string): RecontactError {
  return new RecontactError('AUTH_INVALID', `Your session ${why}`, {
    hint: 'Sign in again (POST /v1/session).',
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
const hours = (ms: number) => `${Math.round(ms / 3_600_000)} h`;
const days = (ms: number) => `${Math.round(ms / 86_400_000)} days`;
