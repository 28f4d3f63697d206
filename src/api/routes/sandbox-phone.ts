/**
 * /v1/sandbox: the web app's sandbox phone. When `recontact serve` runs the embedded sandbox (no
 * Meta credentials), a person can open any simulated user's chat, see the templates arrive, tap
 * their buttons and type, and so play the seed's stories by hand. The sandbox's own control
 * endpoints (/_sandbox/…) listen on its port and answer loopback only; the web app talks only to
 * its own origin, so these routes forward to them over HTTP, with the API's auth in front.
 *
 * The routes are always registered, so the API reference and the typed client know them; with
 * no sandbox in this process each answers 404 ROUTE_NOT_FOUND saying so (the web app hides its
 * phone page then). A sandbox that does not answer, or answers what it should not, is a 502
 * PROVIDER_ERROR: it is Meta's stand-in.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Pool } from 'undici';
import type { z } from 'zod';
import { RecontactError } from '../../domain/errors';
import { answer, errorAnswers } from '../openapi';
import {
  type sandboxChatMessageSchema,
  sandboxChatSchema,
  sandboxClockBody,
  sandboxClockSchema,
  sandboxMarketingBody,
  sandboxMarketingSchema,
  sandboxNumberQuery,
  sandboxPersonParams,
  sandboxPersonTapBody,
  sandboxPersonWriteBody,
  sandboxPersonWrittenSchema,
  sandboxSchema,
  sandboxTapBody,
  type sandboxThreadMessageSchema,
  sandboxThreadSchema,
  sandboxUserParams,
  sandboxWriteBody,
  sandboxWrittenSchema,
} from '../sandbox-phone-schemas';
import type { ApiDeps } from '../server';

/** Connecting, the answer's headers, each gap in its body: the sandbox is on this machine. */
const TIMEOUT_MS = 5_000;
/** A chat is at most 200 messages; a user list of a big demo stays far below this. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const WA_ID = /^[1-9]\d{6,14}$/;

interface SandboxAnswer {
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
interface SandboxUserList {
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
interface SandboxChat {
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
interface SandboxPeople {
  pages: Array<{ id: string; name: string }>;
  data: SandboxPerson[];
}
type ThreadMessage = z.infer<typeof sandboxThreadMessageSchema>;
interface SandboxThread {
  person: SandboxPerson;
  messages: Array<Omit<ThreadMessage, 'id' | 'at'> & { mid: string; at: number }>;
}
interface SandboxClock {
  now_iso: string;
  frozen: boolean;
  offset_seconds: number;
}

/** One pool to the sandbox's origin, every call bounded in time and size. */
class SandboxClient {
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
function refused(
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
function expectOk<T>(answer: SandboxAnswer, baseUrl: string, where: string): T {
  if (answer.status === 200) return answer.json as T;
  const message = sandboxMessage(answer) ?? JSON.stringify(answer.json).slice(0, 300);
  throw unavailable(baseUrl, where, `it answered ${answer.status}: ${message}`);
}

/** "+54 9 11 5555-1234" → "5491155551234": the wa_id the sandbox knows users by. */
function waIdOf(user: string): string {
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

function userView(u: SandboxChatUser) {
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

function personView(p: SandboxPerson) {
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

function threadMessageView({ mid, at, ...rest }: SandboxThread['messages'][number]): ThreadMessage {
  return { id: mid, at: new Date(at).toISOString(), ...rest };
}

/** The sandbox's 404 for a PSID it does not know, as this API's refusal naming the parameter. */
function knownPerson<T>(answer: SandboxAnswer, baseUrl: string, where: string): T {
  if (answer.status === 404) throw refused(answer, 'params.psid', 'MESSAGE_NOT_FOUND');
  return expectOk<T>(answer, baseUrl, where);
}

type ChatMessage = z.infer<typeof sandboxChatMessageSchema>;

/** The sandbox's chat entry in this API's words: ids and ISO times, every field named. */
function messageView(m: SandboxChatEntry): ChatMessage {
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

function clockView(c: SandboxClock) {
  return { now: c.now_iso, frozen: c.frozen, offset_seconds: c.offset_seconds };
}

const NO_SANDBOX = () =>
  new RecontactError('ROUTE_NOT_FOUND', 'No sandbox runs in this Recontact, so it has no sandbox phone', {
    hint: '`recontact serve` runs the sandbox beside Recontact when no Meta account is configured (no WHATSAPP_* variables); the phone is for that setup.',
  });

const TAGS = ['sandbox'];

export function sandboxPhoneRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    const client = deps.sandbox ? new SandboxClient(deps.sandbox.baseUrl) : undefined;
    if (client) app.addHook('onClose', () => client.close());
    const sandbox = (): SandboxClient => {
      if (!client) throw NO_SANDBOX();
      return client;
    };

    /** The business number of a chat: the one asked for, else Recontact's first account on the sandbox. */
    const numberOf = (asked: string | undefined): string => {
      if (asked !== undefined) return asked;
      const base = sandbox().baseUrl;
      const account = deps.accounts
        .all()
        .find((a) => a.channel === 'whatsapp' && a.baseUrl.replace(/\/$/, '') === base.replace(/\/$/, ''));
      if (account) return account.externalId;
      throw new RecontactError(
        'INPUT_INVALID',
        'No channel account of this Recontact sends from the sandbox',
        {
          details: [{ path: 'query.phone_number_id', message: 'name the sandbox number of the chat' }],
          hint: 'GET /v1/sandbox lists the numbers.',
        },
      );
    };

    const knownNumber = <T>(c: SandboxClient, answer: SandboxAnswer, where: string): T => {
      if (answer.status === 404) throw refused(answer, 'query.phone_number_id');
      return expectOk<T>(answer, c.baseUrl, where);
    };

    app.get(
      '/v1/sandbox',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: 'The embedded sandbox: its numbers, its simulated users, its clock',
          description:
            'Only when this Recontact runs the sandbox (serve with no Meta account); otherwise 404. Users are those who ' +
            'received or sent anything, newest activity first.',
          response: {
            200: answer('What the sandbox has', sandboxSchema),
            ...errorAnswers({ codes: ['ROUTE_NOT_FOUND', 'PROVIDER_ERROR'] }),
          },
        },
      },
      async () => {
        const c = sandbox();
        const [users, clock, people] = await Promise.all([
          c.call('GET', '/_sandbox/users'),
          c.call('GET', '/_sandbox/clock'),
          c.call('GET', '/_sandbox/messenger/chats'),
        ]);
        const list = expectOk<SandboxUserList>(users, c.baseUrl, 'GET /_sandbox/users');
        const messenger = expectOk<SandboxPeople>(people, c.baseUrl, 'GET /_sandbox/messenger/chats');
        return {
          numbers: list.numbers.map((n) => {
            const account = deps.accounts.byExternalId(n.phone_number_id);
            return {
              phone_number_id: n.phone_number_id,
              display_phone_number: n.display_phone_number,
              account: account ? { id: account.id, name: account.name } : null,
            };
          }),
          users: list.data.map(userView),
          clock: clockView(expectOk<SandboxClock>(clock, c.baseUrl, 'GET /_sandbox/clock')),
          messenger: {
            pages: messenger.pages.map((p) => {
              const account = deps.accounts.byExternalId(p.id);
              return {
                id: p.id,
                name: p.name,
                account: account ? { id: account.id, name: account.name } : null,
              };
            }),
            people: messenger.data.map(personView),
          },
        };
      },
    );

    app.get(
      '/v1/sandbox/users/:user/inbox',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: "A simulated user's chat with the business, as their WhatsApp shows it",
          description:
            'Both sides, oldest first: what reached their phone (rendered templates with their buttons, texts) and what ' +
            'they wrote or tapped. A number nobody wrote to has an empty chat.',
          params: sandboxUserParams,
          querystring: sandboxNumberQuery,
          response: {
            200: answer('The chat', sandboxChatSchema),
            ...errorAnswers({ input: true, codes: ['ROUTE_NOT_FOUND', 'PROVIDER_ERROR'] }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const waId = waIdOf(req.params.user);
        const phone = numberOf(req.query.phone_number_id);
        const path = `/_sandbox/users/${waId}/chat?phone_number_id=${encodeURIComponent(phone)}`;
        const chat = knownNumber<SandboxChat>(c, await c.call('GET', path), `GET ${path}`);
        return {
          user: userView(chat.user),
          phone_number_id: phone,
          messages: chat.messages.map(messageView),
        };
      },
    );

    app.post(
      '/v1/sandbox/users/:user/messages',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: 'The simulated user writes to the business',
          description:
            "As from their phone: a signed inbound webhook reaches Recontact and opens the user's 24-hour window. " +
            '`written_at` dates it in the past (the window then runs from it).',
          params: sandboxUserParams,
          querystring: sandboxNumberQuery,
          body: sandboxWriteBody,
          response: {
            200: answer('The message the business receives', sandboxWrittenSchema),
            ...errorAnswers({ body: true, codes: ['ROUTE_NOT_FOUND', 'PROVIDER_ERROR'] }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const waId = waIdOf(req.params.user);
        const b = req.body;
        const res = await c.call('POST', `/_sandbox/users/${waId}/messages`, {
          phone_number_id: numberOf(req.query.phone_number_id),
          text: b.text,
          ...(b.written_at === undefined ? {} : { timestamp: Math.floor(Date.parse(b.written_at) / 1000) }),
          ...(b.reply_to === undefined ? {} : { context_wamid: b.reply_to }),
        });
        if (res.status === 400) throw refused(res, b.written_at === undefined ? 'body' : 'body.written_at');
        return { id: expectOk<{ id: string }>(res, c.baseUrl, 'POST /_sandbox/users/…/messages').id };
      },
    );

    app.post(
      '/v1/sandbox/users/:user/tap',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: 'The simulated user taps a button of a message they received',
          description:
            'A quick reply of a template, a reply button or a list row: the business receives the tap with its payload, ' +
            'quoting the message. URL, phone and copy-code buttons act on the phone only and are refused.',
          params: sandboxUserParams,
          querystring: sandboxNumberQuery,
          body: sandboxTapBody,
          response: {
            200: answer('The tap as the business receives it', sandboxWrittenSchema),
            ...errorAnswers({
              body: true,
              codes: ['ROUTE_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'PROVIDER_ERROR'],
            }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const waId = waIdOf(req.params.user);
        const res = await c.call('POST', `/_sandbox/users/${waId}/tap`, {
          phone_number_id: numberOf(req.query.phone_number_id),
          wamid: req.body.message_id,
          button: req.body.button,
        });
        if (res.status === 404) throw refused(res, 'body.button', 'MESSAGE_NOT_FOUND');
        if (res.status === 400) throw refused(res, 'body');
        return { id: expectOk<{ id: string }>(res, c.baseUrl, 'POST /_sandbox/users/…/tap').id };
      },
    );

    app.post(
      '/v1/sandbox/users/:user/marketing',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: 'The simulated user stops (or resumes) marketing messages from the business',
          description:
            "WhatsApp's “Stop promotions”: Meta's user_preferences webhook reaches Recontact, and marketing templates to " +
            'the user then fail with 131050 until they resume.',
          params: sandboxUserParams,
          querystring: sandboxNumberQuery,
          body: sandboxMarketingBody,
          response: {
            200: answer('What the user now allows', sandboxMarketingSchema),
            ...errorAnswers({ body: true, codes: ['ROUTE_NOT_FOUND', 'PROVIDER_ERROR'] }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const waId = waIdOf(req.params.user);
        const res = await c.call('POST', `/_sandbox/users/${waId}/marketing`, {
          phone_number_id: numberOf(req.query.phone_number_id),
          value: req.body.value,
        });
        if (res.status === 400) throw refused(res, 'body');
        expectOk(res, c.baseUrl, 'POST /_sandbox/users/…/marketing');
        return { value: req.body.value };
      },
    );

    app.get(
      '/v1/sandbox/messenger/:psid/thread',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: "A simulated Messenger person's thread with their page, as their Messenger shows it",
          description:
            'Both sides, oldest first: what the page sent (texts, templates with their buttons and quick replies, the ' +
            'messaging type and tag) and what the person wrote, tapped or reacted. 404 MESSAGE_NOT_FOUND for a PSID ' +
            'the sandbox does not know.',
          params: sandboxPersonParams,
          response: {
            200: answer('The thread', sandboxThreadSchema),
            ...errorAnswers({
              input: true,
              codes: ['ROUTE_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'PROVIDER_ERROR'],
            }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const path = `/_sandbox/messenger/users/${req.params.psid}/chat`;
        const thread = knownPerson<SandboxThread>(await c.call('GET', path), c.baseUrl, `GET ${path}`);
        return { person: personView(thread.person), messages: thread.messages.map(threadMessageView) };
      },
    );

    app.post(
      '/v1/sandbox/messenger/:psid/messages',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: 'The simulated Messenger person writes to the page',
          description:
            "As from their Messenger: a signed messages webhook reaches Recontact and opens the person's 24-hour window.",
          params: sandboxPersonParams,
          body: sandboxPersonWriteBody,
          response: {
            200: answer('The message the page receives', sandboxPersonWrittenSchema),
            ...errorAnswers({
              body: true,
              codes: ['ROUTE_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'PROVIDER_ERROR'],
            }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const res = await c.call('POST', `/_sandbox/messenger/users/${req.params.psid}/message`, {
          text: req.body.text,
          ...(req.body.reply_to === undefined ? {} : { reply_to: req.body.reply_to }),
        });
        if (res.status === 400) throw refused(res, 'body');
        return {
          id: knownPerson<{ mid: string }>(res, c.baseUrl, 'POST /_sandbox/messenger/users/…/message').mid,
        };
      },
    );

    app.post(
      '/v1/sandbox/messenger/:psid/tap',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: 'The simulated Messenger person taps a postback button or a quick reply',
          description:
            'Named by its title. A postback button (of a button, generic or utility template) sends a postback webhook; ' +
            "a quick reply of the newest message sends a message with its payload. URL and call buttons act on the person's " +
            'phone only and are refused, as are the quick replies of an older message (Messenger no longer shows them).',
          params: sandboxPersonParams,
          body: sandboxPersonTapBody,
          response: {
            200: answer('The tap as the page receives it', sandboxPersonWrittenSchema),
            ...errorAnswers({
              body: true,
              codes: ['ROUTE_NOT_FOUND', 'MESSAGE_NOT_FOUND', 'PROVIDER_ERROR'],
            }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const res = await c.call('POST', `/_sandbox/messenger/users/${req.params.psid}/tap`, {
          mid: req.body.message_id,
          button: req.body.button,
        });
        if (res.status === 404) throw refused(res, 'body.button', 'MESSAGE_NOT_FOUND');
        if (res.status === 400) throw refused(res, 'body');
        return { id: expectOk<{ mid: string }>(res, c.baseUrl, 'POST /_sandbox/messenger/users/…/tap').mid };
      },
    );

    app.get(
      '/v1/sandbox/clock',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: "The sandbox's clock",
          response: {
            200: answer('Its time', sandboxClockSchema),
            ...errorAnswers({ codes: ['ROUTE_NOT_FOUND', 'PROVIDER_ERROR'] }),
          },
        },
      },
      async () => {
        const c = sandbox();
        return clockView(
          expectOk<SandboxClock>(await c.call('GET', '/_sandbox/clock'), c.baseUrl, 'GET /_sandbox/clock'),
        );
      },
    );

    app.post(
      '/v1/sandbox/clock',
      {
        config: { role: 'sender' },
        schema: {
          tags: TAGS,
          summary: "Move the sandbox's clock forward, or freeze it",
          description:
            "Moves what the sandbox stamps and judges (its windows, its limits), not Recontact's own clock nor real " +
            'timers: receipts still come after their delays.',
          body: sandboxClockBody,
          response: {
            200: answer('Its time after the change', sandboxClockSchema),
            ...errorAnswers({ body: true, codes: ['ROUTE_NOT_FOUND', 'PROVIDER_ERROR'] }),
          },
        },
      },
      async (req) => {
        const c = sandbox();
        const given = Object.keys(req.body);
        if (given.length !== 1)
          throw new RecontactError('INPUT_INVALID', 'Give exactly one of advance_seconds and freeze', {
            details: [{ path: 'body', message: `got ${given.length ? given.join(', ') : 'neither'}` }],
          });
        const res = await c.call('POST', '/_sandbox/clock', req.body);
        if (res.status === 400) throw refused(res, `body.${given[0]}`);
        return clockView(expectOk<SandboxClock>(res, c.baseUrl, 'POST /_sandbox/clock'));
      },
    );
  };
}
