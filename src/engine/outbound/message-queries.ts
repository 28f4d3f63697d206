/**
 * Reading messages back: one message with its timeline in lifecycle order, and pages of
 * messages newest first (GET /v1/messages, GET /v1/messages/{id}).
 */
import { RecontactError } from '../../domain/errors';
import { orderTimeline, type TimelineClock } from '../../domain/timeline';
import {
  getMessage,
  getTimeline,
  listMessages,
  type MessageEventRow,
  type MessageListFilter,
  type MessageRow,
} from '../../store/messages-repo';
import type { EngineContext } from '../context';

export type { MessageEventRow, MessageRow };

/** The filters of a page: each is optional, and they combine with AND. */
export type MessagePageQuery = Omit<MessageListFilter, 'limit' | 'beforeId'> & {
  /** At most this many messages. */
  limit: number;
  /** The page after this message id (the last one of the previous page). */
  afterCursor?: string;
};

export interface MessagePage {
  messages: MessageRow[];
  /** The id of the page's last message when more follow, else null. */
  nextCursor: string | null;
}

/** One page of messages, newest first; one more row is read to know whether another page follows. */
export async function listMessagePage(ctx: EngineContext, q: MessagePageQuery): Promise<MessagePage> {
  const { limit, afterCursor, ...filters } = q;
  const rows = await listMessages(ctx.store.db, {
    ...filters,
    limit: limit + 1,
    ...(afterCursor !== undefined ? { beforeId: afterCursor } : {}),
  });
  const messages = rows.slice(0, limit);
  return { messages, nextCursor: rows.length > limit ? messages.at(-1)!.id : null };
}

/** A message and each step it went through, in lifecycle order; MESSAGE_NOT_FOUND if there is none. */
export async function getMessageWithTimeline(
  ctx: EngineContext,
  id: string,
): Promise<{ message: MessageRow; timeline: Array<MessageEventRow & { clock: TimelineClock }> }> {
  const { db } = ctx.store;
  const message = await getMessage(db, id);
  if (!message) {
    throw new RecontactError('MESSAGE_NOT_FOUND', `No message "${id}"`, {
      hint: 'Use the id returned by POST /v1/messages (msg_…).',
    });
  }
  const rows = await getTimeline(db, message.id);
  return { message, timeline: orderTimeline(withAcceptance(message, rows)) };
}

/**
 * The dispatcher records Meta's acceptance on the message alone (accepted_at, Meta's id), not
 * as a timeline row: the entry is derived here. Messages accepted before that change have the
 * row already.
 */
function withAcceptance(message: MessageRow, rows: MessageEventRow[]): MessageEventRow[] {
  if (message.accepted_at === null || rows.some((r) => r.status === 'accepted')) return rows;
  return [
    ...rows,
    {
      // Sorts after any entry of ours written in the same millisecond before it.
      id: `mev_${'~'.repeat(26)}`,
      message_id: message.id,
      status: 'accepted',
      at: message.accepted_at,
      source: 'dispatcher',
      detail: JSON.stringify({ provider_message_id: message.provider_message_id }),
    },
  ];
}
