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

export async function writtenEvents(db: Kysely<Database>, type?: string): Promise<WrittenEvent[]> {
  const out: WrittenEvent[] = [];
  for (const table of ['events', 'event_backlog'] as const) {
    let q = db.selectFrom(table).select(['id', 'type', 'payload']);
    if (type !== undefined) q = q.where('type', '=', type);
    out.push(...(await q.execute()));
  }
  return out;
}
