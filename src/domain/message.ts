/**
 * Message lifecycle, written out once:
 *
 *   queued ──claim──▶ sending ──200 from Meta──▶ accepted ──webhook──▶ sent ─▶ delivered ─▶ read
 *      ▲                 │
 *      └──retry later────┤ (transient error, or lease expired with no proof of acceptance)
 *                        └──permanent error──▶ failed
 *
 * Webhook statuses arrive late, twice and out of order; `mergeStatus` (status-merge.ts) keeps
 * the lifecycle monotonic. "replied" is not a status: it is recorded beside the message.
 */
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Statuses Meta reports in webhooks (value.statuses[].status). */
export type ProviderStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'deleted' | 'warning';

export type MessageKind = 'template' | 'text' | 'interactive';
