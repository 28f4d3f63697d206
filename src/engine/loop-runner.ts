/**
 * The skeleton shared by the background loops (dispatcher, webhook processor, event deliverer):
 * run a pass, go again at once while passes find work, otherwise wait for a wake-up hint or the
 * poll interval. A pass that throws is a normal event (the database restarting, a disk full):
 * the loop backs off exponentially and logs once when the trouble starts and once when it ends,
 * not once per attempt. A pass that runs far longer than it should is reported by a watchdog,
 * because a loop that silently stopped making progress is the worst kind of outage.
 */
import type { Logger } from 'pino';
import { Wakeup } from './wakeup';

export interface LoopOptions {
  /** Wait between passes that found nothing to do. */
  idleMs: number;
  /** Backoff after a failed pass: doubles from base up to cap. */
  errorBaseMs: number;
  errorCapMs: number;
  /** A pass running longer than this is logged as stalled (once per pass). */
  stallMs: number;
}

export const DEFAULT_LOOP_OPTIONS: LoopOptions = {
  idleMs: 500,
  errorBaseMs: 250,
  errorCapMs: 10_000,
  stallMs: 30_000,
};

/** One pass: returns how much work it did (0 = idle). */
export type LoopPass = () => Promise<number>;

export class LoopRunner {
  private readonly wakeup = new Wakeup();
  private running = false;
  private done: Promise<void> | undefined;
  private idleWaiters: Array<() => void> = [];
  private failingSince: number | undefined;
  private failures = 0;
  private passStartedAt: number | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** How many passes completed; a watchdog compares it over time. */
  passes = 0;

  constructor(
    private readonly name: string,
    private readonly log: Logger,
    private readonly pass: LoopPass,
    private readonly opts: LoopOptions = DEFAULT_LOOP_OPTIONS,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  /** True while passes keep failing (the loop is backing off). */
  get failing(): boolean {
    return this.failingSince !== undefined;
  }

  wake(): void {
    this.wakeup.notify();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.done = this.run();
    this.watchdog = setInterval(() => this.checkStall(), Math.max(1_000, this.opts.stallMs / 3));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.watchdog);
    this.wakeup.notify();
    await this.done;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves after the next pass that found nothing to do (or when the loop stops). */
  idle(): Promise<void> {
    if (!this.running) return Promise.resolve();
    this.wakeup.notify();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(): Promise<void> {
    while (this.running) {
      let n = 0;
      this.passStartedAt = Date.now();
      try {
        n = await this.pass();
        this.recovered();
      } catch (err) {
        this.failed(err);
      } finally {
        this.passStartedAt = undefined;
        this.passes++;
      }
      if (this.failingSince !== undefined) {
        const delay = Math.min(
          this.opts.errorCapMs,
          this.opts.errorBaseMs * 2 ** Math.min(this.failures - 1, 16),
        );
        await this.wakeup.wait(delay);
      } else if (n === 0) {
        for (const w of this.idleWaiters.splice(0)) w();
        await this.wakeup.wait(this.opts.idleMs);
      } else {
        // Through the macrotask queue: better-sqlite3 answers synchronously, and a loop that
        // only awaited resolved promises would starve sockets and timers.
        await new Promise((r) => setImmediate(r));
      }
    }
  }

  private failed(err: unknown): void {
    this.failures++;
    if (this.failingSince === undefined) {
      this.failingSince = Date.now();
      this.log.error({ err, loop: this.name }, `${this.name}: pass failed; backing off and retrying`);
    } else {
      this.log.debug({ err, loop: this.name, failures: this.failures }, `${this.name}: still failing`);
    }
  }

  private recovered(): void {
    if (this.failingSince === undefined) return;
    this.log.warn(
      { loop: this.name, failures: this.failures, ms: Date.now() - this.failingSince },
      `${this.name}: recovered`,
    );
    this.failingSince = undefined;
    this.failures = 0;
  }

  private stalledPass: number | undefined;

  private checkStall(): void {
    const started = this.passStartedAt;
    if (started === undefined || this.stalledPass === started) return;
    const ms = Date.now() - started;
    if (ms < this.opts.stallMs) return;
    this.stalledPass = started;
    this.log.error({ loop: this.name, ms }, `${this.name}: one pass has been running for ${ms} ms`);
  }
}
