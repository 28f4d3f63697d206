/**
 * The sandbox: a local stand-in for Meta's WhatsApp Cloud API (messages, templates,
 * webhooks) with simulated users. See README.md for what it emulates and what it does not.
 * It is a test double for Meta and deliberately shares no code with our own adapter.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { TemplateDefinition } from '../domain/templates/model';
import { Activity } from './activity';
import { SandboxClock } from './clock';
import { registerControlRoutes } from './control-route';
import { MetaError, paramError, unknownPathError } from './errors';
import { registerFaultInjection } from './fault-injection';
import { sendMetaError } from './graph';
import { MessageLifecycle } from './lifecycle';
import { registerLimitsRoutes } from './limits-route';
import { registerMessagesRoute } from './messages-route';
import {
  createMessengerSide,
  type MessengerOptions,
  type MessengerSandbox,
  type SandboxPage,
} from './messenger/messenger';
import { type InjectedError, type InjectRequest, MetaLimits, type QualityEvent } from './meta-limits';
import { NumberSends, type NumberSendsView } from './number-sends';
import { registerPhoneRoutes } from './phone-route';
import { defaultSeedTemplates } from './seed';
import { registerSendsRoutes } from './sends-route';
import {
  type AccountState,
  SandboxState,
  type SandboxTemplate,
  type SentRecord,
  TokenBucket,
  templateView,
} from './state';
import { TemplateManager } from './template-manager';
import { registerTemplateRoutes } from './templates-route';
import { type SimulatedUsers, Users } from './users';
import { WebhookEmitter, type WebhookItem, type WebhookStats } from './webhook-emitter';
import { WrittenLog } from './written';

export type {
  MessengerOptions,
  MessengerSandbox,
  SandboxPage,
  SeedPageTemplate,
} from './messenger/messenger';
export type { MessengerInboxMessage, MessengerSentRecord } from './messenger/state';
export type { MessengerMessageHandler, MessengerUserView, SimulatedMessengerUsers } from './messenger/users';
export type { InjectedError, InjectRequest, QualityEvent } from './meta-limits';
export type { InboxButton, InboxMessage, SandboxTemplate, SentRecord } from './state';
export type { SimulatedUsers, UserMessageHandler } from './users';

export interface SandboxAccount {
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  displayPhoneNumber: string;
  webhookUrl?: string;
  /** messages/s, 0 = unlimited */
  throughputMps?: number;
  pairLimit?: boolean;
  /**
   * Meta's messaging limit for this number: unique users reached with templates outside their
   * window in a moving 24 h. None by default (meta-limits.ts).
   */
  messagingLimit?: number | null;
  /** The code a send beyond the messaging limit fails with; 131026 by default. */
  messagingLimitCode?: number;
}

export interface SandboxOptions {
  accounts: SandboxAccount[];
  /** Messenger pages (messenger/messenger.ts): Send API, webhooks, utility templates, people. */
  pages?: SandboxPage[];
  /** The Messenger side's switches (echoes, receipts, batching, template review). */
  messenger?: MessengerOptions;
  /** Default: every template in examples/saludcenter.templates.yaml, APPROVED, for every WABA. */
  seedTemplates?: Array<TemplateDefinition & { wabaId?: string; status?: string }>;
  /** Defaults: sent 50 ms after accept, delivered 200 ms after sent, read 1,500 ms after delivered. */
  delays?: { sentMs?: number; deliveredMs?: number; readMs?: number | null; templateReviewMs?: number };
  /** Statuses produced within this many ms go out in one POST. Default 5. */
  webhookBatchMs?: number;
  /** Default {baseMs: 200, maxAttempts: 12}, exponential. */
  webhookRetry?: { baseMs: number; maxAttempts: number; capMs?: number };
  faults?: { duplicateRate?: number; reorder?: boolean; skipDelivered?: boolean; random?: () => number };
  /** 131047 as a synchronous HTTP 400 instead of 200 + failed webhook. */
  syncWindowError?: boolean;
  /** Default true; benchmarks may turn status webhooks off (inbound and template webhooks still go). */
  statusWebhooks?: boolean;
  logger?: boolean;
  /**
   * The time the sandbox's clock starts from (timestamps, windows, rate limits). Default
   * Date.now. The clock control (`sandbox.clock`, `/_sandbox/clock`) runs ahead of it or
   * freezes it (clock.ts).
   */
  now?: () => number;
  /** HTTP status per error code, over Meta's documented ones (e.g. {130429: 429}). */
  httpStatusByCode?: Record<number, number>;
  /** Connections per webhook receiver origin. Default 4. */
  webhookConnections?: number;
  /**
   * How many accepted WhatsApp sends are remembered in full (the received log, the phone's
   * inbox); older ones are forgotten, though their statuses still go out. Default
   * DEFAULT_RETAINED_MESSAGES.
   */
  retainMessages?: number;
}

export interface SandboxStats {
  /** Every send accepted since the start, whether or not it is still remembered. */
  accepted: number;
  webhooks: WebhookStats & { pending: number };
}

export interface Sandbox {
  /** http://127.0.0.1:PORT after listen ('' before). */
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
  app: FastifyInstance;
  /** Where a phone number's (or a page's) webhooks go. */
  setWebhookUrl(phoneNumberIdOrPageId: string, url: string): void;
  users: SimulatedUsers;
  /** The Messenger side: pages, their people, templates, sends (README, "Messenger"). */
  messenger: MessengerSandbox;
  /** The messages the API accepted, in order: the last `retainMessages` of them. */
  sent(): SentRecord[];
  /** How many accepted sends carried each biz_opaque_callback_data, since the start. */
  countsByCallbackData(): Map<string, number>;
  /** Per phone number: accepted, refused for throughput, duplicates, the busiest second. */
  sendsByNumber(): NumberSendsView[];
  templates(wabaId: string): SandboxTemplate[];
  /** Sets a template's status and emits message_template_status_update. */
  setTemplateStatus(wabaId: string, name: string, language: string, status: string, reason?: string): void;
  /** Sets (null: removes) a number's messaging limit (unique users outside the window, 24 h). */
  setMessagingLimit(phoneNumberId: string, limit: number | null, code?: number): void;
  /** These users (or 'all') refuse further marketing templates with 131049; lift=true undoes it. */
  capMarketing(phoneNumberId: string, who: readonly string[] | 'all', lift?: boolean): void;
  /** The next count sends (to `to`, or anyone) fail with `code`, sync or as a failed status. */
  injectError(req: InjectRequest): InjectedError;
  /** Emits phone_number_quality_update for the number (current_limit defaults from its limit). */
  setQuality(
    phoneNumberId: string,
    update: { event: QualityEvent; currentLimit?: string; oldLimit?: string },
  ): void;
  /** The sandbox's view of time: advance or freeze it (clock.ts says what it does not move). */
  clock: SandboxClock;
  /** Resolves when no status, review, webhook delivery or scripted user handler is pending. */
  drainWebhooks(): Promise<void>;
  stats(): SandboxStats;
}

export function createSandbox(opts: SandboxOptions): Sandbox {
  const clock = new SandboxClock(opts.now ?? Date.now);
  const now = clock.now;
  const state = new SandboxState(now, opts.retainMessages);
  const limits = new MetaLimits(now);
  const activity = new Activity();
  const onChange = () => activity.changed();
  const statusByCode = opts.httpStatusByCode ?? {};

  for (const a of opts.accounts) {
    const mps = a.throughputMps ?? 0;
    const account: AccountState = {
      phoneNumberId: a.phoneNumberId,
      wabaId: a.wabaId,
      accessToken: a.accessToken,
      appSecret: a.appSecret,
      displayPhoneNumber: a.displayPhoneNumber.replace(/\D/g, ''),
      webhookUrl: a.webhookUrl,
      throughputMps: mps,
      pairLimit: a.pairLimit === true,
      bucket: mps > 0 ? new TokenBucket(mps, mps, now()) : null,
      pairBuckets: new Map(),
      sends: new NumberSends(a.phoneNumberId),
    };
    state.addAccount(account);
    if (a.messagingLimit != null)
      limits.setMessagingLimit(a.phoneNumberId, a.messagingLimit, a.messagingLimitCode);
  }

  const seeds = opts.seedTemplates ?? defaultSeedTemplates();
  for (const s of seeds) {
    const { wabaId, status, ...def } = s;
    for (const waba of state.wabas.keys()) {
      if (wabaId !== undefined && wabaId !== waba) continue;
      state.addTemplate(waba, structuredClone(def), status ?? 'APPROVED');
    }
  }

  const faults = opts.faults ?? {};
  const random = faults.random ?? Math.random;
  const emitter = new WebhookEmitter({
    batchMs: opts.webhookBatchMs ?? 5,
    retry: opts.webhookRetry ?? { baseMs: 200, maxAttempts: 12 },
    duplicateRate: faults.duplicateRate ?? 0,
    reorder: faults.reorder === true,
    random,
    connections: opts.webhookConnections ?? 4,
    maxItemsPerPost: 1000,
    onChange,
  });

  const statusWebhooks = opts.statusWebhooks !== false;
  let users: Users;
  const delays = opts.delays ?? {};
  const lifecycle = new MessageLifecycle({
    sentMs: delays.sentMs ?? 50,
    deliveredMs: delays.deliveredMs ?? 200,
    readMs: delays.readMs === undefined ? 1500 : delays.readMs,
    skipDelivered: faults.skipDelivered === true,
    now,
    emitStatus: (m, status) => {
      const url = m.account.webhookUrl;
      if (!statusWebhooks || !url) return;
      const item: WebhookItem = {
        source: m.account,
        kind: 'statuses',
        payload: status,
      };
      if (status.status !== 'failed')
        item.contact = { profile: { name: state.user(m.waId).name }, wa_id: m.waId };
      emitter.push(url, item);
    },
    // Every send's statuses go out, as Meta's would; one forgotten before its delivery (see
    // retainMessages) never reaches the phone, or its inbox would keep what was forgotten.
    deliverToUser: (m) => {
      if (state.messages.has(m.wamid)) users.receive(m);
    },
    marketingStopped: (m) => users.marketingStopped(m.account.phoneNumberId, m.waId),
    onChange,
  });

  // What users wrote, for the phone view (phone-route.ts): recorded whether or not a webhook goes.
  const written = new WrittenLog(now);
  users = new Users({
    state,
    now,
    emitInbound: (account, message, name, waId) => {
      written.record(account.phoneNumberId, waId, message);
      if (!account.webhookUrl) return;
      emitter.push(account.webhookUrl, {
        source: account,
        kind: 'messages',
        payload: message,
        contact: { profile: { name }, wa_id: waId },
      });
    },
    markRead: (m) => lifecycle.markRead(m),
    emitEnvelope: (account, payload) => {
      if (account.webhookUrl) emitter.pushEnvelope(account.webhookUrl, account.appSecret, payload);
    },
    onChange,
  });

  const manager = new TemplateManager({
    state,
    emitter,
    now,
    reviewMs: delays.templateReviewMs ?? 1000,
    onChange,
  });

  const messenger = createMessengerSide({
    pages: opts.pages ?? [],
    options: opts.messenger ?? {},
    emitter,
    now,
    batchMs: opts.webhookBatchMs ?? 5,
    // Messenger has no `sent` receipt: delivery comes when WhatsApp's `delivered` would.
    deliveryMs: (delays.sentMs ?? 50) + (delays.deliveredMs ?? 200),
    readMs: delays.readMs === undefined ? 1500 : delays.readMs,
    reviewMs: delays.templateReviewMs ?? 1000,
    whatsappToken: (token) => state.tokens.has(token),
    onChange,
  });

  activity.register(() => lifecycle.pending());
  activity.register(() => messenger.pending());
  activity.register(() => emitter.pending());
  activity.register(() => manager.pending());
  activity.register(() => users.pending());

  // Closing cuts requests still in progress too (a fault that trickles an answer for seconds):
  // a stand-in that is shut down must not hold its closer until the trickle ends.
  const app = Fastify({
    logger: opts.logger === true,
    bodyLimit: 4 * 1024 * 1024,
    forceCloseConnections: true,
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof MetaError) return sendMetaError(reply, err, statusByCode);
    const e = err as { statusCode?: number; message?: string };
    if (e.statusCode !== undefined && e.statusCode < 500) {
      return sendMetaError(reply, paramError(e.message ?? 'Invalid request'), statusByCode);
    }
    return reply.code(500).send({
      error: {
        message: 'An unexpected error has occurred. Please retry your request later.',
        type: 'OAuthException',
        code: 2,
        is_transient: true,
      },
    });
  });
  app.setNotFoundHandler((req, reply) =>
    sendMetaError(reply, unknownPathError(req.url.split('?')[0] ?? ''), statusByCode),
  );

  messenger.register(app);
  registerMessagesRoute(app, {
    state,
    lifecycle,
    limits,
    now,
    syncWindowError: opts.syncWindowError === true,
  });
  registerTemplateRoutes(app, { state, manager });
  registerControlRoutes(app, { state, users, manager, emitter, clock });
  registerFaultInjection(app);
  const setQuality: Sandbox['setQuality'] = (phoneNumberId, update) => {
    const a = state.accounts.get(phoneNumberId);
    if (!a) throw new Error(`unknown phone number id ${phoneNumberId}`);
    const limit = limits.messagingLimit(phoneNumberId)?.limit;
    const envelope = limits.qualityEnvelope(a, {
      event: update.event,
      currentLimit: update.currentLimit ?? tierName(limit),
      ...(update.oldLimit === undefined ? {} : { oldLimit: update.oldLimit }),
    });
    if (a.webhookUrl) emitter.pushEnvelope(a.webhookUrl, a.appSecret, envelope);
  };
  registerLimitsRoutes(app, { state, limits, setQuality });
  registerSendsRoutes(app, state);
  registerPhoneRoutes(app, { state, written, now });

  let url = '';
  let closed = false;

  return {
    get url() {
      return url;
    },
    app,
    users,
    messenger: messenger.api,
    clock,
    async listen(port = 0, host = '127.0.0.1') {
      await app.listen({ port, host });
      const addr = app.server.address();
      const actualPort = typeof addr === 'object' && addr ? addr.port : port;
      const shown =
        host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      url = `http://${shown}:${actualPort}`;
      return url;
    },
    async close() {
      if (closed) return;
      closed = true;
      lifecycle.clear();
      manager.clear();
      messenger.clear();
      await emitter.close();
      activity.release();
      await app.close();
    },
    setWebhookUrl(phoneNumberId, webhookUrl) {
      if (messenger.hasPage(phoneNumberId)) return messenger.api.setWebhookUrl(phoneNumberId, webhookUrl);
      const a = state.accounts.get(phoneNumberId);
      if (!a) throw new Error(`unknown phone number id ${phoneNumberId}`);
      a.webhookUrl = webhookUrl;
    },
    sent: () => state.sent.slice(),
    countsByCallbackData: () => {
      const all = new Map<string, number>();
      for (const a of state.accounts.values())
        for (const [value, n] of a.sends.callbackCounts) all.set(value, (all.get(value) ?? 0) + n);
      return all;
    },
    sendsByNumber: () => [...state.accounts.values()].map((a) => a.sends.view()),
    templates: (wabaId) => state.listTemplates(wabaId).map(templateView),
    setTemplateStatus(wabaId, name, language, status, reason) {
      const t = state.findTemplate(wabaId, name, language);
      if (!t) throw new Error(`no template ${name} (${language}) in WABA ${wabaId}`);
      manager.setStatus(t, status, reason === undefined ? {} : { reason });
    },
    setMessagingLimit: (phoneNumberId, limit, code) => {
      if (!state.accounts.has(phoneNumberId)) throw new Error(`unknown phone number id ${phoneNumberId}`);
      limits.setMessagingLimit(phoneNumberId, limit, code);
    },
    capMarketing: (phoneNumberId, who, lift) => limits.capMarketing(phoneNumberId, who, lift !== true),
    injectError: (req) => limits.inject(req),
    setQuality,
    drainWebhooks: () => activity.whenIdle(),
    stats: () => ({
      accepted: state.acceptedTotal,
      webhooks: { ...emitter.stats, pending: emitter.pending() },
    }),
  };
}

/** Meta's name for a messaging limit level, as phone_number_quality_update reports it. */
function tierName(limit: number | undefined): string {
  if (limit === undefined) return 'TIER_UNLIMITED';
  if (limit >= 1000 && limit % 1000 === 0) return `TIER_${limit / 1000}K`;
  return `TIER_${limit}`;
}
