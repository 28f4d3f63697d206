/**
 * Group commit for the webhook inbox. Each body is answered 200 only once its row is committed
 * (webhook-ingest.ts), but bodies that arrive together share one commit: under load Meta posts
 * dozens at once, and a commit costs far more than a row (a WAL flush on PostgreSQL, WAL pages
 * on SQLite). A lone body still commits on the next turn of the event loop.
 *
 * A batch that fails for anything but the database being away is retried row by row, so one bad
 * row (an id taken twice, say) fails only its own request.
 */
import { insertWebhooks } from '../../store/inbox-repo';
import type { EngineContext } from '../context';

export interface InboxBody {
  id: string;
  channel: string;
  body: string;
}

interface Pending extends InboxBody {
  resolve(): void;
  reject(err: unknown): void;
}

export class InboxWriter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly maxBatch = 200,
  ) {}

  /** Resolves once the body is committed to the inbox. */
  write(body: InboxBody): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...body, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length) {
      this.scheduled = true;
      setImmediate(() => void this.flush());
    }
    if (batch.length === 0) return;
    try {
      await insertWebhooks(this.ctx.store.db, batch, this.ctx.clock());
      for (const p of batch) p.resolve();
    } catch (batchErr) {
      // The database is away: one by one would only wait on the outage once per body.
      if (this.ctx.store.fault(batchErr) || batch.length === 1) {
        for (const p of batch) p.reject(batchErr);
        return;
      }
      for (const p of batch) {
        try {
          await insertWebhooks(this.ctx.store.db, [p], this.ctx.clock());
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }
}
