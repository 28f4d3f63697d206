import { type RawBuilder, sql } from 'kysely';

/**
 * A constant written into the SQL text instead of bound, where a partial index's condition
 * names it (`WHERE status = 'pending'`). SQLite matches a partial index against the query's own
 * terms: with `status = ?` it can use the index only by looking at the bound value, which
 * better-sqlite3's build (STAT4) does by planning the statement again on every run (≈ 4 µs here),
 * and which a build without STAT4 never does — it walks a wider index instead, every message of
 * the account. Our background loops run these every few seconds. Only for our own constants.
 */
export function indexLiteral<T extends string | number>(value: T): RawBuilder<T> {
  return sql.lit(value);
}

/**
 * The column as an expression no index matches (`status || ''`), for a state tested only as a
 * fence by a statement that names its rows by primary key (`id IN (…) AND status = 'queued'`).
 * PostgreSQL plans from statistics taken when a state's partial index was nearly empty (the
 * queue drained at the last ANALYZE, the usual case): it then judges a scan of that index
 * cheaper than the primary key and reads the whole backlog, dead entries and their heap pages
 * included, to update a few rows — once per statement, quadratic in the backlog. A full
 * database made that dispatch 2–3× slower. The fence still holds: the row is read by its key
 * and its state compared, as before.
 */
export function notIndexed(column: string): RawBuilder<string> {
  return sql<string>`(${sql.ref(column)} || '')`;
}
