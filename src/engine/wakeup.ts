/**
 * A wake-up hint between components of one process (a new message → the dispatcher; a stored
 * webhook → the processor). It only shortens a wait: every loop also polls, so a lost hint or
 * a message written by another process is still picked up.
 */
export class Wakeup {
  private waiter: (() => void) | undefined;
  private pending = false;

  notify(): void {
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w();
    } else {
      this.pending = true;
    }
  }

  /** Resolves on notify() or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      // Through the macrotask queue, not a resolved promise: better-sqlite3 answers synchronously,
      // so a loop that only ever awaited microtasks would starve sockets and timers.
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
