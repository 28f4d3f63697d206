/**
 * Lifecycle of a stored webhook body (the inbox), written out once:
 *
 *   pending ──applied in a batch──▶ processed
 *      │ ▲
 *      │ └──its batch failed: attempts + 1, applied again later
 *      └──failed maxAttempts times, or no longer parses──▶ failed (parked, kept for inspection)
 *
 * A body is acknowledged to Meta only once it is `pending` in the database.
 */
import type { Transitions } from './lifecycle';

export const INBOX_STATUSES = ['pending', 'processed', 'failed'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

export const INBOX_TRANSITIONS: Transitions<InboxStatus> = Object.freeze({
  pending: ['pending', 'processed', 'failed'],
  processed: [],
  failed: [],
});

/** Bodies the processor picks up. */
export const CLAIMABLE_INBOX_STATUSES = ['pending'] as const satisfies readonly InboxStatus[];
