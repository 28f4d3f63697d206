/**
 * Simulated WhatsApp users. A user is a wa_id; messages reach their inbox when `delivered`
 * happens; they answer by text or by tapping a button, by script (`onMessage`) or by hand
 * (control endpoints). Every inbound message opens the user's 24-hour window with that number,
 * marks what they had received from it as read, and goes to the number's webhook.
 *
 * A message may be dated in the past (`at`), as if it had been written then and only now
 * arrived: its webhook carries that timestamp, and the window runs from it, so a test can make
 * a window 23 h 59 min old. A back-dated message never shortens a window a later one opened.
 */
import { makeWamid } from './ids';
import type { AccountState, InboxButton, InboxMessage, MessageState, SandboxState } from './state';
import { usernames } from './usernames';

export type UserMessageHandler = (message: InboxMessage & { waId: string }) => void | Promise<void>;

export interface UserWriteOptions {
  contextWamid?: string;
  /** When the user wrote it, ms on the sandbox clock (default now); see MAX_BACKDATE_MS. */
  at?: number;
}

/** How far back a message may be dated: older than 30 days is a mistake, not a scenario. */
export const MAX_BACKDATE_MS = 30 * 24 * 3600_000;
/** How far ahead: a few minutes of clock skew between a test and the sandbox, no more. */
export const MAX_FUTURE_MS = 5 * 60_000;

export interface SimulatedUsers {
  /** Messages the user received, oldest first (live objects: `read` changes). */
  inbox(waId: string): InboxMessage[];
  /** The user writes to the business (now, or dated `opts.at`); returns the inbound wamid. */
  sendText(phoneNumberId: string, waId: string, text: string, opts?: UserWriteOptions): string;
  /**
   * The user taps a button of a message in their inbox: a template quick reply (inbound
   * `button`), an interactive reply button (`button_reply`) or list row (`list_reply`).
   * `button` is the button's index, or its text, payload or id. Returns the inbound wamid.
   */
  tapButton(phoneNumberId: string, waId: string, wamid: string, button: number | string): string;
  /** Called for every message that reaches any user; returns an unsubscribe function. */
  onMessage(handler: UserMessageHandler): () => void;
  /** Profile name shown in webhook `contacts[].profile.name`. */
  setName(waId: string, name: string): void;
  lastInboundAt(phoneNumberId: string, waId: string): number | undefined;
  isWindowOpen(phoneNumberId: string, waId: string): boolean;
  /**
   * The user stops or resumes marketing messages from this number in WhatsApp ("Stop
   * promotions"): Meta's `user_preferences` webhook goes out, and while stopped every marketing
   * template to them is accepted and then fails with 131050, as at Meta.
   */
  setMarketing(phoneNumberId: string, waId: string, value: 'stop' | 'resume'): void;
  marketingStopped(phoneNumberId: string, waId: string): boolean;
}

export interface UsersDeps {
  state: SandboxState;
  now: () => number;
  emitInbound: (account: AccountState, message: Record<string, unknown>, name: string, waId: string) => void;
  markRead: (m: MessageState) => void;
  onChange: () => void;
  /** A ready webhook body (not a `messages` change) for the account's webhook URL. */
  emitEnvelope?: (account: AccountState, payload: Record<string, unknown>) => void;
}

/** Meta's text in `user_preferences[].detail`. */
const PREFERENCE_DETAIL = {
  stop: 'User requested to stop marketing messages',
  resume: 'User requested to resume marketing messages',
} as const;

const WA_ID = /^[1-9]\d{6,14}$/;

export class Users implements SimulatedUsers {
  private handlers: UserMessageHandler[] = [];
  private running = 0;
  /** `${phoneNumberId}:${waId}` of users who stopped marketing messages from that number. */
  private readonly stoppedMarketing = new Set<string>();

  constructor(private readonly d: UsersDeps) {}

  /** The sandbox's clock (usernames.ts stamps system messages with it). */
  now(): number {
    return this.d.now();
  }

  /** Scripted handlers still running (they count as pending work for drainWebhooks). */
  pending(): number {
    return this.running;
  }

  inbox(waId: string): InboxMessage[] {
    return this.d.state.users.get(waId)?.inbox.slice() ?? [];
  }

  setName(waId: string, name: string): void {
    const u = this.d.state.user(waId);
    u.name = name;
    u.named = true;
  }

  lastInboundAt(phoneNumberId: string, waId: string): number | undefined {
    return this.d.state.lastInbound.get(`${phoneNumberId}:${waId}`);
  }

  isWindowOpen(phoneNumberId: string, waId: string): boolean {
    return this.d.state.windowOpen(phoneNumberId, waId);
  }

  marketingStopped(phoneNumberId: string, waId: string): boolean {
    return this.stoppedMarketing.has(`${phoneNumberId}:${waId}`);
  }

  setMarketing(phoneNumberId: string, waId: string, value: 'stop' | 'resume'): void {
    const account = this.d.state.accounts.get(phoneNumberId);
    if (!account) throw new Error(`unknown phone number id ${phoneNumberId}`);
    if (!WA_ID.test(waId)) throw new Error(`wa_id must be 7 to 15 digits, got ${waId}`);
    if (value !== 'stop' && value !== 'resume')
      throw new Error(`value must be "stop" or "resume", got ${String(value)}`);
    const key = `${phoneNumberId}:${waId}`;
    if (value === 'stop') this.stoppedMarketing.add(key);
    else this.stoppedMarketing.delete(key);
    const seconds = Math.floor(this.d.now() / 1000);
    // A user with a username is named by user_id too; one who hides the phone, by user_id only.
    const identity = usernames(this.d.state).of(waId);
    const who: Record<string, string> = identity?.usernameOnly ? {} : { wa_id: waId };
    if (identity) who.user_id = identity.bsuid;
    // Meta sends this field on its own change (not inside `messages`), with a numeric timestamp.
    this.d.emitEnvelope?.(account, {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: account.wabaId,
          time: seconds,
          changes: [
            {
              field: 'user_preferences',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: account.displayPhoneNumber,
                  phone_number_id: account.phoneNumberId,
                },
                contacts: [{ profile: { name: this.d.state.user(waId).name }, ...who }],
                user_preferences: [
                  {
                    ...who,
                    detail: PREFERENCE_DETAIL[value],
                    category: 'marketing_messages',
                    value,
                    timestamp: seconds,
                  },
                ],
              },
            },
          ],
        },
      ],
    });
  }

  onMessage(handler: UserMessageHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }

  /** Called by the lifecycle when a message is delivered. */
  receive(m: MessageState): void {
    // The rendered content becomes the inbox entry itself: no copy per delivered message.
    const entry = Object.assign(m.content, {
      wamid: m.wamid,
      phoneNumberId: m.account.phoneNumberId,
      from: m.account.displayPhoneNumber,
      receivedAt: this.d.now(),
      read: false,
    }) satisfies InboxMessage;
    m.inboxEntry = entry;
    this.d.state.user(m.waId).inbox.push(entry);
    if (this.handlers.length === 0) return;
    const view = { ...entry, waId: m.waId };
    for (const h of this.handlers) this.runHandler(h, view);
  }

  sendText(phoneNumberId: string, waId: string, text: string, opts: UserWriteOptions = {}): string {
    if (typeof text !== 'string' || text === '') throw new Error('text must be a non-empty string');
    const message: Record<string, unknown> = { type: 'text', text: { body: text } };
    return this.inbound(phoneNumberId, waId, message, opts.contextWamid, opts.at);
  }

  tapButton(phoneNumberId: string, waId: string, wamid: string, button: number | string): string {
    const m = this.d.state.messages.get(wamid);
    if (!m || m.waId !== waId || m.account.phoneNumberId !== phoneNumberId || !m.inboxEntry) {
      throw new Error(`message ${wamid} from ${phoneNumberId} is not in the inbox of ${waId}`);
    }
    const b = findButton(m.content.buttons, button);
    if (!b) throw new Error(`message ${wamid} has no button ${JSON.stringify(button)}`);
    let message: Record<string, unknown>;
    if (b.kind === 'quick_reply') {
      message = { type: 'button', button: { payload: b.payload ?? b.text, text: b.text } };
    } else if (b.kind === 'reply') {
      message = {
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: b.id, title: b.text } },
      };
    } else if (b.kind === 'list_row') {
      const reply: Record<string, unknown> = { id: b.id, title: b.text };
      if (b.description !== undefined) reply.description = b.description;
      message = { type: 'interactive', interactive: { type: 'list_reply', list_reply: reply } };
    } else {
      throw new Error(`the ${b.kind} button "${b.text}" acts on the phone; it sends nothing to the business`);
    }
    return this.inbound(phoneNumberId, waId, message, wamid);
  }

  private inbound(
    phoneNumberId: string,
    waId: string,
    body: Record<string, unknown>,
    contextWamid: string | undefined,
    at?: number,
  ): string {
    const account = this.d.state.accounts.get(phoneNumberId);
    if (!account) throw new Error(`unknown phone number id ${phoneNumberId}`);
    if (!WA_ID.test(waId)) throw new Error(`wa_id must be 7 to 15 digits, got ${waId}`);
    const now = this.d.now();
    const written = at ?? now;
    checkWrittenAt(written, now);
    const user = this.d.state.user(waId);
    // Answering means the chat is open: everything received from this number is now read.
    for (let i = user.inbox.length - 1; i >= 0; i--) {
      const entry = user.inbox[i] as InboxMessage;
      if (entry.read || entry.phoneNumberId !== phoneNumberId) continue;
      const m = this.d.state.messages.get(entry.wamid);
      if (m) this.d.markRead(m);
    }
    const key = `${phoneNumberId}:${waId}`;
    const previous = this.d.state.lastInbound.get(key);
    if (previous === undefined || written > previous) this.d.state.lastInbound.set(key, written);
    const wamid = makeWamid(waId, 'inbound');
    this.d.state.inbound.set(wamid, { phoneNumberId, waId, readByBusiness: false });
    const message: Record<string, unknown> = {
      from: waId,
      id: wamid,
      timestamp: String(Math.floor(written / 1000)),
      type: body.type,
    };
    if (contextWamid !== undefined) message.context = { from: account.displayPhoneNumber, id: contextWamid };
    Object.assign(message, body);
    this.d.emitInbound(account, message, user.name, waId);
    return wamid;
  }

  private runHandler(h: UserMessageHandler, view: InboxMessage & { waId: string }): void {
    let result: void | Promise<void>;
    try {
      result = h(view);
    } catch (err) {
      warn(err);
      return;
    }
    if (result && typeof result.then === 'function') {
      this.running++;
      result.then(
        () => this.handlerDone(),
        (err: unknown) => {
          warn(err);
          this.handlerDone();
        },
      );
    }
  }

  private handlerDone(): void {
    this.running--;
    this.d.onChange();
  }
}

/** The bounds of a dated message, said with the allowed range in Meta's unit (Unix seconds). */
function checkWrittenAt(at: number, now: number): void {
  const range = () =>
    `between ${Math.ceil((now - MAX_BACKDATE_MS) / 1000)} (30 days ago) and ${Math.floor((now + MAX_FUTURE_MS) / 1000)} (5 minutes ahead of the sandbox clock, now ${Math.floor(now / 1000)})`;
  if (!Number.isFinite(at)) throw new Error(`timestamp must be a number of Unix seconds ${range()}`);
  if (at > now + MAX_FUTURE_MS)
    throw new Error(
      `timestamp ${Math.floor(at / 1000)} is ${Math.round((at - now) / 1000)} s in the future; it must be ${range()}`,
    );
  if (at < now - MAX_BACKDATE_MS)
    throw new Error(`timestamp ${Math.floor(at / 1000)} is more than 30 days old; it must be ${range()}`);
}

/** A failing script must not stop the sandbox, but must not go unnoticed either. */
function warn(err: unknown): void {
  process.emitWarning(
    `sandbox user handler failed: ${err instanceof Error ? err.message : String(err)}`,
    'SandboxWarning',
  );
}

function findButton(buttons: InboxButton[], wanted: number | string): InboxButton | undefined {
  if (typeof wanted === 'number') return buttons.find((b) => b.index === wanted);
  const lower = wanted.toLowerCase();
  return (
    buttons.find((b) => b.text === wanted) ??
    buttons.find((b) => b.text.toLowerCase() === lower) ??
    buttons.find((b) => b.payload === wanted || b.id === wanted)
  );
}
