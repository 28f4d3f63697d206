/**
 * Retention: events older than EVENT_RETENTION (P30D by default) are deleted with their
 * delivered or failed deliveries and the attempt logs. An event with a delivery still pending is
 * kept until that delivery settles. The per-key sequence counters are kept, so numbers never
 * restart. Run by the deliverer's loop every 10 seconds, up to 50,000 events each time (enough
 * for 5,000 events a second).
 */
import { pruneEvents } from '../../store/events-repo';
import type { EngineContext } from '../context';

export const DEFAULT_EVENT_RETENTION_MS = 30 * 86_400_000;
const EVERY_MS = 10_000;
const BATCH = 1_000;
const BATCHES_PER_RUN = 50;

export class EventPruner {
  private lastRunAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly ctx: EngineContext,
    private readonly retentionMs: number,
  ) {}

  /** Prunes when the last run is 10 s old; returns how many events were deleted. */
  async maybeRun(): Promise<number> {
    const now = this.ctx.clock();
    if (now - this.lastRunAt < EVERY_MS) return 0;
    this.lastRunAt = now;
    return this.run();
  }

  /** Deletes what is older than the retention (up to 50,000 events per call). */
  async run(): Promise<number> {
    const before = this.ctx.clock() - this.retentionMs;
    let total = 0;
    for (let i = 0; i < BATCHES_PER_RUN; i++) {
      const n = await pruneEvents(this.ctx.store.db, { before, limit: BATCH });
      total += n;
      if (n < BATCH) break;
    }
    if (total > 0) this.ctx.log.info({ events: total }, 'old events pruned (EVENT_RETENTION)');
    return total;
  }
}
