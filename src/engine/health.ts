/**
 * The store's health as the layers above see it: whether this process can serve right now
 * (GET /readyz), and a database outage turned into the domain's error (503 DATABASE_UNAVAILABLE)
 * instead of a bug's 500.
 */
import { checkReadiness, type Readiness } from '../store/database';
import { databaseUnavailableError } from '../store/database-faults';
import type { EngineContext } from './context';

export type { DatabaseCheck, Readiness } from '../store/database';

/** `database` (a trivial statement within 2 s) and `database_writes` (no write refused in the last 5 s). */
export function readiness(ctx: EngineContext): Promise<Readiness> {
  return checkReadiness(ctx.store);
}

/**
 * `err` itself, or DATABASE_UNAVAILABLE (naming the database and the cause, with Retry-After's
 * seconds, `err` as its cause) when `err` means the database cannot be reached or write right now.
 */
export function asOutageError(ctx: EngineContext, err: unknown): unknown {
  const fault = ctx.store.fault(err);
  return fault ? databaseUnavailableError(fault, err) : err;
}
