/**
 * Row locks are a capability of the store, decided here and nowhere else. PostgreSQL has many
 * writers, so rows read to be rewritten in the same transaction are locked (FOR UPDATE) or, for
 * work queues, skipped while another process holds them (SKIP LOCKED). SQLite has one writer at
 * a time, which already serialises those transactions, and has no FOR UPDATE at all.
 */
import { type Kysely, PostgresAdapter, type SelectQueryBuilder } from 'kysely';
import type { Database } from './schema';

export interface RowLock {
  /** Lock the rows read until the caller's transaction ends. */
  forUpdate?: boolean;
  /** With forUpdate: leave out rows another transaction holds (a queue's claim). */
  skipLocked?: boolean;
}

export function takesRowLocks(db: Kysely<Database>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export function withRowLock<DB, TB extends keyof DB, O>(
  db: Kysely<Database>,
  query: SelectQueryBuilder<DB, TB, O>,
  lock: RowLock | undefined,
): SelectQueryBuilder<DB, TB, O> {
  if (!lock?.forUpdate || !takesRowLocks(db)) return query;
  return lock.skipLocked ? query.forUpdate().skipLocked() : query.forUpdate();
}
