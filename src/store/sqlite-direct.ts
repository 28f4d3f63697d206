/**
 * Prepared statements run once per row on Recontact's own SQLite connection, for the few
 * statements that run for every message queued or sent (dispatch-repo.ts, insertMessages, a
 * campaign's recipients and marketing times).
 *
 * Why not Kysely there: a batch written as one statement (`id IN (…)`, `UPDATE … FROM (VALUES
 * …)`) has a different text for every batch length, is compiled by Kysely each time, and costs
 * SQLite more per row at the small batches a group commit makes (20–30 rows): 25–35 µs a row
 * for an acceptance, measured in the real schema, against 9–12 µs for the same change as one
 * prepared statement per row inside one transaction, at any batch length. Dispatch writes every
 * row twice, so this is most of what SQLite costs a send.
 *
 * Given the store's own Kysely instance, the connection is taken through Kysely
 * (`db.connection()`), which runs one thing at a time on a SQLite connection: these statements
 * wait for a Kysely transaction in progress instead of running inside it (and being rolled back
 * with it), and no Kysely query runs inside theirs. Given a Kysely transaction on that store
 * (inside its callback, where Kysely holds the connection and has begun), they run at once in
 * that transaction, committed or rolled back with its other statements: the store's one SQLite
 * connection is the transaction's.
 */
import type SQLite from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Database } from './schema';

/**
 * Runs `work` in one transaction on the SQLite connection: a transaction of its own once Kysely
 * lets go of the connection, or the Kysely transaction the runner was taken from.
 */
export type DirectSqlite = <T>(work: (prepare: Prepare) => T) => Promise<T>;

/** Prepares a statement once per connection; the texts are our own constants, so few. */
export type Prepare = (sql: string) => SQLite.Statement;

const runners = new WeakMap<Kysely<Database>, DirectSqlite>();
/**
 * By the query adapter of the store's Kysely instance, which Kysely hands on to every
 * transaction it begins there (and which no other store shares): the runner inside one.
 */
const inTransaction = new WeakMap<object, DirectSqlite>();

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
  // Runs `work` at the call (an async function runs up to its first await), in Kysely's transaction.
  inTransaction.set(db.getExecutor().adapter, async (work) => {
    // A statement outside a transaction would commit by itself, apart from the one it was meant for.
    if (!sqlite.inTransaction) throw new Error('a SQLite transaction has ended before its statements ran');
    return work(prepare);
  });
}

/**
 * The runner for the SQLite connection under `db`, when `db` is a SQLite store's own Kysely
 * instance or a transaction Kysely began on it (its statements then join that transaction);
 * undefined otherwise (PostgreSQL), and the caller takes its Kysely path.
 */
export function directSqlite(db: Kysely<Database>): DirectSqlite | undefined {
  return db.isTransaction ? inTransaction.get(db.getExecutor().adapter) : runners.get(db);
}
