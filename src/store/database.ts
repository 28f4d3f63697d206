/**
 * Opens the store: SQLite (better-sqlite3, WAL) by default, PostgreSQL when a postgres:// URL is
 * given. Everything above this file sees only Kysely<Database> and the `dialect` flag.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL: the schema tables live in (Kysely's migration tables too). */
  schema?: string;
  /** Where it lives, without credentials, for logs. */
  location: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** postgres://… selects PostgreSQL; anything else is a SQLite file path (":memory:" allowed). */
  url: string;
  /** PostgreSQL: schema to use (created if missing); tests give each file its own. */
  pgSchema?: string;
  pgPoolSize?: number;
  /** SQLite: NORMAL survives a killed process (the WAL is in the OS cache); FULL also survives power loss. */
  sqliteSynchronous?: 'NORMAL' | 'FULL';
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function openStore(opts: StoreOptions): Promise<Store> {
  return isPostgresUrl(opts.url) ? openPostgres(opts) : openSqlite(opts);
}

function openSqlite(opts: StoreOptions): Store {
  if (opts.url !== ':memory:') mkdirSync(dirname(opts.url), { recursive: true });
  const sqlite = new SQLite(opts.url);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'NORMAL'}`);
  sqlite.pragma('busy_timeout = 5000');
  // Fewer, bigger checkpoints make index-heavy writes cheaper (performance-anchors.md, 2c), but a
  // checkpoint runs inside some commit and stalls the event loop: at 10,000 pages the webhook
  // acknowledgement p99 at 5,000 events/s was 24 ms, at 2,000 pages 8 ms (npm run bench).
  sqlite.pragma('wal_autocheckpoint = 2000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    dialect: 'sqlite',
    location: opts.url,
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small statement
 * (≈ 30 µs vs a few µs here). Statements are reused by SQL text. Kysely runs one query at a
 * time on a SQLite connection, so a cached statement is never in use twice at once.
 */
function withStatementCache(sqlite: SQLite.Database) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    prepare(sql: string) {
      let stmt = cache.get(sql);
      if (!stmt) {
        stmt = sqlite.prepare(sql);
        // IN-lists of every length make distinct texts; a bounded cache keeps memory flat.
        if (cache.size >= 500) cache.clear();
        cache.set(sql, stmt);
      }
      return stmt;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}

// int8 (bigint) columns hold millisecond timestamps, far below 2^53: return them as numbers.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

async function openPostgres(opts: StoreOptions): Promise<Store> {
  const schema = opts.pgSchema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  }
  if (schema) {
    const admin = new pg.Client({ connectionString: opts.url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.pgPoolSize ?? 10,
    types: pgTypes,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  // Named explicitly: Kysely otherwise finds its migration tables in any schema of the
  // database (another app's, say) and then fails to see them through the search path.
  const current = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const u = new URL(opts.url);
  return {
    db,
    dialect: 'postgres',
    schema: current.rows[0]?.schema ?? 'public',
    location: `${u.protocol}//${u.host}${u.pathname}${schema ? `#${schema}` : ''}`,
    close: () => db.destroy(),
  };
}
