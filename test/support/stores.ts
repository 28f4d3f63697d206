/**
 * Storage tests run on both databases. SQLite gets a fresh file in a temp folder; PostgreSQL
 * (TEST_DATABASE_URL, default the local server on 127.0.0.1:5432) gets a fresh schema per call,
 * so test files can run in parallel without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Dialect, Store } from '../../src/store/database';
import { openStore } from '../../src/store/database';
import { migrateToLatest } from '../../src/store/migrate';

export const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * PostgreSQL needs RECONTACT_SECRET_KEY (SQLite makes its own key file); tests give this one.
 * A fixed value, so that a child process started by a test shares it without being told.
 */
export const TEST_SECRET_KEY = Buffer.alloc(32, 'recontact-test-').toString('base64');

/** Set RECONTACT_TEST_SQLITE_ONLY=1 to skip PostgreSQL locally; CI never sets it. */
export const DIALECTS: Dialect[] = process.env.RECONTACT_TEST_SQLITE_ONLY
  ? ['sqlite']
  : ['sqlite', 'postgres'];

export interface TestStore extends Store {
  /** The URL (and schema) another process can open to see the same data. */
  url: string;
  pgSchema?: string;
  destroy(): Promise<void>;
}

/** `migrate: false` leaves the database empty, for tests of a migration itself. */
export async function openTestStore(dialect: Dialect, opts: { migrate?: boolean } = {}): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'recontact-test-'));
    const url = join(dir, 'recontact.db');
    const store = await openStore({ url });
    if (opts.migrate !== false) await migrateToLatest(store.db, store.schema);
    return {
      ...store,
      url,
      destroy: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pgSchema = `t_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ url: PG_URL, pgSchema, pgPoolSize: 5 });
  if (opts.migrate !== false) await migrateToLatest(store.db, store.schema);
  return {
    ...store,
    url: PG_URL,
    pgSchema,
    destroy: async () => {
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
      await client.end();
    },
  };
}
