/**
 * Folds provider statuses into a message's status. Webhooks arrive late, twice and out of
 * order, so the merge only ever moves forward: a status that would move a message backwards
 * is reported as stale (worth logging and counting) and ignored.
 */
import type { MessageStatus, ProviderStatus } from './message';

/**
 * The forward ladder. 'failed' is not on it: it beats everything up to 'sent' but loses to
 * proof that the user has the message, which no single rank can express.
 */
export const STATUS_RANK: Readonly<Record<Exclude<MessageStatus, 'failed'>, number>> = Object.freeze({
  queued: 0,
  // Never posted (held back, then released, withdrawn or expired): Meta has no status for them.
  held: 0,
  cancelled: 0,
  expired: 0,
  sending: 1,
  // Posted, outcome unknown: any status from Meta is news.
  unconfirmed: 1,
  in_doubt: 1,
  accepted: 2,
  sent: 3,
  delivered: 4,
  read: 5,
});

export interface StatusMerge {
  status: MessageStatus;
  /** The stored status must be updated. */
  changed: boolean;
  /** The incoming status arrived after a later one and was ignored. */
  stale: boolean;
}

type ReachedUser = 'delivered' | 'read';

export function mergeStatus(current: MessageStatus, incoming: ProviderStatus): StatusMerge {
  // 'deleted' (the user deleted it) and 'warning' (e.g. an item unavailable in a catalogue)
  // describe the message, not its progress; they are neither a step nor out of order.
  if (incoming === 'deleted' || incoming === 'warning') return keep(current, false);
  // A voice note is 'played' instead of 'read': the same proof that the user saw it.
  const target: MessageStatus = incoming === 'played' ? 'read' : incoming;
  if (target === current) return keep(current, false);
  if (target === 'failed') return reachedUser(current) ? keep(current, true) : move('failed');
  if (current === 'failed') {
    // Meta has been seen to report 'delivered' after 'failed' on multi-device accounts. Proof
    // of delivery beats a failure report: the user has the message, so counting it as failed
    // would understate the campaign and invite a resend the user would see twice. A late
    // 'sent' proves nothing of the kind, so it stays stale.
    return reachedUser(target) ? move(target) : keep(current, true);
  }
  return STATUS_RANK[target] > STATUS_RANK[current] ? move(target) : keep(current, true);
}

function reachedUser(status: MessageStatus): status is ReachedUser {
  return status === 'delivered' || status === 'read';
}

function move(status: MessageStatus): StatusMerge {
  return { status, changed: true, stale: false };
}

function keep(status: MessageStatus, stale: boolean): StatusMerge {
  return { status, changed: false, stale };
}
