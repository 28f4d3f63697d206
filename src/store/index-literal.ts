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
