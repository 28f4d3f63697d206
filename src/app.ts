/**
 * The composition root: builds every component from the validated config and wires them.
 * `serve`, `worker`, the demo, the tests and the benchmarks all start Recontact through here.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RequestDeadlines } from './api/request-deadlines';
import { eventRoutes } from './api/routes/events';
import { type ApiDeps, buildApi } from './api/server';
import type { Channel, TemplateProvider } from './channels/channel';
import { createMessengerChannel } from './channels/messenger/client';
import { type ChannelSet, createChannelSet } from './channels/router';
import { safeConnector } from './channels/safe-dispatcher';
import { createWhatsAppChannel } from './channels/whatsapp/client';
import type { Config } from './config';
import { createIdGenerator } from './domain/ids';
import { ApiKeys } from './engine/access/api-keys';
import { Sessions } from './engine/access/sessions';
import { Users } from './engine/access/users';
import { type AccountRefreshOptions, AccountRegistry, DEFAULT_ACCOUNT_REFRESH } from './engine/accounts';
import type { CampaignDeps } from './engine/campaigns/launch';
import { loadRateCardFile } from './engine/campaigns/rate-card-file';
import {
  CampaignRunner,
  type CampaignRunnerOptions,
  DEFAULT_RUNNER_OPTIONS,
} from './engine/campaigns/runner';
import { ImportRunner } from './engine/contacts/import/import-runner';
import type { ImportService } from './engine/contacts/import/imports';
import type { EngineContext } from './engine/context';
import { ConversationFollower } from './engine/conversations/conversation-follower';
import {
  DEFAULT_HELD_LOOP_OPTIONS,
  type HeldLoopOptions,
  HeldMessageLoop,
  heldReleaseFollower,
} from './engine/conversations/held-messages';
import {
  type ConversationTimerOptions,
  ConversationTimers,
  DEFAULT_TIMER_OPTIONS,
} from './engine/conversations/timer-worker';
import { applyConfigAccounts } from './engine/declared-accounts';
import { DEFAULT_DELIVERER_OPTIONS, type DelivererOptions, EventDeliverer } from './engine/events/deliverer';
import { EventBus } from './engine/events/event-bus';
import { EventSequencer } from './engine/events/sequencer';
import { newEndpointSecret } from './engine/events/signing';
import { DEFAULT_STREAM_OPTIONS, EventStreamHub, type StreamOptions } from './engine/events/stream';
import type { InboundFollower } from './engine/inbound/inbound-followers';
import { ReplyRouter } from './engine/inbound/reply-router';
import { ingestOptions, WebhookIngest } from './engine/inbound/webhook-ingest';
import { Dispatcher, type DispatcherOptions } from './engine/outbound/dispatcher';
import { SendService } from './engine/outbound/send-service';
import { DISPATCH_TUNING } from './engine/tuning';
import { createLogger } from './logger';
import type { DbGaugeOptions } from './metrics/db-gauges';
import { type MetricsListener, startMetricsListener } from './metrics/listener';
import { createMetrics, type Metrics } from './metrics/registry';
import { type AccountDeclaration, resealAccountSecrets, upsertAccount } from './store/accounts-repo';
import { openStore, type Store } from './store/database';
import { findEndpointByUrl, insertEndpoint, updateEndpointSecret } from './store/events-repo';
import { migrateToLatest } from './store/migrate';
import { openSecretBox } from './store/secret-key-file';

export interface AppOptions {
  config: Config;
  clock?: () => number;
  logger?: Logger;
  /** An already-open store (tests); otherwise opened from config.databaseUrl. */
  store?: Store;
  pgSchema?: string;
  channel?: Channel & TemplateProvider;
  /**
   * Accounts this process declares besides WHATSAPP_* (the embedded sandbox's page), written
   * at start after it, so the number stays the first account.
   */
  declaredAccounts?: AccountDeclaration[];
  /** The embedded sandbox's address (serve with no Meta account), for the web app's sandbox phone. */
  sandboxUrl?: string;
  /** Tests: the Messenger adapter (otherwise built like the WhatsApp one). */
  messengerChannel?: Channel & TemplateProvider;
  dispatcher?: Partial<DispatcherOptions>;
  deliverer?: Partial<DelivererOptions>;
  /** Tests: the event stream's limits (streams at once, keep-alive, page size). */
  eventStream?: Partial<StreamOptions>;
  /** How long request bodies may take (tests shorten them). */
  requestDeadlines?: RequestDeadlines;
  /** Run the dispatcher in this process (serve: yes; an API-only process: no). */
  runDispatcher?: boolean;
  /** Tests: campaign runner timings (poll, heartbeat, guard), in the real shape. */
  campaignRunner?: Partial<CampaignRunnerOptions>;
  /** Tests: the conversations' timer worker (batch size, longest sleep). */
  conversationTimers?: Partial<ConversationTimerOptions>;
  /** Tests: how often held messages are looked at (releases in turn, expiry). */
  heldMessages?: Partial<HeldLoopOptions>;
  /** Tests: how often channel accounts are re-read (periodically, and on an unknown webhook id). */
  accountRefresh?: Partial<AccountRefreshOptions>;
  /** Tests: how long a scrape's database reading is reused, by which clock. */
  metrics?: Partial<DbGaugeOptions>;
}

export interface App {
  config: Config;
  ctx: EngineContext;
  accounts: AccountRegistry;
  events: EventBus;
  sendService: SendService;
  dispatcher: Dispatcher;
  campaigns: CampaignRunner;
  /** Window timers and resume-contact sends (engine/conversations/timer-worker.ts). */
  conversations: ConversationTimers;
  ingest: WebhookIngest;
  deliverer: EventDeliverer;
  /** Held messages (send when allowed): releases in turn, and expiry. */
  heldMessages: HeldMessageLoop;
  apiKeys: ApiKeys;
  /** People who sign in to the web app. */
  users: Users;
  /** CSV contact imports: the jobs this process runs, and the limits of an upload. */
  imports: ImportService;
  /** Every channel's adapter behind one face, picked by the account (channels/router.ts). */
  channel: ChannelSet;
  /** This process's Prometheus registry (GET /metrics). */
  metrics: Metrics;
  http: FastifyInstance;
  /** A key created on first start when none existed; shown once. */
  createdApiKey: string | undefined;
  /** Starts the background loops (dispatcher, webhook processor, event deliverer). */
  startWorkers(): void;
  listen(port?: number, host?: string): Promise<string>;
  /** GET /metrics alone, for a process without the API (`recontact worker --metrics-port`). */
  listenMetrics(port: number, host?: string): Promise<string>;
  /** Graceful: stop intake, finish in-flight sends, record them, close everything. */
  stop(): Promise<void>;
}

export async function createApp(opts: AppOptions): Promise<App> {
  const { config } = opts;
  const clock = opts.clock ?? Date.now;
  const log = opts.logger ?? createLogger(config.logLevel);
  // Before anything opens: a rate card with a mistake stops the start, naming each problem.
  const rateCard = loadRateCardFile(config.campaigns.rateCardFile);
  const store =
    opts.store ??
    (await openStore({
      url: config.databaseUrl,
      sqliteSynchronous: config.sqliteSynchronous,
      sqliteBusyTimeoutMs: config.databaseTimeouts.sqliteBusyMs,
      sqliteCacheMb: config.sqliteCacheMb,
      pgStatementTimeoutMs: config.databaseTimeouts.statementMs,
      pgConnectTimeoutMs: config.databaseTimeouts.connectMs,
      ...(opts.pgSchema ? { pgSchema: opts.pgSchema } : {}),
    }));
  await migrateToLatest(store.db, store.schema);
  const gen = createIdGenerator((n) => randomBytes(n));
  const ctx: EngineContext = { store, clock, id: (prefix) => gen(prefix, clock()), log };

  const secrets = openSecretBox(config.secrets, store, log);
  // Stops the start if this key cannot read the stored credentials (before writing any with
  // it); encrypts those stored before encryption existed (see migration 0005).
  await resealAccountSecrets(store.db, secrets, 'plaintext');
  if (config.whatsapp) {
    await upsertAccount(
      store.db,
      secrets,
      {
        id: 'acc_default',
        name: 'default',
        channel: 'whatsapp',
        externalId: config.whatsapp.phoneNumberId,
        wabaId: config.whatsapp.wabaId,
        accessToken: config.whatsapp.accessToken,
        appSecret: config.whatsapp.appSecret,
        verifyToken: config.whatsapp.verifyToken,
        baseUrl: config.whatsapp.baseUrl,
        graphVersion: config.whatsapp.graphVersion,
        throughputMps: config.whatsapp.throughputMps,
        source: 'env',
      },
      clock(),
    );
  }
  for (const declared of opts.declaredAccounts ?? [])
    await upsertAccount(store.db, secrets, declared, clock());
  if (config.accountsFile) await applyConfigAccounts(ctx, secrets, config.accountsFile);
  if (config.events) await ensureEventEndpoint(ctx, config.events.url, config.events.secret);

  const accounts = new AccountRegistry(ctx, secrets, { ...DEFAULT_ACCOUNT_REFRESH, ...opts.accountRefresh });
  await accounts.reload();
  // What other processes change through the API is seen here within seconds.
  accounts.startRefresh();
  const events = new EventBus(ctx);
  // Positions, sequence numbers and deliveries of committed events: shared by the deliverer's
  // loop, the event stream and GET /v1/events in this process.
  const sequencer = new EventSequencer(ctx);
  const eventStream = new EventStreamHub(ctx, sequencer, { ...DEFAULT_STREAM_OPTIONS, ...opts.eventStream });
  const metrics = createMetrics(ctx, { workerId: config.workerId, ...opts.metrics });
  // Sends are counted around the channel, so the dispatcher carries no metrics code.
  const channel = metrics.meter(
    createChannelSet({
      whatsapp:
        opts.channel ?? createWhatsAppChannel({ connections: Math.min(128, config.dispatch.concurrency) }),
      messenger:
        opts.messengerChannel ??
        createMessengerChannel({ connections: Math.min(128, config.dispatch.concurrency) }),
    }),
  );
  const deliverer = new EventDeliverer(
    ctx,
    {
      ...DEFAULT_DELIVERER_OPTIONS,
      connect: safeConnector({ allowPrivate: config.allowPrivateTargets }),
      retentionMs: config.eventRetentionMs,
      onAttempt: metrics.deliveryAttempt,
      ...opts.deliverer,
    },
    events,
    sequencer,
  );
  const dispatcher = new Dispatcher(
    ctx,
    accounts,
    channel,
    events,
    {
      workerId: config.workerId,
      concurrency: config.dispatch.concurrency,
      batchSize: config.dispatch.batchSize,
      leaseMs: config.dispatch.leaseMs,
      recoveryGraceMs: config.dispatch.recoveryGraceMs,
      maxAttempts: config.dispatch.maxAttempts,
      inDoubtPolicy: config.dispatch.inDoubtPolicy,
      pollMs: DISPATCH_TUNING.pollMs,
      retryBaseMs: DISPATCH_TUNING.retryBaseMs,
      retryCapMs: DISPATCH_TUNING.retryCapMs,
      accountLeaseMs: DISPATCH_TUNING.accountLeaseMs,
      sweepMs: DISPATCH_TUNING.sweepMs,
      ...opts.dispatcher,
    },
    { outboxLow: () => campaigns.wake() },
  );
  const sendService = new SendService(ctx, accounts, () => dispatcher.wake());
  const campaignDeps: CampaignDeps = {
    events,
    wake: () => campaigns.wake(),
    quietHours: config.campaigns.quietHours,
  };
  const campaigns = new CampaignRunner(
    ctx,
    accounts,
    { ...campaignDeps, onQueued: () => dispatcher.wake() },
    {
      ...DEFAULT_RUNNER_OPTIONS,
      workerId: config.workerId,
      messagingLimit: config.campaigns.messagingLimit,
      ...opts.campaignRunner,
    },
  );
  // Run in this order after each webhook batch's inbound messages: conversations (timers, held
  // messages, resume) before reply routing, whose actions may clear what resuming just set.
  const inboundFollowers: InboundFollower[] = [];
  const heldMessages = new HeldMessageLoop(
    ctx,
    events,
    { onQueued: () => dispatcher.wake(), onEvents: () => deliverer.wake() },
    { ...DEFAULT_HELD_LOOP_OPTIONS, ...opts.heldMessages },
  );
  // First: a contact's held answers are queued before anything a later follower sends them.
  inboundFollowers.push(heldReleaseFollower(ctx, () => heldMessages.wake()));
  const conversations = new ConversationTimers(
    ctx,
    {
      events,
      accountIds: () => accounts.all().map((a) => a.id),
      onEvents: () => deliverer.wake(),
      onQueued: () => dispatcher.wake(),
    },
    { ...DEFAULT_TIMER_OPTIONS, leadMs: config.windowExpiringLeadMs, ...opts.conversationTimers },
  );
  // Second: window timers moved, a waiting contact resumed (with what the release just queued).
  inboundFollowers.push(
    new ConversationFollower(ctx, config.windowExpiringLeadMs, () => conversations.wake()),
  );
  // Reply routing stays last: its actions (clear waiting, answer) act on what the others just did.
  inboundFollowers.push(new ReplyRouter(ctx));
  const ingest = new WebhookIngest(
    ctx,
    accounts,
    channel,
    events,
    {
      onEvents: () => deliverer.wake(),
      // A template leaving APPROVED is seen by the runner at its next pass: wake it at once.
      onTemplatesChanged: () => {
        sendService.forgetTemplates();
        campaigns.wake();
      },
      campaigns: campaignDeps,
      followers: inboundFollowers,
      onQueued: () => dispatcher.wake(),
      onApplied: metrics.webhooksApplied,
    },
    ingestOptions(ctx.store.dialect, { retentionMs: config.webhookInboxRetentionMs }),
  );
  const apiKeys = new ApiKeys(ctx);
  const users = new Users(ctx);
  const sessions = new Sessions(ctx, users, apiKeys);
  const imports: ImportService = { ctx, runner: new ImportRunner(ctx), limits: config.imports };
  const createdApiKey = await apiKeys.bootstrap(config.bootstrapApiKey);
  const apiDeps: ApiDeps = {
    ctx,
    accounts,
    sendService,
    ingest,
    events,
    apiKeys,
    users,
    sessions,
    templateProvider: channel,
    rateLimits: config.rateLimits,
    allowPrivateTargets: config.allowPrivateTargets,
    trustProxy: config.trustProxy,
    imports,
    campaigns: campaignDeps,
    conversations,
    metrics: { source: metrics, token: config.metrics.token },
    ...(opts.sandboxUrl ? { sandbox: { baseUrl: opts.sandboxUrl } } : {}),
    plugins: [
      async (api) => {
        await api.register(eventRoutes(apiDeps, { sequencer, stream: eventStream }));
      },
    ],
    ...(opts.requestDeadlines ? { requestDeadlines: opts.requestDeadlines } : {}),
    campaignPlan: {
      rateCard,
      messagingLimit: config.campaigns.messagingLimit,
      messagingLimitSource: config.campaigns.messagingLimitSource,
      quietHours: config.campaigns.quietHours,
    },
  };
  const http = await buildApi(apiDeps, log);

  let workersStarted = false;
  let metricsListener: MetricsListener | undefined;
  return {
    config,
    ctx,
    accounts,
    events,
    sendService,
    dispatcher,
    campaigns,
    conversations,
    ingest,
    deliverer,
    heldMessages,
    apiKeys,
    users,
    imports,
    channel,
    metrics,
    http,
    createdApiKey,
    startWorkers() {
      workersStarted = true;
      if (opts.runDispatcher !== false) {
        dispatcher.start();
        campaigns.start();
      }
      ingest.start();
      conversations.start();
      deliverer.start();
      heldMessages.start();
      // Imports left running by a stopped or dead process are taken over.
      imports.runner.start();
    },
    async listen(port = config.port, host = config.host) {
      return http.listen({ port, host });
    },
    async listenMetrics(port, host = config.metrics.host) {
      const deps = {
        ctx,
        source: metrics,
        apiKeys,
        token: config.metrics.token,
        rateLimits: config.rateLimits,
      };
      metricsListener = await startMetricsListener(deps, port, host);
      return metricsListener.url;
    },
    async stop() {
      // Open event streams first: the HTTP server's close waits for every connection to end.
      await eventStream.stop();
      await http.close();
      await metricsListener?.close();
      // Accepted imports stop after their current batch and resume at the next start.
      await imports.runner.stop();
      if (workersStarted) {
        await campaigns.stop();
        await dispatcher.stop();
        await ingest.stop();
        await conversations.stop();
        await heldMessages.stop();
        await deliverer.stop();
      }
      await channel.close();
      accounts.stopRefresh();
      if (!opts.store) await store.close();
    },
  };
}

async function ensureEventEndpoint(ctx: EngineContext, url: string, secret: string | undefined) {
  const existing = await findEndpointByUrl(ctx.store.db, url);
  if (existing) {
    if (secret && existing.secret !== secret) await updateEndpointSecret(ctx.store.db, existing.id, secret);
    return;
  }
  await insertEndpoint(
    ctx.store.db,
    { id: ctx.id('ep'), url, secret: secret ?? newEndpointSecret(), eventTypes: ['*'] },
    ctx.clock(),
  );
}
