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
  return { message, timeline: orderTimeline(withDerivedEntries(message, rows)) };
}

/** Sorts after any entry of ours written in the same millisecond. */
const LAST_ID = `mev_${'~'.repeat(26)}`;
/** Sorts before any entry written in the same millisecond. */
const FIRST_ID = 'mev_';

/**
 * Two entries are not stored as timeline rows, to keep the hot paths at one row per message:
 * the creation of a message queued at once by the send API or a campaign (it is the message
 * row itself), and Meta's acceptance (accepted_at and Meta's id on the message). Both are
 * derived here. Messages written before that change have the rows already; a message created
 * held, or queued by another path, has its own 'held' or 'queued' row.
 */
function withDerivedEntries(message: MessageRow, rows: MessageEventRow[]): MessageEventRow[] {
  const out = [...rows];
  if (!rows.some((r) => r.status === 'queued' || r.status === 'held')) {
    out.push({
      id: FIRST_ID,
      message_id: message.id,
      status: 'queued',
      at: message.created_at,
      source: message.campaign_id === null ? 'api' : 'campaign',
      detail: message.campaign_id === null ? null : JSON.stringify({ campaign_id: message.campaign_id }),
    });
  }
  if (message.accepted_at !== null && !rows.some((r) => r.status === 'accepted')) {
    out.push({
      id: LAST_ID,
      message_id: message.id,
      status: 'accepted',
      at: message.accepted_at,
      source: 'dispatcher',
      detail: JSON.stringify({
        provider_message_id: message.provider_message_id,
        ...(message.locked_by === null ? {} : { worker: message.locked_by }),
      }),
    });
  }
  return out;
}
