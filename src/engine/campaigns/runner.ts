/**
 * The campaign runner: one loop per process, one runner per campaign at a time (a heartbeat
 * lease on the campaign row; another process takes over within `holdTtlMs` of a crash). Each
 * pass, for every launched campaign of this process's accounts:
 *
 *   scheduled  its template still approved? (else failed_to_start); first send time reached?
 *              → running (campaign.started)
 *   running    expiry passed? → expired. Template left APPROVED, or the failure rate of its
 *              latest sends crossed the threshold? → paused by the guard (campaign.paused).
 *              Otherwise queue the due recipients (queue.ts), at the campaign's pace, keeping
 *              at most about half a second of them waiting in the outbox; when nothing is
 *              pending and no message owes an outcome → completed.
 *   paused     only the expiry applies.
 *
 * Keeping the campaign's share of the outbox shallow is what gives 1:1 messages priority: a
 * reminder queued during a 100,000-recipient campaign waits behind at most that half second of
 * campaign messages, never behind the campaign. It also bounds what is already in the outbox
 * when a pause arrives, though a pause holds even those (commands.ts).
 */

import {
  AUTO_PAUSE_DEFAULTS,
  AutoPauseGuard,
  type AutoPauseOptions,
  campaignBackoff,
  templatePauseReason,
} from '../../domain/campaigns/backoff';
import type { CampaignDefinition } from '../../domain/campaigns/definition';
import { parseCampaignDefinition } from '../../domain/campaigns/definition';
import { parseSchedule, type Schedule, withAccountQuietHours } from '../../domain/campaigns/schedule';
import { countedAfter, type MessagingLimit } from '../../domain/pacing/messaging-limit';
import type { TemplateRecord } from '../../domain/templates/model';
import { countReached } from '../../store/campaign-plan-query';
import { hasOpenMessages, hasPending, nextSendAt, queuedDepth } from '../../store/campaign-recipients-repo';
import {
  activeCampaigns,
  type CampaignRecord,
  holdCampaign,
  letGoCampaigns,
} from '../../store/campaigns-repo';
import { getTemplate } from '../../store/templates-repo';
import type { AccountRegistry } from '../accounts';
import type { EngineContext } from '../context';
import { LoopRunner } from '../loop-runner';
import { accountMessagingLimit } from './account-limit';
import { campaignEvent } from './campaign-events';
import { advanceCampaign, endCampaign, failToStart, pauseCampaign } from './commands';
import type { CampaignDeps } from './launch';
import { type CompiledCampaign, compile, queueDue } from './queue';
import { type CampaignCounts, campaignTally } from './results';

export interface CampaignRunnerOptions {
  workerId: string;
  /** How often the loop looks when it found nothing to do. */
  pollMs: number;
  /** A runner whose heartbeat is older than this has died; another takes its campaigns. */
  holdTtlMs: number;
  /** Recipients queued per transaction at most. */
  batchSize: number;
  /** The campaign's messages waiting in the outbox are kept under this many seconds of its pace. */
  depthSeconds: number;
  /** campaign.progress at most this often per campaign. */
  progressEveryMs: number;
  /** How often the guard and the completion check look (they read counts). */
  checkEveryMs: number;
  /** The process-wide messaging limit, for accounts that declare none (account-limit.ts). */
  messagingLimit: MessagingLimit;
  /** A recipient over the messaging limit is looked at again this much later. */
  limitRetryMs: number;
  autoPause: AutoPauseOptions;
}

export const DEFAULT_RUNNER_OPTIONS: Omit<CampaignRunnerOptions, 'workerId' | 'messagingLimit'> = {
  pollMs: 250,
  holdTtlMs: 5_000,
  batchSize: 500,
  depthSeconds: 0.5,
  progressEveryMs: 10_000,
  checkEveryMs: 1_000,
  limitRetryMs: 5 * 60_000,
  autoPause: AUTO_PAUSE_DEFAULTS,
};

/** What the runner keeps between passes about one campaign. */
interface RunState {
  def: CampaignDefinition;
  schedule: Schedule;
  compiled: CompiledCampaign | undefined;
  pace: number;
  /** Sends allowed by the pace and not used yet. */
  allowance: number;
  lastAt: number;
  guard: AutoPauseGuard;
  /**
   * The counts the guard last saw, to feed it only what changed; 'rebase': take the next counts
   * as seen without feeding them (after a pause or resume); undefined: feed everything.
   */
  seen: { ok: number; failedByCode: Record<string, number> } | 'rebase' | undefined;
  /** The campaign's updated_at when last seen: every state move changes it. */
  movedAt: number;
  checkedAt: number;
  /** performance.now() before which a large campaign is not counted again. */
  nextTallyAt: number;
  progressAt: number;
  progressCounts: string;
}

const MIN_DEPTH = 20;
/** Recipients beyond which counting a campaign costs enough to be spaced out. */
const LARGE_CAMPAIGN = 10_000;
const MAX_DEPTH = 1_000;
const DEFAULT_PACE = 80;

export class CampaignRunner {
  private readonly loop: LoopRunner;
  private readonly runs = new Map<string, RunState>();
  /** Users each account reached in Meta's moving 24 h, as last counted (limitRoom). */
  private readonly reached = new Map<string, { at: number; count: number }>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly accounts: AccountRegistry,
    private readonly deps: CampaignDeps & { onQueued: () => void },
    private readonly opts: CampaignRunnerOptions,
  ) {
    this.loop = new LoopRunner('campaigns', ctx.log, () => this.runOnce(), {
      idleMs: opts.pollMs,
      errorBaseMs: 250,
      errorCapMs: 5_000,
      stallMs: 60_000,
    });
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    // Another process may take this one's campaigns at once rather than after the heartbeat lapses.
    await letGoCampaigns(this.ctx.store.db, this.opts.workerId).catch(() => undefined);
  }

  /** One pass over every launched campaign; returns how much work it did. Tests call it directly. */
  async runOnce(): Promise<number> {
    const ids = this.accounts.all().map((a) => a.id);
    const campaigns = await activeCampaigns(this.ctx.store.db, ids);
    const live = new Set(campaigns.map((c) => c.id));
    for (const id of this.runs.keys()) if (!live.has(id)) this.runs.delete(id);
    let work = 0;
    for (const c of campaigns) {
      const held = await holdCampaign(this.ctx.store.db, {
        id: c.id,
        holder: this.opts.workerId,
        now: this.ctx.clock(),
        ttlMs: this.opts.holdTtlMs,
      });
      if (!held) continue;
      work += await this.step(c);
    }
    return work;
  }

  private async step(c: CampaignRecord): Promise<number> {
    const run = this.runOf(c);
    if (!run) return 0;
    const now = this.ctx.clock();
    if (run.schedule.expiresAt !== null && now >= run.schedule.expiresAt) {
      await endCampaign(
        this.ctx,
        this.deps,
        c,
        'expired',
        'the campaign expired before this recipient was sent',
      );
      return 1;
    }
    if (run.movedAt !== c.updatedAt) {
      // The campaign moved since the last pass (paused, resumed, perhaps both in between, or in
      // another process): the guard starts afresh from the outcomes as they are now, so a
      // resume is not paused again at once for the failures that paused it.
      run.movedAt = c.updatedAt;
      run.guard.reset();
      run.seen = 'rebase';
    }
    if (c.state === 'paused') return 0;
    const templates = await this.templatesOf(c, run);
    const stopped = this.templateStop(run, templates);
    if (c.state === 'scheduled') {
      if (stopped) {
        await failToStart(this.ctx, this.deps, c, stopped);
        return 1;
      }
      const next = await nextSendAt(this.ctx.store.db, c.id);
      if (next !== null && next > now) return 0;
      await advanceCampaign(this.ctx, this.deps, c, 'running');
      return 1;
    }
    if (stopped) {
      await pauseCampaign(this.ctx, this.deps, c.accountId, c.id, { kind: 'guard', reason: stopped });
      return 1;
    }
    run.compiled ??= compile(c.id, c.accountId, run.def, templates);
    const queued = await this.queue(c, run, now);
    const due = now - run.checkedAt >= this.opts.checkEveryMs || queued === 0;
    if (due) {
      const counting = performance.now() >= run.nextTallyAt;
      // A large campaign's next tally waits its turn, but not its completion: once nothing is
      // left to queue and every outcome is in (two index probes), it is counted at once.
      const settled = counting || queued === 0 ? await this.settled(c.id) : false;
      if ((counting || settled) && (await this.check(c, run, now, settled))) return 1;
    }
    return queued;
  }

  private runOf(c: CampaignRecord): RunState | undefined {
    // A launched definition never changes: what is kept stays valid for the whole run.
    const known = this.runs.get(c.id);
    if (known) return known;
    const def = parseCampaignDefinition(c.definition);
    const parsed = parseSchedule(c.definition.schedule, 'schedule');
    // As launch read it: the account's quiet hours unless the schedule gives its own (or null).
    const schedule = parsed.ok
      ? {
          ok: true as const,
          value: withAccountQuietHours(parsed.value, c.definition.schedule, this.deps.quietHours ?? null),
        }
      : parsed;
    if (!def.ok || !schedule.ok) {
      this.ctx.log.error(
        { campaign: c.id },
        'a launched campaign no longer reads as valid; leaving it alone',
      );
      return undefined;
    }
    const account = this.accounts.get(c.accountId);
    const pace = def.value.pacePerSecond ?? account?.throughputMps ?? DEFAULT_PACE;
    const run: RunState = {
      def: def.value,
      schedule: schedule.value,
      compiled: undefined,
      pace,
      allowance: Math.min(pace, MAX_DEPTH),
      lastAt: this.ctx.clock(),
      guard: new AutoPauseGuard({
        ...this.opts.autoPause,
        ...(account ? { channel: account.channel } : {}),
      }),
      seen: undefined,
      movedAt: c.updatedAt,
      checkedAt: 0,
      nextTallyAt: 0,
      progressAt: this.ctx.clock(),
      progressCounts: '',
    };
    this.runs.set(c.id, run);
    return run;
  }

  /** The stored templates every variant may send (each approved language of its name). */
  private async templatesOf(c: CampaignRecord, run: RunState): Promise<TemplateRecord[]> {
    const out: TemplateRecord[] = [];
    for (const v of run.def.variants) {
      const t = v.template;
      const language = t.language.kind === 'fixed' ? t.language.code : t.language.fallback;
      const record = await getTemplate(this.ctx.store.db, c.accountId, t.name, language);
      if (record) out.push(record);
    }
    return out;
  }

  /** Why the campaign's templates can no longer be sent, or null. */
  private templateStop(run: RunState, templates: readonly TemplateRecord[]): string | null {
    for (const v of run.def.variants) {
      const t = v.template;
      const language = t.language.kind === 'fixed' ? t.language.code : t.language.fallback;
      const record = templates.find((r) => r.name === t.name && r.language === language);
      const reason = templatePauseReason({ name: t.name, language }, record?.status ?? 'DELETED');
      if (reason) return reason;
    }
    return null;
  }

  private async queue(c: CampaignRecord, run: RunState, now: number): Promise<number> {
    run.allowance = Math.min(Math.max(run.pace, 1), run.allowance + (run.pace * (now - run.lastAt)) / 1000);
    run.lastAt = now;
    const cap = Math.min(MAX_DEPTH, Math.max(MIN_DEPTH, Math.ceil(run.pace * this.opts.depthSeconds)));
    const depth = await queuedDepth(this.ctx.store.db, c.id, cap);
    const limit = Math.min(Math.floor(run.allowance), cap - depth, this.opts.batchSize);
    if (limit <= 0) return 0;
    // Each account keeps to its own limit: a number's own tier, none on a Messenger page.
    const { messagingLimit } = accountMessagingLimit(this.accounts.get(c.accountId), {
      messagingLimit: this.opts.messagingLimit,
      messagingLimitSource: 'configured',
    });
    const result = await queueDue(this.ctx, run.compiled!, {
      limit,
      messagingLimit,
      limitRoom: await this.limitRoom(c.accountId, messagingLimit, now),
      limitRetryMs: this.opts.limitRetryMs,
      schedule: run.schedule,
      holder: this.opts.workerId,
      holdTtlMs: this.opts.holdTtlMs,
    });
    run.allowance -= result.queued;
    const reached = this.reached.get(c.accountId);
    if (reached) reached.count += result.slotsTaken;
    // Some wait for a slot: count again next time rather than trust a count kept by hand.
    if (result.overLimit > 0) this.reached.delete(c.accountId);
    if (result.queued) this.deps.onQueued();
    return result.queued + result.skipped;
  }

  /**
   * Users the account may still reach in Meta's moving 24 hours. Counting them scans a day of
   * messages, so the count is read at most every 10 s and kept up to date in between.
   */
  private async limitRoom(accountId: string, limit: MessagingLimit, now: number): Promise<number> {
    if (limit === 'unlimited') return Number.POSITIVE_INFINITY;
    let reached = this.reached.get(accountId);
    if (!reached || now - reached.at > 10_000) {
      reached = { at: now, count: await countReached(this.ctx.store.db, accountId, countedAfter(now)) };
      this.reached.set(accountId, reached);
    }
    return Math.max(0, limit - reached.count);
  }

  /** The guard's failure rate, progress events and completion. True when the campaign moved. */
  private async check(c: CampaignRecord, run: RunState, now: number, settled: boolean): Promise<boolean> {
    run.checkedAt = now;
    const { db } = this.ctx.store;
    // Whether every recipient is settled (`settled`, the caller's) is asked before the counts
    // are read, never after: a settled outcome stays settled, so the counts then hold every
    // outcome the completion rests on, and the guard judges them before the campaign may complete. Asked after, the last
    // sends (failures the guard must see) could settle in between, unjudged, and complete a
    // campaign the guard would have paused: what it decides must not depend on that timing.
    const started = performance.now();
    // The replies per button only for a progress event: the guard and completion need outcomes.
    const progressDue = now - run.progressAt >= this.opts.progressEveryMs;
    const tally = await campaignTally(db, c, progressDue ? 'all' : 'outcomes');
    // The tally grows with the campaign (even from the indexes alone, 22 ms at 100,000 on
    // SQLite; 95 ms with the replies): a large campaign is counted no more than a tenth of the
    // time (it shares the process with the dispatcher), and no more than once a check period
    // (the guard's pace), however cheap. A small one is counted whenever the runner is idle.
    const took = performance.now() - started;
    run.nextTallyAt =
      c.recipients > LARGE_CAMPAIGN ? performance.now() + Math.max(9 * took, this.opts.checkEveryMs) : 0;
    const reason = this.feedGuard(run, tally.counts, tally.failedByCode, now);
    if (reason) {
      await pauseCampaign(this.ctx, this.deps, c.accountId, c.id, { kind: 'guard', reason });
      return true;
    }
    if (settled && (await advanceCampaign(this.ctx, this.deps, c, 'completed')) !== undefined) return true;
    const key = progressDue ? JSON.stringify(tally.counts) : run.progressCounts;
    if (key !== run.progressCounts) {
      run.progressAt = now;
      run.progressCounts = key;
      await this.deps.events.emit(db, [campaignEvent('campaign.progress', c, tally.counts)]);
    }
    return false;
  }

  /** Nothing pending and no message owing an outcome: the campaign may complete (two index probes). */
  private async settled(campaignId: string): Promise<boolean> {
    const { db } = this.ctx.store;
    return !(await hasPending(db, campaignId)) && !(await hasOpenMessages(db, campaignId));
  }

  /** Records the outcomes settled since the last look; the guard's reason to pause, or null. */
  private feedGuard(
    run: RunState,
    counts: CampaignCounts,
    failedByCode: Record<string, number>,
    now: number,
  ): string | null {
    const ok = counts.accepted + counts.sent + counts.delivered + counts.read;
    if (run.seen === 'rebase') {
      run.seen = { ok, failedByCode: { ...failedByCode } };
      return null;
    }
    const before = run.seen ?? { ok: 0, failedByCode: {} };
    for (let i = before.ok; i < ok; i++) run.guard.record(now, { failed: false });
    for (const [key, n] of Object.entries(failedByCode)) {
      const code = key === 'none' ? null : Number(key);
      if (Number.isNaN(code)) continue; // failed before a send (missing value): not Meta's verdict
      // A failure every remaining recipient would share (backoff.ts pause_campaign:
      // 131064, the template, the account) pauses at once, not at the failure rate; a first look
      // (run.seen unset) sees history, not news, so it does not.
      const action = campaignBackoff(code);
      if (action.kind === 'pause_campaign' && run.seen !== undefined && n > (before.failedByCode[key] ?? 0))
        return action.reason;
      if (!action.countsAsFailure) continue;
      for (let i = before.failedByCode[key] ?? 0; i < n; i++) run.guard.record(now, { failed: true, code });
    }
    run.seen = { ok, failedByCode: { ...failedByCode } };
    return run.guard.shouldPause(now);
  }
}
