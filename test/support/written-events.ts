/**
 * Every event written, whether the sequencer has given it a position (`events`) or it still
 * waits for one (`event_backlog`): what a test that judges exactly-once by the outbox counts.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../src/store/schema';

export interface WrittenEvent {
  id: string;
  type: string;
  payload: string;
}

/** One statement, so one snapshot: an event the sequencer moves meanwhile is counted once. */
export async function writtenEvents(db: Kysely<Database>, type?: string): Promise<WrittenEvent[]> {
  const of = (table: 'events' | 'event_backlog') => {
    const q = db.selectFrom(table).select(['id', 'type', 'payload']);
    return type === undefined ? q : q.where('type', '=', type);
  };
  return of('events').unionAll(of('event_backlog')).execute();
}
