/**
 * The sandbox phone's way to the embedded sandbox: an HTTP client for its loopback control
 * endpoints (/_sandbox/…), bounded in time and size, and the views that turn the sandbox's
 * answers into the /v1/sandbox shapes (routes/sandbox-phone.ts).
 */
import { Pool } from 'undici';
import type { z } from 'zod';
import { RecontactError } from '../domain/errors';
import type { sandboxChatMessageSchema, sandboxThreadMessageSchema } from './sandbox-phone-schemas';

/** Connecting, the answer's headers, each gap in its body: the sandbox is on this machine. */
const TIMEOUT_MS = 5_000;
/** A chat is at most 200 messages; a user list of a big demo stays far below this. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const WA_ID = /^[1-9]\d{6,14}$/;

export interface SandboxAnswer {
  status: number;
  json: unknown;
}

/** The sandbox's answers (src/sandbox/phone-route.ts, control-route.ts), as it writes them. */
interface SandboxChatUser {
  wa_id: string;
  name: string;
  received: number;
  unread: number;
  wrote: number;
  last_activity_at: number | null;
  window_open: boolean;
  window_until: number | null;
}
export interface SandboxUserList {
  numbers: Array<{ phone_number_id: string; display_phone_number: string }>;
  data: SandboxChatUser[];
}
interface SandboxChatEntry {
  direction: 'to_user' | 'from_user';
  wamid: string;
  at: number;
  type: string;
  text: string;
  header?: ChatMessage['header'];
  footer?: string;
  buttons?: Array<
    Omit<NonNullable<ChatMessage['buttons']>[number], 'phone_number'> & { phoneNumber?: string }
  >;
  template?: ChatMessage['template'];
  payload?: string;
  context_wamid?: string;
  read: boolean;
}
export interface SandboxChat {
  user: SandboxChatUser;
  messages: SandboxChatEntry[];
}
/** The Messenger side's answers (src/sandbox/messenger/phone-route.ts). */
interface SandboxPerson {
  psid: string;
  page_id: string;
  page_name: string;
  name: string;
  received: number;
  unread: number;
  wrote: number;
  last_activity_at: number | null;
  window_open: boolean;
  window_until: number | null;
  blocked: boolean;
}
export interface SandboxPeople {
  pages: Array<{ id: string; name: string }>;
  data: SandboxPerson[];
}
type ThreadMessage = z.infer<typeof sandboxThreadMessageSchema>;
export interface SandboxThread {
  person: SandboxPerson;
  messages: Array<Omit<ThreadMessage, 'id' | 'at'> & { mid: string; at: number }>;
}
export interface SandboxClock {
  now_iso: string;
  frozen: boolean;
  offset_seconds: number;
}

/** One pool to the sandbox's origin, every call bounded in time and size. */
export class SandboxClient {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(readonly baseUrl: string) {
    const url = new URL(baseUrl);
    this.basePath = url.pathname.replace(/\/$/, '');
    this.pool = new Pool(url.origin, {
      connections: 4,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      connect: { timeout: TIMEOUT_MS },
    });
  }

  async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<SandboxAnswer> {
    const where = `${method} ${path}`;
    let text: string;
    let status: number;
    try {
      const res = await this.pool.request({
        method,
        path: this.basePath + path,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      status = res.statusCode;
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > MAX_ANSWER_BYTES) {
          res.body.destroy();
          throw unavailable(this.baseUrl, where, `its answer is larger than ${MAX_ANSWER_BYTES} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString('utf8');
    } catch (err) {
      if (err instanceof RecontactError) throw err;
      throw unavailable(this.baseUrl, where, (err as Error).message);
    }
    try {
      return { status, json: JSON.parse(text) as unknown };
    } catch {
      throw unavailable(this.baseUrl, where, `it answered ${status} with a body that is not JSON`);
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function unavailable(baseUrl: string, where: string, why: string): RecontactError {
  return new RecontactError('PROVIDER_ERROR', `The sandbox at ${baseUrl} did not answer ${where}: ${why}`, {
    hint: 'The sandbox runs inside `recontact serve`; its log says why it stopped answering. Restart serve if it is gone.',
  });
}

/** The sandbox's own words for a refusal, as this API's error. */
export function refused(
  answer: SandboxAnswer,
  path: string,
  code: 'INPUT_INVALID' | 'MESSAGE_NOT_FOUND' = 'INPUT_INVALID',
) {
  const message = sandboxMessage(answer) ?? `the sandbox answered ${answer.status}`;
  return new RecontactError(code, `The sandbox refused it: ${message}`, { details: [{ path, message }] });
}

/** The `{error: {message}}` of a /_sandbox refusal. */
function sandboxMessage(answer: SandboxAnswer): string | undefined {
  const error = (answer.json as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : undefined;
}

/** Anything but the expected success is the sandbox misbehaving: a 502 with what it said. */
export function expectOk<T>(answer: SandboxAnswer, baseUrl: string, where: string): T {
  if (answer.status === 200) return answer.json as T;
  const message = sandboxMessage(answer) ?? JSON.stringify(answer.json).slice(0, 300);
  throw unavailable(baseUrl, where, `it answered ${answer.status}: ${message}`);
}

/** "+54 9 11 5555-1234" → "5491155551234": the wa_id the sandbox knows users by. */
export function waIdOf(user: string): string {
  const digits = user.replace(/[\s()+.-]/g, '');
  if (WA_ID.test(digits)) return digits;
  throw new RecontactError('INPUT_INVALID', `"${user}" is not a WhatsApp number`, {
    details: [
      {
        path: 'params.user',
        message:
          'a number in international form, 7 to 15 digits with the country code: 5491155551234 or +54 9 11 5555-1234',
      },
    ],
  });
}

const iso = (ms: unknown): string | null => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

export function userView(u: SandboxChatUser) {
  return {
    wa_id: u.wa_id,
    name: u.name,
    received: u.received,
    unread: u.unread,
    wrote: u.wrote,
    last_activity_at: iso(u.last_activity_at),
    window: { open: u.window_open === true, expires_at: iso(u.window_until) },
  };
}

export function personView(p: SandboxPerson) {
  return {
    psid: p.psid,
    page_id: p.page_id,
    page_name: p.page_name,
    name: p.name,
    received: p.received,
    unread: p.unread,
    wrote: p.wrote,
    last_activity_at: iso(p.last_activity_at),
    window: { open: p.window_open === true, expires_at: iso(p.window_until) },
    blocked: p.blocked === true,
  };
}

export function threadMessageView({ mid, at, ...rest }: SandboxThread['messages'][number]): ThreadMessage {
  return { id: mid, at: new Date(at).toISOString(), ...rest };
}

/** The sandbox's 404 for a PSID it does not know, as this API's refusal naming the parameter. */
export function knownPerson<T>(answer: SandboxAnswer, baseUrl: string, where: string): T {
  if (answer.status === 404) throw refused(answer, 'params.psid', 'MESSAGE_NOT_FOUND');
  return expectOk<T>(answer, baseUrl, where);
}

type ChatMessage = z.infer<typeof sandboxChatMessageSchema>;

/** The sandbox's chat entry in this API's words: ids and ISO times, every field named. */
export function messageView(m: SandboxChatEntry): ChatMessage {
  const v: ChatMessage = {
    direction: m.direction,
    id: m.wamid,
    at: new Date(m.at).toISOString(),
    type: m.type,
    text: m.text,
    read: m.read,
  };
  if (m.header) v.header = m.header;
  if (typeof m.footer === 'string') v.footer = m.footer;
  if (m.buttons)
    v.buttons = m.buttons.map(({ phoneNumber, ...b }) => ({
      ...b,
      ...(phoneNumber === undefined ? {} : { phone_number: phoneNumber }),
    }));
  if (m.template) v.template = m.template;
  if (typeof m.payload === 'string') v.payload = m.payload;
  if (typeof m.context_wamid === 'string') v.context_id = m.context_wamid;
  return v;
}

export function clockView(c: SandboxClock) {
  return { now: c.now_iso, frozen: c.frozen, offset_seconds: c.offset_seconds };
}

export const NO_SANDBOX = () =>
  new RecontactError('ROUTE_NOT_FOUND', 'No sandbox runs in this Recontact, so it has no sandbox phone', {
    hint: '`recontact serve` runs the sandbox beside Recontact when no Meta account is configured (no WHATSAPP_* variables); the phone is for that setup.',
  });
