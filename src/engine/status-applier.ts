/**
 * Applies delivery statuses from webhooks. Meta sends them late, twice and out of order; the
 * domain's mergeStatus keeps each message's lifecycle monotonic, and only a real change writes
 * a timeline row and tells the bot — so a duplicate webhook changes nothing and emits nothing.
 */
import type { Kysely } from 'kysely';
import type { StatusItem } from '../channels/channel';
import type { MessageStatus } from '../domain/message';
import { classifyProviderError } from '../domain/provider-errors';
import { mergeStatus } from '../domain/status-merge';
import {
  findMessagesByIds,
  findMessagesByProviderIds,
  type MessageRow,
  type NewMessageEvent,
  writeStatusStates,
} from '../store/messages-repo';
import type { Database } from '../store/schema';
import type { EngineContext } from './context';
import type { PendingEvent } from './events';
import { messageStatusEvent } from './message-events';

const TIME_FIELD = {
  sent: 'sent_at',
  delivered: 'delivered_at',
  read: 'read_at',
  played: 'read_at',
  failed: 'failed_at',
} as const;

export async function applyStatuses(
  ctx: EngineContext,
  db: Kysely<Database>,
  items: StatusItem[],
): Promise<{ events: PendingEvent[]; timeline: NewMessageEvent[] }> {
  const now = ctx.clock();
  const ours = [...new Set(items.flatMap((i) => (i.ourMessageId ? [i.ourMessageId] : [])))];
  const theirs = [...new Set(items.filter((i) => !i.ourMessageId).map((i) => i.providerMessageId))];
  const lock = ctx.store.dialect;
  const rows = [
    ...(await findMessagesByIds(db, ours, lock)),
    ...(await findMessagesByProviderIds(db, theirs, lock)),
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
    const field = TIME_FIELD[item.status as keyof typeof TIME_FIELD];
    if (field && row[field] === null) {
      row[field] = item.timestamp;
      dirty.add(row.id);
    }
    const previous = row.status;
    const merge = mergeStatus(previous as MessageStatus, item.status);
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
      events.push(messageStatusEvent(row as MessageRow, previous));
    }
  }
  await writeStatusStates(
    db,
    [...dirty].map((id) => byId.get(id)!),
    now,
  );
  return { events, timeline };
}

function applyFailure(row: MessageRow, item: StatusItem): void {
  const err = item.errors?.[0];
  const c = classifyProviderError({ code: err?.code ?? null, httpStatus: null });
  row.error_code = err?.code ?? null;
  row.error_class = c.class;
  row.error_message = `${c.reason}${err?.details ? ` — ${err.details}` : ''}`;
}
