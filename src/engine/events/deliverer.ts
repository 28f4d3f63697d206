/**
 * Delivers the outbox to the bot's endpoints, each endpoint apart from the others:
 * - in order per ordering key (ordering.ts: per contact, campaign, template, endpoint): each pass
 *   first runs the sequencer (positions and deliveries for newly committed events), then claims
 *   only the head of each key, so a contact's events arrive one after another in position order,
 *   also after an outage of the bot, and a failing event holds back only its own key's later
 *   events (until it is delivered or its retries are used up);
 * - a steady number of requests in flight (no batches: a finished delivery frees its slot for
 *   the next at once), at most `perEndpoint` of them to one endpoint, so a slow or failing
 *   endpoint delays only its own events;
 * - one deadline per attempt covering connect, headers and body, so an endpoint that trickles
 *   its answer cannot hold a slot longer than `timeoutMs`;
 * - a circuit breaker per endpoint (domain/endpoint-health.ts): while it is open the endpoint's
 *   deliveries wait without spending attempts; an endpoint that keeps failing is marked
 *   `failing` and an `endpoint.failing` event is emitted;
 * - retries on the schedule of domain/event-retry.ts (15 attempts over about a day);
 * - every attempt logged (event_delivery_attempts); results recorded in batched transactions,
 *   each fenced by the lease token of its claim, and the lease outlasts the deadline by a wide
 *   margin, so an attempt is never settled twice nor made twice because its lease ran out.
 * Results that cannot be recorded (the database is down) are kept and recorded when it is back;
 * the loop backs off and logs once per outage (LoopRunner).
 */
import { performance } from 'node:perf_hooks';
import { type buildConnector, Pool } from 'undici';
import {
  applyOutcomes,
  type BreakerPolicy,
  breakerState,
  DEFAULT_BREAKER_POLICY,
  type EndpointHealth,
} from '../../domain/endpoint-health';
import {
  DEFAULT_EVENT_RETRY_POLICY,
  type EventRetryPolicy,
  nextEventAttemptAt,
} from '../../domain/event-retry';
import { redactUrl } from '../../domain/redact-url';
import {
  claimDueDeliveries,
  type DeliveryResult,
  type DueDelivery,
  type EndpointHealthRow,
  listDeliveryEndpoints,
  lockEndpointHealth,
  recordDeliveryResults,
  releaseLeaseToken,
  saveEndpointHealth,
} from '../../store/events-repo';
import type { EngineContext } from '../context';
import { DEFAULT_LOOP_OPTIONS, LoopRunner } from '../loop-runner';
import { EventBus } from './event-bus';
import { contactOfKey } from './ordering';
import { endpointFailingEvent } from './payloads';
import { DEFAULT_EVENT_RETENTION_MS, EventPruner } from './retention';
import { EventSequencer } from './sequencer';
import { signPayload } from './signing';

export interface DelivererOptions {
  /** Requests in flight at once, every endpoint together. */
  concurrency: number;
  /** Requests in flight to one endpoint. */
  perEndpoint: number;
  /** One attempt, from connecting to the last byte of the answer. */
  timeoutMs: number;
  retry: EventRetryPolicy;
  breaker: BreakerPolicy;
  /** Wait between passes that found nothing due. */
  pollMs: number;
  /** Results wait at most this long to be recorded together. */
  flushMs: number;
  /** A graceful stop waits this long for requests in flight, then aborts them. */
  stopGraceMs: number;
  /**
   * Opens the connections (the composition root passes channels/safe-dispatcher's connector,
   * which refuses private addresses after DNS); undici's own when absent.
   */
  connect?: buildConnector.connector;
  /** Events older than this are pruned (EVENT_RETENTION). */
  retentionMs: number;
  /** Told each finished attempt (the composition root's metrics). */
  onAttempt?: (attempt: DeliveryAttempt) => void;
}

export interface DeliveryAttempt {
  endpointId: string;
  eventCreatedAt: number;
  replay: boolean;
  completedAt: number;
  delivered: boolean;
  /** Failed, and the retry schedule is used up. */
  gaveUp: boolean;
}

export const DEFAULT_DELIVERER_OPTIONS: DelivererOptions = {
  concurrency: 64,
  perEndpoint: 8,
  timeoutMs: 10_000,
  retry: DEFAULT_EVENT_RETRY_POLICY,
  breaker: DEFAULT_BREAKER_POLICY,
  pollMs: 500,
  flushMs: 10,
  stopGraceMs: 5_000,
  retentionMs: DEFAULT_EVENT_RETENTION_MS,
};

/** The lease outlives the deadline by this much: recording a result may wait on the database. */
const LEASE_MARGIN_MS = 60_000;
/** Bytes of an answer read for the delivery log; the rest is dropped. */
const BODY_EXCERPT_BYTES = 1_024;
const RESULTS_PER_FLUSH = 128;

interface PendingResult extends DeliveryResult {
  completedAt: number;
  /** Attempts cut short by our own stop say nothing about the endpoint's health. */
  countsForHealth: boolean;
}

export class EventDeliverer {
  private readonly pools = new Map<string, Pool>();
  private readonly runner: LoopRunner;
  private readonly bus: EventBus;
  /** Gives committed events their positions and deliveries, before each claim. */
  readonly sequencer: EventSequencer;
  readonly pruner: EventPruner;
  private readonly inflightByEndpoint = new Map<string, number>();
  private inflight = 0;
  private readonly requests = new Set<Promise<void>>();
  private readonly controllers = new Set<AbortController>();
  private results: PendingResult[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  /** Which endpoint a pass looks at first, so that none is always served last. */
  private turn = 0;
  private stopping = false;
  /** Claims that failed without an answer: they may have leased rows all the same. */
  private unsettledClaims: string[] = [];

  constructor(
    private readonly ctx: EngineContext,
    private readonly opts: DelivererOptions = DEFAULT_DELIVERER_OPTIONS,
    bus?: EventBus,
    sequencer?: EventSequencer,
  ) {
    this.bus = bus ?? new EventBus(ctx);
    this.sequencer = sequencer ?? new EventSequencer(ctx);
    this.pruner = new EventPruner(ctx, opts.retentionMs);
    this.runner = new LoopRunner('event deliverer', ctx.log, () => this.pass(), {
      ...DEFAULT_LOOP_OPTIONS,
      idleMs: opts.pollMs,
    });
  }

  private get leaseMs(): number {
    return this.opts.timeoutMs + LEASE_MARGIN_MS;
  }

  wake(): void {
    this.runner.wake();
  }

  start(): void {
    this.stopping = false;
    this.runner.start();
  }

  /** Stops claiming; waits for requests in flight (aborting them after the grace) and records them. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.runner.stop();
    const grace = new Promise<void>((r) => setTimeout(r, this.opts.stopGraceMs).unref());
    await Promise.race([Promise.all(this.requests), grace]);
    for (const c of this.controllers) c.abort(new StopError());
    await Promise.all(this.requests);
    clearTimeout(this.flushTimer);
    try {
      await this.flushAll();
    } catch (err) {
      // Their leases expire and the deliveries go again: at least once, never lost.
      this.ctx.log.error(
        { err, results: this.results.length },
        'event delivery results could not be recorded at stop',
      );
    }
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }

  /**
   * One pass, its requests awaited and their results recorded (tests, with a controlled clock).
   * Returns how many deliveries were attempted.
   */
  async runOnce(): Promise<number> {
    const n = await this.pass();
    await Promise.all(this.requests);
    await this.flushAll();
    return n;
  }

  /** Records what finished, then fills the free slots endpoint by endpoint. */
  private async pass(): Promise<number> {
    await this.flushAll();
    while (this.unsettledClaims.length > 0) {
      await releaseLeaseToken(this.ctx.store.db, this.unsettledClaims[0]!);
      this.unsettledClaims.shift();
    }
    if (this.stopping) return 0;
    await this.sequencer.run();
    await this.pruner.maybeRun();
    const free = this.opts.concurrency - this.inflight;
    if (free <= 0) return 0;
    const endpoints = await listDeliveryEndpoints(this.ctx.store.db);
    if (endpoints.length === 0) return 0;
    const now = this.ctx.clock();
    let claimed = 0;
    const first = this.turn++ % endpoints.length;
    for (let k = 0; k < endpoints.length && claimed < free; k++) {
      const ep = endpoints[(first + k) % endpoints.length]!;
      const state = breakerState(healthOf(ep), now, this.opts.breaker);
      if (state === 'open') continue;
      // Half-open: one probe; its answer decides whether the others follow.
      const cap = state === 'half_open' ? 1 : this.opts.perEndpoint;
      const room = Math.min(cap - (this.inflightByEndpoint.get(ep.id) ?? 0), free - claimed);
      if (room <= 0) continue;
      const token = this.ctx.id('lse');
      const due = await claimDueDeliveries(this.ctx.store.db, {
        endpointId: ep.id,
        now,
        leaseMs: this.leaseMs,
        limit: room,
        token,
      }).catch((err: unknown) => {
        this.unsettledClaims.push(token);
        throw err;
      });
      for (const d of due) this.launch(d);
      claimed += due.length;
    }
    return claimed;
  }

  private launch(d: DueDelivery): void {
    this.inflight++;
    this.inflightByEndpoint.set(d.endpoint_id, (this.inflightByEndpoint.get(d.endpoint_id) ?? 0) + 1);
    const request = this.attempt(d)
      .then((r) => {
        if (r.countsForHealth) this.opts.onAttempt?.(attemptOf(d, r));
        this.results.push(r);
        this.scheduleFlush();
      })
      .finally(() => {
        this.inflight--;
        const left = (this.inflightByEndpoint.get(d.endpoint_id) ?? 1) - 1;
        if (left > 0) this.inflightByEndpoint.set(d.endpoint_id, left);
        else this.inflightByEndpoint.delete(d.endpoint_id);
        this.requests.delete(request);
        this.runner.wake();
      });
    this.requests.add(request);
  }

  private pool(d: DueDelivery, url: URL): Pool {
    // Per endpoint, not per origin: two endpoints on one host do not share connections.
    const key = `${d.endpoint_id} ${url.origin}`;
    let p = this.pools.get(key);
    if (!p) {
      p = new Pool(url.origin, {
        connections: this.opts.perEndpoint,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
        keepAliveTimeout: 4_000,
        ...(this.opts.connect ? { connect: this.opts.connect } : {}),
      });
      this.pools.set(key, p);
    }
    return p;
  }

  private async attempt(d: DueDelivery): Promise<PendingResult> {
    const startedAt = this.ctx.clock();
    const t0 = performance.now();
    const ts = Math.floor(startedAt / 1000);
    const body = envelopeText(d);
    const controller = new AbortController();
    this.controllers.add(controller);
    const deadline = setTimeout(
      () => controller.abort(new DeadlineError(this.opts.timeoutMs)),
      this.opts.timeoutMs,
    );
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const url = new URL(d.url);
      const res = await this.pool(d, url).request({
        method: 'POST',
        path: `${url.pathname}${url.search}`,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Recontact-Webhooks/1',
          'webhook-id': d.event_id,
          'webhook-timestamp': String(ts),
          'webhook-signature': signPayload(d.secret, d.event_id, ts, body),
        },
        body,
        signal: controller.signal,
      });
      statusCode = res.statusCode;
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // The status is the answer; a body still on its way would only hold the slot. A body
        // already received is dropped and the connection reused; one still arriving is cut,
        // which undici reports as an 'error' that must have a listener.
        res.body.on('error', () => {});
        res.body.destroy();
      } else {
        const excerpt = await readExcerpt(res.body);
        error = `HTTP ${res.statusCode}${excerpt ? `: ${excerpt.replace(/\s+/g, ' ').slice(0, 200)}` : ''}`;
      }
    } catch (err) {
      error = describeFailure(controller.signal.reason ?? err, statusCode);
    } finally {
      clearTimeout(deadline);
      this.controllers.delete(controller);
    }
    const completedAt = this.ctx.clock();
    const attempt = d.attempts + 1;
    const stopped = controller.signal.reason instanceof StopError;
    const base = {
      id: d.id,
      leaseToken: d.lease_token,
      eventId: d.event_id,
      endpointId: d.endpoint_id,
      attempt,
      startedAt,
      durationMs: Math.round(performance.now() - t0),
      statusCode,
      error,
      attemptLogId: this.ctx.id('dat'),
      completedAt,
      countsForHealth: !stopped,
    };
    if (error === null) return { ...base, outcome: { delivered: true } };
    const next = stopped
      ? completedAt
      : nextEventAttemptAt(completedAt, attempt, this.opts.retry, Math.random);
    this.ctx.log.debug(
      { delivery: d.id, event: d.event_id, url: redactUrl(d.url), attempt, error },
      'event delivery attempt failed',
    );
    if (next === null) {
      this.ctx.log.warn(
        { delivery: d.id, event: d.event_id, url: redactUrl(d.url), attempts: attempt, error },
        'event delivery gave up: retry schedule used up',
      );
    }
    return { ...base, outcome: { delivered: false, nextAttemptAt: next } };
  }

  private scheduleFlush(): void {
    if (this.results.length >= RESULTS_PER_FLUSH) {
      void this.flushAll().catch(() => this.runner.wake());
      return;
    }
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      // A failure keeps the results; the loop's next pass retries and reports the outage.
      void this.flushAll().catch(() => this.runner.wake());
    }, this.opts.flushMs);
  }

  /** Records every buffered result; throws (keeping them) when the database cannot. */
  private async flushAll(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => {});
    while (this.results.length > 0) {
      const batch = this.results.splice(0, RESULTS_PER_FLUSH);
      this.flushing = this.record(batch).catch((err) => {
        this.results = [...batch, ...this.results];
        throw err;
      });
      try {
        await this.flushing;
      } finally {
        this.flushing = undefined;
      }
    }
  }

  private async record(batch: PendingResult[]): Promise<void> {
    const now = this.ctx.clock();
    const logs: Array<() => void> = [];
    await this.ctx.store.db.transaction().execute(async (trx) => {
      const applied = await recordDeliveryResults(trx, batch, now);
      const byEndpoint = new Map<string, PendingResult[]>();
      for (const r of batch) {
        if (!applied.has(r.id)) {
          logs.push(() =>
            this.ctx.log.warn(
              { delivery: r.id, event: r.eventId },
              'event delivery result not recorded: already recorded, or its lease is no longer ours',
            ),
          );
          continue;
        }
        if (!r.countsForHealth) continue;
        const list = byEndpoint.get(r.endpointId) ?? [];
        list.push(r);
        byEndpoint.set(r.endpointId, list);
      }
      const rows = await lockEndpointHealth(trx, [...byEndpoint.keys()]);
      const events = [];
      for (const row of rows) {
        const results = byEndpoint.get(row.id)!.sort((a, b) => a.completedAt - b.completedAt);
        const before = healthOf(row);
        const { health, becameFailing } = applyOutcomes(
          before,
          results.map((r) => ({
            at: r.completedAt,
            ok: r.outcome.delivered,
            gaveUp: !r.outcome.delivered && r.outcome.nextAttemptAt === null,
          })),
          this.opts.breaker,
        );
        const lastError = [...results].reverse().find((r) => r.error !== null)?.error;
        const lastOk = [...results].reverse().find((r) => r.outcome.delivered)?.completedAt;
        await saveEndpointHealth(trx, row.id, rowOf(health), {
          ...(lastError === undefined ? {} : { lastError }),
          ...(lastOk === undefined ? {} : { lastDeliveredAt: lastOk }),
        });
        logs.push(...this.transitionLogs(row, before, health));
        if (becameFailing) {
          events.push(
            endpointFailingEvent({
              id: row.id,
              url: redactUrl(row.url),
              reason: becameFailing,
              failingSinceAt: health.failingSinceAt ?? now,
              consecutiveFailures: health.consecutiveFailures,
              breakerOpens: health.breakerOpens,
              lastError: lastError ?? null,
            }),
          );
        }
      }
      if (events.length) await this.bus.emit(trx, events);
    });
    for (const log of logs) log();
  }

  /** One line when a breaker opens, when an endpoint is marked failing, when it recovers. */
  private transitionLogs(row: EndpointHealthRow, before: EndpointHealth, after: EndpointHealth) {
    const out: Array<() => void> = [];
    const where = { endpoint: row.id, url: redactUrl(row.url) };
    if (after.breakerOpens > before.breakerOpens && after.breakerUntil !== null) {
      const pauseMs = after.breakerUntil - this.ctx.clock();
      out.push(() =>
        this.ctx.log.warn(
          { ...where, failures: after.consecutiveFailures, pause_ms: pauseMs },
          `event endpoint failing ${after.consecutiveFailures} times in a row: its deliveries wait ${Math.round(pauseMs / 1000)} s`,
        ),
      );
    }
    if (after.markedFailingAt !== null && before.markedFailingAt === null) {
      out.push(() => this.ctx.log.error(where, 'event endpoint marked failing'));
    }
    if (before.consecutiveFailures >= this.opts.breaker.failureThreshold && after.consecutiveFailures === 0) {
      out.push(() => this.ctx.log.info(where, 'event endpoint recovered'));
    }
    return out;
  }
}

/** The envelope (schemas.ts, eventEnvelopeSchema) around a stored payload, without re-parsing it. */
export function envelopeText(e: {
  event_id: string;
  type: string;
  created_at: number;
  position: number | null;
  ordering_key: string | null;
  sequence: number | null;
  replay: number;
  payload: string;
}): string {
  const head = {
    id: e.event_id,
    type: e.type,
    timestamp: new Date(e.created_at).toISOString(),
    position: e.position,
    ordering_key: e.ordering_key,
    contact_id: contactOfKey(e.ordering_key),
    sequence: e.sequence,
    replay: e.replay === 1,
  };
  return `${JSON.stringify(head).slice(0, -1)},"data":${e.payload}}`;
}

function attemptOf(d: DueDelivery, r: PendingResult): DeliveryAttempt {
  return {
    endpointId: d.endpoint_id,
    eventCreatedAt: d.created_at,
    replay: d.replay === 1,
    completedAt: r.completedAt,
    delivered: r.outcome.delivered,
    gaveUp: !r.outcome.delivered && r.outcome.nextAttemptAt === null,
  };
}

function healthOf(r: EndpointHealthRow): EndpointHealth {
  return {
    consecutiveFailures: r.consecutive_failures,
    failingSinceAt: r.failing_since_at,
    breakerUntil: r.breaker_until,
    breakerOpens: r.breaker_opens,
    markedFailingAt: r.marked_failing_at,
  };
}

function rowOf(h: EndpointHealth) {
  return {
    consecutive_failures: h.consecutiveFailures,
    failing_since_at: h.failingSinceAt,
    breaker_until: h.breakerUntil,
    breaker_opens: h.breakerOpens,
    marked_failing_at: h.markedFailingAt,
  };
}

class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no complete answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

class StopError extends Error {
  constructor() {
    super('aborted: Recontact is stopping');
    this.name = 'StopError';
  }
}

/** The first bytes of an answer; stops reading (and so frees nothing to wait on) after that. */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= BODY_EXCERPT_BYTES) break;
  }
  return Buffer.concat(chunks).subarray(0, BODY_EXCERPT_BYTES).toString('utf8');
}

function describeFailure(err: unknown, statusCode: number | null): string {
  if (err instanceof DeadlineError) {
    return `timed out: ${err.message} (${statusCode === null ? 'no response headers' : `HTTP ${statusCode}, body incomplete`})`;
  }
  if (err instanceof StopError) return err.message;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  return typeof code === 'string' ? `${code}: ${message}` : message;
}
