/**
 * API keys. A key is 32 random bytes shown once; only its SHA-256 is stored. A fast hash is
 * enough here (unlike passwords) because the key itself has 256 bits of entropy, and it lets
 * every request be checked with one map lookup. Reading the key from a request and checking
 * the route's role is the API's part (api/auth.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { RecontactError } from '../../domain/errors';
import { isoTimeOrNull } from '../../domain/iso-time';
import {
  type ApiKeyListing,
  countActiveKeys,
  findKeyByHash,
  insertKey,
  listKeys,
  readKeyRevision,
  revokeKey,
  rotateKey,
  touchKey,
} from '../../store/api-keys-repo';
import type { EngineContext } from '../context';

export const ROLES = ['viewer', 'sender', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function newApiKey(): string {
  return `rk_${randomBytes(32).toString('base64url')}`;
}

/**
 * The start of a key, to recognise it in a listing: "rk_" and 8 characters (48 of its 256 bits)
 * for generated keys; for a shorter key set by RECONTACT_API_KEY, a quarter of it at most.
 */
export function keyPrefix(key: string): string {
  return key.slice(0, Math.min(11, Math.floor(key.length / 4)));
}

/** What the API shows about a key: never the key (except once, at creation) nor its hash. */
export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  prefix: string | null;
  status: 'active' | 'expired' | 'revoked';
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
}

export function toKeyView(k: ApiKeyListing, now: number): ApiKeyView {
  return {
    id: k.id,
    name: k.name,
    role: k.role as Role,
    prefix: k.key_prefix,
    status:
      k.revoked_at !== null ? 'revoked' : k.expires_at !== null && k.expires_at <= now ? 'expired' : 'active',
    created_at: new Date(k.created_at).toISOString(),
    last_used_at: isoTimeOrNull(k.last_used_at),
    expires_at: isoTimeOrNull(k.expires_at),
    revoked_at: isoTimeOrNull(k.revoked_at),
  };
}

/** How old a cached answer may be: a key revoked in any process stops working within this. */
const FRESH_MS = 1_000;
/** last_used_at is written at most this often per key and process. */
const TOUCH_MS = 60_000;

interface CachedKey {
  principal: Principal;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface ApiKeysOptions {
  /** A monotonic clock in milliseconds for cache freshness (real time even when ctx.clock is not). */
  monotonic?: () => number;
}

export class ApiKeys {
  /**
   * Keys are checked on every request, so answers are cached, null for unknown keys. Once a
   * second at most, one query reads the keys' revision; when any process changed a key it has
   * moved, and the cache is dropped. Expiry needs no query: the cached row says when.
   */
  private readonly cache = new Map<string, CachedKey | null>();
  /** Bumped whenever the cache is dropped, so a lookup that raced with it is not cached. */
  private generation = 0;
  private revision: number | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;
  private readonly touched = new Map<string, number>();
  private readonly monotonic: () => number;

  constructor(
    private readonly ctx: EngineContext,
    opts: ApiKeysOptions = {},
  ) {
    this.monotonic = opts.monotonic ?? (() => performance.now());
  }

  async create(
    name: string,
    role: Role,
    opts: { expiresAt?: number | null; key?: string } = {},
  ): Promise<ApiKeyView & { key: string }> {
    const now = this.ctx.clock();
    const expiresAt = opts.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= now) {
      throw new RecontactError(
        'INPUT_INVALID',
        `expires_at ${new Date(expiresAt).toISOString()} is not in the future`,
        {
          details: [{ path: 'body.expires_at', message: 'must be later than now' }],
          hint: 'Give a time to come, or leave expires_at out for a key that does not expire.',
        },
      );
    }
    const key = opts.key ?? newApiKey();
    const id = this.ctx.id('key');
    const keyHash = hashKey(key);
    await insertKey(
      this.ctx.store.db,
      { id, name, keyHash, keyPrefix: keyPrefix(key), role, expiresAt },
      now,
    );
    this.forget();
    const view = toKeyView(
      {
        id,
        name,
        role,
        key_prefix: keyPrefix(key),
        created_at: now,
        last_used_at: null,
        expires_at: expiresAt,
        revoked_at: null,
      },
      now,
    );
    return { ...view, key };
  }

  async list(): Promise<ApiKeyView[]> {
    const now = this.ctx.clock();
    return (await listKeys(this.ctx.store.db)).map((k) => toKeyView(k, now));
  }

  /** Revokes a key (again: nothing changes); refuses to revoke the last active admin key. */
  async revoke(id: string): Promise<ApiKeyView> {
    const now = this.ctx.clock();
    const r = await revokeKey(this.ctx.store.db, id, now);
    this.forget();
    if (r.outcome === 'not_found') throw keyNotFound(id);
    if (r.outcome === 'last_admin') {
      throw new RecontactError(
        'API_KEY_LAST_ADMIN',
        `"${r.key.name}" (${id}) is the last active admin key; revoking it would leave nobody able to manage keys`,
        {
          hint: `Create another admin key first (POST /v1/api-keys with "role": "admin"), or replace this one with POST /v1/api-keys/${id}/rotate.`,
        },
      );
    }
    return toKeyView(r.key, now);
  }

  /**
   * A new key with the same name and role; the old one is revoked at once. The new key expires
   * at `expiresAt` if given, else after as long as the old one was given, counted from now.
   */
  async rotate(id: string, opts: { expiresAt?: number | null } = {}): Promise<ApiKeyView & { key: string }> {
    const now = this.ctx.clock();
    if (opts.expiresAt != null && opts.expiresAt <= now) {
      throw new RecontactError(
        'INPUT_INVALID',
        `expires_at ${new Date(opts.expiresAt).toISOString()} is not in the future`,
        {
          details: [{ path: 'body.expires_at', message: 'must be later than now' }],
          hint: 'Give a time to come, or leave expires_at out to keep the old key’s lifetime.',
        },
      );
    }
    const key = newApiKey();
    const r = await rotateKey(
      this.ctx.store.db,
      id,
      {
        id: this.ctx.id('key'),
        keyHash: hashKey(key),
        keyPrefix: keyPrefix(key),
        expiresAt: (old) =>
          opts.expiresAt !== undefined
            ? opts.expiresAt
            : old.expires_at === null
              ? null
              : now + (old.expires_at - old.created_at),
      },
      now,
    );
    this.forget();
    if (r.outcome === 'not_found') throw keyNotFound(id);
    if (r.outcome === 'revoked') {
      throw new RecontactError(
        'API_KEY_REVOKED',
        `API key "${r.old.name}" (${id}) was revoked at ${new Date(r.old.revoked_at!).toISOString()}; a revoked key cannot be rotated`,
        { hint: 'Create a new key instead: POST /v1/api-keys.' },
      );
    }
    return { ...toKeyView(r.created, now), key };
  }

  /** Makes sure an admin key exists; returns a freshly created key only when one was made. */
  async bootstrap(configured: string | undefined): Promise<string | undefined> {
    if (configured) {
      await this.create('bootstrap (RECONTACT_API_KEY)', 'admin', { key: configured });
      return undefined;
    }
    if ((await countActiveKeys(this.ctx.store.db, this.ctx.clock())) > 0) return undefined;
    return (await this.create('first admin key', 'admin')).key;
  }

  /** The principal of a key given with a request; AUTH_INVALID for an unknown, revoked or expired key. */
  async authenticate(key: string): Promise<Principal> {
    await this.fresh();
    const h = hashKey(key);
    let hit = this.cache.get(h);
    if (hit === undefined) {
      const generation = this.generation;
      const row = await findKeyByHash(this.ctx.store.db, h);
      hit = row
        ? {
            principal: { keyId: row.id, name: row.name, role: row.role as Role },
            expiresAt: row.expires_at,
            revokedAt: row.revoked_at,
          }
        : null;
      // Bounded: random wrong keys must not grow memory without limit.
      if (this.cache.size >= 10_000) this.forget();
      if (generation === this.generation) this.cache.set(h, hit);
    }
    if (!hit) {
      throw new RecontactError('AUTH_INVALID', 'The API key is not valid', {
        hint: 'Check for a truncated key; keys are shown once when created.',
      });
    }
    const now = this.ctx.clock();
    if (hit.revokedAt !== null) {
      throw new RecontactError(
        'AUTH_INVALID',
        `The API key "${hit.principal.name}" was revoked at ${new Date(hit.revokedAt).toISOString()}`,
        { hint: 'Use its replacement, or ask an admin for a new key (recontact keys create).' },
      );
    }
    if (hit.expiresAt !== null && now >= hit.expiresAt) {
      throw new RecontactError(
        'AUTH_INVALID',
        `The API key "${hit.principal.name}" expired at ${new Date(hit.expiresAt).toISOString()}`,
        { hint: 'Ask an admin to rotate it (recontact keys rotate <id>) or to create a new one.' },
      );
    }
    this.touch(hit.principal.keyId, now);
    return hit.principal;
  }

  /** Drops cached answers when any process changed a key since the last look (once a second at most). */
  private async fresh(): Promise<void> {
    if (this.monotonic() - this.checkedAt < FRESH_MS) return;
    // Concurrent requests share one read.
    this.checking ??= (async () => {
      const startedAt = this.monotonic();
      try {
        const revision = await readKeyRevision(this.ctx.store.db);
        if (revision !== this.revision) {
          this.forget();
          this.revision = revision;
        }
        this.checkedAt = startedAt;
      } finally {
        this.checking = undefined;
      }
    })();
    await this.checking;
  }

  private forget(): void {
    this.cache.clear();
    this.generation++;
  }

  /** Written in the background: a request never waits for it, and a failure only costs accuracy. */
  private touch(keyId: string, now: number): void {
    const t = this.monotonic();
    const last = this.touched.get(keyId);
    if (last !== undefined && t - last < TOUCH_MS) return;
    if (this.touched.size >= 10_000) this.touched.clear();
    this.touched.set(keyId, t);
    touchKey(this.ctx.store.db, keyId, now).catch((err: unknown) =>
      this.ctx.log.warn({ err, key: keyId }, 'could not record when an API key was last used'),
    );
  }
}

function keyNotFound(id: string): RecontactError {
  return new RecontactError('API_KEY_NOT_FOUND', `No API key "${id}"`, {
    details: [{ path: 'id', message: 'not the id of any key, revoked or not' }],
    hint: 'List the keys and their ids with GET /v1/api-keys (or `recontact keys list`).',
  });
}
