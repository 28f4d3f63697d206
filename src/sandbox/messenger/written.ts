/**
 * What each simulated Messenger person wrote to a page, as their Messenger keeps it: the
 * right-hand side of the thread (texts, quick replies, postback buttons, reactions). The inbox
 * (state.ts) holds only what the page sent; the phone-like view (phone-route.ts) needs both.
 *
 * Recorded from the messaging event the sandbox is about to send to the page's webhook, so every
 * way a person acts is kept alike: control endpoints, scripts (`sandbox.messenger.users`), the
 * phone. Kept per person, the newest `perPerson` only: a long-running demo must not grow.
 */

export interface MessengerWrittenMessage {
  mid: string;
  pageId: string;
  /** When they wrote it, ms on the sandbox clock (a back-dated action keeps its date). */
  at: number;
  /** text, quick_reply, postback or reaction. */
  type: 'text' | 'quick_reply' | 'postback' | 'reaction';
  /** What their Messenger shows: the text, the tapped title, the reaction's emoji. */
  text: string;
  /** A quick reply's or postback's payload. */
  payload?: string;
  /** The page's message this one quotes or reacts to. */
  replyTo?: string;
}

export const WRITTEN_PER_PERSON = 500;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class MessengerWrittenLog {
  private readonly byPerson = new Map<string, MessengerWrittenMessage[]>();

  constructor(private readonly perPerson = WRITTEN_PER_PERSON) {}

  /** `event` is the messaging event ({message} | {postback} | {reaction} | …) at `at`. */
  record(pageId: string, psid: string, at: number, event: Obj): void {
    const entry = shown(event);
    if (!entry) return;
    let list = this.byPerson.get(psid);
    if (!list) {
      list = [];
      this.byPerson.set(psid, list);
    }
    list.push({ pageId, at, ...entry });
    if (list.length > this.perPerson) list.splice(0, list.length - this.perPerson);
  }

  /** Oldest first. */
  of(psid: string): readonly MessengerWrittenMessage[] {
    return this.byPerson.get(psid) ?? [];
  }
}

/** What the person's thread shows for an event; undefined for what it shows nothing of (a referral, an unreact). */
function shown(event: Obj): Omit<MessengerWrittenMessage, 'pageId' | 'at'> | undefined {
  if (event.message !== undefined) {
    const m = obj(event.message);
    const mid = str(m.mid);
    if (mid === undefined) return undefined;
    const payload = str(obj(m.quick_reply).payload);
    const replyTo = str(obj(m.reply_to).mid);
    return {
      mid,
      type: payload === undefined ? 'text' : 'quick_reply',
      text: str(m.text) ?? '',
      ...(payload === undefined ? {} : { payload }),
      ...(replyTo === undefined ? {} : { replyTo }),
    };
  }
  if (event.postback !== undefined) {
    const p = obj(event.postback);
    const mid = str(p.mid);
    if (mid === undefined) return undefined;
    const payload = str(p.payload);
    return { mid, type: 'postback', text: str(p.title) ?? '', ...(payload === undefined ? {} : { payload }) };
  }
  const r = obj(event.reaction);
  if (r.action === 'react' && typeof r.mid === 'string') {
    // A reaction has no mid of its own: it is named by the message and the emoji.
    return {
      mid: `${r.mid}#${str(r.emoji) ?? ''}`,
      type: 'reaction',
      text: str(r.emoji) ?? '',
      replyTo: r.mid,
    };
  }
  return undefined;
}
