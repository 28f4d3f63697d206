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

/**
 * Accepted sends the sandbox remembers in full by default: each costs it about 2 KB (the body as
 * received, the rendered content, the phone's inbox entry), and the embedded sandbox lives in
 * Recontact's own process, so a long run or a large campaign against it must not grow that
 * process without end (100,000 sends would be about 230 MB).
 */
export const DEFAULT_RETAINED_MESSAGES = 20_000;

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
  /** Named by a script or a test (setName): kept when their messages are forgotten. */
  named?: true;
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
  /** The remembered sends by wamid, and as the received log, oldest first. */
  readonly messages = new Map<string, MessageState>();
  readonly sent: SentRecord[] = [];
  /**
   * Every send accepted since the start, remembered or not. How many carried each
   * biz_opaque_callback_data is kept per number for every send (NumberSends): the evidence of
   * exactly once outlives the sends' details, at about 100 bytes a value.
   */
  acceptedTotal = 0;
  readonly users = new Map<string, UserState>();
  /** `${phoneNumberId}:${waId}` → time of the user's last inbound message. */
  readonly lastInbound = new Map<string, number>();
  /** Inbound wamids (for the business's mark-as-read calls). */
  readonly inbound = new Map<string, { phoneNumberId: string; waId: string; readByBusiness: boolean }>();

  /**
   * `retain`: how many accepted sends are remembered in full. Beyond it the oldest are
   * forgotten, a quarter of `retain` at a time (so a send costs O(1) on average): gone from the
   * received log and from the phone's inbox. Their statuses still go out (the lifecycle holds
   * what it needs for that until the last one), but a send forgotten before its delivery never
   * reaches the phone.
   */
  constructor(
    private readonly now: () => number,
    readonly retain = DEFAULT_RETAINED_MESSAGES,
  ) {
    if (!(Number.isInteger(retain) && retain >= 1))
      throw new Error(`retainMessages must be a whole number of sends, at least 1; got ${retain}`);
  }

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
      u = { waId, name: defaultUserName(waId), inbox: [] };
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
    this.acceptedTotal++;
    if (this.sent.length > this.retain + Math.ceil(this.retain / 4))
      this.forget(this.sent.length - this.retain);
  }

  /** Forgets the `n` oldest sends, their inbox entries, and recipients left with nothing of note. */
  private forget(n: number): void {
    const touched = new Set<string>();
    for (const r of this.sent.splice(0, n)) {
      const m = this.messages.get(r.wamid);
      this.messages.delete(r.wamid);
      if (m?.inboxEntry) touched.add(m.waId);
    }
    for (const waId of touched) {
      const u = this.users.get(waId);
      if (!u) continue;
      let kept = 0;
      for (const e of u.inbox) if (this.messages.has(e.wamid)) u.inbox[kept++] = e;
      u.inbox.length = kept;
      if (kept === 0 && !u.named && !this.wrote(waId)) this.users.delete(waId);
    }
  }

  /** Whether the user ever wrote to one of the numbers (their window is state worth keeping). */
  private wrote(waId: string): boolean {
    for (const phone of this.accounts.keys()) if (this.lastInbound.has(`${phone}:${waId}`)) return true;
    return false;
  }
}

/** The name of a user the sandbox made up when a message first reached them. */
export function defaultUserName(waId: string): string {
  return `Sandbox user ${waId.slice(-4)}`;
}
