/**
 * The sandbox's view of time: the `now` it was given (Date.now by default) plus an offset that
 * only moves forward, or frozen at one instant. It dates what the sandbox writes (webhook and
 * status timestamps, pricing era, template times) and decides its own rules on that date (the
 * 24-hour window, throughput and pair buckets, the messaging limit's moving 24 h).
 *
 * It does not move real timers: receipts (`sent`, `delivered`, `read`), template reviews and
 * webhook retries still fire after their configured milliseconds of real time, stamped with the
 * clock's time when they fire. Nor does it reach Recontact: a demo or test that wants both to
 * agree gives them one shared clock (`SandboxOptions.now`) and moves that one.
 *
 * States: running (base + offset) ⇄ frozen (a fixed instant). Advancing while frozen moves the
 * frozen instant; unfreezing resumes from it, so time never jumps back.
 */

/** How far one advance or set may move the clock: beyond this a typo is more likely than intent. */
export const MAX_CLOCK_STEP_MS = 366 * 24 * 3600_000;

export interface ClockView {
  /** The sandbox's now, ms since the epoch. */
  now: number;
  frozen: boolean;
  /** How far the sandbox runs ahead of the time it was given, ms. */
  offsetMs: number;
}

export class SandboxClock {
  private offset = 0;
  private frozenAt: number | null = null;

  constructor(private readonly base: () => number) {}

  /** Bound, so it can be handed around as a plain `() => number`. */
  readonly now = (): number => this.frozenAt ?? this.base() + this.offset;

  view(): ClockView {
    const now = this.now();
    return { now, frozen: this.frozenAt !== null, offsetMs: now - this.base() };
  }

  advance(ms: number): ClockView {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`the clock only moves forward; got ${ms} ms`);
    if (ms > MAX_CLOCK_STEP_MS)
      throw new Error(
        `one step moves the clock at most 366 days (${MAX_CLOCK_STEP_MS / 1000} s); got ${ms / 1000} s`,
      );
    if (this.frozenAt !== null) this.frozenAt += ms;
    else this.offset += ms;
    return this.view();
  }

  /** Moves the clock to `at` (ms), which must not be before its current time. */
  set(at: number): ClockView {
    const now = this.now();
    if (!Number.isFinite(at) || at < now)
      throw new Error(
        `the clock only moves forward: ${new Date(at).toISOString()} is before its current time ${new Date(now).toISOString()}`,
      );
    return this.advance(at - now);
  }

  freeze(): ClockView {
    if (this.frozenAt === null) this.frozenAt = this.now();
    return this.view();
  }

  unfreeze(): ClockView {
    if (this.frozenAt !== null) {
      this.offset = this.frozenAt - this.base();
      this.frozenAt = null;
    }
    return this.view();
  }
}
