/**
 * Events to the bot. An event is written in the same transaction as the change that caused it,
 * together with one delivery row per subscribed endpoint (the outbox), so an event is never
 * lost and never invented: EventDeliverer posts them afterwards, with retries.
 */

import type { Kysely } from 'kysely';
import { insertEvents, listEndpoints, type NewEvent } from '../../store/events-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import { EVENT_ENDPOINT_REFRESH_MS } from '../tuning';
import type { EventType } from './schemas';

// The catalogue (schemas.ts) owns the list of types and the shape of each payload.
export { EVENT_TYPES, type EventType, type PendingEvent } from './schemas';

export class EventBus {
  /** Enabled endpoints with their subscriptions parsed once, not once per event. */
  private endpoints: Array<{ id: string; types: Set<string> }> = [];
  private loadedAt = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly refreshMs = EVENT_ENDPOINT_REFRESH_MS,
  ) {}

  /** `db` must be the caller's transaction when there is one: SQLite has one connection, and a
   * query on the root handle inside a transaction would wait for that transaction forever. */
  async refresh(db: Kysely<Database> = this.ctx.store.db): Promise<void> {
    this.endpoints = (await listEndpoints(db))
      .filter((e) => e.enabled === 1)
      .map((e) => ({ id: e.id, types: new Set(JSON.parse(e.event_types) as string[]) }));
    this.loadedAt = this.ctx.clock();
  }

  /** Other processes may add endpoints; re-read them now and then rather than on every event. */
  private async current(db: Kysely<Database>) {
    if (this.ctx.clock() - this.loadedAt > this.refreshMs) await this.refresh(db);
    return this.endpoints;
  }

  /**
   * Writes events and their deliveries with `db`, which should be the caller's transaction.
   * Any payload is stored as given: shapes are held to the catalogue where events are built
   * (payloads.ts returns PendingEvent), not here.
   */
  async emit(db: Kysely<Database>, events: ReadonlyArray<{ type: EventType; data: object }>): Promise<void> {
    if (events.length === 0) return;
    const endpoints = await this.current(db);
    const now = this.ctx.clock();
    const rows: NewEvent[] = events.map((e) => {
      const id = this.ctx.id('evt');
      const targets = endpoints.filter((ep) => ep.types.has('*') || ep.types.has(e.type));
      return {
        id,
        type: e.type,
        payload: JSON.stringify(e.data),
        endpointIds: targets.map((t) => t.id),
        deliveryIds: targets.map(() => this.ctx.id('dlv')),
      };
    });
    await insertEvents(db, rows, now);
  }
}
