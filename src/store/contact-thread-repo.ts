/**
 * A contact's conversation, both ways, in the order it happened: our messages (by `created_at`,
 * when they were written to us) and theirs (by `received_at`, Meta's time of the message). One
 * page is the newest `limit` items before a position; each table is read by its own
 * (contact_id, time) index for at most `limit` rows, and the two are merged here, so a page costs
 * two index ranges however long the conversation.
 */
import type { Kysely, Selectable } from 'kysely';
import type { MessageRow } from './messages-repo';
import type { Database, InboundMessagesTable } from './schema';

export type ThreadInboundRow = Pick<
  Selectable<InboundMessagesTable>,
  'id' | 'type' | 'text' | 'payload' | 'reply_to_message_id' | 'received_at'
>;

export type ThreadRow =
  | { direction: 'outbound'; at: number; id: string; message: MessageRow }
  | { direction: 'inbound'; at: number; id: string; inbound: ThreadInboundRow };

/** Where a page ended: the oldest item's time and id (items before it come next). */
export interface ThreadPosition {
  at: number;
  id: string;
}

/** The newest `limit` items before `before` (all when absent), newest first. */
export async function threadPage(
  db: Kysely<Database>,
  contactId: string,
  q: { before?: ThreadPosition; limit: number },
): Promise<ThreadRow[]> {
  let out = db.selectFrom('messages').selectAll().where('contact_id', '=', contactId);
  let inb = db
    .selectFrom('inbound_messages')
    .select(['id', 'type', 'text', 'payload', 'reply_to_message_id', 'received_at'])
    .where('contact_id', '=', contactId);
  if (q.before) {
    const { at, id } = q.before;
    out = out.where((eb) =>
      eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', id)])]),
    );
    inb = inb.where((eb) =>
      eb.or([eb('received_at', '<', at), eb.and([eb('received_at', '=', at), eb('id', '<', id)])]),
    );
  }
  const [outbound, inbound] = await Promise.all([
    out.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute(),
    inb.orderBy('received_at', 'desc').orderBy('id', 'desc').limit(q.limit).execute(),
  ]);
  const rows: ThreadRow[] = [
    ...outbound.map((m) => ({
      direction: 'outbound' as const,
      at: Number(m.created_at),
      id: m.id,
      message: m,
    })),
    ...inbound.map((i) => ({
      direction: 'inbound' as const,
      at: Number(i.received_at),
      id: i.id,
      inbound: i,
    })),
  ];
  return rows.sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)).slice(0, q.limit);
}
