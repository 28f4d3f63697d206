/**
 * Inbound messages (what users wrote to us). Meta's message id is unique: the same webhook
 * delivered twice, or two processes applying overlapping bodies, store one row.
 */
import { type Kysely, sql } from 'kysely';
import { chunks } from './chunks';
import type { Database } from './schema';

export interface NewInbound {
  id: string;
  accountId: string;
  contactId: string;
  providerMessageId: string;
  type: string;
  text: string | null;
  payload: string | null;
  contextProviderId: string | null;
  /** Meta's timestamp: when the user wrote. */
  receivedAt: number;
}

/**
 * Inserts inbound messages, one statement per chunk, and returns Meta's ids of the rows that
 * were new: the others had been stored before (a duplicate delivery) and must not be applied
 * again.
 */
export async function insertInbound(
  db: Kysely<Database>,
  rows: readonly NewInbound[],
  now: number,
): Promise<Set<string>> {
  const fresh = new Set<string>();
  for (const part of chunks(rows, 200)) {
    const inserted = await db
      .insertInto('inbound_messages')
      .values(
        part.map((r) => ({
          id: r.id,
          account_id: r.accountId,
          contact_id: r.contactId,
          provider_message_id: r.providerMessageId,
          type: r.type,
          text: r.text,
          payload: r.payload,
          context_provider_id: r.contextProviderId,
          reply_to_message_id: null,
          received_at: r.receivedAt,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.column('provider_message_id').doNothing())
      .returning('provider_message_id')
      .execute();
    for (const r of inserted) fresh.add(r.provider_message_id);
  }
  return fresh;
}

/** Records which of our messages each inbound message answers, one statement per chunk. */
export async function linkReplies(
  db: Kysely<Database>,
  links: ReadonlyArray<{ inboundId: string; messageId: string }>,
): Promise<void> {
  for (const part of chunks(links, 400)) {
    const values = sql.join(part.map((l) => sql`(${l.inboundId}, ${l.messageId})`));
    await sql`
      UPDATE inbound_messages
         SET reply_to_message_id = v.column2
        FROM (VALUES ${values}) AS v
       WHERE inbound_messages.id = v.column1`.execute(db);
  }
}
