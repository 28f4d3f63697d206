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

interface Handle {
  sqlite: SQLite.Database;
  statements: Map<string, SQLite.Statement>;
}

const handles = new WeakMap<Kysely<Database>, Handle>();

/** Called once by openStore for a SQLite store: its Kysely instance and the connection under it. */
export function registerSqliteConnection(db: Kysely<Database>, sqlite: SQLite.Database): void {
  handles.set(db, { sqlite, statements: new Map() });
}

/** Prepares a statement once per connection; the texts are our own constants, so few. */
export type Prepare = (sql: string) => SQLite.Statement;

/**
 * Runs `work` in one transaction on the SQLite connection under `db`, when `db` is a SQLite
 * store's own Kysely instance (not a transaction, not PostgreSQL); undefined otherwise, and the
 * caller takes its Kysely path.
 */
export function directSqlite(
  db: Kysely<Database>,
): (<T>(work: (prepare: Prepare) => T) => Promise<T>) | undefined {
  const h = handles.get(db);
  if (h === undefined) return undefined;
  const prepare: Prepare = (text) => {
    let stmt = h.statements.get(text);
    if (stmt === undefined) {
      stmt = h.sqlite.prepare(text);
      h.statements.set(text, stmt);
    }
    return stmt;
  };
  return (work) => db.connection().execute(async () => h.sqlite.transaction(() => work(prepare))());
}
