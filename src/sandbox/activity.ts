/**
 * Knows whether the sandbox still has something to do that a test could be waiting for:
 * scheduled statuses, template reviews, webhooks buffered, queued or in flight, scripted
 * user handlers. `whenIdle()` backs Sandbox.drainWebhooks().
 */
export class Activity {
  private readonly sources: Array<() => number> = [];
  private waiters: Array<() => void> = [];

  register(source: () => number): void {
    this.sources.push(source);
  }

  busy(): number {
    let n = 0;
    for (const s of this.sources) n += s();
    return n;
  }

  /** Call after anything that may have finished some work. Cheap when nobody waits. */
  changed(): void {
    if (this.waiters.length === 0 || this.busy() > 0) return;
    this.release();
  }

  release(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  whenIdle(): Promise<void> {
    if (this.busy() === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
