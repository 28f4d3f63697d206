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
import { RecontactError } from '../../domain/errors';
import { answer, errorAnswers } from '../openapi';
import {
  clockView,
  expectOk,
  knownPerson,
  messageView,
  NO_SANDBOX,
  personView,
  refused,
  type SandboxAnswer,
  type SandboxChat,
  SandboxClient,
  type SandboxClock,
  type SandboxPeople,
  type SandboxThread,
  type SandboxUserList,
  threadMessageView,
  userView,
  waIdOf,
} from '../sandbox-phone-bridge';
import {
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
  sandboxThreadSchema,
  sandboxUserParams,
  sandboxWriteBody,
  sandboxWrittenSchema,
} from '../sandbox-phone-schemas';
import type { ApiDeps } from '../server';

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
