/**
 * Queues a message inside the caller's transaction, for the engine's own sends (a resume
 * template when a timer fires, a routing rule's automatic answer): the message and the change
 * that caused it commit together, so a crash can neither lose it nor send it twice. The
 * content is already bound; the caller checked what send-service would (window, consent).
 * API sends go through SendService, whose group commit is faster for many small requests.
 */
import type { Kysely } from 'kysely';
import type { OutboundContent } from '../../channels/channel';
import { markMarketingQueued } from '../../store/consent-repo';
import { insertMessageEvents, insertMessages, type MessageRow } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';

export interface EngineSend {
  accountId: string;
  contact: { id: string; wa_id: string };
  content: OutboundContent;
  template: { name: string; language: string; category: string } | null;
  metadata: Record<string, unknown> | null;
  /** Who queued it, for the message's timeline: "resume_rule", "routing", … */
  source: string;
  /** Shown in the timeline's detail: why the engine sent it. */
  detail?: Record<string, unknown>;
}

export async function queueInTransaction(
  ctx: EngineContext,
  db: Kysely<Database>,
  sends: readonly EngineSend[],
): Promise<MessageRow[]> {
  if (sends.length === 0) return [];
  const now = ctx.clock();
  const ids = sends.map(() => ctx.id('msg'));
  const rows = await insertMessages(
    db,
    sends.map((s, i) => ({
      id: ids[i]!,
      accountId: s.accountId,
      contactId: s.contact.id,
      to: s.contact.wa_id,
      content: s.content,
      template: s.template,
      metadata: s.metadata,
      idempotencyKey: null,
      requestHash: null,
      replyToProviderId: null,
      queuedAt: now,
    })),
  );
  await insertMessageEvents(
    db,
    sends.map((s, i) => ({
      id: ctx.id('mev'),
      message_id: ids[i]!,
      status: 'queued' as const,
      at: now,
      source: s.source,
      detail: s.detail === undefined ? null : JSON.stringify(s.detail),
    })),
  );
  // A marketing template counts for the contact's frequency cap, whoever queued it.
  const marketing = sends.filter((s) => s.template?.category === 'MARKETING').map((s) => s.contact.id);
  if (marketing.length) await markMarketingQueued(db, marketing, now);
  return rows;
}
