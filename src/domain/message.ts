/**
 * Message lifecycle, written out once:
 *
 *   queued ──claim (lease only)──▶ queued, leased ──token, "posting" recorded──▶ sending
 *      ▲                                                                            │
 *      │   retry later (Meta or the network said no before anything was sent) ◀─────┤
 *      │                                                  200 from Meta ──▶ accepted ──webhook──▶ sent ─▶ delivered ─▶ read
 *      │                                                  permanent error ──▶ failed
 *      │     (a leased `queued` row whose contact opted out since it was queued ──▶ failed, unsent)
 *      │                                                                            │
 *      │     the outcome is unknown: the worker died after posting, or the request  │
 *      │     timed out / was reset after its body left ──▶ unconfirmed ◀────────────┘
 *      │                                                     │ (waits `grace` for Meta's status webhook,
 *      │                                                     │  which carries our id and settles it: sent,
 *      │                                                     │  delivered, read or failed)
 *      └──────── policy "resend" after the grace ◀───────────┤
 *                                                            └── policy "fail" after the grace ──▶ in_doubt
 *                                                                 (held for a person or the bot; a late
 *                                                                  webhook still settles it; resend on request)
 *
 * Send when allowed (engine/conversations/held-messages.ts): a free-form message for a closed
 * window waits, never posted, while a template asks the contact to write:
 *
 *   held ──the contact writes; its turn comes (the one before it left the outbox)──▶ queued ─▶ …
 *     ├── hold_until passed before the contact wrote ──▶ expired
 *     └── cancelled on request ──▶ cancelled
 *
 * "sending" is written before the POST leaves, so after a crash only rows that may really have
 * reached Meta are in doubt. Webhook statuses arrive late, twice and out of order; `mergeStatus`
 * (status-merge.ts) keeps the lifecycle monotonic. "replied" is recorded beside the message.
 */
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'unconfirmed',
  'in_doubt',
  'accepted',
  'sent',
  'delivered',
  'read',
  'failed',
  'held',
  'cancelled',
  'expired',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Rows the dispatcher may claim. */
export const CLAIMABLE_STATUSES = ['queued'] as const satisfies readonly MessageStatus[];
/** Rows whose POST may have reached Meta without us knowing the answer. */
export const DOUBTFUL_STATUSES = ['unconfirmed', 'in_doubt'] as const satisfies readonly MessageStatus[];
/** States a send result may still be recorded over (acceptance never moves a message back). */
export const ACCEPTABLE_FROM = [
  'queued',
  'sending',
  'unconfirmed',
  'in_doubt',
] as const satisfies readonly MessageStatus[];

/** Statuses of a message that was never posted and never will be, or not yet: held back, or withdrawn. */
export const UNPOSTED_STATUSES = ['held', 'cancelled', 'expired'] as const satisfies readonly MessageStatus[];
export type UnpostedStatus = (typeof UNPOSTED_STATUSES)[number];

/** What happens to a message still unconfirmed once the grace has passed with no proof. */
export type InDoubtPolicy = 'resend' | 'fail';

/** Statuses Meta reports in webhooks (value.statuses[].status). */
export type ProviderStatus = 'sent' | 'delivered' | 'read' | 'played' | 'failed' | 'deleted' | 'warning';

export type MessageKind = 'template' | 'text' | 'interactive';
