/**
 * The webhook path. `accept` runs inside the HTTP request: it checks the signature over the raw
 * bytes, checks the body parses, and writes it to the inbox; only then does Meta get its 200,
 * so an acknowledged webhook survives a crash one instruction later. The processor applies
 * stored bodies in arrival order, in batched transactions, and marks them processed in the
 * same transaction — so a body is applied exactly once, however often Meta delivers it
 * (duplicates are absorbed by unique provider ids and the monotonic status merge).
 */

import type { Kysely } from 'kysely';
import type {
  IdentityChangeItem,
  InboundItem,
  StatusItem,
  WatermarkItem,
  WebhookItem,
} from '../../channels/channel';
import type { ChannelSet } from '../../channels/router';
import type { ChannelKind } from '../../domain/channels/channel-kind';
import { RecontactError } from '../../domain/errors';
import { clampProviderTime } from '../../domain/provider-time';
import {
  markWebhookFailed,
  markWebhooksProcessed,
  type PendingWebhook,
  pendingWebhooks,
  webhookBodies,
} from '../../store/inbox-repo';
import { insertMessageEvents } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { AccountRegistry } from '../accounts';
import type { CampaignDeps } from '../campaigns/launch';
import type { EngineContext } from '../context';
import type { EventBus, PendingEvent } from '../events/event-bus';
import { DEFAULT_LOOP_OPTIONS, LoopRunner } from '../loop-runner';
import { INGEST_TUNING } from '../tuning';
import { applyConsentSignals } from './consent-applier';
import { applyIdentityChanges } from './identity-applier';
import { applyInbound } from './inbound-applier';
import type { InboundFollower } from './inbound-followers';
import { DEFAULT_INBOX_RETENTION_MS, InboxPruner } from './inbox-retention';
import { InboxWriter } from './inbox-writer';
import { applyQualityPauses, qualityPauses } from './quality-applier';
import { applyStatuses } from './status-applier';
import { applyTemplateItems } from './template-applier';
import { applyWatermarks } from './watermark-applier';

export interface IngestOptions {
  batchSize: number;
  pollMs: number;
  /** A stored body whose processing keeps failing is parked after this many attempts. */
  maxAttempts: number;
  /** Applied bodies are deleted this long after they arrived (null: kept; inbox-retention.ts). */
  retentionMs: number | null;
}

/** The tuning for this store, with the settings the configuration gives. */
export function ingestOptions(
  dialect: 'sqlite' | 'postgres',
  settings: Partial<Pick<IngestOptions, 'retentionMs'>> = {},
): IngestOptions {
  return {
    ...INGEST_TUNING,
    batchSize: dialect === 'postgres' ? INGEST_TUNING.pgBatchSize : INGEST_TUNING.batchSize,
    retentionMs: DEFAULT_INBOX_RETENTION_MS,
    ...settings,
  };
}

export class WebhookIngest {
  /** Bodies this process accepted, already parsed, so the processor need not parse them again. */
  private readonly parsed = new Map<string, WebhookItem[]>();
  /** Backs off while passes fail (the database is down) and logs once per outage. */
  private readonly runner: LoopRunner;
  private readonly pruner: InboxPruner;
  /** Bodies accepted together share one commit (inbox-writer.ts). */
  private readonly inbox: InboxWriter;

  constructor(
    private readonly ctx: EngineContext,
    private readonly accounts: AccountRegistry,
    private readonly channel: Pick<ChannelSet, 'verifySignature' | 'parseWebhook'>,
    private readonly events: EventBus,
    private readonly hooks: {
      onEvents(): void;
      onTemplatesChanged(): void;
      /** Campaigns to pause when the number's quality drops (quality-applier.ts); none: not paused. */
      campaigns?: CampaignDeps;
      /** Conversations and reply routing, run after each batch's inbound messages (inbound-followers.ts). */
      followers?: readonly InboundFollower[];
      /** Followers queued messages: wake the dispatcher. */
      onQueued?(): void;
      /** A batch of bodies applied and committed (the metrics: an inbox id tells when it arrived). */
      onApplied?(inboxIds: readonly string[], appliedAt: number): void;
    },
    private readonly opts: IngestOptions = ingestOptions(ctx.store.dialect),
  ) {
    this.pruner = new InboxPruner(ctx, opts.retentionMs);
    this.inbox = new InboxWriter(ctx);
    this.runner = new LoopRunner('webhook processor', ctx.log, () => this.pass(), {
      ...DEFAULT_LOOP_OPTIONS,
      idleMs: opts.pollMs,
    });
  }

  /**
   * `kind`: the channel whose webhook path the body arrived on (Meta posts each product's
   * webhooks to its own URL); the body is parsed, and later applied, as that channel's.
   * `accountId`: the body arrived on that account's own path, so only its app secret may sign it.
   */
  async accept(
    raw: Buffer,
    signature: string | undefined,
    kind: ChannelKind = 'whatsapp',
    opts: { accountId?: string } = {},
  ): Promise<{ id: string; items: number }> {
    // An account created or re-keyed a moment ago by another process: read them again, once.
    if (!this.signed(raw, signature, opts.accountId)) {
      if (!(await this.accounts.refreshSoon()) || !this.signed(raw, signature, opts.accountId)) {
        throw new RecontactError(
          'WEBHOOK_SIGNATURE_INVALID',
          signature ? 'X-Hub-Signature-256 does not match the body' : 'X-Hub-Signature-256 header is missing',
          { hint: "Check that the account's app secret matches the Meta app that sends these webhooks." },
        );
      }
    }
    const items = this.channel.parseWebhook(kind, raw);
    // Items for an account this process has not read yet are applied with it, not dropped.
    if (items.some((i) => 'externalId' in i && i.externalId && !this.accounts.byExternalId(i.externalId))) {
      await this.accounts.refreshSoon();
    }
    const id = this.ctx.id('whk');
    await this.inbox.write({ id, channel: kind, body: raw.toString('utf8') });
    // Another process may apply this body (PostgreSQL, several API processes): then the entry
    // is never consumed here, so the cache is bounded and simply re-parses when it was cleared.
    if (this.parsed.size >= 10_000) this.parsed.clear();
    this.parsed.set(id, items);
    this.runner.wake();
    return { id, items: items.length };
  }

  private signed(raw: Buffer, signature: string | undefined, accountId: string | undefined): boolean {
    const secrets = accountId ? [this.accounts.get(accountId)?.appSecret ?? ''] : this.accounts.appSecrets();
    return secrets.some((s) => s !== '' && this.channel.verifySignature(s, raw, signature));
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
  }

  /**
   * Resolves when every stored body has been processed (tests, demo, benchmarks). Bodies that
   * another process holds are waited for; without a running loop they are processed here.
   */
  async drain(): Promise<void> {
    for (;;) {
      if (this.runner.isRunning) await this.runner.idle();
      else while ((await this.processOnce()) > 0);
      if ((await pendingWebhooks(this.ctx.store.db, 1)).length === 0) return;
    }
  }

  /** The loop's pass: a batch of bodies, then (every 10 s) the old applied ones deleted. */
  private async pass(): Promise<number> {
    const n = await this.processOnce();
    await this.pruner.maybeRun();
    return n;
  }

  /** Processes one batch of stored bodies; returns how many were handled. */
  async processOnce(): Promise<number> {
    const { db } = this.ctx.store;
    let ids: string[] = [];
    try {
      await db.transaction().execute(async (trx) => {
        const rows = await pendingWebhooks(trx, this.opts.batchSize, { claim: true });
        ids = rows.map((r) => r.id);
        if (rows.length) await this.applyRows(trx, await this.withItems(trx, rows));
      });
      await this.afterCommit();
      this.hooks.onApplied?.(ids, this.ctx.clock());
    } catch (err) {
      // Nothing claimed, or the database is unavailable (a restart, a full disk): no body is at
      // fault and none may spend an attempt; the loop backs off (LoopRunner) and comes back.
      if (ids.length === 0 || this.ctx.store.fault(err)) throw err;
      // One bad body must not block the others: apply them one by one and park the culprit.
      this.ctx.log.warn({ err }, 'batched webhook processing failed; retrying bodies one by one');
      for (const id of ids) await this.processOne(id);
    }
    for (const id of ids) this.parsed.delete(id);
    return ids.length;
  }

  private async processOne(id: string): Promise<void> {
    const { db } = this.ctx.store;
    let attempts = 0;
    try {
      await db.transaction().execute(async (trx) => {
        const rows = await pendingWebhooks(trx, 1, { claim: true, id });
        attempts = rows[0]?.attempts ?? 0;
        if (rows.length) await this.applyRows(trx, await this.withItems(trx, rows));
      });
      await this.afterCommit();
    } catch (err) {
      if (this.ctx.store.fault(err)) throw err;
      const park = attempts + 1 >= this.opts.maxAttempts;
      await markWebhookFailed(db, id, String(err), park, this.ctx.clock());
      this.ctx.log.error({ err, webhook: id, parked: park }, 'webhook body could not be applied');
    }
  }

  private pendingHooks = { events: false, templates: false, queued: false };

  private async afterCommit(): Promise<void> {
    if (this.pendingHooks.events) this.hooks.onEvents();
    if (this.pendingHooks.templates) this.hooks.onTemplatesChanged();
    if (this.pendingHooks.queued) this.hooks.onQueued?.();
    this.pendingHooks = { events: false, templates: false, queued: false };
  }

  private parseStored(r: ClaimedBody): WebhookItem[] {
    if (r.body === undefined) throw new Error(`webhook body ${r.id} could not be read back from the inbox`);
    return this.channel.parseWebhook(r.channel as ChannelKind, Buffer.from(r.body, 'utf8'));
  }

  /**
   * Claimed rows with what this process parsed when it accepted them, and the stored body of
   * each one it did not (another process accepted it, or the cache was cleared): bodies are read
   * back only then, not the whole batch's kilobytes every time.
   */
  private async withItems(trx: Kysely<Database>, rows: PendingWebhook[]): Promise<ClaimedBody[]> {
    // Taken before the read: accept() may clear the cache while it is under way.
    const cached = rows.map((r) => this.parsed.get(r.id));
    const missing = rows.flatMap((r, i) => (cached[i] === undefined ? [r.id] : []));
    const bodies = missing.length ? await webhookBodies(trx, missing) : undefined;
    return rows.map((r, i) => ({ id: r.id, channel: r.channel, items: cached[i], body: bodies?.get(r.id) }));
  }

  /** Applies stored bodies inside the caller's transaction and marks them processed there too. */
  private async applyRows(trx: Kysely<Database>, rows: ClaimedBody[]): Promise<void> {
    const items: WebhookItem[] = [];
    const applied: string[] = [];
    const now = this.ctx.clock();
    for (const r of rows) {
      try {
        const parsed = r.items ?? this.parseStored(r);
        items.push(...withProviderTimes(parsed, now));
        applied.push(r.id);
      } catch (err) {
        // It parsed when it was accepted; a body that no longer does is parked, not retried.
        await markWebhookFailed(trx, r.id, String(err), true, now);
      }
    }
    const statuses = items.filter((i): i is StatusItem => i.kind === 'status');
    const inbound = items.filter((i): i is InboundItem => i.kind === 'inbound');
    // Address changes before the messages: a message from a new number finds the relabelled contact.
    await applyIdentityChanges(
      this.ctx,
      this.accounts,
      trx,
      items.filter((i): i is IdentityChangeItem => i.kind === 'identity_change'),
    );
    // Inbound first: a reply in the same batch as its message's statuses still finds the message.
    const a = await applyInbound(this.ctx, this.accounts, trx, inbound);
    const b = await applyStatuses(this.ctx, this.accounts, trx, statuses);
    // Messenger's receipts, by watermark: after inbound, like statuses.
    const w = await applyWatermarks(
      this.ctx,
      this.accounts,
      trx,
      items.filter((i): i is WatermarkItem => i.kind === 'watermark'),
    );
    const c = await applyTemplateItems(this.ctx, this.accounts, trx, items);
    // After both: keywords need the contacts the inbound applier made, 131050 the failed message.
    const d = await applyConsentSignals(this.ctx, this.accounts, trx, items);
    const events: PendingEvent[] = [...a.events, ...b.events, ...w.events, ...c.events, ...d.events];
    if (a.applied.length) {
      for (const follower of this.hooks.followers ?? []) {
        const f = await follower.afterInbound(trx, a.applied);
        events.push(...f.events);
        if (f.queued) this.pendingHooks.queued = true;
      }
    }
    await insertMessageEvents(trx, [...a.timeline, ...b.timeline, ...w.timeline]);
    await this.events.emit(trx, events);
    await markWebhooksProcessed(trx, applied, now);
    for (const i of items) {
      if (i.kind === 'system_error')
        this.ctx.log.error({ errors: i.errors }, 'system error reported by Meta');
    }
    const pauses = qualityPauses(this.ctx, this.accounts, items);
    const campaigns = this.hooks.campaigns;
    // campaign.paused is written in this transaction too: the deliverer is woken after it.
    if (pauses.length && campaigns && (await applyQualityPauses(this.ctx, campaigns, trx, pauses)) > 0)
      this.pendingHooks.events = true;
    if (events.length) this.pendingHooks.events = true;
    if (items.some((i) => i.kind.startsWith('template_'))) this.pendingHooks.templates = true;
  }
}

/** A claimed inbox row: what was parsed at acceptance, or else its stored body. */
interface ClaimedBody {
  id: string;
  channel: string;
  items: WebhookItem[] | undefined;
  body: string | undefined;
}

/**
 * Meta's timestamps, believed only near our clock: a signed body claiming the year 5000 must not
 * open a window until then (see domain/provider-time.ts).
 */
function withProviderTimes(items: WebhookItem[], now: number): WebhookItem[] {
  return items.map((i) => {
    if (i.kind === 'user_preference') {
      const at = clampProviderTime(i.at, now);
      return at === i.at ? i : { ...i, at };
    }
    if (i.kind === 'watermark') {
      // A watermark in the future would mark messages read before the person saw them; an old
      // one is kept as it is (raising it would cover messages it does not).
      const timestamp = clampProviderTime(i.timestamp, now);
      const watermark = Math.min(i.watermark, clampProviderTime(i.watermark, now));
      return timestamp === i.timestamp && watermark === i.watermark ? i : { ...i, timestamp, watermark };
    }
    if (i.kind !== 'inbound' && i.kind !== 'status') return i;
    const timestamp = clampProviderTime(i.timestamp, now);
    return timestamp === i.timestamp ? i : { ...i, timestamp };
  });
}
