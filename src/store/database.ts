/**
 * Opens the store: SQLite (better-sqlite3, WAL) by default, PostgreSQL when a postgres:// URL is
 * given. Everything above this file sees only Kysely<Database> and the `dialect` flag.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { RecontactError } from '../domain/errors';
import { classifyDatabaseError, type DatabaseFault } from './database-faults';
import { namedQuery, registerPgStore } from './pg-direct';
import type { Database } from './schema';
import { startCheckpointer } from './sqlite-checkpointer';
import { registerSqliteConnection } from './sqlite-direct';

export type Dialect = 'sqlite' | 'postgres';
export type { DatabaseFault } from './database-faults';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** PostgreSQL: the schema tables live in (Kysely's migration tables too). */
  schema?: string;
  /** Where it lives, without credentials, for logs. */
  location: string;
  /**
   * Whether `err` means the database cannot be reached or cannot write right now (a restart, a
   * full disk, a lock held elsewhere) rather than a bug: callers answer 503 and try again later.
   */
  fault(err: unknown): DatabaseFault | undefined;
  /** The last fault fault() recognised, with when (wall clock): reads may work while writes fail. */
  lastFault(): (DatabaseFault & { at: number }) | undefined;
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
  /** SQLite: how long a write waits for another connection's lock before SQLITE_BUSY. It blocks
   * the event loop meanwhile (better-sqlite3 is synchronous), so keep it short. */
  sqliteBusyTimeoutMs?: number;
  /** SQLite: the connection's page cache, in MB (SQLITE_CACHE_MB; see DEFAULT_SQLITE_CACHE_MB). */
  sqliteCacheMb?: number;
  /** PostgreSQL: longest a statement may run on the server (statement_timeout). */
  pgStatementTimeoutMs?: number;
  /** PostgreSQL: longest wait for a connection, new or from the pool. */
  pgConnectTimeoutMs?: number;
}

export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5_000;
/**
 * SQLite's page cache, per connection. better-sqlite3 builds SQLite with 16 MB; under
 * `npm run bench` that cache filled, and was most of what the API process grew by outside V8's
 * heap. The hot paths read recent rows and the tops of their indexes, which stay cached in far
 * less; a page that is not cached comes from the OS's file cache, not the disk. Contact imports
 * raise it while they run (contact-import-repo.ts).
 */
export const DEFAULT_SQLITE_CACHE_MB = 4;
/** How often the checkpoint thread copies the WAL back into the database file. */
const SQLITE_CHECKPOINT_INTERVAL_MS = 200;
export const DEFAULT_PG_STATEMENT_TIMEOUT_MS = 30_000;
export const DEFAULT_PG_CONNECT_TIMEOUT_MS = 5_000;
/** A query gets this much longer than statement_timeout before the client gives up on the
 * server itself (a frozen host never enforces its own statement_timeout). */
const PG_CLIENT_DEADLINE_MARGIN_MS = 5_000;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/**
 * Opens the store (PostgreSQL: its first statement runs here). A database that cannot be
 * reached then — PostgreSQL down, a wrong host or database name, a SQLite file locked or on a
 * full disk — stops the start as DATABASE_UNAVAILABLE, naming the database, the cause and what
 * to check, rather than as an unexpected error.
 */
export async function openStore(opts: StoreOptions): Promise<Store> {
  const pgUrl = isPostgresUrl(opts.url) ? new URL(opts.url) : undefined;
  try {
    return pgUrl ? await openPostgres(opts, pgUrl) : openSqlite(opts);
  } catch (err) {
    const fault = classifyDatabaseError(
      err,
      pgUrl ? { dialect: 'postgres', port: pgPort(pgUrl) } : { dialect: 'sqlite' },
    );
    if (!fault) throw err;
    const where = pgUrl ? pgLocation(pgUrl, opts.pgSchema) : opts.url;
    throw new RecontactError(
      'DATABASE_UNAVAILABLE',
      `${fault.database} at ${where} is unavailable: ${fault.reason}`,
      {
        hint: pgUrl
          ? 'Check DATABASE_URL, and that PostgreSQL is running and accepts connections from here.'
          : 'Check DATABASE_URL, the disk, and that no other program holds the file.',
        cause: err,
      },
    );
  }
}

/** The server and database of a PostgreSQL URL, without its user or password. */
function pgLocation(u: URL, schema: string | undefined): string {
  return `${u.protocol}//${u.host}${u.pathname}${schema ? `#${schema}` : ''}`;
}

const pgPort = (u: URL) => Number(u.port || 5432);

function openSqlite(opts: StoreOptions): Store {
  if (opts.url !== ':memory:') mkdirSync(dirname(opts.url), { recursive: true });
  const sqlite = new SQLite(opts.url);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma(`synchronous = ${opts.sqliteSynchronous ?? 'NORMAL'}`);
  sqlite.pragma(`busy_timeout = ${Math.floor(opts.sqliteBusyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS)}`);
  // Negative: a size in KiB rather than a number of pages.
  sqlite.pragma(`cache_size = ${-Math.floor((opts.sqliteCacheMb ?? DEFAULT_SQLITE_CACHE_MB) * 1024)}`);
  // Checkpoints run on a thread of their own (sqlite-checkpointer.ts), not inside our commits.
  // Should that thread die, SQLite's own checkpoints come back: at 2,000 pages they stalled the
  // event loop least (webhook acknowledgement p99 at 5,000 events/s 8 ms, 24 ms at 10,000 pages).
  const autoCheckpoint = () => sqlite.pragma('wal_autocheckpoint = 2000');
  const checkpointer =
    opts.url === ':memory:'
      ? undefined
      : startCheckpointer(opts.url, {
          intervalMs: SQLITE_CHECKPOINT_INTERVAL_MS,
          onError: () => {},
          onExit: () => {
            if (sqlite.open) autoCheckpoint();
          },
        });
  if (checkpointer) sqlite.pragma('wal_autocheckpoint = 0');
  else autoCheckpoint();
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  registerSqliteConnection(db, sqlite);
  return {
    db,
    dialect: 'sqlite',
    location: opts.url,
    ...faultRecorder((err) => classifyDatabaseError(err, { dialect: 'sqlite' })),
    close: async () => {
      await checkpointer?.stop();
      await db.destroy();
    },
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
      // SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, SQLITE_IOERR);
      // Kysely's ROLLBACK would then fail with "no transaction is active" and replace the
      // error that explains the outage.
      if (sql === 'rollback' && !sqlite.inTransaction) return NO_OP_STATEMENT;
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

const NO_OP_STATEMENT = {
  reader: false,
  run: () => ({ changes: 0, lastInsertRowid: 0 }),
  all: () => [],
  iterate: () => [][Symbol.iterator](),
} as unknown as SQLite.Statement;

// int8 (bigint) columns hold millisecond timestamps, far below 2^53: return them as numbers.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

async function openPostgres(opts: StoreOptions, u: URL): Promise<Store> {
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
  const statementTimeoutMs = opts.pgStatementTimeoutMs ?? DEFAULT_PG_STATEMENT_TIMEOUT_MS;
  const location = pgLocation(u, schema);
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.pgPoolSize ?? 10,
    types: pgTypes,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    connectionTimeoutMillis: opts.pgConnectTimeoutMs ?? DEFAULT_PG_CONNECT_TIMEOUT_MS,
    statement_timeout: statementTimeoutMs,
    // A process that hangs inside a transaction must not hold row locks (claims) forever.
    idle_in_transaction_session_timeout: Math.max(60_000, statementTimeoutMs * 2),
    keepAlive: true,
    Client: clientWithDeadline(statementTimeoutMs + PG_CLIENT_DEADLINE_MARGIN_MS),
  });
  // Without these listeners a restart of PostgreSQL kills the process: a socket that dies emits
  // 'error' on its client, idle (the pool's listener) or checked out between two statements of
  // a transaction (nobody's listener). The pool drops broken clients and connects anew later;
  // the outage itself is reported by the statements that fail (503s, loops logging once).
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {
      // The statement in flight, if any, fails with this error; the pool discards the client.
    });
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  registerPgStore(db);
  // Named explicitly: Kysely otherwise finds its migration tables in any schema of the
  // database (another app's, say) and then fails to see them through the search path.
  const current = await sql<{ schema: string }>`select current_schema() as schema`
    .execute(db)
    .catch(async (err: unknown) => {
      await db.destroy().catch(() => {});
      throw err;
    });
  const port = pgPort(u);
  return {
    db,
    dialect: 'postgres',
    schema: current.rows[0]?.schema ?? 'public',
    location,
    ...faultRecorder((err) => classifyDatabaseError(err, { dialect: 'postgres', port })),
    close: () => db.destroy(),
  };
}

function faultRecorder(classify: (err: unknown) => DatabaseFault | undefined) {
  let last: (DatabaseFault & { at: number }) | undefined;
  return {
    fault(err: unknown) {
      const f = classify(err);
      if (f) last = { ...f, at: Date.now() };
      return f;
    },
    lastFault: () => last,
  };
}

/**
 * A pg Client whose promise queries give up after `ms`: the socket is destroyed, so the query
 * fails, the client is dropped from the pool, and nothing queued behind it waits on a server
 * that stopped answering (pg's own query_timeout leaves the client in the pool, still stuck).
 */
function clientWithDeadline(ms: number): typeof pg.Client {
  class DeadlineClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query() has a dozen overloads; only the promise form is timed
    override query(...args: any[]): any {
      // Our named statements (pg-direct.ts), as Kysely hands them over: text and values.
      const named = args.length === 2 ? namedQuery(args[0], args[1]) : undefined;
      // biome-ignore lint/suspicious/noExplicitAny: see above
      const out = (pg.Client.prototype.query as any).apply(this, named ? [named] : args);
      if (!(out instanceof Promise)) return out;
      const timer = setTimeout(() => {
        const socket = (this as unknown as { connection?: { stream?: { destroy(e: Error): void } } })
          .connection?.stream;
        socket?.destroy(new Error(`PostgreSQL did not answer within ${ms} ms`));
      }, ms);
      return out.finally(() => clearTimeout(timer));
    }
  }
  return DeadlineClient;
}

export interface DatabaseCheck {
  ok: boolean;
  ms?: number;
  /** What failed: "PostgreSQL is unavailable: connection refused (ECONNREFUSED)". */
  error?: string;
}

export interface Readiness {
  ready: boolean;
  /** Names of the checks that failed. */
  failed: string[];
  checks: Record<string, DatabaseCheck>;
}

/** A write that failed this recently still counts: a full disk or a held lock leaves reads working. */
const RECENT_WRITE_FAULT_MS = 5_000;
/** Faults that leave the probe working; the others are seen (and cleared) by the probe itself. */
const WRITE_FAULTS = new Set<DatabaseFault['kind']>(['disk_full', 'busy', 'read_only', 'io_error']);

/**
 * Readiness: `database` runs one trivial statement with a short deadline (the statement is not
 * cancelled on timeout; the connection's own deadline ends it); `database_writes` fails while
 * statements failed with an outage in the last few seconds.
 */
export async function checkReadiness(store: Store, timeoutMs = 2_000): Promise<Readiness> {
  const name = store.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  let database: DatabaseCheck;
  try {
    // SQLite: `select 1` alone would not even open the file; reading the schema does.
    const probe =
      store.dialect === 'sqlite'
        ? sql`select count(*) as n from sqlite_master`.execute(store.db)
        : sql`select 1 as ok`.execute(store.db);
    await Promise.race([probe, deadline]);
    database = { ok: true, ms: Math.round(performance.now() - started) };
  } catch (err) {
    const why = store.fault(err)?.reason ?? (err instanceof Error ? err.message : String(err));
    database = {
      ok: false,
      ms: Math.round(performance.now() - started),
      error: `${name} is unavailable: ${why}`,
    };
  } finally {
    clearTimeout(timer);
  }
  const last = store.lastFault();
  const ago = last && WRITE_FAULTS.has(last.kind) ? Date.now() - last.at : Number.POSITIVE_INFINITY;
  const writes: DatabaseCheck =
    ago < RECENT_WRITE_FAULT_MS && last
      ? {
          ok: false,
          error: `${name} refused a statement ${Math.round(ago / 100) / 10} s ago: ${last.reason}`,
        }
      : { ok: true };
  const checks = { database, database_writes: writes };
  const failed = Object.entries(checks)
    .filter(([, c]) => !c.ok)
    .map(([k]) => k);
  return { ready: failed.length === 0, failed, checks };
}
