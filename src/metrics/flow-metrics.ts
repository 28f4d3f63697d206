/**
 * How long work waits in this process's hands: webhook bodies from their durable receipt to
 * their applying (the webhook processor's hook), and events from their creation to their
 * delivery to each endpoint, with the attempts that failed (the deliverer's hook).
 */
import type { Registry } from 'prom-client';
import { idTime } from '../domain/ids';
import type { DeliveryAttempt } from '../engine/events/deliverer';
import { TallyCounter, TallyHistogram } from './tally';

/** Applied within a batch (milliseconds) up to a backlog after an outage (minutes). */
const WEBHOOK_LAG_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** Delivered at once (milliseconds) up to the retry schedule's last attempts (about a day). */
const DELIVERY_LAG_BUCKETS = [
  0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1_800, 3_600, 21_600, 86_400,
];

export interface FlowMetrics {
  webhooksApplied(inboxIds: readonly string[], appliedAt: number): void;
  deliveryAttempt(attempt: DeliveryAttempt): void;
}

export function createFlowMetrics(registry: Registry): FlowMetrics {
  const webhookLag = new TallyHistogram(registry, {
    name: 'recontact_webhook_lag_seconds',
    help: "Time from a Meta webhook body's durable receipt (its 200) to its applying, per body",
    buckets: WEBHOOK_LAG_BUCKETS,
  }).labels({});
  const deliveryLag = new TallyHistogram(registry, {
    name: 'recontact_event_delivery_lag_seconds',
    help: "Time from an event's creation to its delivery to an endpoint (replays left out)",
    labelNames: ['endpoint'],
    buckets: DELIVERY_LAG_BUCKETS,
  });
  const attempts = new TallyCounter(registry, {
    name: 'recontact_event_delivery_attempts_total',
    help: 'Event delivery attempts by this process, by endpoint and result (delivered, failed)',
    labelNames: ['endpoint', 'result'],
  });
  const givenUp = new TallyCounter(registry, {
    name: 'recontact_event_deliveries_given_up_total',
    help: 'Event deliveries failed for good: their retry schedule used up',
    labelNames: ['endpoint'],
  });
  return {
    webhooksApplied(inboxIds, appliedAt) {
      for (const id of inboxIds) {
        const receivedAt = receivedAtOf(id);
        if (receivedAt !== undefined) webhookLag.observe(Math.max(0, appliedAt - receivedAt) / 1000);
      }
    },
    deliveryAttempt(a) {
      const endpoint = a.endpointId;
      attempts.labels({ endpoint, result: a.delivered ? 'delivered' : 'failed' }).inc();
      if (a.gaveUp) givenUp.labels({ endpoint }).inc();
      // A replay re-delivers old events on request: its age says nothing about the pipeline.
      if (a.delivered && !a.replay)
        deliveryLag.labels({ endpoint }).observe(Math.max(0, a.completedAt - a.eventCreatedAt) / 1000);
    },
  };
}

/**
 * An inbox id is made when the body is received, just before its durable insert (webhook-ingest
 * .ts), so the time written in it is the receipt's, without reading the row again.
 */
function receivedAtOf(inboxId: string): number | undefined {
  try {
    return idTime(inboxId);
  } catch {
    return undefined;
  }
}
