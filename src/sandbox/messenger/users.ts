/**
 * Simulated Messenger people. Each is a PSID on one page (page-scoped: the same person on two
 * pages is two users). They act in the thread by script (`onMessage`) or by hand (control
 * endpoints): a message, a quick-reply tap, a postback (a button, Get Started, the persistent
 * menu), a reaction, a referral (an m.me link into the thread). Each of those opens the 24-hour
 * window (§1), reads what the page had delivered (the thread is open), and goes to the page's
 * webhook signed; only a message (quick replies included) starts HUMAN_AGENT's 7 days. A first
 * message after a Click-to-Messenger ad carries `referral.source: "ADS"` and opens a 7-day
 * window (policy of Sep 2026).
 *
 * An action may be dated in the past (`at`, ms on the sandbox clock), as if it had happened then
 * and only arrived now: its webhook carries that timestamp and the windows run from it; a
 * back-dated action never shortens a window a later one opened.
 */
import {
  AD_WINDOW_MS,
  HUMAN_AGENT_MS,
  type MessengerButton,
  type MessengerInboxMessage,
  type MessengerState,
  type MessengerUserState,
  makeMid,
  makePsid,
  type PageMessage,
  WINDOW_MS,
} from './state';
import type { MessagingEvent, PageWebhooks } from './webhooks';
import type { MessengerWrittenLog } from './written';

export type MessengerMessageHandler = (message: MessengerInboxMessage) => void | Promise<void>;

export interface MessengerUserView {
  psid: string;
  pageId: string;
  name: string;
  firstName: string;
  lastName: string;
  /** Whether RESPONSE / UPDATE may reach them now. */
  windowOpen: boolean;
  /** End of the standard messaging window (ms), null before any qualifying action. */
  windowUntil: number | null;
  /** End of HUMAN_AGENT's 7 days (ms), null before any message. */
  humanAgentUntil: number | null;
  lastActionAt: number | null;
  lastMessageAt: number | null;
  blocked: boolean;
}

export interface MessengerActOptions {
  /** When it happened, ms on the sandbox clock (default now): up to 30 days back, 5 minutes ahead. */
  at?: number;
}

export interface MessengerSendTextOptions extends MessengerActOptions {
  /** Quote a message of the thread (`reply_to.mid`). */
  replyTo?: string;
  /** The person came from a Click-to-Messenger ad: the message carries the referral, 7-day window. */
  ad?: { adId?: string; ref?: string };
}

export interface SimulatedMessengerUsers {
  /** A person who can write to the page; returns their PSID with their view. */
  create(pageId: string, opts?: { name?: string; psid?: string }): MessengerUserView;
  get(psid: string): MessengerUserView;
  list(pageId?: string): MessengerUserView[];
  /** What the page sent them and they received, oldest first (live objects: `read` changes). */
  inbox(psid: string): MessengerInboxMessage[];
  /** The person writes; returns the message's mid. */
  sendText(psid: string, text: string, opts?: MessengerSendTextOptions): string;
  /**
   * Taps a quick reply of the page's newest message (by title or payload); `{payload, text}`
   * that matches none is sent as given. Returns the message's mid.
   */
  tapQuickReply(
    psid: string,
    choice: string | { payload?: string; text?: string },
    opts?: MessengerActOptions,
  ): string;
  /**
   * Taps a postback button of a message in the thread (newest first, by title or payload; `mid`
   * picks the message); `{payload, title}` that matches none is a Get Started or persistent-menu
   * postback, sent as given. Returns the postback's mid.
   */
  postback(
    psid: string,
    choice: string | { payload?: string; title?: string },
    opts?: MessengerActOptions & { mid?: string },
  ): string;
  /** Reacts to a message of the thread (an emoji or Meta's name: love, like, smile, …). */
  react(
    psid: string,
    mid: string,
    reaction: string,
    opts?: MessengerActOptions & { unreact?: boolean },
  ): void;
  /** Follows an m.me link (or an ad) into the existing thread. */
  referral(
    psid: string,
    r: { ref?: string; source?: string; type?: string; adId?: string },
    opts?: MessengerActOptions,
  ): void;
  /** Blocks the page (or turns off its messages): sends get 551 until unblocked. */
  setBlocked(psid: string, blocked: boolean): void;
  /** Called for every message that reaches any person; returns an unsubscribe function. */
  onMessage(handler: MessengerMessageHandler): () => void;
}

export interface MessengerUsersDeps {
  state: MessengerState;
  webhooks: PageWebhooks;
  now: () => number;
  /** The person opened the thread: what the page delivered is read. */
  readAll: (pageId: string, psid: string) => void;
  onChange: () => void;
  /** Keeps what people write, for the sandbox phone (written.ts). */
  written?: MessengerWrittenLog;
}

export const MAX_BACKDATE_MS = 30 * 24 * 3600_000;
export const MAX_FUTURE_MS = 5 * 60_000;

const REACTIONS: Record<string, string> = {
  '❤️': 'love',
  '❤': 'love',
  '😍': 'love',
  '👍': 'like',
  '👎': 'dislike',
  '😮': 'wow',
  '😲': 'wow',
  '😢': 'sad',
  '😭': 'sad',
  '😠': 'angry',
  '😡': 'angry',
  '😆': 'smile',
  '😄': 'smile',
  '😀': 'smile',
};
const NAMED_REACTIONS: Record<string, string> = {
  love: '❤️',
  like: '👍',
  dislike: '👎',
  wow: '😮',
  sad: '😢',
  angry: '😠',
  smile: '😆',
};

const FIRST_NAMES = ['Emilia', 'Mateo', 'Lucía', 'Tomás', 'Valentina', 'Joaquín', 'Camila', 'Benjamín'];
const LAST_NAMES = ['García', 'Fernández', 'López', 'Martínez', 'Romero', 'Sosa', 'Díaz', 'Álvarez'];

export class MessengerUsers implements SimulatedMessengerUsers {
  private handlers: MessengerMessageHandler[] = [];
  private running = 0;

  constructor(private readonly d: MessengerUsersDeps) {}

  pending(): number {
    return this.running;
  }

  create(pageId: string, opts: { name?: string; psid?: string } = {}): MessengerUserView {
    const { state } = this.d;
    state.page(pageId);
    const psid = opts.psid ?? makePsid();
    if (!/^\d{5,20}$/.test(psid)) throw new Error(`a PSID is 5 to 20 digits, got ${JSON.stringify(psid)}`);
    if (state.users.has(psid)) throw new Error(`PSID ${psid} already exists`);
    const n = state.users.size;
    const [first, ...rest] = (opts.name ?? '').trim().split(/\s+/).filter(Boolean);
    const user: MessengerUserState = {
      psid,
      pageId,
      firstName: first ?? FIRST_NAMES[n % FIRST_NAMES.length]!,
      lastName: first ? rest.join(' ') : LAST_NAMES[Math.floor(n / FIRST_NAMES.length) % LAST_NAMES.length]!,
      createdAt: this.d.now(),
      windowUntil: undefined,
      lastActionAt: undefined,
      lastMessageAt: undefined,
      blocked: false,
      inbox: [],
    };
    state.users.set(psid, user);
    return this.view(user);
  }

  get(psid: string): MessengerUserView {
    return this.view(this.d.state.user(psid));
  }

  list(pageId?: string): MessengerUserView[] {
    return [...this.d.state.users.values()]
      .filter((u) => !pageId || u.pageId === pageId)
      .map((u) => this.view(u));
  }

  inbox(psid: string): MessengerInboxMessage[] {
    return this.d.state.users.get(psid)?.inbox.slice() ?? [];
  }

  setBlocked(psid: string, blocked: boolean): void {
    this.d.state.user(psid).blocked = blocked;
  }

  onMessage(handler: MessengerMessageHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /** Called when a page's message is delivered: it enters the thread, scripts see it. */
  receive(m: PageMessage): void {
    const entry: MessengerInboxMessage = {
      ...m.content,
      mid: m.mid,
      pageId: m.page.id,
      psid: m.psid,
      messagingType: m.messagingType,
      receivedAt: this.d.now(),
      read: false,
    };
    if (m.tag !== undefined) entry.tag = m.tag;
    m.inboxEntry = entry;
    this.d.state.user(m.psid).inbox.push(entry);
    for (const h of this.handlers) this.runHandler(h, entry);
  }

  sendText(psid: string, text: string, opts: MessengerSendTextOptions = {}): string {
    if (typeof text !== 'string' || text === '') throw new Error('text must be a non-empty string');
    const message: Record<string, unknown> = { text };
    if (opts.replyTo !== undefined) message.reply_to = { mid: opts.replyTo };
    if (opts.ad) {
      const referral: Record<string, unknown> = { source: 'ADS', type: 'OPEN_THREAD' };
      if (opts.ad.ref !== undefined) referral.ref = opts.ad.ref;
      referral.ad_id = opts.ad.adId ?? '120200000000000001';
      message.referral = referral;
    }
    return this.message(psid, message, opts.at, opts.ad ? AD_WINDOW_MS : WINDOW_MS);
  }

  tapQuickReply(
    psid: string,
    choice: string | { payload?: string; text?: string },
    opts: MessengerActOptions = {},
  ): string {
    const user = this.d.state.user(psid);
    const newest = user.inbox[user.inbox.length - 1];
    const offered = newest?.quickReplies ?? [];
    const wanted = typeof choice === 'string' ? { text: choice, payload: choice } : choice;
    const hit =
      offered.find((q) => wanted.payload !== undefined && q.payload === wanted.payload) ??
      offered.find((q) => wanted.text !== undefined && q.title?.toLowerCase() === wanted.text.toLowerCase());
    let text: string;
    let payload: string;
    if (hit) {
      if (hit.contentType !== 'text')
        throw new Error(`the ${hit.contentType} quick reply fills in the person's own data; tap a text one`);
      text = hit.title ?? '';
      payload = hit.payload ?? '';
    } else if (typeof choice !== 'string' && choice.payload !== undefined && choice.text !== undefined) {
      text = choice.text;
      payload = choice.payload;
    } else {
      const shown = offered.map((q) => q.title ?? q.contentType);
      throw new Error(
        shown.length
          ? `no quick reply ${JSON.stringify(choice)} on the newest message; offered: ${shown.join(', ')}`
          : `the newest message of ${psid}'s thread offers no quick replies; give both payload and text to send one anyway`,
      );
    }
    return this.message(psid, { text, quick_reply: { payload } }, opts.at, WINDOW_MS);
  }

  postback(
    psid: string,
    choice: string | { payload?: string; title?: string },
    opts: MessengerActOptions & { mid?: string } = {},
  ): string {
    const user = this.d.state.user(psid);
    const wanted = typeof choice === 'string' ? { title: choice, payload: choice } : choice;
    let hit: MessengerButton | undefined;
    const messages = user.inbox.filter((m) => opts.mid === undefined || m.mid === opts.mid).reverse();
    if (opts.mid !== undefined && messages.length === 0)
      throw new Error(`message ${opts.mid} is not in ${psid}'s thread`);
    for (const m of messages) {
      const buttons = [...m.buttons, ...(m.elements ?? []).flatMap((e) => e.buttons)].filter(
        (b) => b.type === 'postback',
      );
      hit =
        buttons.find((b) => wanted.payload !== undefined && b.payload === wanted.payload) ??
        buttons.find(
          (b) => wanted.title !== undefined && b.title.toLowerCase() === wanted.title.toLowerCase(),
        );
      if (hit) break;
    }
    let title: string;
    let payload: string;
    if (hit) {
      title = hit.title;
      payload = hit.payload ?? '';
    } else if (typeof choice !== 'string' && choice.payload !== undefined && choice.title !== undefined) {
      title = choice.title;
      payload = choice.payload;
    } else {
      throw new Error(
        `no postback button ${JSON.stringify(choice)} in ${psid}'s thread; give both payload and title for a Get Started or menu postback`,
      );
    }
    const mid = makeMid();
    this.act(user, opts.at, WINDOW_MS, false, { postback: { mid, title, payload } });
    return mid;
  }

  react(
    psid: string,
    mid: string,
    reaction: string,
    opts: MessengerActOptions & { unreact?: boolean } = {},
  ): void {
    const user = this.d.state.user(psid);
    const inThread =
      user.inbox.some((m) => m.mid === mid) || this.d.state.inboundMids.get(mid)?.psid === psid;
    if (!inThread) throw new Error(`message ${mid} is not in ${psid}'s thread`);
    if (opts.unreact) {
      // Taking a reaction back is not among the actions that open the window.
      this.emit(user, this.stamp(opts.at), { reaction: { mid, action: 'unreact' } });
      return;
    }
    if (typeof reaction !== 'string' || reaction === '')
      throw new Error('reaction must be an emoji or a name');
    const name = NAMED_REACTIONS[reaction] ? reaction : (REACTIONS[reaction] ?? 'other');
    const emoji = NAMED_REACTIONS[reaction] ?? reaction;
    this.act(user, opts.at, WINDOW_MS, false, { reaction: { mid, action: 'react', emoji, reaction: name } });
  }

  referral(
    psid: string,
    r: { ref?: string; source?: string; type?: string; adId?: string },
    opts: MessengerActOptions = {},
  ): void {
    const user = this.d.state.user(psid);
    const referral: Record<string, unknown> = {};
    if (r.ref !== undefined) referral.ref = r.ref;
    referral.source = r.source ?? 'SHORTLINK';
    referral.type = r.type ?? 'OPEN_THREAD';
    if (r.adId !== undefined) referral.ad_id = r.adId;
    this.act(user, opts.at, WINDOW_MS, false, { referral });
  }

  private message(
    psid: string,
    message: Record<string, unknown>,
    at: number | undefined,
    windowMs: number,
  ): string {
    const user = this.d.state.user(psid);
    const mid = makeMid();
    this.d.state.inboundMids.set(mid, { psid, pageId: user.pageId });
    this.act(user, at, windowMs, true, { message: { mid, ...message } });
    return mid;
  }

  /** A qualifying action: windows move, the thread is read, the webhook goes out. */
  private act(
    user: MessengerUserState,
    at: number | undefined,
    windowMs: number,
    isMessage: boolean,
    body: MessagingEvent,
  ): void {
    const when = this.stamp(at);
    if (user.windowUntil === undefined || when + windowMs > user.windowUntil)
      user.windowUntil = when + windowMs;
    if (user.lastActionAt === undefined || when > user.lastActionAt) user.lastActionAt = when;
    if (isMessage && (user.lastMessageAt === undefined || when > user.lastMessageAt))
      user.lastMessageAt = when;
    this.d.readAll(user.pageId, user.psid);
    this.emit(user, when, body);
  }

  private emit(user: MessengerUserState, when: number, body: MessagingEvent): void {
    const page = this.d.state.page(user.pageId);
    this.d.written?.record(page.id, user.psid, when, body);
    this.d.webhooks.push(page, {
      sender: { id: user.psid },
      recipient: { id: page.id },
      timestamp: when,
      ...body,
    });
  }

  private stamp(at: number | undefined): number {
    const now = this.d.now();
    const when = at ?? now;
    const range = () =>
      `between ${now - MAX_BACKDATE_MS} (30 days ago) and ${now + MAX_FUTURE_MS} (5 minutes ahead of the sandbox clock, now ${now}), in milliseconds`;
    if (!Number.isSafeInteger(when)) throw new Error(`timestamp must be whole milliseconds ${range()}`);
    if (when < 100_000_000_000)
      throw new Error(
        `timestamp ${when} looks like seconds; Messenger's timestamps are milliseconds (${when * 1000})`,
      );
    if (when > now + MAX_FUTURE_MS)
      throw new Error(`timestamp ${when} is in the future; it must be ${range()}`);
    if (when < now - MAX_BACKDATE_MS)
      throw new Error(`timestamp ${when} is more than 30 days old; it must be ${range()}`);
    return when;
  }

  private view(u: MessengerUserState): MessengerUserView {
    const now = this.d.now();
    return {
      psid: u.psid,
      pageId: u.pageId,
      name: `${u.firstName} ${u.lastName}`.trim(),
      firstName: u.firstName,
      lastName: u.lastName,
      windowOpen: u.windowUntil !== undefined && now < u.windowUntil,
      windowUntil: u.windowUntil ?? null,
      humanAgentUntil: u.lastMessageAt === undefined ? null : u.lastMessageAt + HUMAN_AGENT_MS,
      lastActionAt: u.lastActionAt ?? null,
      lastMessageAt: u.lastMessageAt ?? null,
      blocked: u.blocked,
    };
  }

  private runHandler(h: MessengerMessageHandler, entry: MessengerInboxMessage): void {
    let result: void | Promise<void>;
    try {
      result = h(entry);
    } catch (err) {
      warn(err);
      return;
    }
    if (result && typeof result.then === 'function') {
      this.running++;
      result.then(
        () => this.done(),
        (err: unknown) => {
          warn(err);
          this.done();
        },
      );
    }
  }

  private done(): void {
    this.running--;
    this.d.onChange();
  }
}

function warn(err: unknown): void {
  process.emitWarning(
    `sandbox Messenger user handler failed: ${err instanceof Error ? err.message : String(err)}`,
    'SandboxWarning',
  );
}
