/**
 * The agent's lists, across an account's contacts: who is waiting for an answer (an active
 * waiting mark), and whose window closes soon (the last moment for a free-form answer before
 * only a template reaches them). Each item is the contact as the contact book shows it, its
 * active mark, its last message and how many answers are held for it; pages follow the list's
 * own order, with an opaque cursor.
 */
import { isoTime } from '../../domain/iso-time';
import { WHATSAPP_WINDOW } from '../../domain/window';
import { type ConversationRow, closingPage, waitingPage } from '../../store/conversation-lists-repo';
import { type ContactView, contactView } from '../contacts/contact-book';
import type { EngineContext } from '../context';
import { waitingView } from './conversation-events';
import { type ListPosition, readListCursor, writeListCursor } from './list-cursor';

export interface ConversationItem {
  contact: ContactView;
  waiting: ReturnType<typeof waitingView> | null;
  last_inbound: { id: string; type: string; text: string | null; received_at: string } | null;
  held: number;
}

export interface ConversationPage {
  data: ConversationItem[];
  next_cursor: string | null;
}

export const CONVERSATION_LIST_LIMITS = Object.freeze({ defaultLimit: 50, maxLimit: 200 });

export async function listWaiting(
  ctx: EngineContext,
  accountId: string,
  q: { cursor?: string; limit: number },
): Promise<ConversationPage> {
  const after = q.cursor === undefined ? undefined : readListCursor(q.cursor, ['wait']);
  const rows = await waitingPage(ctx.store.db, {
    accountId,
    ...(after ? { after } : {}),
    limit: q.limit + 1,
  });
  return page(rows, q.limit, ctx.clock(), (r) => ({
    at: Number(r.waiting!.created_at),
    id: r.waiting!.id,
  }));
}

export async function listClosing(
  ctx: EngineContext,
  accountId: string,
  q: { withinMs: number; cursor?: string; limit: number },
): Promise<ConversationPage> {
  const after = q.cursor === undefined ? undefined : readListCursor(q.cursor, ['ctc']);
  const now = ctx.clock();
  const rows = await closingPage(ctx.store.db, {
    accountId,
    now,
    until: now + q.withinMs,
    windowMs: WHATSAPP_WINDOW.durationMs,
    ...(after ? { after } : {}),
    limit: q.limit + 1,
  });
  return page(rows, q.limit, now, (r) => ({ at: Number(r.contact.last_inbound_at), id: r.contact.id }));
}

function page(
  rows: ConversationRow[],
  limit: number,
  now: number,
  position: (r: ConversationRow) => ListPosition,
): ConversationPage {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  return {
    data: shown.map((r) => ({
      contact: contactView(r.contact, now),
      waiting: r.waiting ? waitingView(r.waiting) : null,
      last_inbound: r.lastInbound
        ? {
            id: r.lastInbound.id,
            type: r.lastInbound.type,
            text: r.lastInbound.text,
            received_at: isoTime(Number(r.lastInbound.received_at)),
          }
        : null,
      held: r.held,
    })),
    next_cursor: rows.length > limit && last ? writeListCursor(position(last)) : null,
  };
}
