/**
 * Lifecycle of one event's delivery to one subscribed endpoint (the outbox), written out once:
 *
 *   pending ──2xx from the endpoint──▶ delivered
 *      │ ▲
 *      │ └──attempt failed: attempts + 1, next_attempt_at moves back by the backoff
 *      └──attempts used up──▶ failed
 *
 * A lease (locked_until) is not a state: a pending row is leased while one worker posts it.
 */
import type { Transitions } from './lifecycle';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const DELIVERY_TRANSITIONS: Transitions<DeliveryStatus> = Object.freeze({
  pending: ['pending', 'delivered', 'failed'],
  delivered: [],
  failed: [],
});

/** Deliveries the deliverer picks up (once due and not leased). */
export const CLAIMABLE_DELIVERY_STATUSES = ['pending'] as const satisfies readonly DeliveryStatus[];
