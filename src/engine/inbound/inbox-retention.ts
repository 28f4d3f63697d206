/**
 * Retention of the webhook inbox: a body Meta sent is kept WEBHOOK_INBOX_RETENTION (P7D by
 * default) after it arrived, then deleted once it has been applied. What it said lives on in
 * the rows it changed (statuses, inbound messages, the timeline, events); the stored body is
 * the evidence of what arrived, for a person tracing a problem, and at Meta's ~3 webhooks per
 * message it was the table that grew fastest. Bodies not applied yet and parked bodies are kept
 * whatever their age. Run by the webhook processor's loop every 10 seconds, up to 50,000 bodies
 * each time.
 */
import { pruneProcessedWebhooks } from '../../store/inbox-repo';
import type { EngineContext } from '../context';

export const DEFAULT_INBOX_RETENTION_MS = 7 * 86_400_000;
const EVERY_MS = 10_000;
const BATCH = 1_000;
const BATCHES_PER_RUN = 50;

export class InboxPruner {
  private lastRunAt = Number.NEGATIVE_INFINITY;

  /** `retentionMs` null: bodies are kept for good (WEBHOOK_INBOX_RETENTION=forever). */
  constructor(
    private readonly ctx: EngineContext,
    private readonly retentionMs: number | null,
  ) {}

  /** Prunes when the last run is 10 s old; returns how many bodies were deleted. */
  async maybeRun(): Promise<number> {
    const now = this.ctx.clock();
    if (this.retentionMs === null || now - this.lastRunAt < EVERY_MS) return 0;
    this.lastRunAt = now;
    return this.run();
  }

  /** Deletes applied bodies older than the retention (up to 50,000 per call). */
  async run(): Promise<number> {
    if (this.retentionMs === null) return 0;
    const before = this.ctx.clock() - this.retentionMs;
    let total = 0;
    for (let i = 0; i < BATCHES_PER_RUN; i++) {
      const n = await pruneProcessedWebhooks(this.ctx.store.db, { before, limit: BATCH });
      total += n;
      if (n < BATCH) break;
    }
    if (total > 0)
      this.ctx.log.info({ bodies: total }, 'old webhook bodies pruned (WEBHOOK_INBOX_RETENTION)');
    return total;
  }
}
