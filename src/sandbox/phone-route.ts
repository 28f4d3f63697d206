/**
 * /_sandbox endpoints for a phone-like view of the simulated users (the web app's sandbox phone
 * reads them through Recontact's /v1/sandbox routes): who has a chat with the business, and one
 * user's chat as their WhatsApp would show it, both sides in order. Loopback only like every
 * /_sandbox route (control-route.ts). Times are milliseconds on the sandbox clock. Errors:
 * `{error: {message}}`.
 *
 *   GET /_sandbox/users[?phone_number_id=]               {numbers: [...], data: [a user per chat]}
 *   GET /_sandbox/users/:waId/chat[?phone_number_id=]    {user, messages}: the newest 200, oldest first
 *
 * Users write and tap through the control endpoints (POST /_sandbox/users/:waId/messages, /tap).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { defaultUserName, type InboxMessage, type SandboxState, WINDOW_MS } from './state';
import type { WrittenLog, WrittenMessage } from './written';

export interface PhoneRouteDeps {
  state: SandboxState;
  written: WrittenLog;
  now: () => number;
}

/** The newest messages of a chat that one answer carries; a phone scrolls, it does not load years. */
export const CHAT_LIMIT = 200;

const WA_ID = /^[1-9]\d{6,14}$/;

interface ChatUser {
  wa_id: string;
  name: string;
  received: number;
  unread: number;
  wrote: number;
  last_activity_at: number | null;
  window_open: boolean;
  window_until: number | null;
}

export function registerPhoneRoutes(app: FastifyInstance, d: PhoneRouteDeps): void {
  const { state, written } = d;

  /** The numbers a chat may be with: all of them, or the one asked for (404 when unknown). */
  const numbersAsked = (reply: FastifyReply, phone: string | undefined): string[] | undefined => {
    if (phone === undefined) return [...state.accounts.keys()];
    if (state.accounts.has(phone)) return [phone];
    reply.code(404).send({
      error: {
        message: `unknown phone number id ${phone}; this sandbox has ${[...state.accounts.keys()].join(', ') || 'none'}`,
      },
    });
    return undefined;
  };

  const userView = (waId: string, phones: string[]): ChatUser | undefined => {
    const inbox = (state.users.get(waId)?.inbox ?? []).filter((m) => phones.includes(m.phoneNumberId));
    const wrote = written.of(waId).filter((m) => phones.includes(m.phoneNumberId));
    let lastInbound: number | undefined;
    for (const p of phones) {
      const at = state.lastInbound.get(`${p}:${waId}`);
      if (at !== undefined && (lastInbound === undefined || at > lastInbound)) lastInbound = at;
    }
    if (inbox.length === 0 && wrote.length === 0 && lastInbound === undefined) return undefined;
    const lastReceived = inbox.at(-1)?.receivedAt;
    const lastWritten = wrote.at(-1)?.at;
    const activity = [lastReceived, lastWritten, lastInbound].filter((t): t is number => t !== undefined);
    const until = lastInbound === undefined ? null : lastInbound + WINDOW_MS;
    return {
      wa_id: waId,
      name: state.users.get(waId)?.name ?? defaultUserName(waId),
      received: inbox.length,
      unread: inbox.filter((m) => !m.read).length,
      wrote: wrote.length,
      last_activity_at: activity.length ? Math.max(...activity) : null,
      window_open: until !== null && d.now() < until,
      window_until: until,
    };
  };

  app.get<{ Querystring: { phone_number_id?: string } }>('/_sandbox/users', (req, reply) => {
    const phones = numbersAsked(reply, req.query?.phone_number_id);
    if (!phones) return reply;
    const waIds = new Set(state.users.keys());
    for (const key of state.lastInbound.keys()) waIds.add(key.slice(key.indexOf(':') + 1));
    const data = [...waIds]
      .map((w) => userView(w, phones))
      .filter((u): u is ChatUser => u !== undefined)
      .sort((a, b) => (b.last_activity_at ?? 0) - (a.last_activity_at ?? 0));
    return {
      numbers: phones.map((p) => {
        const a = state.accounts.get(p)!;
        return { phone_number_id: a.phoneNumberId, display_phone_number: a.displayPhoneNumber };
      }),
      data,
    };
  });

  app.get<{ Params: { waId: string }; Querystring: { phone_number_id?: string } }>(
    '/_sandbox/users/:waId/chat',
    (req, reply) => {
      const { waId } = req.params;
      if (!WA_ID.test(waId))
        return reply.code(400).send({ error: { message: `wa_id must be 7 to 15 digits, got ${waId}` } });
      const phones = numbersAsked(reply, req.query?.phone_number_id);
      if (!phones) return reply;
      const user = userView(waId, phones) ?? {
        wa_id: waId,
        name: state.users.get(waId)?.name ?? defaultUserName(waId),
        received: 0,
        unread: 0,
        wrote: 0,
        last_activity_at: null,
        window_open: false,
        window_until: null,
      };
      const received = (state.users.get(waId)?.inbox ?? [])
        .filter((m) => phones.includes(m.phoneNumberId))
        .map(receivedView);
      const sent = written
        .of(waId)
        .filter((m) => phones.includes(m.phoneNumberId))
        .map((m) => writtenView(state, m));
      // Stable: a tap written in the same millisecond as a delivery stays after it.
      const messages = [...received, ...sent].sort((a, b) => a.at - b.at).slice(-CHAT_LIMIT);
      return { user, messages };
    },
  );
}

function receivedView(m: InboxMessage) {
  return {
    direction: 'to_user' as const,
    wamid: m.wamid,
    phone_number_id: m.phoneNumberId,
    at: m.receivedAt,
    type: m.type,
    text: m.text,
    ...(m.header ? { header: m.header } : {}),
    ...(m.footer !== undefined ? { footer: m.footer } : {}),
    buttons: m.buttons,
    ...(m.template ? { template: m.template } : {}),
    ...(m.contextWamid !== undefined ? { context_wamid: m.contextWamid } : {}),
    read: m.read,
  };
}

function writtenView(state: SandboxState, m: WrittenMessage) {
  return {
    direction: 'from_user' as const,
    wamid: m.wamid,
    phone_number_id: m.phoneNumberId,
    at: m.at,
    type: m.type,
    text: m.text,
    ...(m.payload !== undefined ? { payload: m.payload } : {}),
    ...(m.contextWamid !== undefined ? { context_wamid: m.contextWamid } : {}),
    // Blue ticks on the user's side: the business marked it read (POST …/messages {status: read}).
    read: state.inbound.get(m.wamid)?.readByBusiness ?? false,
  };
}
