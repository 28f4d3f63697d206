/**
 * Applies inbound user messages: each one moves the contact's window, is stored once (Meta's
 * message id is unique), and is attributed to the message of ours it answers — by the quoted
 * context id when the user tapped a button or replied in context, otherwise to the last message
 * we sent that has no reply yet ("the next message after it").
 */
import type { Kysely } from 'kysely';
import type { InboundItem } from '../../channels/channel';
import { waIdToE164 } from '../../domain/phone';
import { windowState } from '../../domain/window';
import { ensureContact, recordInbound } from '../../store/contacts-repo';
import {
  findMessagesOfContactsByProviderIds,
  lastOutboundTo,
  type MessageRow,
  type NewMessageEvent,
  updateMessage,
} from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { AccountRegistry } from '../accounts';
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

/** Replies later than this are conversation, not an answer to a re-contact message. */
const ATTRIBUTION_WINDOW_MS = 7 * 24 * 3600_000;

export async function applyInbound(
  ctx: EngineContext,
  accounts: AccountRegistry,
  db: Kysely<Database>,
  items: InboundItem[],
): Promise<{ events: PendingEvent[]; timeline: NewMessageEvent[] }> {
  const now = ctx.clock();
  const events: PendingEvent[] = [];
  const timeline: NewMessageEvent[] = [];
  for (const item of items) {
    const account = accounts.byPhoneNumberId(item.phoneNumberId);
    if (!account) {
      ctx.log.warn({ phone_number_id: item.phoneNumberId }, 'inbound message for an unknown phone number id');
      continue;
    }
    const contact = await ensureContact(
      db,
      {
        id: ctx.id('ctc'),
        accountId: account.id,
        waId: item.from,
        phoneE164: safeE164(item.from),
        name: item.profileName ?? null,
      },
      now,
    );
    const inboundId = ctx.id('inb');
    const inserted = await db
      .insertInto('inbound_messages')
      .values({
        id: inboundId,
        account_id: account.id,
        contact_id: contact.id,
        provider_message_id: item.providerMessageId,
        type: item.type,
        text: item.text ?? item.button?.text ?? item.interactiveReply?.title ?? null,
        payload: item.button?.payload ?? item.interactiveReply?.id ?? null,
        context_provider_id: item.contextProviderId ?? null,
        reply_to_message_id: null,
        received_at: item.timestamp,
        created_at: now,
      })
      .onConflict((oc) => oc.column('provider_message_id').doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) continue; // a duplicate delivery

    const before = windowState(contact.last_inbound_at, item.timestamp);
    await recordInbound(db, contact.id, item.timestamp, item.profileName, now);
    const lastInbound = Math.max(contact.last_inbound_at ?? 0, item.timestamp);
    const after = windowState(lastInbound, now);
    const window = windowView(after);
    const contactData = contactView(contact, item.profileName);
    if (!before.open) {
      events.push(
        windowOpenedEvent({ accountId: account.id, contact: contactData, openedAt: item.timestamp, window }),
      );
    }

    const answered = await attribute(db, contact.id, item);
    const reply = inboundView(inboundId, item);
    if (answered) {
      await db
        .updateTable('inbound_messages')
        .set({ reply_to_message_id: answered.id })
        .where('id', '=', inboundId)
        .execute();
      if (answered.replied_at === null) {
        answered.replied_at = item.timestamp;
        await updateMessage(db, answered.id, { replied_at: item.timestamp }, now);
        timeline.push({
          id: ctx.id('mev'),
          message_id: answered.id,
          status: 'replied',
          at: item.timestamp,
          source: 'webhook',
          detail: JSON.stringify({ inbound_id: inboundId, payload: reply.payload, text: reply.text }),
        });
      }
      events.push(
        messageReplyEvent({ accountId: account.id, message: answered, contact: contactData, reply, window }),
      );
    }
    events.push(
      messageReceivedEvent({
        accountId: account.id,
        contact: contactData,
        message: reply,
        inReplyTo: answered?.id ?? null,
        window,
      }),
    );
  }
  return { events, timeline };
}

async function attribute(
  db: Kysely<Database>,
  contactId: string,
  item: InboundItem,
): Promise<MessageRow | undefined> {
  if (item.contextProviderId) {
    const [quoted] = await findMessagesOfContactsByProviderIds(db, [contactId], [item.contextProviderId]);
    if (quoted) return quoted;
  }
  // Meta's timestamps are whole seconds: a message we sent earlier in the same second still counts.
  const last = await lastOutboundTo(
    db,
    contactId,
    item.timestamp + 999,
    item.timestamp - ATTRIBUTION_WINDOW_MS,
  );
  return last && last.replied_at === null ? last : undefined;
}

function safeE164(waId: string): string | null {
  try {
    return waIdToE164(waId);
  } catch {
    return null;
  }
}
