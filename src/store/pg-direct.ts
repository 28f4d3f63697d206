/**
 * Named prepared statements on PostgreSQL, for the few statements that run for every message
 * queued, sent or given a status: the message insert at intake (messages-repo.ts), the
 * dispatcher's reads of due rows, `sending` mark and acceptance (dispatch-repo.ts), and what a
 * batch of status webhooks writes: the messages' states, their timeline rows and their events
 * (messages-repo.ts, events-repo.ts), then the events' positions (the sequencer).
 *
 * Why not Kysely's texts there: a batch written as `VALUES (…), (…)`, `id IN (…)` or `FROM
 * (VALUES …)` has a new text for every batch length, so the server parses and plans each one
 * anew and the client builds and sends a long text each time. Written once with arrays
 * (`= ANY($1::text[])`, `unnest`) or one JSON document (`json_populate_recordset`), a statement
 * is parsed once per connection and afterwards only bound and run, whatever the batch
 * (bench/pg-statements.ts measures both forms; bench/dispatch-floor.ts what is left).
 *
 * A named statement never reads `*`: PostgreSQL fixes a prepared statement's result columns when
 * it prepares it, so a column that a newer process's migration adds meanwhile would fail the
 * statement in every process that holds it ("cached plan must not change result type") until it
 * restarts. Statements that return rows name their columns; writes may take a table's row type.
 *
 * The statement still goes through Kysely (`executeQuery`), so it runs on the connection Kysely
 * chose: a transaction's own, committed or rolled back with its other statements, or a pooled one
 * where it commits by itself. Its text starts with `/*statement:NAME*\/`, and the pg client that
 * database.ts gives the pool turns such a query into pg's named form (namedQuery below).
 */
import { CompiledQuery, type Kysely } from 'kysely';
import type { Database } from './schema';

/** A statement of our own: a constant text under a name unique to it. */
export interface NamedStatement {
  name: string;
  text: string;
}

export type DirectPg = <R>(statement: NamedStatement, values: readonly unknown[]) => Promise<R[]>;

const PREFIX = '/*statement:';
const PREFIXED = /^\/\*statement:([a-z0-9_]{1,63})\*\//;

/** The stores registered: their own Kysely instances, and the query adapter their transactions share. */
const stores = new WeakSet<Kysely<Database>>();
const adapters = new WeakSet<object>();

/** Called once by openStore for a PostgreSQL store, with its own Kysely instance. */
export function registerPgStore(db: Kysely<Database>): void {
  stores.add(db);
  adapters.add(db.getExecutor().adapter);
}

/**
 * The runner for `db` when it is a PostgreSQL store's own Kysely instance or a transaction begun
 * on one; undefined otherwise (SQLite, or another instance over the same pool, such as one with
 * a plugin: the caller takes its Kysely path there).
 */
export function directPg(db: Kysely<Database>): DirectPg | undefined {
  const registered = db.isTransaction ? adapters.has(db.getExecutor().adapter) : stores.has(db);
  if (!registered) return undefined;
  return async <R>(statement: NamedStatement, values: readonly unknown[]) => {
    readsNamedColumns(statement);
    const query = CompiledQuery.raw(`${PREFIX}${statement.name}*/ ${statement.text}`, [...values]);
    return (await db.executeQuery<R>(query)).rows;
  };
}

const checked = new WeakSet<NamedStatement>();
const READS_ALL = /\b(SELECT|RETURNING)\s+(\w+\.)?\*/i;

/** Refuses, at its first run, a statement that reads `*` (see above); our own texts, so a bug. */
function readsNamedColumns(statement: NamedStatement): void {
  if (checked.has(statement)) return;
  if (READS_ALL.test(statement.text)) {
    throw new Error(`named statement ${statement.name} reads "*": name its columns (pg-direct.ts)`);
  }
  checked.add(statement);
}

/**
 * pg's named form of a query whose text carries our prefix (called by the pool's client for every
 * query it runs); undefined for any other text, which runs as before.
 */
export function namedQuery(
  text: unknown,
  values: unknown,
): { name: string; text: string; values: unknown[] } | undefined {
  if (typeof text !== 'string' || !text.startsWith(PREFIX)) return undefined;
  const name = PREFIXED.exec(text)?.[1];
  if (name === undefined) return undefined;
  return { name, text, values: Array.isArray(values) ? values : [] };
}

/**
 * An insert of rows given as one JSON array of objects (`$1`), each column read by its name with
 * the table's own types (json_populate_recordset): one text whatever the number of rows.
 */
export function jsonInsert(name: string, table: string, columns: readonly string[]): NamedStatement {
  const list = columns.join(', ');
  return {
    name,
    text: `INSERT INTO ${table} (${list}) SELECT ${list} FROM json_populate_recordset(NULL::${table}, $1::json)`,
  };
}

/** The rows as that JSON document: the named columns of each, nothing else. */
export function jsonRows(rows: readonly object[], columns: readonly string[]): string {
  return JSON.stringify(rows, columns as string[]);
}
