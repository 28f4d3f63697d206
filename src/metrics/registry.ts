/**
 * One process's metrics, in one prom-client Registry made by the composition root (not the
 * global default one, so a test can build several apps in one process, each with its own):
 * - what this process did (sends and Meta's errors, webhook lag, event deliveries), counted
 *   where it happens through small hooks (metered-channel.ts, flow-metrics.ts);
 * - what every process shares (queues, inbox, outbox, leases), read from the database at scrape
 *   time (db-gauges.ts), so any one process can be scraped for them;
 * - Node's own (RSS, heap, event-loop lag, GC), prom-client's default metrics, and how busy the
 *   event loop is (eventLoopBusy below).
 */
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { ChannelSet } from '../channels/router';
import type { EngineContext } from '../engine/context';
import type { DeliveryAttempt } from '../engine/events/deliverer';
import { type DbGaugeOptions, registerDbGauges } from './db-gauges';
import { createFlowMetrics } from './flow-metrics';
import { meterChannelSet } from './metered-channel';

export interface Metrics {
  readonly registry: Registry;
  /** The Prometheus text format's content type, as prom-client writes it. */
  readonly contentType: string;
  /** The whole registry in Prometheus text format. */
  render(): Promise<string>;
  /** The channel set with every send counted (sends by outcome, Meta's errors by code). */
  meter(channels: ChannelSet): ChannelSet;
  /** Webhook bodies applied (the webhook processor's hook): received → applied. */
  webhooksApplied(inboxIds: readonly string[], appliedAt: number): void;
  /** One event delivery attempt finished (the deliverer's hook). */
  deliveryAttempt(attempt: DeliveryAttempt): void;
}

export interface MetricsOptions extends Partial<DbGaugeOptions> {
  /** Names this process in `recontact_worker_info` (the holder in lease gauges). */
  workerId: string;
}

export function createMetrics(ctx: EngineContext, opts: MetricsOptions): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Gauge({
    name: 'recontact_worker_info',
    help: 'This process: its worker id, the holder named by recontact_account_lease_holder',
    labelNames: ['worker'],
    registers: [registry],
  }).set({ worker: opts.workerId }, 1);
  eventLoopBusy(registry);
  registerDbGauges(registry, ctx, opts);
  const flow = createFlowMetrics(registry);
  return {
    registry,
    contentType: registry.contentType,
    render: () => registry.metrics(),
    meter: (channels) => meterChannelSet(channels, registry),
    webhooksApplied: flow.webhooksApplied,
    deliveryAttempt: flow.deliveryAttempt,
  };
}

/**
 * The time this process's event loop spent running code rather than waiting, as a counter:
 * `rate()` of it is the share of the time the one thread that runs JavaScript was busy (1 is
 * saturated). A worker is the only sender of its accounts, so that share near 1 says the worker,
 * not the database or Meta, is what limits their sends. Lag (prom-client's) only shows the
 * waits that ran long; a counter, unlike a gauge of the last window, reads the same for any
 * number of scrapers and scrape intervals.
 */
function eventLoopBusy(registry: Registry): void {
  let counted = 0;
  new Counter({
    name: 'recontact_event_loop_busy_seconds_total',
    help: "Seconds this process's event loop spent running code (rate(): the share of time it was busy)",
    registers: [registry],
    collect() {
      const busy = performance.eventLoopUtilization().active / 1000;
      if (busy > counted) {
        this.inc(busy - counted);
        counted = busy;
      }
    },
  });
}
