/**
 * What the retention loops share: every 10 seconds at most, delete what is older than the
 * retention in batches of 1,000, up to 50 batches a run (enough for 5,000 rows a second), and log
 * how many went. Each table says what may go (`prune`); null retention keeps everything.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema';
import type { EngineContext } from './context';

const EVERY_MS = 10_000;
const BATCH = 1_000;
const BATCHES_PER_RUN = 50;

export interface RetentionTarget {
  /** Deletes up to `limit` rows older than `before`; returns how many it deleted. */
  prune(db: Kysely<Database>, p: { before: number; limit: number }): Promise<number>;
  /** The log line's field and message when rows went. */
  logKey: string;
  logMessage: string;
}

export class RetentionPruner {
  private lastRunAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: EngineContext,
    private readonly retentionMs: number | null,
    private readonly target: RetentionTarget,
  ) {}

  /** Prunes when the last run is 10 s old; returns how many rows were deleted. */
  async maybeRun(): Promise<number> {
    const now = this.ctx.clock();
    if (this.retentionMs === null || now - this.lastRunAt < EVERY_MS) return 0;
    this.lastRunAt = now;
    return this.run();
  }

  /** Deletes what is older than the retention (up to 50,000 rows per call). */
  async run(): Promise<number> {
    if (this.retentionMs === null) return 0;
    const before = this.ctx.clock() - this.retentionMs;
    let total = 0;
    for (let i = 0; i < BATCHES_PER_RUN; i++) {
      const n = await this.target.prune(this.ctx.store.db, { before, limit: BATCH });
      total += n;
      if (n < BATCH) break;
    }
    if (total > 0) this.ctx.log.info({ [this.target.logKey]: total }, this.target.logMessage);
    return total;
  }
}
