/**
 * Named prepared statements on PostgreSQL, for the few statements that run for every message
 * sent (dispatch-repo.ts): the reads of due rows, the `sending` mark and the acceptance.
 *
 * Why not Kysely there: a batch written as `id IN (…)` or `FROM (VALUES …)` has a new text for
 * every batch length, so the server parses and plans each one anew and the client builds and
 * sends a long text each time. Written once with arrays (`= ANY($1::text[])`, `unnest`), a
 * statement is parsed once per connection and afterwards only bound and run, whatever the batch.
 * Measured with the dispatch floor (bench/dispatch-floor.ts), the server's CPU is what limits a
 * PostgreSQL sender on a machine it shares.
 *
 * Only on the store's own Kysely instance, never inside a transaction (Kysely holds that
 * connection; the caller takes its Kysely path there): each statement runs alone on a pooled
 * connection and commits by itself, as the same single statement through Kysely would.
 */
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema';

/** A statement of our own: a constant text under a name unique to it. */
export interface NamedStatement {
  name: string;
  text: string;
}

export type DirectPg = <R extends pg.QueryResultRow>(
  statement: NamedStatement,
  values: unknown[],
) => Promise<R[]>;

const runners = new WeakMap<Kysely<Database>, DirectPg>();

/** Called once by openStore for a PostgreSQL store: its Kysely instance and the pool under it. */
export function registerPgPool(db: Kysely<Database>, pool: pg.Pool): void {
  runners.set(db, async <R extends pg.QueryResultRow>(statement: NamedStatement, values: unknown[]) => {
    // A client of our own rather than pool.query, which calls the client with a callback and so
    // past the deadline database.ts gives every promise query.
    const client = await pool.connect();
    let failed = false;
    try {
      const result = await client.query<R>({ name: statement.name, text: statement.text, values });
      return result.rows;
    } catch (err) {
      failed = true;
      throw err;
    } finally {
      // After a failure the connection may be the broken one: dropped, a new one made when needed.
      client.release(failed);
    }
  });
}

/**
 * The runner for the pool under `db` when `db` is a PostgreSQL store's own Kysely instance;
 * undefined for a transaction or a SQLite store.
 */
export function directPg(db: Kysely<Database>): DirectPg | undefined {
  return db.isTransaction ? undefined : runners.get(db);
}
