/**
 * Maintenance of a deployment's database, next to the composition root: what `recontact
 * migrate`, `recontact secrets rotate` and `recontact users` do. Both work on the database directly, with no
 * server running; the CLI only reports what they did.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { Config } from './config';
import { createIdGenerator } from './domain/ids';
import { Users } from './engine/access/users';
import type { EngineContext } from './engine/context';
import { resealAccountSecrets } from './store/accounts-repo';
import { openStore, type Store } from './store/database';
import { migrateToLatest } from './store/migrate';
import { openSecretBox } from './store/secret-key-file';

export type { Store };

/** Applies the migrations not applied yet; names them (none: the database was up to date). */
export async function migrateDatabase(config: Config): Promise<{ applied: string[]; location: string }> {
  const store = await openStore({ url: config.databaseUrl });
  try {
    const applied = await migrateToLatest(store.db, store.schema);
    return { applied, location: store.location };
  } finally {
    await store.close();
  }
}

export interface ReencryptOptions {
  /** An already-open store (tests); otherwise opened from config.databaseUrl and closed after. */
  store?: Store;
  /** Where the secret box's warnings go (e.g. a key generated and stored in a file). */
  warn: (message: string) => void;
}

/**
 * Re-encrypts every stored credential with the current RECONTACT_SECRET_KEY (reading them with
 * it or with RECONTACT_SECRET_KEY_PREVIOUS), after migrating the database to the latest schema.
 */
export async function reencryptSecrets(
  config: Config,
  o: ReencryptOptions,
): Promise<{ rewritten: number; keyId: string; location: string }> {
  const store = o.store ?? (await openStore({ url: config.databaseUrl }));
  try {
    await migrateToLatest(store.db, store.schema);
    const box = openSecretBox(config.secrets, store, { warn: (_fields, message) => o.warn(message) });
    const rewritten = await resealAccountSecrets(store.db, box, 'all');
    return { rewritten, keyId: box.currentKeyId, location: store.location };
  } finally {
    if (!o.store) await store.close();
  }
}

/**
 * The users of a deployment's database with no server running, for `recontact users` (the
 * first admin exists before anyone can sign in). The database is migrated first, as `recontact
 * migrate` would.
 */
export async function openUsers(
  databaseUrl: string,
  clock: () => number = Date.now,
): Promise<{ users: Users; location: string; close(): Promise<void> }> {
  const store = await openStore({ url: databaseUrl });
  try {
    await migrateToLatest(store.db, store.schema);
  } catch (err) {
    await store.close();
    throw err;
  }
  const gen = createIdGenerator((n) => randomBytes(n));
  const ctx: EngineContext = {
    store,
    clock,
    id: (prefix) => gen(prefix, clock()),
    log: pino({ level: 'silent' }),
  };
  return { users: new Users(ctx), location: store.location, close: () => store.close() };
}
