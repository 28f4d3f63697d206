/**
 * What each simulated user wrote to the business, as their own phone keeps it: the right-hand
 * side of a WhatsApp chat (texts, button taps, list choices). The inbox (state.ts) holds only
 * what they received; a phone-like view (phone-route.ts) needs both sides to read as a chat.
 *
 * Recorded from the inbound message body the sandbox is about to send to the business, so every
 * way a user writes is kept alike: the control endpoints, scripts (`sandbox.users`), demos.
 * Kept per user, the newest `perUser` only: a long-running demo must not grow without bound.
 */

export interface WrittenMessage {
  wamid: string;
  phoneNumberId: string;
  /** When it was written, ms on the sandbox clock (a back-dated message keeps its date). */
  at: number;
  /** Meta's inbound type: text, button, interactive. */
  type: string;
  /** What the user's phone shows: the text, or the tapped button's or row's title. */
  text: string;
  /** A quick reply's payload, or a reply button's / list row's id. */
  payload?: string;
  /** The business message this one answers (a tap always has one). */
  contextWamid?: string;
}

export const WRITTEN_PER_USER = 500;

type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class WrittenLog {
  private readonly byUser = new Map<string, WrittenMessage[]>();

  constructor(
    private readonly now: () => number,
    private readonly perUser = WRITTEN_PER_USER,
  ) {}

  /** `message` is the inbound body as the webhook carries it ({from, id, timestamp, type, …}). */
  record(phoneNumberId: string, waId: string, message: Obj): void {
    const wamid = str(message.id);
    if (wamid === undefined) return;
    const entry: WrittenMessage = {
      wamid,
      phoneNumberId,
      at: this.writtenAt(message.timestamp),
      type: str(message.type) ?? 'unknown',
      ...shown(message),
    };
    const context = str(obj(message.context).id);
    if (context !== undefined) entry.contextWamid = context;
    let list = this.byUser.get(waId);
    if (!list) {
      list = [];
      this.byUser.set(waId, list);
    }
    list.push(entry);
    if (list.length > this.perUser) list.splice(0, list.length - this.perUser);
  }

  /**
   * Meta's timestamp has whole seconds; a message of this second is dated by the clock instead,
   * so it sorts after what reached the phone earlier in the same second.
   */
  private writtenAt(timestamp: unknown): number {
    const now = this.now();
    const ms = Number(timestamp) * 1000;
    if (!Number.isFinite(ms)) return now;
    return now - ms < 1000 && now >= ms ? now : ms;
  }

  /** Oldest first. */
  of(waId: string): readonly WrittenMessage[] {
    return this.byUser.get(waId) ?? [];
  }
}

/** The text a phone shows for what the user sent, and the payload the business receives. */
function shown(message: Obj): { text: string; payload?: string } {
  switch (message.type) {
    case 'text':
      return { text: str(obj(message.text).body) ?? '' };
    case 'button': {
      const b = obj(message.button);
      const payload = str(b.payload);
      return { text: str(b.text) ?? payload ?? '', ...(payload === undefined ? {} : { payload }) };
    }
    case 'interactive': {
      const i = obj(message.interactive);
      const reply = obj(i.button_reply ?? i.list_reply);
      const id = str(reply.id);
      return { text: str(reply.title) ?? '', ...(id === undefined ? {} : { payload: id }) };
    }
    default:
      // A kind the phone view has no words for (a system notice): named, never dropped.
      return { text: `(${String(message.type)})` };
  }
}
