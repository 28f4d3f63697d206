/**
 * Applies delivery statuses from webhooks. Meta sends them late, twice and out of order; the
 * domain's mergeStatus keeps each message's lifecycle monotonic, and only a real change writes
 * a timeline row and tells the bot — so a duplicate webhook changes nothing and emits nothing.
 */
import type { Kysely } from 'kysely';
import type { StatusItem } from '../../channels/channel';
import type { ProviderStatus } from '../../domain/message';
import { classifyProviderError } from '../../domain/provider-errors';
import { mergeStatus } from '../../domain/status-merge';
import { findContacts, linkAddresses } from '../../store/contacts-repo';
import {
  findMessageStatesByIds,
  findMessagesOfContactsByProviderIds,
  type MessageState,
  type NewMessageEvent,
  writeStatusStates,
} from '../../store/messages-repo';
import type { RowLock } from '../../store/row-locks';
import type { Database } from '../../store/schema';
import type { AccountRegistry } from '../accounts';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/event-bus';
import { messageStatusEvent } from '../events/payloads';

const TIME_FIELD: Partial<Record<ProviderStatus, 'sent_at' | 'delivered_at' | 'read_at' | 'failed_at'>> = {
  sent: 'sent_at',
  delivered: 'delivered_at',
  read: 'read_at',
  played: 'read_at',
  failed: 'failed_at',
};

export async function applyStatuses(
  ctx: EngineContext,
  accounts: AccountRegistry,
  db: Kysely<Database>,
  items: StatusItem[],
): Promise<{ events: PendingEvent[]; timeline: NewMessageEvent[] }> {
  const now = ctx.clock();
  // A recipient's phone and BSUID seen together are one person (contacts first, as inbound does).
  await linkAddresses(db, addressPairs(accounts, items), now);
  const ours = [...new Set(items.flatMap((i) => (i.ourMessageId ? [i.ourMessageId] : [])))];
  // Locked until the batch commits: two batches touching one message merge one after the other.
  const lock: RowLock = { forUpdate: true };
  const rows = [
    ...(await findMessageStatesByIds(db, ours, lock)),
    ...(await findByRecipients(
      accounts,
      db,
      items.filter((i) => !i.ourMessageId),
      lock,
    )),
  ];
  const byId = new Map(rows.map((r) => [r.id, { ...r }]));
  const byProvider = new Map(
    rows.filter((r) => r.provider_message_id).map((r) => [r.provider_message_id!, r.id]),
  );
  /** Rows whose delivery state changed; their whole state is written back in one statement. */
  const dirty = new Set<string>();
  const events: PendingEvent[] = [];
  const timeline: NewMessageEvent[] = [];

  for (const item of items) {
    const id =
      item.ourMessageId && byId.has(item.ourMessageId)
        ? item.ourMessageId
        : byProvider.get(item.providerMessageId);
    const row = id === undefined ? undefined : byId.get(id);
    if (!row) {
      ctx.log.debug({ provider_message_id: item.providerMessageId }, 'status for a message we do not know');
      continue;
    }
    if (row.provider_message_id === null) {
      row.provider_message_id = item.providerMessageId;
      dirty.add(row.id);
    } else if (row.provider_message_id !== item.providerMessageId) {
      ctx.log.warn(
        { message: row.id, known: row.provider_message_id, reported: item.providerMessageId },
        'status names another provider id for our message',
      );
    }
    // Meta's billing facts (migration 0012), kept whatever the status merge decides.
    // Written with the rest of the state: one update of the row, not a second one for pricing.
    if (item.pricing && pricingOf(item.pricing, row)) dirty.add(row.id);
    const field = TIME_FIELD[item.status];
    if (field && row[field] === null) {
      row[field] = item.timestamp;
      dirty.add(row.id);
    }
    const previous = row.status;
    const merge = mergeStatus(previous, item.status);
    if (merge.changed) {
      row.status = merge.status;
      dirty.add(row.id);
      if (previous === 'sending' || previous === 'queued') {
        // A status proves Meta accepted it: the lease no longer matters.
        row.locked_by = null;
        row.locked_until = null;
      }
      if (merge.status === 'failed') applyFailure(row, item);
      timeline.push({
        id: ctx.id('mev'),
        message_id: row.id,
        status: merge.status,
        at: item.timestamp,
        source: 'webhook',
        detail: JSON.stringify({
          provider_status: item.status,
          ...(item.errors ? { errors: item.errors } : {}),
          ...(item.pricing ? { pricing: item.pricing } : {}),
        }),
      });
      events.push(messageStatusEvent(row, previous));
    }
  }
  await writeStatusStates(
    db,
    [...dirty].map((id) => byId.get(id)!),
    now,
  );
  return { events, timeline };
}

/** Takes a status's `pricing` into the row; whether that changed it. */
function pricingOf(pricing: NonNullable<StatusItem['pricing']>, row: MessageState): boolean {
  const category = pricing.category ?? row.pricing_category;
  const billable = pricing.billable === undefined ? row.billable : pricing.billable ? 1 : 0;
  if (category === row.pricing_category && billable === row.billable) return false;
  row.pricing_category = category;
  row.billable = billable;
  return true;
}

function applyFailure(row: MessageState, item: StatusItem): void {
  const err = item.errors?.[0];
  const c = classifyProviderError({ code: err?.code ?? null, httpStatus: null });
  row.error_code = err?.code ?? null;
  row.error_class = c.class;
  row.error_message = `${c.reason}${err?.details ? ` — ${err.details}` : ''}`;
}

function addressPairs(accounts: AccountRegistry, items: StatusItem[]) {
  return items.flatMap((i) => {
    if (i.recipientId === undefined || i.recipientUserId === undefined || i.recipientId === i.recipientUserId)
      return [];
    const account = accounts.byExternalId(i.externalId);
    return account ? [{ accountId: account.id, waId: i.recipientId, bsuid: i.recipientUserId }] : [];
  });
}

/**
 * Statuses without our id (a message sent by another tool on the same number, say) are matched
 * through their recipient: the contact, then Meta's id among that contact's messages.
 */
async function findByRecipients(
  accounts: AccountRegistry,
  db: Kysely<Database>,
  items: StatusItem[],
  lock: RowLock,
): Promise<MessageState[]> {
  const byAccount = new Map<string, Set<string>>();
  for (const i of items) {
    const account = accounts.byExternalId(i.externalId);
    if (!account || !i.recipientId) continue;
    byAccount.set(account.id, (byAccount.get(account.id) ?? new Set()).add(i.recipientId));
  }
  const contactIds: string[] = [];
  for (const [accountId, waIds] of byAccount) {
    const rows = await findContacts(db, accountId, [...waIds]);
    contactIds.push(...rows.map((r) => r.id));
  }
  const providerIds = [...new Set(items.map((i) => i.providerMessageId))];
  return findMessagesOfContactsByProviderIds(db, contactIds, providerIds, lock);
}
