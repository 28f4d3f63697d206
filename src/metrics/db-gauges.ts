/**
 * The gauges read from the database at scrape time: they describe what every process shares,
 * so each process reports the same values (aggregate them with max(), not sum(), across
 * instances). One scrape reads everything once (store/metrics-repo.ts, each read on a partial
 * index) and the reading is kept `cacheMs` for the next scrapes, so that many scrapers, or
 * several gauges of one scrape, cost the database one read a second at most. When the database
 * cannot be read, `recontact_metrics_database_up` is 0 and these gauges are left out (those
 * without labels read NaN) rather than reported stale; the process's own metrics are still served.
 */
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EngineContext } from '../engine/context';
import {
  type AccountLabel,
  accountLabels,
  type EndpointBacklog,
  endpointBacklogs,
  type InboxBacklog,
  inboxBacklog,
  type LeaseHolding,
  leaseHoldings,
  type QueueDepth,
  queueDepths,
} from '../store/metrics-repo';

export interface DbGaugeOptions {
  /** How long one database reading serves scrapes. */
  cacheMs: number;
  /** The clock the cache is kept by (monotonic ms); tests pass their own. */
  monotonicMs: () => number;
}

export const DEFAULT_DB_GAUGE_OPTIONS: DbGaugeOptions = {
  cacheMs: 1_000,
  monotonicMs: () => performance.now(),
};

interface Snapshot {
  /** ctx.clock() when read: ages are counted from it. */
  at: number;
  queues: QueueDepth[];
  inbox: InboxBacklog;
  endpoints: EndpointBacklog[];
  leases: LeaseHolding[];
  accounts: AccountLabel[];
  readSeconds: number;
}

export function registerDbGauges(
  registry: Registry,
  ctx: EngineContext,
  options: Partial<DbGaugeOptions> = {},
): void {
  const opts = { ...DEFAULT_DB_GAUGE_OPTIONS, ...options };
  // Kept from the end of a reading: a slow database is not asked again while it answers.
  let cached: { until: number; reading: Promise<Snapshot | undefined> } | undefined;
  const snapshot = (): Promise<Snapshot | undefined> => {
    if (cached && opts.monotonicMs() < cached.until) return cached.reading;
    const entry = { until: Number.POSITIVE_INFINITY, reading: read() };
    void entry.reading.then(() => {
      entry.until = opts.monotonicMs() + opts.cacheMs;
    });
    cached = entry;
    return entry.reading;
  };
  const read = async (): Promise<Snapshot | undefined> => {
    const { db } = ctx.store;
    const t0 = performance.now();
    try {
      const [queues, inbox, endpoints, leases, accounts] = await Promise.all([
        queueDepths(db),
        inboxBacklog(db),
        endpointBacklogs(db),
        leaseHoldings(db),
        accountLabels(db),
      ]);
      const readSeconds = (performance.now() - t0) / 1000;
      return { at: ctx.clock(), queues, inbox, endpoints, leases, accounts, readSeconds };
    } catch (err) {
      readErrors.inc();
      ctx.log.debug({ err }, 'metrics: the database could not be read');
      return undefined;
    }
  };

  /** A gauge refilled from each scrape's snapshot: series that are gone (a moved lease) go. */
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    fill: (g: Gauge<L>, s: Snapshot) => void,
  ) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        if (s) fill(this, s);
        // prom-client always writes a gauge without labels: NaN, never a stale or made-up 0.
        else if (labelNames.length === 0) this.set(Number.NaN);
      },
    });
  const seconds = (ms: number) => ms / 1000;

  new Gauge({
    name: 'recontact_metrics_database_up',
    help: 'Whether this scrape could read the database (0: the database gauges are left out)',
    registers: [registry],
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  gauge(
    'recontact_metrics_database_read_seconds',
    'How long the database reading behind this scrape took',
    [],
    (g, s) => g.set(s.readSeconds),
  );
  gauge(
    'recontact_queue_messages',
    'Messages per account in each non-terminal state (queued, sending, unconfirmed, in_doubt, held)',
    ['account', 'status'],
    (g, s) => {
      for (const q of s.queues) g.set({ account: q.accountId, status: q.status }, q.count);
    },
  );
  gauge(
    'recontact_webhook_inbox_pending',
    'Webhook bodies acknowledged to Meta and not applied yet',
    [],
    (g, s) => g.set(s.inbox.pending),
  );
  gauge(
    'recontact_webhook_inbox_oldest_age_seconds',
    'Age of the oldest webhook body not applied yet (0: none waits)',
    [],
    (g, s) =>
      g.set(s.inbox.oldestReceivedAt === null ? 0 : seconds(Math.max(0, s.at - s.inbox.oldestReceivedAt))),
  );
  gauge(
    'recontact_event_deliveries_pending',
    'Event deliveries waiting, per endpoint',
    ['endpoint'],
    (g, s) => {
      for (const e of s.endpoints) g.set({ endpoint: e.endpointId }, e.pending);
    },
  );
  gauge(
    'recontact_event_deliveries_oldest_age_seconds',
    "Age of the first delivery waiting in an endpoint's queue (position order; 0: none waits)",
    ['endpoint'],
    (g, s) => {
      for (const e of s.endpoints)
        g.set(
          { endpoint: e.endpointId },
          e.headCreatedAt === null ? 0 : seconds(Math.max(0, s.at - e.headCreatedAt)),
        );
    },
  );
  gauge(
    'recontact_event_endpoint_consecutive_failures',
    'Failed delivery attempts in a row, per endpoint',
    ['endpoint'],
    (g, s) => {
      for (const e of s.endpoints) g.set({ endpoint: e.endpointId }, e.consecutiveFailures);
    },
  );
  gauge(
    'recontact_event_endpoint_failing',
    'Whether the endpoint is marked failing (1) or not (0)',
    ['endpoint'],
    (g, s) => {
      for (const e of s.endpoints) g.set({ endpoint: e.endpointId }, e.failing ? 1 : 0);
    },
  );
  gauge(
    'recontact_event_endpoint_breaker_open',
    "Whether the endpoint's circuit breaker holds its deliveries back now (1) or not (0)",
    ['endpoint'],
    (g, s) => {
      for (const e of s.endpoints)
        g.set({ endpoint: e.endpointId }, e.breakerUntil !== null && e.breakerUntil > s.at ? 1 : 0);
    },
  );
  gauge(
    'recontact_account_lease_holder',
    'Which worker holds the lease on an account: 1 while it is valid, 0 once expired (not yet taken over)',
    ['account', 'holder'],
    (g, s) => {
      for (const l of s.leases) g.set({ account: l.accountId, holder: l.holder }, l.expiresAt > s.at ? 1 : 0);
    },
  );
  gauge(
    'recontact_account_lease_expires_in_seconds',
    "Seconds until an account's lease expires unless renewed (negative: expired)",
    ['account', 'holder'],
    (g, s) => {
      for (const l of s.leases)
        g.set({ account: l.accountId, holder: l.holder }, seconds(l.expiresAt - s.at));
    },
  );
  gauge(
    'recontact_account_info',
    'Each channel account, always 1: its name and channel, to join on the account label',
    ['account', 'name', 'channel', 'disabled'],
    (g, s) => {
      for (const a of s.accounts)
        g.set(
          { account: a.accountId, name: a.name, channel: a.channel, disabled: a.disabled ? 'true' : 'false' },
          1,
        );
    },
  );
  const readErrors = new Counter({
    name: 'recontact_metrics_database_read_errors_total',
    help: 'Scrape-time database reads that failed (the database gauges were left out)',
    registers: [registry],
    // prom-client collects every metric at once: wait for this scrape's reading to count it.
    async collect() {
      await snapshot();
    },
  });
}
