/**
 * Group commit: each caller waits until its item is committed (nothing is acknowledged before it
 * is durable), but items that arrive together share one write. A commit costs far more than a
 * row (WAL pages and syscalls on SQLite, a round trip and a flush on PostgreSQL), so batching
 * multiplies what a busy process can take, while a lone item still commits on the next turn of
 * the event loop. The intake writer (a send's message) and the inbox writer (a webhook body)
 * are both this.
 *
 * A batch that fails for anything but the database being away is written again item by item, so
 * one bad item (an id or an Idempotency-Key taken twice) fails only its own caller. When the
 * database is away, every caller of the batch gets that error at once: item by item would only
 * wait on the outage once per item (a SQLite busy timeout blocks the process each time).
 */

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

export class GroupCommit<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private scheduled = false;

  /**
   * `write` commits a batch and returns one result per item, in order; `isFault` tells an error
   * of the database being away (the store's `fault`) from one of an item.
   */
  constructor(
    private readonly write: (batch: T[]) => Promise<R[]>,
    private readonly isFault: (err: unknown) => boolean,
    private readonly maxBatch: number,
  ) {}

  /** Resolves with the item's result once it is committed. */
  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length) this.schedule();
    if (batch.length === 0) return;
    try {
      const results = await this.write(batch.map((p) => p.item));
      for (const [i, p] of batch.entries()) p.resolve(results[i]!);
    } catch (batchErr) {
      if (batch.length === 1 || this.isFault(batchErr)) {
        for (const p of batch) p.reject(batchErr);
        return;
      }
      for (const p of batch) {
        try {
          const [result] = await this.write([p.item]);
          p.resolve(result!);
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }
}
