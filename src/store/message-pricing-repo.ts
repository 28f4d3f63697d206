/**
 * Meta's billing facts of a message (migration 0012), written by the status applier when a
 * status webhook carries `pricing`. Separate from writeStatusStates: pricing arrives on statuses
 * that may change nothing else (a `sent` after `delivered`), and most batches carry none.
 */
import { type Kysely, sql } from 'kysely';
import { chunks } from './chunks';
import type { Database } from './schema';

export interface MessagePricing {
  id: string;
  pricing_category: string | null;
  billable: number | null;
}

export async function writeMessagePricing(
  db: Kysely<Database>,
  rows: readonly MessagePricing[],
): Promise<void> {
  for (const part of chunks(rows, 300)) {
    const values = sql.join(part.map((r) => sql`(${r.id}, ${r.pricing_category}, ${r.billable})`));
    await sql`
      UPDATE messages
         SET pricing_category = v.column2,
             billable = CAST(v.column3 AS INTEGER)
        FROM (VALUES ${values}) AS v
       WHERE messages.id = v.column1`.execute(db);
  }
}
