/**
 * Tuning defaults of the background loops, in one place. The configuration (src/config.ts)
 * exposes the ones an operator has reason to change; the rest are here so that a reader can see
 * every timing the engine relies on at once.
 */
export const DISPATCH_TUNING = {
  /** Idle wait between claims when nothing was due (a new message wakes the loop sooner). */
  pollMs: 250,
  /** First retry delay after a transient error, and the cap of the exponential backoff. */
  retryBaseMs: 1_000,
  retryCapMs: 15 * 60_000,
  /** How long a worker holds an account unless renewed (renewed at a third of it). */
  accountLeaseMs: 15_000,
  /** How often the holder of an account looks for sends left in doubt. */
  sweepMs: 1_000,
  /** On stop: how long requests in flight may take before they are aborted. */
  stopDeadlineMs: 10_000,
} as const;

export const INGEST_TUNING = {
  /**
   * Stored bodies applied per transaction. SQLite's transaction holds the event loop (the driver
   * is synchronous), so it stays short there for the acknowledgement latency; PostgreSQL's
   * runs beside the event loop, and a bigger batch shares its round trips and commit among
   * more statuses.
   */
  batchSize: 40,
  pgBatchSize: 200,
  pollMs: 1_000,
  /** A stored webhook body that keeps failing is parked after this many attempts. */
  maxAttempts: 5,
} as const;

/** A second SIGINT/SIGTERM, or this long after the first, ends the process at once. */
export const SHUTDOWN_DEADLINE_MS = 20_000;
