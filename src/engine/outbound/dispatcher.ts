/**
 * The dispatcher drains the outbox (the messages table) to the channel. The message lifecycle
 * it drives is drawn in src/domain/message.ts; per account, one worker at a time (the holder of
 * the account's lease, since Meta's limits are per phone number):
 *
 *   1. read: a batch of due `queued` rows into the lane's buffer, writing nothing (the account
 *      lease is what makes them this worker's; see dispatch-repo.ts);
 *   2. pace: take a token per message from the account's bucket;
 *   3. mark: record those rows `sending` in one statement, just before their POSTs leave;
 *   4. post with at most `concurrency` requests in flight;
 *   5. record each answer as soon as the previous write is done (group commit) — acceptances
 *      ride with the lane's next `sending` mark when one is about to be written (one commit for
 *      both), otherwise they are written by themselves:
 *        accepted                            → `accepted` with Meta's id
 *        refused before anything was sent    → back to `queued` with backoff (or `failed`)
 *        outcome unknown (timeout, reset)    → `unconfirmed`, waiting for Meta's proof
 *
 * Meta's back-off codes act on more than the one message (domain/campaigns/backoff.ts says what
 * each means): 130429 and 131048 slow the account's lane (AIMD, slowFactorAt) and 130429 also
 * stops it a moment (TokenBucket.penalize); 80007, 4 and 131057 stop the lane a while, longer
 * while they repeat; 131056 holds only that message (that user), ≥ 6 s, doubling per refusal;
 * a 131050 answer records the marketing opt-out with the failure; a code that every recipient of
 * a campaign would hit (template paused, account problems, 131064) pauses that campaign — its
 * refused message goes back to the queue, held by the pause, instead of failing — while a 1:1
 * message follows the retry policy as before.
 *
 * After a crash, rows left `sending` are the ones whose POST may have reached Meta. The next
 * holder of the account marks them `unconfirmed` and waits `recoveryGraceMs` — counted from
 * then, while our webhook endpoint is up again — for the status webhook carrying our id
 * (biz_opaque_callback_data), which settles them. When the grace passes with no proof and the
 * webhook inbox is empty, the policy decides: `resend` (at least once) or `fail`, which holds the
 * message as `in_doubt` for a person or the bot (at most once). Either way a `message.in_doubt`
 * event says so.
 */
import { setMaxListeners } from 'node:events';
import type { Channel, OutboundContent, OutboundMessage, SendResult } from '../../channels/channel';
import {
  type AccountSlowdown,
  type BackoffContext,
  type CampaignBackoff,
  campaignBackoff,
  slowDown,
  slowFactorAt,
} from '../../domain/campaigns/backoff';
import { isoTimeOrNull } from '../../domain/iso-time';
import type { InDoubtPolicy } from '../../domain/message';
import { TokenBucket } from '../../domain/pacing/token-bucket';
import { classifyProviderError } from '../../domain/provider-errors';
import { backoffDelay } from '../../domain/retry';
import type { TimelineStatus } from '../../domain/timeline';
import type { AccountWithLimits } from '../../store/accounts-repo';
import { HELD_AT } from '../../store/campaign-recipients-repo';
import {
  type AcceptedResult,
  type ClaimedMessage,
  type FailedResult,
  markAccepted,
  markAcceptedAndPosting,
  markFailed,
  markPosting,
  markRetry,
  markStaleSendsUnconfirmed,
  markUnconfirmed,
  type RetryResult,
  ROWS_PER_STATEMENT,
  readDueMessages,
  revertUnpostedMarks,
  settleExpiredDoubts,
  type UnconfirmedResult,
} from '../../store/dispatch-repo';
import { pendingWebhooks } from '../../store/inbox-repo';
import { acquireAccountLease, releaseAccountLeases } from '../../store/leases-repo';
import { findMessagesByIds, insertMessageEvents, type NewMessageEvent } from '../../store/messages-repo';
import type { AccountRegistry } from '../accounts';
import { pauseCampaign } from '../campaigns/commands';
import type { EngineContext } from '../context';
import type { EventBus, PendingEvent } from '../events/event-bus';
import { messageInDoubtEvent, messageStatusEvent } from '../events/payloads';
import { recordMarketingRefusals } from '../inbound/consent-applier';
import { LoopRunner } from '../loop-runner';
import { refuseOptedOut } from './consent-guard';

export interface DispatcherOptions {
  workerId: string;
  concurrency: number;
  batchSize: number;
  leaseMs: number;
  /** How long an unconfirmed message waits for Meta's proof before the policy applies. */
  recoveryGraceMs: number;
  inDoubtPolicy: InDoubtPolicy;
  maxAttempts: number;
  pollMs: number;
  retryBaseMs: number;
  retryCapMs: number;
  /** How long this worker's hold on an account lasts unless renewed (renewed at a third). */
  accountLeaseMs: number;
  /** How often the holder of an account looks for sends left in doubt. */
  sweepMs: number;
}

export interface DispatcherHooks {
  /**
   * A lane that is sending found fewer due rows than it had room for: whatever keeps the
   * outbox fed (the campaign runner, which keeps only half a second of a campaign queued)
   * should look now rather than at its next poll, or the lane runs dry in between.
   */
  outboxLow?: () => void;
}

interface AccountLane {
  account: AccountWithLimits;
  bucket: TokenBucket;
  /** Due rows read for this account, waiting for a token. */
  buffer: ClaimedMessage[];
  /** Granted a token (at the time beside it in `toPostAt`), waiting for their `sending` mark to commit. */
  toPost: ClaimedMessage[];
  toPostAt: number[];
  marking: boolean;
  markQueued: boolean;
  /** Being marked `sending` right now (still `queued` in the database until that commits). */
  beingMarked: ClaimedMessage[];
  /** Marked or being marked `sending`, posted or about to be: counts against concurrency. */
  inflight: number;
  reading: boolean;
  /** `sending` marks whose commit may have happened although we were told it failed: never posted. */
  unpostedMarks: Array<{ ids: string[]; postedAt: number }>;
  pacingTimer: NodeJS.Timeout | undefined;
  /** Until when this worker holds the account's lease (0: not held). */
  heldUntil: number;
  renewAt: number;
  sweptAt: number;
  /** Slowed by 130429 / 131048 (null: full rate); grants are spaced at the slowed rate till then. */
  slow: AccountSlowdown | null;
  slowNextAt: number;
  /**
   * Account-wide stops (80007, 4, 131057) in a row, reset by an accepted send: escalates the
   * next stop. Refusals while a stop lasts (the sends that were in flight) are the same episode.
   */
  accountRefusals: number;
  accountStopUntil: number;
}

/** A grant counts for at least this long, and for a second after its answer (see TokenBucket). */
export const PACING_WINDOW_MS = 1_100;

type Outcome =
  | { kind: 'accepted'; r: AcceptedResult }
  | { kind: 'retry'; r: RetryResult }
  | { kind: 'failed'; r: FailedResult; optOut?: true }
  | { kind: 'unconfirmed'; r: UnconfirmedResult }
  | CampaignStop;

/**
 * A refusal every recipient of a campaign would get (backoff.ts pause_campaign): a campaign
 * message goes back to the queue and its campaign pauses (the pause holds it until a resume);
 * any other message takes the outcome it would have had anyway (`otherwise`).
 */
interface CampaignStop {
  kind: 'campaign_stop';
  accountId: string;
  reason: string;
  retry: RetryResult;
  otherwise: { kind: 'retry'; r: RetryResult } | { kind: 'failed'; r: FailedResult };
}

export class Dispatcher {
  private readonly lanes = new Map<string, AccountLane>();
  private readonly runner: LoopRunner;
  private outcomes: Outcome[] = [];
  private flushing: Promise<void> | undefined;
  private flushQueued = false;
  private recordRetryTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private inflightAbort = new AbortController();
  /** Rows this worker id left `sending` before this moment belong to a previous life. */
  private readonly startedAt: number;

  constructor(
    private readonly ctx: EngineContext,
    private readonly accounts: AccountRegistry,
    private readonly channel: Pick<Channel, 'send'>,
    private readonly events: EventBus,
    private readonly opts: DispatcherOptions,
    private readonly hooks: DispatcherHooks = {},
  ) {
    this.startedAt = ctx.clock();
    // Every send in flight listens to this one signal: hundreds at once is the normal case.
    setMaxListeners(0, this.inflightAbort.signal);
    this.runner = new LoopRunner('dispatcher', ctx.log, () => this.pass(), {
      idleMs: opts.pollMs,
      errorBaseMs: 250,
      errorCapMs: 5_000,
      stallMs: Math.max(10_000, opts.accountLeaseMs),
    });
  }

  wake(): void {
    this.runner.wake();
  }

  start(): void {
    this.stopping = false;
    if (this.inflightAbort.signal.aborted) {
      this.inflightAbort = new AbortController();
      setMaxListeners(0, this.inflightAbort.signal);
    }
    this.runner.start();
  }

  /**
   * Stops claiming and posting; waits up to `deadlineMs` for the requests in flight, then aborts
   * them (their outcome is unknown: they become unconfirmed, not resent); records every answer;
   * hands unposted rows and the accounts back at once.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    if (!this.runner.isRunning && this.inflight() === 0) return;
    this.stopping = true;
    await this.runner.stop();
    for (const lane of this.lanes.values()) clearTimeout(lane.pacingTimer);
    const deadline = Date.now() + deadlineMs;
    while (this.inflight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    if (this.inflight() > 0) {
      this.ctx.log.warn(
        { inflight: this.inflight() },
        'stop deadline reached: aborting sends in flight; they stay unconfirmed until Meta proves them',
      );
      this.inflightAbort.abort(new Error('dispatcher stopping'));
      while (this.inflight() > 0) await new Promise((r) => setTimeout(r, 5));
    }
    clearTimeout(this.recordRetryTimer);
    await this.flush();
    // Unposted rows are still `queued` in the database: whoever holds the account next reads them.
    for (const l of this.lanes.values()) {
      l.buffer.splice(0);
      l.toPost.splice(0);
      l.toPostAt.splice(0);
    }
    try {
      // Hand the accounts over at once instead of making the next worker wait for expiry.
      await releaseAccountLeases(this.ctx.store.db, this.opts.workerId);
    } catch (err) {
      this.ctx.log.warn({ err }, 'could not hand leases back; they expire by themselves');
    }
    clearTimeout(this.recordRetryTimer);
    this.recordRetryTimer = undefined;
    if (this.outcomes.length) {
      this.ctx.log.error(
        { unrecorded: this.outcomes.length },
        'stopping with send results not recorded (database unavailable); those messages stay sending and are settled as in doubt by the next worker',
      );
    }
  }

  private inflight(): number {
    let n = 0;
    for (const l of this.lanes.values()) n += l.inflight;
    return n;
  }

  private lane(account: AccountWithLimits): AccountLane {
    let lane = this.lanes.get(account.id);
    if (!lane) {
      lane = {
        account,
        // Meta counts on its side, after a delay that varies: each send stays in the window
        // until its answer plus a second (see TokenBucket.acquire), so the limit holds there.
        bucket: new TokenBucket({
          ratePerSecond: account.throughputMps,
          burst: account.throughputMps,
          windowMs: PACING_WINDOW_MS,
        }),
        buffer: [],
        toPost: [],
        toPostAt: [],
        marking: false,
        markQueued: false,
        beingMarked: [],
        inflight: 0,
        reading: false,
        unpostedMarks: [],
        pacingTimer: undefined,
        heldUntil: 0,
        renewAt: 0,
        sweptAt: 0,
        slow: null,
        slowNextAt: 0,
        accountRefusals: 0,
        accountStopUntil: 0,
      };
      this.lanes.set(account.id, lane);
    }
    lane.account = account;
    return lane;
  }

  /** One pass of the loop over every account; returns how much work it found. */
  private async pass(): Promise<number> {
    let work = 0;
    for (const account of this.accounts.all()) {
      const lane = this.lane(account);
      if (!(await this.holds(lane))) continue;
      work += await this.sweep(lane);
      // A disabled account sends nothing: its queued messages wait until it is enabled again.
      if (account.disabledAt === null) work += await this.refill(lane);
      this.unstick(lane);
    }
    return work;
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
      if (lane.heldUntil === 0) this.takeOver(lane);
      lane.heldUntil = now + this.opts.accountLeaseMs;
      lane.renewAt = now + this.opts.accountLeaseMs / 3;
      return true;
    }
    if (lane.heldUntil !== 0) {
      this.ctx.log.warn(
        { account: lane.account.id },
        'lost the account lease; dropping the messages read ahead (they stay queued for the holder)',
      );
      lane.heldUntil = 0;
      lane.buffer.splice(0);
    }
    return false;
  }

  private takeOver(lane: AccountLane): void {
    this.ctx.log.info({ account: lane.account.id }, 'now dispatching for this account');
    lane.sweptAt = 0;
  }

  /**
   * Finds sends left in doubt by a worker that is gone, and settles those whose grace has
   * passed — but only while the webhook inbox is empty, so that a proof already received is
   * never overtaken by the policy.
   */
  private async sweep(lane: AccountLane): Promise<number> {
    const now = this.ctx.clock();
    if (now - lane.sweptAt < this.opts.sweepMs) return 0;
    lane.sweptAt = now;
    const { db } = this.ctx.store;
    const stale = await markStaleSendsUnconfirmed(db, {
      accountId: lane.account.id,
      workerId: this.opts.workerId,
      startedAt: this.startedAt,
      now,
      graceMs: this.opts.recoveryGraceMs,
    });
    if (stale.length) {
      await this.recordTimeline(
        stale.map((m) => ({
          id: m.id,
          status: 'unconfirmed',
          detail: { reason: 'worker_stopped', posted_at: isoTimeOrNull(m.posted_at), worker: m.locked_by },
        })),
        now,
      );
      this.ctx.log.warn(
        {
          account: lane.account.id,
          count: stale.length,
          until: new Date(now + this.opts.recoveryGraceMs).toISOString(),
          policy: this.opts.inDoubtPolicy,
        },
        `${stale.length} message(s) were posted by a worker that stopped before Meta answered; waiting for Meta's status webhooks to prove them`,
      );
    }
    if ((await pendingWebhooks(db, 1)).length > 0) return stale.length;
    let settled = 0;
    await db.transaction().execute(async (trx) => {
      const rows = await settleExpiredDoubts(trx, {
        accountId: lane.account.id,
        now,
        policy: this.opts.inDoubtPolicy,
        limit: 1_000,
      });
      settled = rows.length;
      if (!rows.length) return;
      const decision = this.opts.inDoubtPolicy === 'resend' ? 'resend' : 'hold';
      await insertMessageEvents(
        trx,
        rows.map((m) =>
          this.timelineRow(m.id, decision === 'resend' ? 'resent' : 'in_doubt', now, { decision }),
        ),
      );
      const events: PendingEvent[] = rows.map((m) =>
        messageInDoubtEvent({
          message: m,
          decision,
          postedAt: m.posted_at ?? m.updated_at,
          reason: `No status from Meta within ${Math.round(this.opts.recoveryGraceMs / 1000)} s of the takeover`,
        }),
      );
      if (decision === 'hold') events.push(...rows.map((m) => messageStatusEvent(m, 'unconfirmed')));
      await this.events.emit(trx, events);
    });
    if (settled) {
      this.ctx.log.warn(
        { account: lane.account.id, count: settled, policy: this.opts.inDoubtPolicy },
        this.opts.inDoubtPolicy === 'resend'
          ? `${settled} message(s) in doubt had no proof from Meta after the grace: sending them again (DISPATCH_IN_DOUBT=resend)`
          : `${settled} message(s) in doubt had no proof from Meta after the grace: held as in_doubt (DISPATCH_IN_DOUBT=fail)`,
      );
    }
    return stale.length + settled;
  }

  /** Keeps each lane's buffer topped up; never buffers more than about half a lease of sends. */
  private async refill(lane: AccountLane): Promise<number> {
    const cap = Math.max(
      1,
      Math.min(this.opts.batchSize, Math.floor((lane.account.throughputMps * this.opts.leaseMs) / 2000)),
    );
    if (lane.reading || this.stopping || lane.buffer.length >= cap / 2) return 0;
    lane.reading = true;
    try {
      await this.repairAfterOutage(lane);
      // Rows this lane holds are still `queued` until their mark commits: not read twice.
      const skip = new Set<string>();
      for (const list of [lane.buffer, lane.toPost, lane.beingMarked]) for (const m of list) skip.add(m.id);
      const limit = cap - lane.buffer.length;
      const rows = await readDueMessages(this.ctx.store.db, {
        accountId: lane.account.id,
        now: this.ctx.clock(),
        limit,
        skip,
      });
      if (rows.length < limit && (rows.length > 0 || lane.inflight > 0)) this.hooks.outboxLow?.();
      const refused = await refuseOptedOut(this.ctx, this.events, rows);
      lane.buffer.push(...(refused.size ? rows.filter((r) => !refused.has(r.id)) : rows));
      this.pump(lane);
      return rows.length;
    } finally {
      lane.reading = false;
    }
  }

  /**
   * After the database went away mid-statement, a `sending` mark may have committed although we
   * were told it failed: marks we never posted are undone, so nothing unsent is taken for a send
   * in doubt.
   */
  private async repairAfterOutage(lane: AccountLane): Promise<void> {
    while (lane.unpostedMarks.length) {
      const m = lane.unpostedMarks[0]!;
      await revertUnpostedMarks(this.ctx.store.db, {
        workerId: this.opts.workerId,
        ids: m.ids,
        postedAt: m.postedAt,
      });
      lane.unpostedMarks.shift();
    }
  }

  /**
   * The watchdog for a lane: work buffered but nothing moving it (no send in flight, no mark,
   * no pacing timer) can only be a lost wake-up; start it again rather than sit on it.
   */
  private unstick(lane: AccountLane): void {
    if (lane.buffer.length === 0 || lane.inflight > 0 || lane.marking || lane.pacingTimer) return;
    const before = lane.buffer.length;
    this.pump(lane);
    if (lane.buffer.length < before) {
      this.ctx.log.warn(
        { account: lane.account.id, buffered: before },
        'messages were waiting with nothing moving them; the watchdog restarted sending',
      );
    }
  }

  private pump(lane: AccountLane): void {
    if (this.stopping) return;
    const before = lane.buffer.length;
    while (lane.buffer.length > 0 && lane.inflight + lane.toPost.length < this.opts.concurrency) {
      // A lease that lapsed (a long stall) may already be another worker's: send nothing more.
      if (this.ctx.clock() >= lane.heldUntil) break;
      const now = this.ctx.clock();
      const wait = lane.slow === null ? lane.bucket.acquire(now) : this.slowAcquire(lane, now);
      if (wait > 0) {
        if (!lane.pacingTimer) {
          lane.pacingTimer = setTimeout(() => {
            lane.pacingTimer = undefined;
            this.pump(lane);
          }, wait);
        }
        break;
      }
      // No copy per message: the row read from the store is this lane's own until it is posted.
      lane.toPost.push(lane.buffer.shift()!);
      lane.toPostAt.push(now);
    }
    if (lane.toPost.length && !lane.marking && !lane.markQueued) {
      // One macrotask later: the answers that arrive together free their slots together, and
      // their successors share one `sending` mark instead of one commit each.
      lane.markQueued = true;
      setImmediate(() => {
        lane.markQueued = false;
        if (!lane.marking) void this.markAndPost(lane);
      });
    }
    // Running low: ask the loop to claim more (only after this call really took rows).
    if (lane.buffer.length < before && lane.buffer.length < this.opts.batchSize / 4) this.runner.wake();
  }

  /**
   * A slowed lane: besides the bucket, grants are spaced at the slowed rate (the account's rate
   * times slowFactorAt), which climbs back to full; then the lane forgets the slowdown.
   */
  private slowAcquire(lane: AccountLane, now: number): number {
    const factor = slowFactorAt(lane.slow, now);
    if (factor >= 1) {
      lane.slow = null;
      return lane.bucket.acquire(now);
    }
    if (now < lane.slowNextAt) return Math.ceil(lane.slowNextAt - now);
    const wait = lane.bucket.acquire(now);
    if (wait === 0) lane.slowNextAt = now + 1000 / (lane.account.throughputMps * factor);
    return wait;
  }

  /** Records the next POSTs as `sending` (one statement for all that got a token), then posts them. */
  private async markAndPost(lane: AccountLane): Promise<void> {
    lane.marking = true;
    try {
      while (lane.toPost.length && !this.stopping) {
        const batch = lane.toPost.splice(0);
        const grantedAt = lane.toPostAt.splice(0);
        lane.beingMarked = batch;
        lane.inflight += batch.length;
        let posted: Set<string>;
        const postedAt = this.ctx.clock();
        const ids = batch.map((m) => m.id);
        const answers = this.takeAcceptances();
        try {
          posted = new Set(
            answers
              ? (
                  await markAcceptedAndPosting(this.ctx.store.db, {
                    accepted: answers.batch.map((o) => o.r),
                    workerId: this.opts.workerId,
                    ids,
                    now: postedAt,
                    leaseMs: this.opts.leaseMs,
                  })
                ).posted
              : await markPosting(this.ctx.store.db, this.opts.workerId, ids, postedAt, this.opts.leaseMs),
          );
          answers?.done();
          this.recordingRecovered();
        } catch (err) {
          answers?.failed(err);
          // Nothing was posted. The mark may still have committed: undo it once the database answers.
          this.recordingFailed(err, 'could not mark messages as sending');
          lane.unpostedMarks.push({ ids, postedAt });
          lane.inflight -= batch.length;
          lane.beingMarked = [];
          for (const at of grantedAt) lane.bucket.settle(at, this.ctx.clock());
          continue;
        }
        lane.beingMarked = [];
        for (let i = 0; i < batch.length; i++) {
          const msg = batch[i]!;
          if (!posted.has(msg.id)) {
            // No longer queued: cancelled, erased or paused meanwhile, or posted by another worker.
            lane.bucket.settle(grantedAt[i]!, this.ctx.clock());
            lane.inflight--;
            continue;
          }
          // Once per id, should a row have been read twice.
          posted.delete(msg.id);
          // The mark counted this attempt in the row; the retry policy reads it here.
          msg.attempts += 1;
          void this.sendOne(lane, msg, grantedAt[i]!);
        }
      }
    } finally {
      lane.marking = false;
      // Answers left for this loop to carry (scheduleFlush deferred to it) are written now.
      if (this.outcomes.length) this.scheduleFlush();
    }
  }

  /**
   * Buffered answers, when they are acceptances only and no other write of answers is under way:
   * taken for the `sending` mark about to be written, which records them in the same commit.
   * `flushing` covers that write, so a flush waits for it as for one of its own.
   */
  private takeAcceptances():
    | {
        batch: Array<{ kind: 'accepted'; r: AcceptedResult }>;
        done: () => void;
        failed: (err: unknown) => void;
      }
    | undefined {
    if (this.flushing || this.recordRetryTimer || !this.acceptancesOnly()) return undefined;
    const batch = this.outcomes as Array<{ kind: 'accepted'; r: AcceptedResult }>;
    this.outcomes = [];
    let release!: () => void;
    this.flushing = new Promise<void>((resolve) => {
      release = resolve;
    });
    const settle = () => {
      this.resultsWritten();
      release();
    };
    return {
      batch,
      done: settle,
      failed: (err) => {
        this.recordFailed(batch, err);
        settle();
      },
    };
  }

  /** What a `sending` mark can carry: acceptances only, as many as one statement takes. */
  private acceptancesOnly(): boolean {
    const n = this.outcomes.length;
    return n > 0 && n <= ROWS_PER_STATEMENT && this.outcomes.every((o) => o.kind === 'accepted');
  }

  /** A lane about to write a `sending` mark, or writing one: it will carry the acceptances. */
  private markComing(): boolean {
    for (const lane of this.lanes.values()) if (lane.marking || lane.markQueued) return true;
    return false;
  }

  private async sendOne(lane: AccountLane, msg: ClaimedMessage, grantedAt: number): Promise<void> {
    let result: SendResult;
    try {
      result = await this.channel.send(lane.account, outboundOf(msg), this.inflightAbort.signal);
    } catch (err) {
      result = { ok: false, error: { code: null, httpStatus: null, title: String(err), ambiguous: true } };
    }
    // It reached Meta by now at the latest: from here on it counts one more second.
    lane.bucket.settle(grantedAt, this.ctx.clock());
    this.outcomes.push(this.outcomeOf(lane, msg, result));
    lane.inflight--;
    this.scheduleFlush();
    this.pump(lane);
  }

  private outcomeOf(lane: AccountLane, msg: ClaimedMessage, result: SendResult): Outcome {
    if (result.ok) {
      lane.accountRefusals = 0;
      return { kind: 'accepted', r: { id: msg.id, providerMessageId: result.providerMessageId } };
    }
    const e = result.error;
    const c = classifyProviderError({ ...e, channel: lane.account.channel });
    const errorMessage = `${c.reason}${e.details ? ` — ${e.details}` : ''}`;
    const base = { id: msg.id, errorCode: e.code, errorClass: c.class, errorMessage };
    // The request may have reached Meta: resending could deliver it twice, so wait for proof.
    if (e.ambiguous)
      return { kind: 'unconfirmed', r: { ...base, errorMessage: `${e.title} — outcome unknown` } };
    const now = this.ctx.clock();
    if (e.code === 130429 || e.httpStatus === 429)
      lane.bucket.penalize(now, (e.retryAfterSeconds ?? 1) * 1000);
    // What the code means beyond this message (backoff.ts): at least the wait it names.
    const action = e.code === null ? null : this.backoffOf(lane, msg, e, now);
    const retryable = c.class === 'retry_later' || c.class === 'account_fatal' || isThrottle(action);
    let outcome: Outcome;
    if (!retryable || msg.attempts >= this.opts.maxAttempts) {
      outcome =
        action?.kind === 'fail_recipient' && action.optOut
          ? { kind: 'failed', r: base, optOut: true }
          : { kind: 'failed', r: base };
    } else {
      // Full jitter alone can come out near zero; a failed send always waits at least the base.
      const delay = Math.max(
        this.opts.retryBaseMs,
        c.minDelayMs ?? 0,
        (e.retryAfterSeconds ?? 0) * 1000,
        c.class === 'account_fatal' && !isThrottle(action) ? 300_000 : 0,
        actionDelayMs(action),
        backoffDelay(
          msg.attempts,
          { baseMs: this.opts.retryBaseMs, capMs: this.opts.retryCapMs },
          Math.random,
        ),
      );
      if (c.class === 'account_fatal') {
        this.ctx.log.error(
          { account: lane.account.id, code: e.code, reason: c.reason },
          'account-level error from Meta',
        );
      }
      outcome = { kind: 'retry', r: { ...base, nextAttemptAt: now + delay } };
    }
    if (action?.kind !== 'pause_campaign' || (outcome.kind !== 'retry' && outcome.kind !== 'failed'))
      return outcome;
    return {
      kind: 'campaign_stop',
      accountId: lane.account.id,
      reason: action.reason,
      // Held as a pause holds it, even when the pause was made by an earlier refusal (a retry
      // recorded after the pause would otherwise go out while the campaign is paused).
      retry: { ...base, nextAttemptAt: HELD_AT },
      otherwise: outcome,
    };
  }

  /**
   * Applies an account-wide back-off to the lane (slow it, stop it a while) and returns the
   * action, whose wait the refused message keeps too.
   */
  private backoffOf(
    lane: AccountLane,
    msg: ClaimedMessage,
    e: { code: number | null; httpStatus: number | null; retryAfterSeconds?: number; subcode?: number },
    now: number,
  ): CampaignBackoff {
    const context: BackoffContext & { repeats: number } = {
      httpStatus: e.httpStatus,
      channel: lane.account.channel,
      subcode: e.subcode ?? null,
      // 131056 escalates per refusal to that user (this message's attempts); the account codes
      // per refusal in a row on the account.
      repeats: Math.max(
        1,
        e.code === 131056
          ? msg.attempts
          : now < lane.accountStopUntil
            ? lane.accountRefusals
            : lane.accountRefusals + 1,
      ),
    };
    if (e.retryAfterSeconds !== undefined) context.retryAfterSeconds = e.retryAfterSeconds;
    const action = campaignBackoff(e.code, context);
    if (action.kind === 'slow_account') {
      lane.slow = slowDown(lane.slow, action, now);
      lane.slowNextAt = Math.max(lane.slowNextAt, now);
      this.ctx.log.warn(
        {
          account: lane.account.id,
          code: e.code,
          share: Number(lane.slow.factor.toFixed(3)),
          recover_ms: lane.slow.recoverMs,
        },
        'Meta asked this account to slow down: sending at a share of its rate, climbing back',
      );
    } else if (action.kind === 'pause_account') {
      if (now >= lane.accountStopUntil) lane.accountRefusals++;
      lane.accountStopUntil = Math.max(lane.accountStopUntil, now + action.forMs);
      lane.bucket.penalize(now, action.forMs);
      this.ctx.log.warn(
        { account: lane.account.id, code: e.code, for_ms: action.forMs },
        'Meta refused a send for the whole account: no sends on it for a while',
      );
    }
    return action;
  }

  /**
   * Group commit for results: the next write starts as soon as the previous one ends, so an
   * acceptance is durable within about one write of Meta's answer (the set of sends in doubt
   * after a crash stays as small as the requests in flight), while a busy dispatcher still
   * records hundreds of answers per statement.
   */
  private scheduleFlush(): void {
    if (this.flushQueued || this.flushing || this.recordRetryTimer) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      // A mark on its way takes acceptances with it, or hands them back here when its loop ends.
      if (this.acceptancesOnly() && this.markComing() && !this.stopping) return;
      void this.flush();
    });
  }

  /** Records buffered outcomes; flushes never overlap. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.outcomes.length === 0) return;
    const batch = this.outcomes;
    this.outcomes = [];
    this.flushing = this.record(batch)
      .then(() => this.recordingRecovered())
      .catch((err) => this.recordFailed(batch, err))
      .finally(() => this.resultsWritten());
    await this.flushing;
  }

  /** A write of results has ended: the next one may start, for what arrived meanwhile. */
  private resultsWritten(): void {
    this.flushing = undefined;
    if (this.outcomes.length && !this.recordRetryTimer) this.scheduleFlush();
  }

  /**
   * Meta's answers are facts: keep them and try again shortly (the database may be restarting).
   * Were this process to die meanwhile, the rows stay `sending` and are settled as in doubt by
   * the next worker.
   */
  private recordFailed(batch: Outcome[], err: unknown): void {
    this.recordingFailed(
      err,
      'recording send results failed; keeping them and retrying every second',
      batch.length,
    );
    this.outcomes = [...batch, ...this.outcomes];
    clearTimeout(this.recordRetryTimer);
    this.recordRetryTimer = setTimeout(() => {
      this.recordRetryTimer = undefined;
      void this.flush();
    }, 1_000);
  }

  /**
   * Pauses a campaign whose send Meta refused with a code every other recipient would get too
   * (its refused message is already back in the queue, and the pause holds it).
   */
  private async pauseForCode(campaignId: string, stop: { accountId: string; reason: string }): Promise<void> {
    try {
      await pauseCampaign(this.ctx, { events: this.events, wake: () => {} }, stop.accountId, campaignId, {
        kind: 'guard',
        reason: stop.reason,
      });
    } catch (err) {
      // Cancelled or finished meanwhile: nothing to pause. Its message was withdrawn or settles.
      this.ctx.log.warn(
        { err, campaign: campaignId },
        'could not pause the campaign after a campaign-wide refusal',
      );
    }
  }

  private writeFailingSince: number | undefined;

  /** The database refusing our writes is logged once when it starts and once when it ends. */
  private recordingFailed(err: unknown, what: string, count?: number): void {
    if (this.writeFailingSince !== undefined) {
      this.ctx.log.debug({ err, count }, what);
      return;
    }
    this.writeFailingSince = Date.now();
    this.ctx.log.error({ err, ...(count === undefined ? {} : { count }) }, what);
  }

  private recordingRecovered(): void {
    if (this.writeFailingSince === undefined) return;
    this.ctx.log.warn({ ms: Date.now() - this.writeFailingSince }, 'dispatcher writes succeed again');
    this.writeFailingSince = undefined;
  }

  private timelineRow(
    messageId: string,
    status: TimelineStatus,
    at: number,
    detail: unknown,
  ): NewMessageEvent {
    return {
      id: this.ctx.id('mev'),
      message_id: messageId,
      status,
      at,
      source: 'dispatcher',
      detail: detail === null ? null : JSON.stringify(detail),
    };
  }

  private async recordTimeline(
    rows: Array<{ id: string; status: TimelineStatus; detail: unknown }>,
    now: number,
  ): Promise<void> {
    await insertMessageEvents(
      this.ctx.store.db,
      rows.map((r) => this.timelineRow(r.id, r.status, now, r.detail)),
    );
  }

  private async record(batch: Outcome[]): Promise<void> {
    const now = this.ctx.clock();
    const accepted: AcceptedResult[] = [];
    const retry: RetryResult[] = [];
    const failed: FailedResult[] = [];
    const unconfirmed: UnconfirmedResult[] = [];
    const optOuts = new Set<string>();
    // Rare: only refusals every recipient of a campaign would get (campaign_stop).
    const stops = batch.filter((o): o is CampaignStop => o.kind === 'campaign_stop');
    const campaignOf = new Map<string, string>();
    if (stops.length) {
      for (const m of await findMessagesByIds(
        this.ctx.store.db,
        stops.map((o) => o.retry.id),
      ))
        if (m.campaign_id) campaignOf.set(m.id, m.campaign_id);
    }
    const toPause = new Map<string, { accountId: string; reason: string }>();
    for (const item of batch) {
      let o: Exclude<Outcome, CampaignStop>;
      if (item.kind === 'campaign_stop') {
        const campaignId = campaignOf.get(item.retry.id);
        if (campaignId) toPause.set(campaignId, { accountId: item.accountId, reason: item.reason });
        o = campaignId ? { kind: 'retry', r: item.retry } : item.otherwise;
      } else o = item;
      if (o.kind === 'accepted') accepted.push(o.r);
      else if (o.kind === 'retry') retry.push(o.r);
      else if (o.kind === 'failed') {
        failed.push(o.r);
        if (o.optOut) optOuts.add(o.r.id);
      } else unconfirmed.push(o.r);
    }
    const timeline: NewMessageEvent[] = [];
    const { workerId } = this.opts;
    if (accepted.length === batch.length && accepted.length <= ROWS_PER_STATEMENT) {
      // The usual batch: acceptances only, one statement, atomic by itself — no BEGIN and
      // COMMIT around it (two round trips fewer on PostgreSQL).
      await markAccepted(this.ctx.store.db, accepted, now);
      return;
    }
    await this.ctx.store.db.transaction().execute(async (trx) => {
      // No timeline row for an acceptance: the message's accepted_at and Meta's id are that
      // entry (message-queries.ts), and the hot path writes one row less per message.
      if (accepted.length) await markAccepted(trx, accepted, now);
      // Retries, failures and doubts are fenced: only rows this worker posted and nothing settled.
      const retried = new Set(retry.length ? await markRetry(trx, workerId, retry, now) : []);
      for (const r of retry) {
        if (!retried.has(r.id)) continue;
        timeline.push(
          this.timelineRow(r.id, 'retry_scheduled', now, {
            error_code: r.errorCode,
            error: r.errorMessage,
            next_attempt_at: new Date(r.nextAttemptAt).toISOString(),
          }),
        );
      }
      const failedNow = failed.length ? await markFailed(trx, workerId, failed, now) : [];
      const failedSet = new Set(failedNow);
      for (const r of failed) {
        if (failedSet.has(r.id))
          timeline.push(
            this.timelineRow(r.id, 'failed', now, {
              error_code: r.errorCode,
              error_class: r.errorClass,
              error: r.errorMessage,
            }),
          );
      }
      const doubted = new Set(
        unconfirmed.length
          ? await markUnconfirmed(trx, workerId, unconfirmed, now, this.opts.recoveryGraceMs)
          : [],
      );
      for (const r of unconfirmed) {
        if (doubted.has(r.id))
          timeline.push(
            this.timelineRow(r.id, 'unconfirmed', now, { reason: 'answer_lost', error: r.errorMessage }),
          );
      }
      await insertMessageEvents(trx, timeline);
      if (failedNow.length) {
        const rows = await findMessagesByIds(trx, failedNow);
        await this.events.emit(
          trx,
          rows.map((m) => messageStatusEvent(m, 'sending')),
        );
      }
      // 131050 in Meta's answer: the person stopped marketing messages, recorded with the failure.
      if (optOuts.size) {
        const refused = await recordMarketingRefusals(
          this.ctx,
          trx,
          failedNow.filter((id) => optOuts.has(id)),
        );
        await this.events.emit(trx, refused.events);
      }
    });
    for (const [campaignId, stop] of toPause) await this.pauseForCode(campaignId, stop);
    if (unconfirmed.length) {
      this.ctx.log.warn(
        { count: unconfirmed.length, example: unconfirmed[0]?.errorMessage },
        'sends whose answer was lost are unconfirmed: waiting for Meta to prove them instead of resending',
      );
    }
  }
}

/**
 * What the channel posts for a claimed row. The content is parsed only if the adapter reads it:
 * WhatsApp's posts the stored JSON as it is (channels/stored-content.ts).
 */
function outboundOf(msg: ClaimedMessage): OutboundMessage {
  const stored = msg.content;
  let parsed: OutboundContent | undefined;
  const out: OutboundMessage = {
    messageId: msg.id,
    to: msg.to_wa,
    contentJson: stored,
    get content(): OutboundContent {
      parsed ??= JSON.parse(stored) as OutboundContent;
      return parsed;
    },
  };
  if (msg.reply_to_provider_id) out.replyToProviderId = msg.reply_to_provider_id;
  return out;
}

/** Throttling codes: the message goes again after the wait, whatever its error class says. */
function isThrottle(action: CampaignBackoff | null): boolean {
  return (
    action !== null &&
    (action.kind === 'slow_account' || action.kind === 'pause_account' || action.kind === 'retry_user_after')
  );
}

/** The least wait the back-off action asks of the refused message. */
function actionDelayMs(action: CampaignBackoff | null): number {
  if (action === null) return 0;
  switch (action.kind) {
    case 'slow_account':
      return action.retryAfterMs;
    case 'pause_account':
      return action.forMs;
    case 'retry_user_after':
      return action.ms;
    case 'retry':
      return action.minDelayMs;
    default:
      return 0;
  }
}
