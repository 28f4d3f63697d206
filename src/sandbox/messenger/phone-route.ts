/**
 * /_sandbox/messenger endpoints for the phone-like view of the simulated Messenger people (the
 * web app's sandbox phone reads them through Recontact's /v1/sandbox routes): who can talk to the
 * pages, one person's thread as their Messenger shows it (both sides, in order), and a tap on a
 * button or quick reply of a message they received. Loopback only like every /_sandbox route.
 * Times are milliseconds on the sandbox clock. Errors: `{error: {message}}`.
 *
 *   GET  /_sandbox/messenger/chats                       {pages: [...], data: [a person each]}
 *   GET  /_sandbox/messenger/users/:psid/chat             {person, messages}: the newest 200, oldest first
 *   POST /_sandbox/messenger/users/:psid/tap              {mid, button} → {mid}
 *
 * People write through POST /_sandbox/messenger/users/:psid/message (control-route.ts).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { MessengerInboxMessage, MessengerState, MessengerUserState } from './state';
import type { MessengerUsers } from './users';
import type { MessengerWrittenLog, MessengerWrittenMessage } from './written';

export interface MessengerPhoneDeps {
  state: MessengerState;
  users: MessengerUsers;
  written: MessengerWrittenLog;
  now: () => number;
}

/** The newest messages of a thread that one answer carries, as for WhatsApp chats. */
export const CHAT_LIMIT = 200;

type Obj = Record<string, unknown>;

function fail(reply: FastifyReply, status: number, message: string): undefined {
  reply.code(status).send({ error: { message } });
  return undefined;
}

export function registerMessengerPhoneRoutes(app: FastifyInstance, d: MessengerPhoneDeps): void {
  const { state, users, written } = d;

  const personView = (u: MessengerUserState) => {
    const wrote = written.of(u.psid);
    const times = [u.inbox.at(-1)?.receivedAt, wrote.at(-1)?.at, u.lastActionAt].filter(
      (t): t is number => t !== undefined,
    );
    return {
      psid: u.psid,
      page_id: u.pageId,
      page_name: state.pages.get(u.pageId)?.name ?? u.pageId,
      name: `${u.firstName} ${u.lastName}`.trim(),
      received: u.inbox.length,
      unread: u.inbox.filter((m) => !m.read).length,
      wrote: wrote.length,
      last_activity_at: times.length ? Math.max(...times) : null,
      window_open: u.windowUntil !== undefined && d.now() < u.windowUntil,
      window_until: u.windowUntil ?? null,
      blocked: u.blocked,
    };
  };

  const person = (psid: string, reply: FastifyReply): MessengerUserState | undefined => {
    const u = state.users.get(psid);
    if (u) return u;
    return fail(
      reply,
      404,
      `no simulated Messenger user with PSID ${psid}; create one with POST /_sandbox/messenger/users`,
    );
  };

  app.get('/_sandbox/messenger/chats', () => ({
    pages: [...state.pages.values()].map((p) => ({ id: p.id, name: p.name })),
    data: [...state.users.values()]
      .map(personView)
      .sort((a, b) => (b.last_activity_at ?? 0) - (a.last_activity_at ?? 0)),
  }));

  app.get<{ Params: { psid: string } }>('/_sandbox/messenger/users/:psid/chat', (req, reply) => {
    const u = person(req.params.psid, reply);
    if (!u) return reply;
    const messages = [...u.inbox.map(receivedView), ...written.of(u.psid).map(writtenView)]
      // Stable: a tap in the same millisecond as a delivery stays after it.
      .sort((a, b) => a.at - b.at)
      .slice(-CHAT_LIMIT);
    return { person: personView(u), messages };
  });

  app.post<{ Params: { psid: string } }>('/_sandbox/messenger/users/:psid/tap', (req, reply) => {
    const u = person(req.params.psid, reply);
    if (!u) return reply;
    const b = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Obj;
    if (typeof b.mid !== 'string' || typeof b.button !== 'string' || b.button === '')
      return fail(reply, 400, 'give mid (the message) and button (its title)');
    const { mid, button } = b as { mid: string; button: string };
    const message = u.inbox.find((m) => m.mid === mid);
    if (!message) return fail(reply, 404, `message ${mid} is not in ${u.psid}'s thread`);
    const wanted = button.toLowerCase();
    try {
      const quick = message.quickReplies.find((q) => q.title?.toLowerCase() === wanted);
      if (quick) {
        // Messenger shows quick replies under the newest message only; older ones are gone.
        if (u.inbox.at(-1)?.mid !== mid)
          return fail(reply, 400, `the quick replies of ${mid} are gone: a newer message replaced them`);
        return {
          mid: users.tapQuickReply(u.psid, { text: quick.title ?? button, payload: quick.payload ?? '' }),
        };
      }
      const all = [...message.buttons, ...(message.elements ?? []).flatMap((e) => e.buttons)];
      const hit = all.find((x) => x.title.toLowerCase() === wanted);
      if (!hit) {
        const offered = [
          ...message.quickReplies.map((q) => q.title ?? q.contentType),
          ...all.map((x) => x.title),
        ];
        return fail(
          reply,
          404,
          `no button "${button}" on message ${mid}; it offers ${offered.length ? offered.join(', ') : 'none'}`,
        );
      }
      if (hit.type !== 'postback')
        return fail(
          reply,
          400,
          `"${hit.title}" is a ${hit.type} button: it acts on the phone, the page gets nothing`,
        );
      return { mid: users.postback(u.psid, { title: hit.title, payload: hit.payload ?? '' }, { mid }) };
    } catch (err) {
      return fail(reply, 400, (err as Error).message);
    }
  });
}

function receivedView(m: MessengerInboxMessage) {
  return {
    direction: 'to_user' as const,
    mid: m.mid,
    at: m.receivedAt,
    type: m.type,
    text: m.text ?? '',
    ...(m.header !== undefined ? { header: m.header } : {}),
    ...(m.footer !== undefined ? { footer: m.footer } : {}),
    buttons: m.buttons.map((b) => ({ type: b.type, title: b.title })),
    quick_replies: m.quickReplies.map((q) => ({ type: q.contentType, title: q.title ?? null })),
    ...(m.elements
      ? {
          elements: m.elements.map((e) => ({
            title: e.title,
            ...(e.subtitle !== undefined ? { subtitle: e.subtitle } : {}),
            buttons: e.buttons.map((b) => ({ type: b.type, title: b.title })),
          })),
        }
      : {}),
    ...(m.url !== undefined ? { url: m.url } : {}),
    ...(m.template ? { template: m.template } : {}),
    ...(m.replyTo !== undefined ? { reply_to: m.replyTo } : {}),
    messaging_type: m.messagingType,
    ...(m.tag !== undefined ? { tag: m.tag } : {}),
    read: m.read,
  };
}

function writtenView(m: MessengerWrittenMessage) {
  return {
    direction: 'from_user' as const,
    mid: m.mid,
    at: m.at,
    type: m.type,
    text: m.text,
    ...(m.payload !== undefined ? { payload: m.payload } : {}),
    ...(m.replyTo !== undefined ? { reply_to: m.replyTo } : {}),
  };
}
