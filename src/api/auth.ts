/**
 * API keys. A key is 32 random bytes shown once; only its SHA-256 is stored. A fast hash is
 * enough here (unlike passwords) because the key itself has 256 bits of entropy, and it lets
 * every request be checked with one map lookup.
 */
import { createHash, randomBytes } from 'node:crypto';
import { RecontactError } from '../domain/errors';
import type { EngineContext } from '../engine/context';
import { countActiveKeys, findKeyByHash, insertKey } from '../store/api-keys-repo';

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

const KEY_CACHE_MS = 30_000;

export class ApiKeys {
  /**
   * Keys are checked on every request, so lookups are cached — briefly, so that a key created
   * or revoked through another process takes effect within KEY_CACHE_MS.
   */
  private readonly cache = new Map<string, { principal: Principal | null; at: number }>();

  constructor(private readonly ctx: EngineContext) {}

  async create(name: string, role: Role, key = newApiKey()): Promise<{ key: string; id: string }> {
    const id = this.ctx.id('key');
    await insertKey(this.ctx.store.db, { id, name, keyHash: hashKey(key), role }, this.ctx.clock());
    this.cache.delete(hashKey(key));
    return { key, id };
  }

  /** Makes sure an admin key exists; returns a freshly created key only when one was made. */
  async bootstrap(configured: string | undefined): Promise<string | undefined> {
    if (configured) {
      await this.create('bootstrap (RECONTACT_API_KEY)', 'admin', configured);
      return undefined;
    }
    if ((await countActiveKeys(this.ctx.store.db)) > 0) return undefined;
    return (await this.create('first admin key', 'admin')).key;
  }

  async authenticate(header: string | undefined, alt: string | undefined): Promise<Principal> {
    const key = parseKey(header) ?? alt;
    if (!key) {
      throw new RecontactError('AUTH_MISSING', 'This endpoint needs an API key', {
        hint: 'Send "Authorization: Bearer <key>" (or "X-API-Key: <key>").',
      });
    }
    const h = hashKey(key);
    const now = this.ctx.clock();
    const hit = this.cache.get(h);
    let p = hit && now - hit.at < KEY_CACHE_MS ? hit.principal : undefined;
    if (p === undefined) {
      const row = await findKeyByHash(this.ctx.store.db, h);
      p = row && row.revoked_at === null ? { keyId: row.id, name: row.name, role: row.role as Role } : null;
      // Bounded: random wrong keys must not grow memory without limit.
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(h, { principal: p, at: now });
    }
    if (!p) {
      throw new RecontactError('AUTH_INVALID', 'The API key is not valid', {
        hint: 'Check for a truncated key; keys are shown once when created.',
      });
    }
    return p;
  }
}

function parseKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export function requireRole(p: Principal, role: Role): void {
  if (ROLES.indexOf(p.role) < ROLES.indexOf(role)) {
    throw new RecontactError(
      'AUTH_FORBIDDEN',
      `This needs the "${role}" role; the key "${p.name}" is "${p.role}"`,
      {
        hint: 'Use a key with a higher role.',
      },
    );
  }
}
