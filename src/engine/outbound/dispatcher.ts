/**
 * The dispatcher drains the outbox (the messages table) to the channel.
 *
 * Per account: claim a batch of due rows (they become `sending`, leased to this worker, the
 * attempt counted), pace them through the account's token bucket, post them with at most
 * `concurrency` requests in flight, and record the outcomes in batched transactions:
 *   accepted                      → `accepted` with Meta's id (a webhook may already be ahead)
 *   retry later (throttle, 5xx…)  → back to `queued` with backoff and jitter
 *   permanent / attempts used up  → `failed`, and a message.status event
 * A worker that dies leaves rows in `sending`; they are claimed again only after their lease
 * and a recovery grace expire, by which time a status webhook carrying our id
 * (biz_opaque_callback_data) has proved any accepted send. See claimDueMessages.
 */
import type { Channel, OutboundContent, SendResult } from '../../channels/channel';
import { TokenBucket } from '../../domain/pacing/token-bucket';
import { classifyProviderError } from '../../domain/provider-errors';
import { backoffDelay } from '../../domain/retry';
import type { AccountWithLimits } from '../../store/accounts-repo';
import { acquireAccountLease, releaseAccountLeases } from '../../store/leases-repo';
import {
  type AcceptedResult,
  type ClaimedMessage,
  claimDueMessages,
  type FailedResult,
  findMessagesByIds,
  insertMessageEvents,
  markAccepted,
  markFailed,
  markRetry,
  type NewMessageEvent,
  type RetryResult,
  releaseLeases,
} from '../../store/messages-repo';
import type { AccountRegistry } from '../accounts';
import type { EngineContext } from '../context';
import type { EventBus, PendingEvent } from '../events/event-bus';
import { messageStatusEvent } from '../events/payloads';
import { Wakeup } from '../wakeup';

export interface DispatcherOptions {
  workerId: string;
  concurrency: number;
  batchSize: number;
  leaseMs: number;
  recoveryGraceMs: number;
  maxAttempts: number;
  pollMs: number;
  flushMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** How long this worker's hold on an account lasts unless renewed (renewed at a third). */
  accountLeaseMs: number;
}

interface AccountLane {
  account: AccountWithLimits;
  bucket: TokenBucket;
  buffer: ClaimedMessage[];
  inflight: number;
  claiming: boolean;
  pacingTimer: NodeJS.Timeout | undefined;
  /** Until when this worker holds the account's lease (0: not held). */
  heldUntil: number;
  renewAt: number;
}

/** One second plus a guard for network jitter between us and Meta. */
const PACING_WINDOW_MS = 1_100;

type Outcome =
  | { kind: 'accepted'; r: AcceptedResult }
  | { kind: 'retry'; r: RetryResult }
  | { kind: 'failed'; r: FailedResult };

export class Dispatcher {
  private readonly lanes = new Map<string, AccountLane>();
  private readonly wakeup = new Wakeup();
  private outcomes: Outcome[] = [];
  private flushing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private running = false;
  private loopDone: Promise<void> | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly accounts: AccountRegistry,
    private readonly channel: Channel,
    private readonly events: EventBus,
    private readonly opts: DispatcherOptions,
  ) {}

  wake(): void {
    this.wakeup.notify();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Stops claiming, lets in-flight sends finish, records them, and hands unsent rows back. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.wakeup.notify();
    await this.loopDone;
    for (const lane of this.lanes.values()) clearTimeout(lane.pacingTimer);
    while ([...this.lanes.values()].some((l) => l.inflight > 0)) await new Promise((r) => setTimeout(r, 5));
    await this.flush();
    const unsent = [...this.lanes.values()].flatMap((l) => l.buffer.splice(0).map((m) => m.id));
    if (unsent.length) await releaseLeases(this.ctx.store.db, this.opts.workerId, unsent, this.ctx.clock());
    // Hand the accounts over at once instead of making the next worker wait for expiry.
    await releaseAccountLeases(this.ctx.store.db, this.opts.workerId);
  }

  private lane(account: AccountWithLimits): AccountLane {
    let lane = this.lanes.get(account.id);
    if (!lane) {
      lane = {
        account,
        // Meta counts on its side, after a network delay that varies: keeping the limit over a
        // slightly wider window keeps it at Meta too (the pacing test measures at the sandbox).
        bucket: new TokenBucket({
          ratePerSecond: account.throughputMps,
          burst: account.throughputMps,
          windowMs: PACING_WINDOW_MS,
        }),
        buffer: [],
        inflight: 0,
        claiming: false,
        pacingTimer: undefined,
        heldUntil: 0,
        renewAt: 0,
      };
      this.lanes.set(account.id, lane);
    }
    lane.account = account;
    return lane;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let claimed = 0;
      for (const account of this.accounts.all()) {
        try {
          const lane = this.lane(account);
          if (await this.holds(lane)) claimed += await this.refill(lane);
        } catch (err) {
          this.ctx.log.error({ err, account: account.id }, 'claiming messages failed');
        }
      }
      if (claimed === 0) await this.wakeup.wait(this.opts.pollMs);
      else await this.wakeup.wait(this.opts.flushMs);
    }
  }

  /**
   * Meta's limits are per phone number, so only the holder of an account's lease paces and
   * sends for it; other workers leave it alone until the lease expires (a dead holder).
   */
  private async holds(lane: AccountLane): Promise<boolean> {
    const now = this.ctx.clock();
    if (now < lane.renewAt) return true;
    const held = await acquireAccountLease(this.ctx.store.db, {
      accountId: lane.account.id,
      holder: this.opts.workerId,
      now,
      ttlMs: this.opts.accountLeaseMs,
    });
    if (held) {
      if (lane.heldUntil === 0)
        this.ctx.log.info({ account: lane.account.id }, 'now dispatching for this account');
      lane.heldUntil = now + this.opts.accountLeaseMs;
      lane.renewAt = now + this.opts.accountLeaseMs / 3;
      return true;
    }
    if (lane.heldUntil !== 0) {
      this.ctx.log.warn(
        { account: lane.account.id },
        'lost the account lease; handing buffered messages back',
      );
      lane.heldUntil = 0;
      const unsent = lane.buffer.splice(0).map((m) => m.id);
      if (unsent.length) await releaseLeases(this.ctx.store.db, this.opts.workerId, unsent, now);
    }
    return false;
  }

  /** Keeps each lane's buffer topped up; leases stay short by never buffering more than ~half a lease of sends. */
  private async refill(lane: AccountLane): Promise<number> {
    const cap = Math.max(
      1,
      Math.min(this.opts.batchSize, Math.floor((lane.account.throughputMps * this.opts.leaseMs) / 2000)),
    );
    if (lane.claiming || lane.buffer.length >= cap / 2) return 0;
    lane.claiming = true;
    try {
      const rows = await claimDueMessages(this.ctx.store.db, this.ctx.store.dialect, {
        accountId: lane.account.id,
        workerId: this.opts.workerId,
        now: this.ctx.clock(),
        leaseMs: this.opts.leaseMs,
        recoveryGraceMs: this.opts.recoveryGraceMs,
        limit: cap - lane.buffer.length,
      });
      lane.buffer.push(...rows);
      this.pump(lane);
      return rows.length;
    } finally {
      lane.claiming = false;
    }
  }

  private pump(lane: AccountLane): void {
    const before = lane.buffer.length;
    while (lane.buffer.length > 0 && lane.inflight < this.opts.concurrency) {
      // A lease that lapsed (a long stall) may already be another worker's: send nothing more.
      if (this.ctx.clock() >= lane.heldUntil) return;
      const wait = lane.bucket.take(this.ctx.clock());
      if (wait > 0) {
        if (!lane.pacingTimer) {
          lane.pacingTimer = setTimeout(() => {
            lane.pacingTimer = undefined;
            this.pump(lane);
          }, wait);
        }
        return;
      }
      const msg = lane.buffer.shift()!;
      lane.inflight++;
      void this.sendOne(lane, msg);
    }
    // Running low: ask the loop to claim more (only after this call really took rows).
    if (lane.buffer.length < before && lane.buffer.length < this.opts.batchSize / 4) this.wakeup.notify();
  }

  private async sendOne(lane: AccountLane, msg: ClaimedMessage): Promise<void> {
    let result: SendResult;
    try {
      result = await this.channel.send(lane.account, {
        messageId: msg.id,
        to: msg.to_wa,
        content: JSON.parse(msg.content) as OutboundContent,
        ...(msg.reply_to_provider_id ? { replyToProviderId: msg.reply_to_provider_id } : {}),
      });
    } catch (err) {
      result = { ok: false, error: { code: null, httpStatus: null, title: String(err) } };
    }
    this.outcomes.push(this.outcomeOf(lane, msg, result));
    lane.inflight--;
    this.scheduleFlush();
    this.pump(lane);
  }

  private outcomeOf(lane: AccountLane, msg: ClaimedMessage, result: SendResult): Outcome {
    if (result.ok)
      return { kind: 'accepted', r: { id: msg.id, providerMessageId: result.providerMessageId } };
    const e = result.error;
    const c = classifyProviderError({ code: e.code, httpStatus: e.httpStatus });
    const errorMessage = `${c.reason}${e.details ? ` — ${e.details}` : ''}`;
    const base = { id: msg.id, errorCode: e.code, errorClass: c.class, errorMessage };
    const now = this.ctx.clock();
    if (e.code === 130429 || e.httpStatus === 429)
      lane.bucket.penalize(now, (e.retryAfterSeconds ?? 1) * 1000);
    const retryable = c.class === 'retry_later' || c.class === 'account_fatal';
    if (!retryable || msg.attempts >= this.opts.maxAttempts) return { kind: 'failed', r: base };
    // Full jitter alone can come out near zero; a failed send always waits at least the base.
    const delay = Math.max(
      this.opts.retryBaseMs,
      c.minDelayMs ?? 0,
      (e.retryAfterSeconds ?? 0) * 1000,
      c.class === 'account_fatal' ? 300_000 : 0,
      backoffDelay(msg.attempts, { baseMs: this.opts.retryBaseMs, capMs: this.opts.retryCapMs }, Math.random),
    );
    if (c.class === 'account_fatal') {
      this.ctx.log.error(
        { account: lane.account.id, code: e.code, reason: c.reason },
        'account-level error from Meta',
      );
    }
    return { kind: 'retry', r: { ...base, nextAttemptAt: now + delay } };
  }

  private scheduleFlush(): void {
    if (this.outcomes.length >= this.opts.batchSize) {
      void this.flush();
      return;
    }
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, this.opts.flushMs);
    }
  }

  /** Records buffered outcomes in one transaction; flushes never overlap. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.outcomes.length === 0) return;
    const batch = this.outcomes;
    this.outcomes = [];
    this.flushing = this.record(batch)
      .catch((err) => {
        // Meta's answers are facts: keep them and try again shortly (the database may be
        // restarting). Were this process to die meanwhile, the rows stay `sending` and the
        // status webhooks carrying our ids settle them before any resend.
        this.ctx.log.error({ err, count: batch.length }, 'recording send results failed; retrying in 1 s');
        this.outcomes = [...batch, ...this.outcomes];
        setTimeout(() => void this.flush(), 1_000).unref();
      })
      .finally(() => {
        this.flushing = undefined;
      });
    await this.flushing;
  }

  private async record(batch: Outcome[]): Promise<void> {
    const now = this.ctx.clock();
    const accepted: AcceptedResult[] = [];
    const retry: RetryResult[] = [];
    const failed: FailedResult[] = [];
    for (const o of batch) {
      if (o.kind === 'accepted') accepted.push(o.r);
      else if (o.kind === 'retry') retry.push(o.r);
      else failed.push(o.r);
    }
    const timeline: NewMessageEvent[] = [];
    const mev = (message_id: string, status: string, detail: unknown) =>
      timeline.push({
        id: this.ctx.id('mev'),
        message_id,
        status,
        at: now,
        source: 'dispatcher',
        detail: detail === null ? null : JSON.stringify(detail),
      });
    await this.ctx.store.db.transaction().execute(async (trx) => {
      // The timeline lists status changes: a send whose 'sent' webhook beat this flush has no 'accepted' entry.
      const nowAccepted = new Set(accepted.length ? await markAccepted(trx, accepted, now) : []);
      for (const r of accepted) {
        if (nowAccepted.has(r.id)) {
          mev(r.id, 'accepted', { provider_message_id: r.providerMessageId, worker: this.opts.workerId });
        }
      }
      // Retries and failures are fenced by the lease: only rows this worker still owns change,
      // and only those get a timeline entry.
      const retried = new Set(retry.length ? await markRetry(trx, this.opts.workerId, retry, now) : []);
      for (const r of retry) {
        if (!retried.has(r.id)) continue;
        mev(r.id, 'retry_scheduled', {
          error_code: r.errorCode,
          error: r.errorMessage,
          next_attempt_at: new Date(r.nextAttemptAt).toISOString(),
        });
      }
      const changed = failed.length ? await markFailed(trx, this.opts.workerId, failed, now) : [];
      const failedNow = new Set(changed);
      for (const r of failed) {
        if (failedNow.has(r.id)) {
          mev(r.id, 'failed', { error_code: r.errorCode, error_class: r.errorClass, error: r.errorMessage });
        }
      }
      await insertMessageEvents(trx, timeline);
      if (changed.length) {
        const rows = await findMessagesByIds(trx, changed);
        const events: PendingEvent[] = rows.map((m) => messageStatusEvent(m, 'sending'));
        await this.events.emit(trx, events);
      }
    });
  }
}
