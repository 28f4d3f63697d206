/**
 * Events to the bot. An event is written in the same transaction as the change that caused it
 * (the outbox), so an event is never lost and never invented. It is written without a position:
 * the sequencer (sequencer.ts) gives positions, per-key sequence numbers and deliveries after the
 * transaction committed, so the causing transaction holds no shared counter; EventDeliverer
 * posts the deliveries afterwards, with retries, and the stream reads the positions.
 */

import type { Kysely } from 'kysely';
import { insertEvents, type NewEvent } from '../../store/events-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import { orderingKeyOf } from './ordering';
import type { EventType } from './schemas';

// The catalogue (schemas.ts) owns the list of types and the shape of each payload.
export { EVENT_TYPES, type EventType, type PendingEvent } from './schemas';

export class EventBus {
  constructor(private readonly ctx: EngineContext) {}

  /**
   * Writes events with `db`, which should be the caller's transaction (SQLite has one
   * connection: the root handle inside a transaction would wait for it forever). Any payload is
   * stored as given: shapes are held to the catalogue where events are built (payloads.ts
   * returns PendingEvent), not here.
   */
  async emit(db: Kysely<Database>, events: ReadonlyArray<{ type: EventType; data: object }>): Promise<void> {
    if (events.length === 0) return;
    const rows: NewEvent[] = events.map((e) => ({
      id: this.ctx.id('evt'),
      type: e.type,
      payload: JSON.stringify(e.data),
      orderingKey: orderingKeyOf(e.type, e.data),
    }));
    await insertEvents(db, rows, this.ctx.clock());
  }
}
