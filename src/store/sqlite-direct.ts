/**
 * Prepared statements run once per row on Recontact's own SQLite connection, for the few
 * statements that run for every message sent (dispatch-repo.ts).
 *
 * Why not Kysely there: a batch written as one statement (`id IN (…)`, `UPDATE … FROM (VALUES
 * …)`) has a different text for every batch length, is compiled by Kysely each time, and costs
 * SQLite more per row at the small batches a group commit makes (20–30 rows): 25–35 µs a row
 * for an acceptance, measured in the real schema, against 9–12 µs for the same change as one
 * prepared statement per row inside one transaction, at any batch length. Dispatch writes every
 * row twice, so this is most of what SQLite costs a send.
 *
 * The connection is taken through Kysely (`db.connection()`), which runs one thing at a time on
 * a SQLite connection: these statements wait for a Kysely transaction in progress instead of
 * running inside it (and being rolled back with it), and no Kysely query runs inside theirs.
 */
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema';

/** Runs `work` in one transaction on the SQLite connection, once Kysely lets go of it. */
export type DirectSqlite = <T>(work: (prepare: Prepare) => T) => Promise<T>;

/** Prepares a statement once per connection; the texts are our own constants, so few. */
export type Prepare = (sql: string) => SQLite.Statement;

const runners = new WeakMap<Kysely<Database>, DirectSqlite>();

/** Called once by openStore for a SQLite store: its Kysely instance and the connection under it. */
export function registerSqliteConnection(db: Kysely<Database>, sqlite: SQLite.Database): void {
  const statements = new Map<string, SQLite.Statement>();
  const prepare: Prepare = (text) => {
    let stmt = statements.get(text);
    if (stmt === undefined) {
      stmt = sqlite.prepare(text);
      statements.set(text, stmt);
    }
    return stmt;
  };
  runners.set(db, (work) => db.connection().execute(async () => sqlite.transaction(() => work(prepare))()));
}

/**
 * The runner for the SQLite connection under `db`, when `db` is a SQLite store's own Kysely
 * instance (not a transaction, not PostgreSQL); undefined otherwise, and the caller takes its
 * Kysely path.
 */
export function directSqlite(db: Kysely<Database>): DirectSqlite | undefined {
  return runners.get(db);
}
