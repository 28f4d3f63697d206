/**
 * The sandbox's Messenger side: pages with their Send API, webhooks, utility templates and
 * simulated people, mounted on the same Fastify app and clock as the WhatsApp side. Like the
 * rest of the sandbox it is written from Meta's contract (reference/messenger-platform.md) and
 * shares no code with our adapter. See ../README.md, "Messenger".
 */
import type { FastifyInstance } from 'fastify';
import type { WebhookEmitter } from '../webhook-emitter';
import { injectedView, registerMessengerControlRoutes, templateView } from './control-route';
import { PageDelivery } from './delivery';
import { registerGraphRoutes } from './graph-routes';
import { registerMessengerPhoneRoutes } from './phone-route';
import { InjectedErrors, type InjectMessengerError } from './send-api';
import { type MessengerSentRecord, MessengerState, newBucket } from './state';
import { parseTemplateInput } from './template-rules';
import { PageTemplates } from './templates';
import { MessengerUsers, type SimulatedMessengerUsers } from './users';
import { PageWebhooks } from './webhooks';
import { MessengerWrittenLog } from './written';

export interface SandboxPage {
  pageId: string;
  /** The page access token the Send API takes. */
  pageToken: string;
  /** Signs this page's webhooks (X-Hub-Signature-256). */
  appSecret: string;
  webhookUrl?: string;
  name?: string;
  /** The app's id, reported in message echoes. */
  appId?: string;
  /** Whether the app passed App Review for Human Agent (HUMAN_AGENT tag); default true. */
  humanAgent?: boolean;
  /** Send API calls per second before 613; default unlimited. */
  throughputMps?: number;
}

/** A Page template as Meta takes it at creation (components in Meta's shape), to exist from the start. */
export interface SeedPageTemplate {
  name: string;
  language: string;
  category?: 'UTILITY';
  parameter_format?: 'POSITIONAL' | 'NAMED';
  components: Array<Record<string, unknown>>;
  /** Only on this page; every page when absent. */
  pageId?: string;
  /** Default APPROVED. */
  status?: string;
}

export interface MessengerOptions {
  /** The `is_echo` webhook of every message a page sends (Meta sends them when subscribed). Default true. */
  echoes?: boolean;
  /** `delivery` and `read` watermark webhooks. Default true. */
  receipts?: boolean;
  /** Most events in one POST (1: no batching). Default 100. */
  maxEventsPerPost?: number;
  /** One `entry` per event (default, Meta's samples), or one per page with several `messaging` events. */
  grouping?: 'entry' | 'messaging';
  /** The template status field: Meta's pages name it two ways (§2.4). */
  templateStatusField?: 'message_template_status_update' | 'messenger_template_status_update';
  /** Review rejects templates with marketing words (TAG_SHOULD_BE_MARKETING). Default true. */
  rejectMarketingWords?: boolean;
  seedTemplates?: SeedPageTemplate[];
}

export interface PageView {
  id: string;
  name: string;
  webhookUrl: string | null;
}

export interface MessengerSandbox {
  users: SimulatedMessengerUsers;
  pages(): PageView[];
  setWebhookUrl(pageId: string, url: string): void;
  /** Every message a page sent that the Send API accepted, in order. */
  sent(): MessengerSentRecord[];
  templates(pageId: string): ReturnType<typeof templateView>[];
  /** Sets a template's status and sends the template status webhook. */
  setTemplateStatus(pageId: string, name: string, language: string, status: string, reason?: string): void;
  /** The next `count` sends (from a page, to a PSID, or any) fail with this Graph error. */
  injectError(req: InjectMessengerError): ReturnType<typeof injectedView>;
}

export interface MessengerSideOptions {
  pages: SandboxPage[];
  options: MessengerOptions;
  emitter: WebhookEmitter;
  now: () => number;
  batchMs: number;
  deliveryMs: number;
  readMs: number | null;
  reviewMs: number;
  whatsappToken: (token: string) => boolean;
  onChange: () => void;
}

export interface MessengerSide {
  api: MessengerSandbox;
  register(app: FastifyInstance): void;
  /** Whether an id is one of the pages (the WhatsApp side leaves those alone). */
  hasPage(id: string): boolean;
  pending(): number;
  clear(): void;
}

export function createMessengerSide(o: MessengerSideOptions): MessengerSide {
  const opts = o.options;
  const state = new MessengerState();
  for (const p of o.pages) {
    state.addPage({
      id: p.pageId,
      token: p.pageToken,
      appSecret: p.appSecret,
      webhookUrl: p.webhookUrl,
      name: p.name ?? `Sandbox page ${p.pageId.slice(-4)}`,
      appId: p.appId ?? '1517776481860111',
      humanAgent: p.humanAgent !== false,
      bucket: newBucket(p.throughputMps, o.now()),
    });
  }
  const webhooks = new PageWebhooks({
    emitter: o.emitter,
    batchMs: o.batchMs,
    maxEventsPerPost: Math.max(1, opts.maxEventsPerPost ?? 100),
    grouping: opts.grouping ?? 'entry',
    now: o.now,
    onChange: o.onChange,
  });
  let users: MessengerUsers;
  const written = new MessengerWrittenLog();
  const delivery = new PageDelivery({
    state,
    webhooks,
    deliveryMs: o.deliveryMs,
    readMs: o.readMs,
    echoes: opts.echoes !== false,
    receipts: opts.receipts !== false,
    now: o.now,
    deliverToUser: (m) => users.receive(m),
    onChange: o.onChange,
  });
  users = new MessengerUsers({
    state,
    webhooks,
    now: o.now,
    readAll: (pageId, psid) => delivery.readAll(pageId, psid),
    onChange: o.onChange,
    written,
  });
  const templates = new PageTemplates({
    state,
    webhooks,
    now: o.now,
    reviewMs: o.reviewMs,
    rejectMarketingWords: opts.rejectMarketingWords !== false,
    statusField: opts.templateStatusField ?? 'message_template_status_update',
    onChange: o.onChange,
  });
  for (const s of opts.seedTemplates ?? []) {
    const { pageId, status, ...def } = s;
    const input = parseTemplateInput({ category: 'UTILITY', ...def });
    for (const id of state.pages.keys())
      if (pageId === undefined || pageId === id) templates.seed(id, input, status ?? 'APPROVED');
  }
  const injected = new InjectedErrors();

  const api: MessengerSandbox = {
    users,
    pages: () =>
      [...state.pages.values()].map((p) => ({ id: p.id, name: p.name, webhookUrl: p.webhookUrl ?? null })),
    setWebhookUrl(pageId, url) {
      state.page(pageId).webhookUrl = url;
    },
    sent: () => state.sent.slice(),
    templates: (pageId) => (state.templates.get(pageId) ?? []).map(templateView),
    setTemplateStatus(pageId, name, language, status, reason) {
      const t = state.findTemplate(pageId, name, language);
      if (!t) throw new Error(`no template ${name} (${language}) on page ${pageId}`);
      templates.setStatus(t, status, reason);
    },
    injectError: (req) => {
      if (req.pageId !== undefined) state.page(req.pageId);
      return injectedView(injected.add(req));
    },
  };

  return {
    api,
    register(app) {
      registerMessengerControlRoutes(app, { state, users, templates, injected });
      registerMessengerPhoneRoutes(app, { state, users, written, now: o.now });
      // Without a page nothing on the Graph paths is Messenger's: WhatsApp's requests skip the hook.
      if (state.pages.size === 0) return;
      registerGraphRoutes(app, {
        state,
        delivery,
        injected,
        now: o.now,
        templates,
        whatsappToken: o.whatsappToken,
      });
    },
    hasPage: (id) => state.pages.has(id),
    pending: () => webhooks.pending() + delivery.pending() + templates.pending() + users.pending(),
    clear() {
      delivery.clear();
      templates.clear();
      webhooks.clear();
    },
  };
}
