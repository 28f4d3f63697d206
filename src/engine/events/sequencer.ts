/**
 * The sequencer: gives committed events their global position and their per-key sequence
 * number, and creates their deliveries (store/events-repo.ts, sequencePending). Any process may
 * run it (the deliverer's loop does, before each claim; the stream and GET /v1/events do when
 * they find events waiting); runs are serialised by the database, so positions follow one
 * another without gaps and a reader of `position > N` never skips an event.
 *
 * Why after the commit rather than in `emit`: the webhook and dispatch transactions emit several
 * times and lock other rows after emitting; a shared counter taken there would serialise them
 * all and could deadlock on PostgreSQL. The sequencer's transaction is short and touches only
 * events, their deliveries and the counters.
 */
import { hasUnsequencedEvents, sequencePending } from '../../store/events-repo';
import type { EngineContext } from '../context';

const BATCH = 1_000;

export class EventSequencer {
  private running: Promise<number> | undefined;

  constructor(private readonly ctx: EngineContext) {}

  /** Sequences every event committed so far; returns how many. Concurrent calls share one run. */
  run(): Promise<number> {
    if (!this.running) {
      this.running = this.drain().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async drain(): Promise<number> {
    const db = this.ctx.store.db;
    // Most passes find nothing: look without taking the lock.
    if (!(await hasUnsequencedEvents(db))) return 0;
    let total = 0;
    for (;;) {
      const n = await sequencePending(db, {
        now: this.ctx.clock(),
        limit: BATCH,
        newDeliveryId: () => this.ctx.id('dlv'),
      });
      total += n;
      if (n < BATCH) return total;
    }
  }
}
