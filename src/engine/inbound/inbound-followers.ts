/**
 * What happens after an inbound message is applied, beyond the window and the reply link:
 * conversations (window timers moved, held messages released, a waiting contact resumed) and
 * reply routing follow each batch inside the webhook's own transaction, so a crash can neither
 * lose their effect nor apply it twice (the batch is applied exactly once).
 */
import type { Kysely } from 'kysely';
import type { InboundItem } from '../../channels/channel';
import type { WindowState } from '../../domain/window';
import type { ContactRow } from '../../store/contacts-repo';
import type { MessageRow } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { PendingEvent } from '../events/event-bus';
import type { inboundView } from '../events/payloads';

/** One inbound message newly applied by this batch (a redelivered one is not listed). */
export interface AppliedInbound {
  accountId: string;
  /** The contact as read before this batch moved its window. */
  contact: ContactRow;
  inboundId: string;
  item: InboundItem;
  /** The message as events show it. */
  reply: ReturnType<typeof inboundView>;
  /** Our message it answers (reply-attribution.ts), if any. */
  answered: MessageRow | undefined;
  /** The contact's window just before this message, at the message's time. */
  windowBefore: WindowState;
  /** The contact's window after this batch, now. */
  window: WindowState;
}

export interface FollowUp {
  events: PendingEvent[];
  /** Messages were queued: the dispatcher is woken after the commit. */
  queued?: boolean;
}

export interface InboundFollower {
  /** Runs in the batch's transaction, after every inbound message of the batch was applied. */
  afterInbound(db: Kysely<Database>, applied: readonly AppliedInbound[]): Promise<FollowUp>;
}
