/**
 * The Send API's decision for one request that passed body validation (send-validation.ts):
 * the template (UTILITY: an APPROVED page template, parameters bound), the person (a PSID of
 * this page, else 100/2018001; blocked → 551/1545041), the page's rate (613), errors queued on
 * command, then the window on the sandbox clock (§1, §2.3): RESPONSE, UPDATE and sender actions
 * inside the standard window, MESSAGE_TAG + HUMAN_AGENT within 7 days of the person's last
 * message, UTILITY not tied to the window; otherwise 10/2018278. Then accept: `{recipient_id,
 * message_id}` (sender actions: `{recipient_id}` only), echo, delivery and read to follow.
 */
import type { MetaError } from '../errors';
import type { PageDelivery } from './delivery';
import {
  graphError,
  INJECTABLE_MESSAGES,
  noMatchingUser,
  outsideWindow,
  param,
  rateLimited,
  userUnavailable,
} from './errors';
import { validateSend } from './send-validation';
import { HUMAN_AGENT_MS, type MessengerState, makeMid, type PageMessage, type PageState } from './state';
import { bindTemplate } from './template-rules';

export interface InjectedMessengerError {
  code: number;
  subcode?: number;
  message: string;
  /** Only sends from this page; every page when absent. */
  pageId?: string;
  /** Only sends to this PSID; everyone when absent. */
  psid?: string;
  left: number;
}

export interface InjectMessengerError {
  code: number;
  subcode?: number;
  message?: string;
  pageId?: string;
  psid?: string;
  count?: number;
}

/** The next `count` sends (from a page, to a person, or any) fail with a given Graph error. */
export class InjectedErrors {
  private readonly queue: InjectedMessengerError[] = [];

  add(req: InjectMessengerError): InjectedMessengerError {
    if (!(Number.isInteger(req.code) && req.code > 0))
      throw new RangeError(`code must be a Graph error code, got ${req.code}`);
    if (req.subcode !== undefined && !(Number.isInteger(req.subcode) && req.subcode > 0))
      throw new RangeError(`subcode must be a Graph error subcode, got ${req.subcode}`);
    const count = req.count ?? 1;
    if (!(Number.isInteger(count) && count >= 1 && count <= 1_000_000))
      throw new RangeError(`count must be a whole number from 1 to 1000000, got ${count}`);
    const e: InjectedMessengerError = {
      code: req.code,
      message: req.message ?? INJECTABLE_MESSAGES[req.code] ?? `(#${req.code}) Injected error`,
      left: count,
    };
    if (req.subcode !== undefined) e.subcode = req.subcode;
    if (req.pageId !== undefined) e.pageId = req.pageId;
    if (req.psid !== undefined) e.psid = req.psid;
    this.queue.push(e);
    return { ...e };
  }

  list(): InjectedMessengerError[] {
    return this.queue.map((e) => ({ ...e }));
  }

  clear(): void {
    this.queue.length = 0;
  }

  take(pageId: string, psid: string): MetaError | undefined {
    const i = this.queue.findIndex(
      (e) => (e.pageId === undefined || e.pageId === pageId) && (e.psid === undefined || e.psid === psid),
    );
    if (i < 0) return undefined;
    const e = this.queue[i]!;
    if (--e.left === 0) this.queue.splice(i, 1);
    // Codes 1 and 2 are Graph's "unexpected, retry later": transient, answered as a 5xx.
    const transient = e.code === 1 || e.code === 2;
    return graphError(e.code, e.message, {
      ...(e.subcode === undefined ? {} : { subcode: e.subcode }),
      ...(transient ? { transient: true, httpStatus: 500 } : {}),
    });
  }
}

export interface SendApiDeps {
  state: MessengerState;
  delivery: PageDelivery;
  injected: InjectedErrors;
  now: () => number;
}

export function sendMessage(d: SendApiDeps, page: PageState, raw: unknown): Record<string, unknown> {
  const v = validateSend(raw);
  let content = v.content;
  if (v.template) {
    const t = d.state.findTemplate(page.id, v.template.name, v.template.language);
    if (!t)
      throw param(`Template ${v.template.name} does not exist in ${v.template.language} for page ${page.id}`);
    if (t.status !== 'APPROVED')
      throw param(`Template ${t.name} (${t.language}) is ${t.status}; only an APPROVED template can be sent`);
    content = bindTemplate(t, v.template);
  }
  if (v.tag === 'HUMAN_AGENT' && !page.humanAgent)
    throw graphError(100, "(#100) Cannot tag messages with 'HUMAN_AGENT' without prior approval", {
      subcode: 2018276,
    });

  const user = d.state.users.get(v.recipientId);
  if (!user || user.pageId !== page.id) throw noMatchingUser();
  if (user.blocked) throw userUnavailable();
  const at = d.now();
  if (page.bucket && !page.bucket.take(at)) throw rateLimited();
  const injected = d.injected.take(page.id, user.psid);
  if (injected) throw injected;

  const humanAgent = v.messagingType === 'MESSAGE_TAG';
  if (humanAgent) {
    if (user.lastMessageAt === undefined || at >= user.lastMessageAt + HUMAN_AGENT_MS) throw outsideWindow();
  } else if (v.messagingType !== 'UTILITY' || v.senderAction) {
    if (user.windowUntil === undefined || at >= user.windowUntil) throw outsideWindow();
  }

  if (v.senderAction) {
    const target = v.senderAction.messageId;
    if (target !== undefined) {
      const known =
        d.state.inboundMids.get(target)?.psid === user.psid ||
        d.state.messages.get(target)?.psid === user.psid;
      if (!known) throw param(`Param payload[message_id] is not a message of this thread: ${target}`);
    }
    return { recipient_id: user.psid };
  }

  const mid = makeMid();
  const record = {
    mid,
    pageId: page.id,
    recipientId: user.psid,
    messagingType: v.messagingType,
    ...(v.tag === undefined ? {} : { tag: v.tag }),
    body: v.body,
    at,
    status: 'accepted' as const,
  };
  const m: PageMessage = {
    mid,
    page,
    psid: user.psid,
    acceptedAt: at,
    content: content!,
    messagingType: v.messagingType,
    tag: v.tag,
    metadata: v.metadata,
    record,
    status: 'accepted',
  };
  d.state.messages.set(mid, m);
  d.state.sent.push(record);
  d.delivery.accept(m);
  return { recipient_id: user.psid, message_id: mid };
}
