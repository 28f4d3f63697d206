/**
 * The Messenger side's memory: pages, the simulated people who wrote to them (each a PSID on one
 * page), what the pages sent, and the pages' utility templates. Written from the fact sheet
 * (reference/messenger-platform.md), not from our adapter.
 *
 * Windows are kept as instants, never as flags: `windowUntil` is the end of the standard
 * messaging window (24 h after the latest qualifying action, up to 7 days after a first message
 * from a Click-to-Messenger ad), and HUMAN_AGENT runs 7 days from `lastMessageAt`, the person's
 * latest *message* (a postback or a reaction reopens the 24 h window but not that one).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { TokenBucket } from '../state';

export const HOUR_MS = 3600_000;
export const WINDOW_MS = 24 * HOUR_MS;
export const AD_WINDOW_MS = 7 * 24 * HOUR_MS;
export const HUMAN_AGENT_MS = 7 * 24 * HOUR_MS;

export type MessagingType = 'RESPONSE' | 'UPDATE' | 'MESSAGE_TAG' | 'UTILITY';

export interface PageState {
  id: string;
  token: string;
  appSecret: string;
  webhookUrl: string | undefined;
  name: string;
  /** The sending app's id, as message echoes report it. */
  appId: string;
  /** Whether the app passed App Review for the Human Agent feature (HUMAN_AGENT tag). */
  humanAgent: boolean;
  /** Send API calls per second for this page; null: unlimited. */
  bucket: TokenBucket | null;
}

/** A button as the person sees it: in a button or generic template, or a utility template. */
export interface MessengerButton {
  type: string;
  title: string;
  payload?: string;
  url?: string;
}

export interface QuickReply {
  contentType: 'text' | 'user_phone_number' | 'user_email';
  /** As shown: Meta cuts a title beyond 20 characters. */
  title?: string;
  payload?: string;
  imageUrl?: string;
}

/** What the person's Messenger shows for one message from the page. */
export interface MessengerContent {
  /** text, image, audio, video, file, button, generic, utility */
  type: string;
  text?: string;
  /** Utility templates: the rendered header text. */
  header?: string;
  footer?: string;
  quickReplies: QuickReply[];
  buttons: MessengerButton[];
  /** Generic templates: the cards. */
  elements?: Array<{ title: string; subtitle?: string; imageUrl?: string; buttons: MessengerButton[] }>;
  /** Media attachments: where the file is. */
  url?: string;
  /** Utility templates: which one. */
  template?: { name: string; language: string };
  /** The mid this message quotes (`reply_to.mid`). */
  replyTo?: string;
}

/** One message in a simulated person's thread with a page. */
export interface MessengerInboxMessage extends MessengerContent {
  mid: string;
  pageId: string;
  psid: string;
  messagingType: MessagingType;
  tag?: string;
  receivedAt: number;
  read: boolean;
}

/** One accepted send, as `sandbox.messenger.sent()` and GET /_sandbox/messenger/messages list it. */
export interface MessengerSentRecord {
  mid: string;
  pageId: string;
  recipientId: string;
  messagingType: MessagingType;
  tag?: string;
  /** The request body as received (form bodies parsed). */
  body: unknown;
  at: number;
  status: 'accepted' | 'delivered' | 'read';
}

export interface PageMessage {
  mid: string;
  page: PageState;
  psid: string;
  acceptedAt: number;
  content: MessengerContent;
  messagingType: MessagingType;
  tag: string | undefined;
  metadata: string | undefined;
  record: MessengerSentRecord;
  status: 'accepted' | 'delivered' | 'read';
  inboxEntry?: MessengerInboxMessage;
}

export interface MessengerUserState {
  psid: string;
  pageId: string;
  firstName: string;
  lastName: string;
  createdAt: number;
  /** End of the standard messaging window (ms); undefined until a qualifying action. */
  windowUntil: number | undefined;
  lastActionAt: number | undefined;
  /** The latest message the person wrote (HUMAN_AGENT counts 7 days from it). */
  lastMessageAt: number | undefined;
  /** Blocked the page, deactivated, or turned off messages: sends get 551. */
  blocked: boolean;
  inbox: MessengerInboxMessage[];
}

/** A Page utility template (Meta's field names where it shows them). */
export interface PageTemplate {
  id: string;
  pageId: string;
  name: string;
  language: string;
  category: 'UTILITY';
  parameterFormat: 'POSITIONAL' | 'NAMED';
  components: Array<Record<string, unknown>>;
  status: string;
  rejectedReason: string | null;
  createdAt: number;
  /** Bumped on every status change by review, so a stale review timer does nothing. */
  revision: number;
}

const MID_INSTANCE = randomBytes(9);
let midCounter = 0;

/** An opaque `m_…` id as Meta hands out today (the older `mid.<digits>:<hex>` form is gone). */
export function makeMid(): string {
  midCounter += 1;
  const tail = Buffer.alloc(6);
  tail.writeUIntBE(midCounter, 0, 6);
  return 'm_' + Buffer.concat([MID_INSTANCE, tail, randomBytes(15)]).toString('base64url');
}

// Page-scoped ids are 16-digit numbers in today's payloads; a random base per process keeps two
// sandboxes in one test run from handing out the same ones.
let psidNext = 2_400_000_000_000_000 + randomInt(0, 1_000_000) * 1_000_000;

export function makePsid(): string {
  psidNext += 1;
  return String(psidNext);
}

export class MessengerState {
  readonly pages = new Map<string, PageState>();
  /** Page token → page. */
  readonly tokens = new Map<string, PageState>();
  readonly users = new Map<string, MessengerUserState>();
  readonly messages = new Map<string, PageMessage>();
  readonly sent: MessengerSentRecord[] = [];
  /** pageId → templates, oldest first. */
  readonly templates = new Map<string, PageTemplate[]>();
  readonly templatesById = new Map<string, PageTemplate>();
  /** Mids of what people wrote (their reactions must name a mid of the thread). */
  readonly inboundMids = new Map<string, { psid: string; pageId: string }>();

  addPage(p: PageState): void {
    if (this.pages.has(p.id)) throw new Error(`duplicate pageId ${p.id}`);
    if (this.tokens.has(p.token)) throw new Error(`two pages share the token of page ${p.id}`);
    this.pages.set(p.id, p);
    this.tokens.set(p.token, p);
    this.templates.set(p.id, []);
  }

  page(pageId: string): PageState {
    const p = this.pages.get(pageId);
    if (!p) throw new Error(`unknown page id ${pageId}`);
    return p;
  }

  user(psid: string): MessengerUserState {
    const u = this.users.get(psid);
    if (!u) throw new Error(`no simulated Messenger user with PSID ${psid}`);
    return u;
  }

  findTemplate(pageId: string, name: string, language: string): PageTemplate | undefined {
    return this.templates.get(pageId)?.find((t) => t.name === name && t.language === language);
  }

  addTemplate(t: PageTemplate): void {
    this.templates.get(t.pageId)?.push(t);
    this.templatesById.set(t.id, t);
  }

  removeTemplate(t: PageTemplate): void {
    const list = this.templates.get(t.pageId);
    if (list) list.splice(list.indexOf(t), 1);
    this.templatesById.delete(t.id);
  }
}

export function newBucket(mps: number | undefined, now: number): TokenBucket | null {
  return mps !== undefined && mps > 0 ? new TokenBucket(mps, mps, now) : null;
}
