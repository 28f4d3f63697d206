/**
 * Applies Messenger's delivery and read receipts. They come by watermark, not per message:
 * every message sent to that person on that page at or before the watermark was delivered
 * (read). Each covered message goes through the same monotonic merge as WhatsApp's statuses
 * (status-applier.ts), so a receipt delivered twice, or a delivery after the read, changes
 * nothing and tells the bot nothing.
 *
 * "Sent at" is the time our POST left (posted_at): Meta stamps a message on receipt, after we
 * posted it and before its answer reached us (accepted_at), so comparing accepted_at would
 * leave the newest message of every receipt uncovered. A message still in doubt (no answer
 * from Meta) or failed is not covered: a watermark proves nothing about whether Meta took it.
 */
import type { Kysely } from 'kysely';
import type { WatermarkItem } from '../../channels/channel';
import type { MessageStatus } from '../../domain/message';
import { mergeStatus } from '../../domain/status-merge';
import { findContacts } from '../../store/contacts-repo';
import { type MessageRow, type NewMessageEvent, writeStatusStates } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import { findWatermarkCandidates } from '../../store/watermark-repo';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/event-bus';
import { messageStatusEvent } from '../events/payloads';

/** What the applier needs to know about accounts: which of ours a page id is. */
export interface WatermarkAccounts {
  byExternalId(externalId: string): { id: string } | undefined;
}

/** Statuses a receipt can move forward: Meta took the message and it has not reached this step yet. */
const COVERABLE: Record<WatermarkItem['status'], readonly MessageStatus[]> = {
  delivered: ['accepted', 'sent'],
  read: ['accepted', 'sent', 'delivered'],
};

const TIME_FIELD = { delivered: 'delivered_at', read: 'read_at' } as const;

export async function applyWatermarks(
  ctx: EngineContext,
  accounts: WatermarkAccounts,
  db: Kysely<Database>,
  items: readonly WatermarkItem[],
): Promise<{ events: PendingEvent[]; timeline: NewMessageEvent[] }> {
  const events: PendingEvent[] = [];
  const timeline: NewMessageEvent[] = [];
  if (items.length === 0) return { events, timeline };

  // The person's contact on the page the receipt names: one lookup per account.
  const byAccount = new Map<string, Array<{ item: WatermarkItem; psid: string }>>();
  for (const item of items) {
    const account = accounts.byExternalId(item.externalId);
    if (!account) {
      ctx.log.debug({ page_id: item.externalId }, 'receipt for a page we do not know');
      continue;
    }
    const list = byAccount.get(account.id) ?? [];
    list.push({ item, psid: item.recipientId });
    byAccount.set(account.id, list);
  }
  const receipts = new Map<string, WatermarkItem[]>();
  for (const [accountId, list] of byAccount) {
    const contacts = await findContacts(
      db,
      accountId,
      list.map((l) => l.psid),
    );
    const contactOf = new Map(contacts.map((c) => [c.wa_id, c.id]));
    for (const { item, psid } of list) {
      const contactId = contactOf.get(psid);
      if (contactId === undefined) continue; // never messaged: nothing of ours to cover
      const r = receipts.get(contactId) ?? [];
      r.push(item);
      receipts.set(contactId, r);
    }
  }
  if (receipts.size === 0) return { events, timeline };

  const reads = items.some((i) => i.status === 'read');
  const rows = await findWatermarkCandidates(
    db,
    {
      contactIds: [...receipts.keys()],
      statuses: reads ? COVERABLE.read : COVERABLE.delivered,
      until: Math.max(...items.map((i) => i.watermark)),
    },
    { forUpdate: true },
  );

  const dirty: MessageRow[] = [];
  for (const original of rows) {
    const row = { ...original };
    const sentAt = row.posted_at ?? row.accepted_at ?? row.created_at;
    // Oldest receipt first (a delivery before a read of the same time): each step is recorded
    // with the time Meta reported it, and the merge takes them in order.
    const covering = (receipts.get(row.contact_id) ?? [])
      .filter((r) => r.watermark >= sentAt)
      .sort((a, b) => a.timestamp - b.timestamp || (a.status === 'delivered' ? -1 : 1));
    let changed = false;
    for (const r of covering) {
      if (!COVERABLE[r.status].includes(row.status)) continue;
      const previous = row.status;
      const merge = mergeStatus(previous, r.status);
      if (!merge.changed) continue;
      row.status = merge.status;
      const field = TIME_FIELD[r.status];
      if (row[field] === null) row[field] = r.timestamp;
      changed = true;
      timeline.push({
        id: ctx.id('mev'),
        message_id: row.id,
        status: merge.status,
        at: r.timestamp,
        source: 'webhook',
        detail: JSON.stringify({ provider_status: r.status, watermark: r.watermark }),
      });
      events.push(messageStatusEvent(row, previous));
    }
    if (changed) dirty.push(row);
  }
  await writeStatusStates(db, dirty, ctx.clock());
  return { events, timeline };
}
