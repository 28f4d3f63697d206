/**
 * Delivers the outbox to the bot's endpoints. Each delivery is leased, POSTed once, and then
 * marked delivered (2xx) or rescheduled with exponential backoff and jitter; after
 * `maxAttempts` it is marked failed and stays in the table for inspection and replay.
 */
import { Pool } from 'undici';
import { redactUrl } from '../../domain/redact-url';
import { backoffDelay } from '../../domain/retry';
import {
  claimDeliveries,
  type DueDelivery,
  markDelivered,
  markDeliveryAttemptFailed,
} from '../../store/events-repo';
import type { EngineContext } from '../context';
import { Wakeup } from '../wakeup';
import { signPayload } from './signing';

export interface DelivererOptions {
  concurrency: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  pollMs: number;
}

export const DEFAULT_DELIVERER_OPTIONS: DelivererOptions = {
  concurrency: 16,
  maxAttempts: 15,
  baseDelayMs: 1_000,
  maxDelayMs: 3_600_000,
  timeoutMs: 10_000,
  pollMs: 500,
};

export class EventDeliverer {
  private readonly pools = new Map<string, Pool>();
  private readonly wakeup = new Wakeup();
  private running = false;
  private loopDone: Promise<void> | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly opts: DelivererOptions = DEFAULT_DELIVERER_OPTIONS,
  ) {}

  wake(): void {
    this.wakeup.notify();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeup.notify();
    await this.loopDone;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
    this.pools.clear();
  }

  /** One pass: deliver what is due now. Returns how many deliveries were attempted. */
  async runOnce(): Promise<number> {
    const due = await claimDeliveries(this.ctx.store.db, {
      now: this.ctx.clock(),
      leaseMs: this.opts.timeoutMs * 3,
      limit: this.opts.concurrency * 4,
    });
    for (let i = 0; i < due.length; i += this.opts.concurrency) {
      await Promise.all(due.slice(i, i + this.opts.concurrency).map((d) => this.deliver(d)));
    }
    return due.length;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const n = await this.runOnce();
        if (n > 0) continue;
      } catch (err) {
        this.ctx.log.error({ err }, 'event delivery pass failed');
      }
      await this.wakeup.wait(this.opts.pollMs);
    }
  }

  private pool(url: URL): Pool {
    let p = this.pools.get(url.origin);
    if (!p) {
      p = new Pool(url.origin, {
        connections: 4,
        headersTimeout: this.opts.timeoutMs,
        bodyTimeout: this.opts.timeoutMs,
      });
      this.pools.set(url.origin, p);
    }
    return p;
  }

  private async deliver(d: DueDelivery): Promise<void> {
    const ts = Math.floor(this.ctx.clock() / 1000);
    const body = `{"type":${JSON.stringify(d.type)},"timestamp":${JSON.stringify(new Date(d.created_at).toISOString())},"data":${d.payload}}`;
    let error: string | undefined;
    try {
      const url = new URL(d.url);
      const res = await this.pool(url).request({
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
      });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        error = `HTTP ${res.statusCode}: ${text.slice(0, 200)}`;
      }
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
    const now = this.ctx.clock();
    if (error === undefined) {
      await markDelivered(this.ctx.store.db, d.id, now);
      return;
    }
    const attempt = d.attempts + 1;
    const giveUp = attempt >= this.opts.maxAttempts;
    // Full jitter alone can come out near zero: a receiver that just failed gets at least the base delay.
    const delay = Math.max(
      this.opts.baseDelayMs,
      backoffDelay(attempt, { baseMs: this.opts.baseDelayMs, capMs: this.opts.maxDelayMs }, Math.random),
    );
    await markDeliveryAttemptFailed(this.ctx.store.db, d.id, {
      error,
      nextAttemptAt: giveUp ? null : now + delay,
    });
    this.ctx.log.warn(
      { delivery: d.id, event: d.event_id, url: redactUrl(d.url), attempt, error },
      'event delivery failed',
    );
  }
}
