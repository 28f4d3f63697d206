/**
 * Applies inbound user messages, a batch at a time: each one is stored once (Meta's message id
 * is unique), moves its contact's window, and is attributed to the message of ours it answers
 * (reply-attribution.ts). A batch costs a fixed number of statements however many messages it
 * holds: contacts read (and created) at once, inbound rows inserted at once, reply candidates
 * read at once, windows moved, replies linked and marked at once.
 */
import type { Kysely } from 'kysely';
import type { InboundItem } from '../../channels/channel';
import { isBsuid } from '../../domain/bsuid';
import type { ChannelKind } from '../../domain/channels/channel-kind';
import { waIdToE164 } from '../../domain/phone';
import { laterInbound, windowState } from '../../domain/window';
import { recordRecipientReply } from '../../store/campaign-recipients-repo';
import {
  type ContactRow,
  contactKey,
  ensureContacts,
  linkAddresses,
  moveWindows,
} from '../../store/contacts-repo';
import { insertInbound, linkReplies } from '../../store/inbound-repo';
import {
  findReplyCandidates,
  type MessageRow,
  markReplied,
  type NewMessageEvent,
} from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/event-bus';
import {
  contactView,
  inboundView,
  messageReceivedEvent,
  messageReplyEvent,
  windowOpenedEvent,
  windowView,
} from '../events/payloads';
import type { AppliedInbound } from './inbound-followers';
import { ANSWERABLE_STATUSES, attributeReply, candidateRange } from './reply-attribution';

/** What the applier needs to know about accounts: which of ours a phone-number id or page id is. */
export interface InboundAccounts {
  byExternalId(externalId: string): { id: string; channel?: ChannelKind } | undefined;
}

interface Entry {
  item: InboundItem;
  accountId: string;
  contact: ContactRow;
  inboundId: string;
}

export async function applyInbound(
  ctx: EngineContext,
  accounts: InboundAccounts,
  db: Kysely<Database>,
  items: InboundItem[],
): Promise<{ events: PendingEvent[]; timeline: NewMessageEvent[]; applied: AppliedInbound[] }> {
  const now = ctx.clock();
  const events: PendingEvent[] = [];
  const timeline: NewMessageEvent[] = [];
  const done: AppliedInbound[] = [];

  const known: Array<{ item: InboundItem; accountId: string; channel: ChannelKind }> = [];
  const seen = new Set<string>();
  for (const item of items) {
    const account = accounts.byExternalId(item.externalId);
    if (!account) {
      ctx.log.warn(
        { external_id: item.externalId },
        'inbound message for an unknown phone-number id or page id',
      );
      continue;
    }
    if (seen.has(item.providerMessageId)) continue; // Meta delivered it twice in this batch
    seen.add(item.providerMessageId);
    known.push({ item, accountId: account.id, channel: account.channel ?? 'whatsapp' });
  }
  if (known.length === 0) return { events, timeline, applied: done };

  // A phone and a BSUID in one message are one person: link (or merge) them first, so that the
  // contacts resolved below are the surviving ones (contacts-repo linkAddresses).
  await linkAddresses(
    db,
    known.flatMap(({ item, accountId }) =>
      item.fromUserId !== undefined && item.fromUserId !== item.from
        ? [{ accountId, waId: item.from, bsuid: item.fromUserId }]
        : [],
    ),
    now,
  );
  // Locked (PostgreSQL) until the batch commits: the windows read here are the ones moved below.
  const contacts = await ensureContacts(
    db,
    known.map(({ item, accountId, channel }) => ({
      id: ctx.id('ctc'),
      accountId,
      waId: item.from,
      // A PSID is digits too, and some would read as a phone number: only WhatsApp's are phones.
      phoneE164: channel === 'whatsapp' ? safeE164(item.from) : null,
      name: item.profileName ?? null,
      bsuid: channel === 'whatsapp' ? bsuidOf(item) : null,
    })),
    now,
    { forUpdate: true },
  );
  const entries: Entry[] = known.map(({ item, accountId }) => ({
    item,
    accountId,
    contact: contacts.get(contactKey(accountId, item.from))!,
    inboundId: ctx.id('inb'),
  }));
  const fresh = await insertInbound(
    db,
    entries.map((e) => ({
      id: e.inboundId,
      accountId: e.accountId,
      contactId: e.contact.id,
      providerMessageId: e.item.providerMessageId,
      type: e.item.type,
      text: e.item.text ?? e.item.button?.text ?? e.item.interactiveReply?.title ?? null,
      payload: e.item.button?.payload ?? e.item.interactiveReply?.id ?? null,
      contextProviderId: e.item.contextProviderId ?? null,
      receivedAt: e.item.timestamp,
    })),
    now,
  );
  // A message stored by an earlier delivery of the same webhook was applied then: skip it.
  const applied = entries.filter((e) => fresh.has(e.item.providerMessageId));
  if (applied.length === 0) return { events, timeline, applied: done };

  const sentTo = await replyCandidates(db, applied);
  const lastInbound = new Map(applied.map((e) => [e.contact.id, e.contact.last_inbound_at]));
  const links: Array<{ inboundId: string; messageId: string }> = [];
  const replied = new Map<
    string,
    { at: number; payload: string | null; campaign: boolean; detail: string }
  >();

  for (const { item, accountId, contact, inboundId } of applied) {
    const previous = lastInbound.get(contact.id) ?? null;
    const latest = laterInbound(previous, item.timestamp);
    lastInbound.set(contact.id, latest);
    // Open when the user wrote? Open now? A message that arrives after its own 24 hours (Meta
    // retried it for a day, or we were down) opened a window that has already closed again:
    // the bot hears about it as a message, not as a window it could use.
    const before = windowState(previous, item.timestamp);
    const current = windowState(latest, now);
    const window = windowView(current);
    const contactData = contactView(contact, item.profileName);
    if (!before.open && window.open) {
      events.push(windowOpenedEvent({ accountId, contact: contactData, openedAt: item.timestamp, window }));
    }

    const reply = inboundView(inboundId, item);
    const answered = attributeReply(
      { at: item.timestamp, quotedProviderId: item.contextProviderId },
      sentTo.get(contact.id) ?? [],
    );
    if (answered) {
      links.push({ inboundId, messageId: answered.id });
      if (answered.replied_at === null) {
        answered.replied_at = item.timestamp;
        replied.set(answered.id, {
          at: item.timestamp,
          payload: reply.payload,
          campaign: answered.campaign_id !== null,
          detail: JSON.stringify({ inbound_id: inboundId, payload: reply.payload, text: reply.text }),
        });
      }
      events.push(messageReplyEvent({ accountId, message: answered, contact: contactData, reply, window }));
    }
    events.push(
      messageReceivedEvent({
        accountId,
        contact: contactData,
        message: reply,
        inReplyTo: answered?.id ?? null,
        window,
      }),
    );
    done.push({
      accountId,
      contact,
      inboundId,
      item,
      reply,
      answered,
      windowBefore: before,
      window: current,
    });
  }

  // Every item reopens the window; only messages move last_user_message_at (HUMAN_AGENT's 7 days).
  await moveWindows(
    db,
    applied.map((e) => ({
      contactId: e.contact.id,
      at: e.item.timestamp,
      name: e.item.profileName,
      userMessage: e.item.isMessage !== false,
    })),
    now,
  );
  await linkReplies(db, links);
  const marked = await markReplied(
    db,
    [...replied].map(([id, r]) => ({ id, at: r.at })),
    now,
  );
  for (const [id, r] of replied) {
    // Another process may have recorded a reply first: only the reply that marked it is listed.
    if (!marked.has(id)) continue;
    // A campaign's replies are counted by button payload (its results' replies_by_payload).
    if (r.campaign) await recordRecipientReply(db, { messageId: id, at: r.at, payload: r.payload });
    timeline.push({
      id: ctx.id('mev'),
      message_id: id,
      status: 'replied',
      at: r.at,
      source: 'webhook',
      detail: r.detail,
    });
  }
  return { events, timeline, applied: done };
}

/** Every message the batch's replies may answer, by contact, in creation order: one query. */
async function replyCandidates(db: Kysely<Database>, applied: Entry[]): Promise<Map<string, MessageRow[]>> {
  const times = applied.map((e) => e.item.timestamp);
  const rows = await findReplyCandidates(db, {
    contactIds: applied.map((e) => e.contact.id),
    quotedProviderIds: applied.flatMap((e) => (e.item.contextProviderId ? [e.item.contextProviderId] : [])),
    statuses: ANSWERABLE_STATUSES,
    ...candidateRange(Math.min(...times), Math.max(...times)),
  });
  const byContact = new Map<string, MessageRow[]>();
  for (const r of rows) {
    const list = byContact.get(r.contact_id);
    if (list) list.push(r);
    else byContact.set(r.contact_id, [r]);
  }
  return byContact;
}

/** The sender's BSUID, when the message names one (as from_user_id, or as `from` itself). */
function bsuidOf(item: InboundItem): string | null {
  if (item.fromUserId !== undefined && isBsuid(item.fromUserId)) return item.fromUserId;
  return isBsuid(item.from) ? item.from : null;
}

function safeE164(waId: string): string | null {
  try {
    return waIdToE164(waId);
  } catch {
    return null;
  }
}
