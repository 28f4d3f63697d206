/**
 * The sandbox's memory: accounts, templates, accepted messages, simulated users and their
 * 24-hour windows. Everything a send touches is one Map lookup away.
 */
import type {
  ParameterFormat,
  QualityScore,
  TemplateCategory,
  TemplateComponent,
  TemplateDefinition,
} from '../domain/templates/model';
import { nextTemplateId } from './ids';
import type { NumberSends } from './number-sends';
import { type CompiledTemplate, compileTemplate } from './template-shape';

export const WINDOW_MS = 24 * 60 * 60 * 1000;

/** Token bucket: `capacity` tokens, refilled at `perSecond`, on the sandbox clock. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.last = now;
  }
  take(now: number): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) * this.perSecond) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** Pair limit (reference §6.2): a burst of 45, then one message per 6 s to the same user. */
export const PAIR_BURST = 45;
export const PAIR_PER_SECOND = 1 / 6;

export interface AccountState {
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  /** Digits only, as in webhook metadata and `context.from`. */
  displayPhoneNumber: string;
  webhookUrl: string | undefined;
  throughputMps: number;
  pairLimit: boolean;
  bucket: TokenBucket | null;
  pairBuckets: Map<string, TokenBucket>;
  /** What this number sent: accepts, 130429 refusals, duplicates, its busiest second. */
  sends: NumberSends;
}

export interface StoredTemplate {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  parameterFormat: ParameterFormat;
  components: TemplateComponent[];
  status: string;
  rejectedReason: string | null;
  qualityScore: QualityScore;
  previousCategory: TemplateCategory | null;
  allowCategoryChange: boolean;
  messageSendTtlSeconds: number | undefined;
  /** Bumped on every edit, so a review scheduled for an older revision is ignored. */
  revision: number;
  createdAt: number;
  compiled: CompiledTemplate;
}

/** A template as `Sandbox.templates()` shows it (Meta's field names). */
export interface SandboxTemplate {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  parameter_format: ParameterFormat;
  components: TemplateComponent[];
  status: string;
  rejected_reason: string | null;
  quality_score: QualityScore;
  previous_category?: TemplateCategory;
}

export function templateView(t: StoredTemplate): SandboxTemplate {
  const view: SandboxTemplate = {
    id: t.id,
    wabaId: t.wabaId,
    name: t.name,
    language: t.language,
    category: t.category,
    parameter_format: t.parameterFormat,
    components: t.components,
    status: t.status,
    rejected_reason: t.rejectedReason,
    quality_score: t.qualityScore,
  };
  if (t.previousCategory) view.previous_category = t.previousCategory;
  return view;
}

export interface InboxButton {
  /** Position in the message: the template button index, or the reply button / list row order. */
  index: number;
  kind: 'quick_reply' | 'url' | 'phone_number' | 'copy_code' | 'otp' | 'reply' | 'list_row';
  text: string;
  /** Quick replies: the payload given at send time (the tap falls back to the button text). */
  payload?: string;
  /** Reply buttons and list rows: the id given at send time. */
  id?: string;
  description?: string;
  url?: string;
  phoneNumber?: string;
  code?: string;
}

export interface MessageHeader {
  type: 'text' | 'image' | 'video' | 'document' | 'location' | 'gif';
  text?: string;
  link?: string;
  id?: string;
  filename?: string;
}

/** What the user's phone shows for one outbound message. */
export interface MessageContent {
  type: string;
  /** Rendered text: template body with values substituted, text body, interactive body, caption. */
  text: string;
  header?: MessageHeader;
  footer?: string;
  buttons: InboxButton[];
  template?: { name: string; language: string; category: TemplateCategory };
  /** The wamid this message quotes (`context.message_id`). */
  contextWamid?: string;
}

/** A message in a simulated user's inbox. */
export interface InboxMessage extends MessageContent {
  wamid: string;
  phoneNumberId: string;
  /** The business number it came from (digits). */
  from: string;
  receivedAt: number;
  read: boolean;
}

export type MessageStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'failed';

/** One accepted send, as `Sandbox.sent()` and GET /_sandbox/messages list it. */
export interface SentRecord {
  wamid: string;
  phoneNumberId: string;
  /** The recipient's wa_id (digits). */
  to: string;
  type: string;
  bizOpaque?: string;
  /** The request body as received. */
  body: unknown;
  at: number;
  /** Where the message is in its lifecycle; failed sends also carry `errorCode`. */
  status: MessageStatus;
  errorCode?: number;
}

export type PricingCategory = 'marketing' | 'utility' | 'authentication' | 'service';

export interface MessageState {
  wamid: string;
  account: AccountState;
  waId: string;
  category: PricingCategory;
  bizOpaque: string | undefined;
  status: MessageStatus;
  acceptedAt: number;
  /** Whether the user's 24-hour window was open when the message was accepted. */
  windowOpen: boolean;
  failure: { code: number; details: string } | null;
  content: MessageContent;
  record: SentRecord;
  /** Set when the message reaches the user's phone. */
  inboxEntry?: InboxMessage;
}

export interface UserState {
  waId: string;
  name: string;
  inbox: InboxMessage[];
}

type LanguageMap = Map<string, StoredTemplate>;

export class SandboxState {
  readonly accounts = new Map<string, AccountState>();
  readonly tokens = new Set<string>();
  readonly wabas = new Map<string, AccountState[]>();
  /** wabaId → name → language → template. */
  readonly templates = new Map<string, Map<string, LanguageMap>>();
  readonly templatesById = new Map<string, StoredTemplate>();
  /** wabaId → name → deletion time: a deleted name cannot be reused for 30 days. */
  readonly deletedNames = new Map<string, Map<string, number>>();
  readonly messages = new Map<string, MessageState>();
  readonly sent: SentRecord[] = [];
  readonly callbackCounts = new Map<string, number>();
  readonly users = new Map<string, UserState>();
  /** `${phoneNumberId}:${waId}` → time of the user's last inbound message. */
  readonly lastInbound = new Map<string, number>();
  /** Inbound wamids (for the business's mark-as-read calls). */
  readonly inbound = new Map<string, { phoneNumberId: string; waId: string; readByBusiness: boolean }>();

  constructor(private readonly now: () => number) {}

  addAccount(a: AccountState): void {
    if (this.accounts.has(a.phoneNumberId)) throw new Error(`duplicate phoneNumberId ${a.phoneNumberId}`);
    this.accounts.set(a.phoneNumberId, a);
    this.tokens.add(a.accessToken);
    const list = this.wabas.get(a.wabaId) ?? [];
    list.push(a);
    this.wabas.set(a.wabaId, list);
  }

  user(waId: string): UserState {
    let u = this.users.get(waId);
    if (!u) {
      u = { waId, name: `Sandbox user ${waId.slice(-4)}`, inbox: [] };
      this.users.set(waId, u);
    }
    return u;
  }

  windowOpen(phoneNumberId: string, waId: string, at = this.now()): boolean {
    const last = this.lastInbound.get(`${phoneNumberId}:${waId}`);
    return last !== undefined && at - last < WINDOW_MS;
  }

  templatesOf(wabaId: string): Map<string, LanguageMap> {
    let m = this.templates.get(wabaId);
    if (!m) {
      m = new Map();
      this.templates.set(wabaId, m);
    }
    return m;
  }

  findTemplate(wabaId: string, name: string, language: string): StoredTemplate | undefined {
    return this.templates.get(wabaId)?.get(name)?.get(language);
  }

  /** Templates of one WABA, newest first (Graph's listing order). */
  listTemplates(wabaId: string): StoredTemplate[] {
    const out: StoredTemplate[] = [];
    for (const langs of this.templates.get(wabaId)?.values() ?? []) out.push(...langs.values());
    return out.sort((a, b) => Number(b.id) - Number(a.id));
  }

  addTemplate(
    wabaId: string,
    def: TemplateDefinition & { allow_category_change?: boolean; message_send_ttl_seconds?: number },
    status: string,
  ): StoredTemplate {
    const t: StoredTemplate = {
      id: nextTemplateId(),
      wabaId,
      name: def.name,
      language: def.language,
      category: def.category,
      parameterFormat: def.parameter_format ?? 'POSITIONAL',
      components: def.components,
      status,
      rejectedReason: status === 'REJECTED' ? 'NONE' : null,
      qualityScore: status === 'APPROVED' ? 'GREEN' : 'UNKNOWN',
      previousCategory: null,
      allowCategoryChange: def.allow_category_change === true,
      messageSendTtlSeconds: def.message_send_ttl_seconds,
      revision: 0,
      createdAt: this.now(),
      compiled: compileTemplate(def),
    };
    const byName = this.templatesOf(wabaId);
    let langs = byName.get(t.name);
    if (!langs) {
      langs = new Map();
      byName.set(t.name, langs);
    }
    langs.set(t.language, t);
    this.templatesById.set(t.id, t);
    return t;
  }

  removeTemplate(t: StoredTemplate): void {
    const byName = this.templates.get(t.wabaId);
    const langs = byName?.get(t.name);
    langs?.delete(t.language);
    if (langs && langs.size === 0) byName?.delete(t.name);
    this.templatesById.delete(t.id);
    let deleted = this.deletedNames.get(t.wabaId);
    if (!deleted) {
      deleted = new Map();
      this.deletedNames.set(t.wabaId, deleted);
    }
    deleted.set(t.name, this.now());
  }

  recordSent(m: MessageState): void {
    this.messages.set(m.wamid, m);
    this.sent.push(m.record);
    if (m.bizOpaque !== undefined) {
      this.callbackCounts.set(m.bizOpaque, (this.callbackCounts.get(m.bizOpaque) ?? 0) + 1);
    }
  }
}
