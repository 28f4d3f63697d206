/**
 * The live stream's engine side (GET /v1/events/stream writes the Server-Sent Events): a cap on
 * concurrent streams, and one watcher per process that runs the sequencer and reads the last
 * position every `pollMs` while streams are open, waking the streams that wait for news. Each
 * stream reads its own events from the database after its own cursor, a page at a time and only
 * when its client has taken the previous page, so a slow client costs a cursor, not a buffer,
 * and a client that reconnects with Last-Event-ID misses nothing (positions are given in commit
 * order, so `position > last` never skips an event).
 */
import { lastPosition } from '../../store/events-repo';
import type { EngineContext } from '../context';
import type { EventSequencer } from './sequencer';

export interface StreamOptions {
  /** Streams open at once in this process; more are refused (429) until one ends. */
  maxStreams: number;
  /** How often new events are looked for while streams are open. */
  pollMs: number;
  /** A comment line after this long without an event keeps proxies from closing the stream. */
  keepAliveMs: number;
  /** Events read and written at a time per stream. */
  pageSize: number;
}

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  maxStreams: 100,
  pollMs: 250,
  keepAliveMs: 15_000,
  pageSize: 200,
};

export class EventStreamHub {
  private open = 0;
  private seen = 0;
  private timer: NodeJS.Timeout | undefined;
  private watching: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly closers = new Set<() => void>();
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly sequencer: EventSequencer,
    readonly opts: StreamOptions = DEFAULT_STREAM_OPTIONS,
  ) {}

  /**
   * Takes a stream slot; null when every slot is taken or the process is stopping. `close` is
   * called when the process stops; the returned `release` gives the slot back.
   */
  acquire(close: () => void): { release: () => void; stopped: () => boolean } | null {
    if (this.stopped || this.open >= this.opts.maxStreams) return null;
    this.open++;
    this.closers.add(close);
    if (!this.timer) this.schedule();
    let released = false;
    return {
      stopped: () => this.stopped,
      release: () => {
        if (released) return;
        released = true;
        this.open--;
        this.closers.delete(close);
      },
    };
  }

  /** Resolves when an event after `after` may exist, after `ms`, or at stop; true if news. */
  waitForNews(after: number, ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (this.seen > after) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (news: boolean) => {
        clearTimeout(t);
        this.waiters.delete(wake);
        resolve(news);
      };
      const wake = () => done(true);
      const t = setTimeout(() => done(false), ms);
      this.waiters.add(wake);
    });
  }

  /** Ends every stream (each writes nothing more) and stops watching. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const close of [...this.closers]) close();
    for (const wake of [...this.waiters]) wake();
    await this.watching;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.watching = this.watch().finally(() => {
        this.watching = undefined;
        if (this.open > 0 && !this.stopped) this.schedule();
        else this.timer = undefined;
      });
    }, this.opts.pollMs);
  }

  private async watch(): Promise<void> {
    try {
      await this.sequencer.run();
      const last = await lastPosition(this.ctx.store.db);
      if (last > this.seen) {
        this.seen = last;
        for (const wake of [...this.waiters]) wake();
      }
    } catch (err) {
      // The database is away: streams wait (with their keep-alives) until it is back.
      this.ctx.log.debug({ err }, 'event stream could not look for new events');
    }
  }
}
