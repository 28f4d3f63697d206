/**
 * /v1/sandbox: the web app's sandbox phone, through Recontact's own API, forwarding to the
 * embedded sandbox over real HTTP. The seed's appointment confirmation played by hand: the
 * template reaches the simulated phone, the person taps "Confirmar", the bot's message gets the
 * reply. A Messenger person of the sandbox's page likewise: listed, the page's message and its
 * buttons in their thread, their words and taps reaching Recontact. Answers are checked against
 * the published OpenAPI document.
 */
import pino from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_PAGE } from '../../src/embedded-sandbox';
import { upsertAccount } from '../../src/store/accounts-repo';
import { openSecretBox } from '../../src/store/secret-key-file';
import { EMILIA, type Harness, REMINDER, startHarness } from '../support/harness';
import { expectDocumented, type OpenApiDoc } from '../support/openapi';
import { DIALECTS } from '../support/stores';

const inbox = (user: string) => `/v1/sandbox/users/${encodeURIComponent(user)}/inbox`;

describe.each(DIALECTS)('the sandbox phone API on %s', (dialect) => {
  let h: Harness;
  let doc: OpenApiDoc;
  beforeAll(async () => {
    h = await startHarness(dialect);
    doc = (await (await request(`${h.url}/docs/json`)).body.json()) as OpenApiDoc;
  });
  afterAll(() => h.close());

  it('says what the sandbox has: its number, as Recontact knows it, and its clock', async () => {
    const res = await h.api('GET', '/v1/sandbox');
    expect(res.status).toBe(200);
    expectDocumented(doc, 'get /v1/sandbox', res);
    const account = h.app.accounts.all()[0]!;
    expect(res.json.numbers).toEqual([
      {
        phone_number_id: h.embedded.whatsapp.phoneNumberId,
        display_phone_number: '5491100000000',
        account: { id: account.id, name: account.name },
      },
    ]);
    expect(res.json.clock.frozen).toBe(false);
    expect(Math.abs(Date.parse(res.json.clock.now) - Date.now())).toBeLessThan(5_000);
  });

  it('shows the appointment template on the phone, and a tap on "Confirmar" reaches the bot as its reply', async () => {
    const queued = await h.api('POST', '/v1/messages', REMINDER);
    expect(queued.status).toBe(202);
    const id = queued.json.id as string;

    const arrived = await h.waitFor('the template on the phone', async () => {
      const res = await h.api('GET', inbox(EMILIA.phone));
      return res.json.messages?.length ? res : undefined;
    });
    expectDocumented(doc, 'get /v1/sandbox/users/{user}/inbox', arrived);
    expect(arrived.json.user).toMatchObject({ wa_id: EMILIA.waId, received: 1, wrote: 0 });
    const [template] = arrived.json.messages;
    expect(template).toMatchObject({
      direction: 'to_user',
      type: 'template',
      template: { name: 'appointment_reminder', language: 'es_AR' },
      footer: 'SaludCenter · turnos',
    });
    expect(template.text).toContain('Emilia');
    expect(template.buttons.map((b: { text: string }) => b.text)).toEqual(['Confirmar', 'Cancelar']);

    const tap = await h.api('POST', `/v1/sandbox/users/${EMILIA.waId}/tap`, {
      message_id: template.id,
      button: 'Confirmar',
    });
    expect(tap.status).toBe(200);
    expectDocumented(doc, 'post /v1/sandbox/users/{user}/tap', tap);

    const reply = await h.waitFor('message.reply', () =>
      h.events.find((e) => e.type === 'message.reply' && e.data.message.id === id),
    );
    expect(reply.data.reply.payload).toBe('CONFIRM:appt-123');
    const replies = await h.waitFor('the reply on the message', async () => {
      const res = await h.api('GET', `/v1/messages/${id}/replies`);
      return res.json.replies?.length ? res : undefined;
    });
    expect(replies.json.replies[0]).toMatchObject({
      provider_message_id: tap.json.id,
      payload: 'CONFIRM:appt-123',
    });

    // The phone now shows the tap on the user's side, and the template read (the chat was open).
    const chat = await h.api('GET', inbox(EMILIA.waId));
    expect(chat.json.messages.map((m: { direction: string; text: string }) => [m.direction, m.text])).toEqual(
      [
        ['to_user', template.text],
        ['from_user', 'Confirmar'],
      ],
    );
    expect(chat.json.messages[0].read).toBe(true);
    expect(chat.json.messages[1]).toMatchObject({ payload: 'CONFIRM:appt-123', context_id: template.id });
    expect(chat.json.user.window.open).toBe(true);

    const listed = await h.api('GET', '/v1/sandbox');
    expect(listed.json.users.map((u: { wa_id: string }) => u.wa_id)).toContain(EMILIA.waId);
  });

  it('lets the user write, dated in the past if asked, and Recontact opens the window from then', async () => {
    const user = '+54 9 11 5555-0707';
    const writtenAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000).toISOString();
    const res = await h.api('POST', `/v1/sandbox/users/${encodeURIComponent(user)}/messages`, {
      text: 'Hola, ¿tienen turnos?',
      written_at: writtenAt,
    });
    expect(res.status).toBe(200);
    expectDocumented(doc, 'post /v1/sandbox/users/{user}/messages', res);
    expect(res.json.id).toMatch(/^wamid\./);
    const window = await h.waitFor('the window in Recontact', async () => {
      const w = await h.api('GET', `/v1/contacts/${encodeURIComponent(user)}/window`);
      return w.json.open ? w : undefined;
    });
    expect(window.json.last_inbound_at).toBe(writtenAt);
    const chat = await h.api('GET', inbox(user));
    expect(chat.json.messages).toEqual([
      expect.objectContaining({
        direction: 'from_user',
        type: 'text',
        text: 'Hola, ¿tienen turnos?',
        at: writtenAt,
      }),
    ]);
  });

  it('names what is wrong: a number that is not one, a message the user never got, a clock told two things', async () => {
    const bad = await h.api('GET', inbox('not-a-phone'));
    expect(bad.status).toBe(400);
    expect(bad.json.error.details[0].path).toBe('params.user');

    const tap = await h.api('POST', `/v1/sandbox/users/${EMILIA.waId}/tap`, {
      message_id: 'wamid.nothing',
      button: 0,
    });
    expect(tap.status).toBe(404);
    expect(tap.json.error.code).toBe('MESSAGE_NOT_FOUND');
    expect(tap.json.error.message).toContain('wamid.nothing');

    const old = await h.api('POST', `/v1/sandbox/users/${EMILIA.waId}/messages`, {
      text: 'hola',
      written_at: '2020-01-01T00:00:00Z',
    });
    expect(old.status).toBe(400);
    expect(old.json.error.details[0]).toMatchObject({ path: 'body.written_at' });
    expect(old.json.error.message).toContain('30 days');

    const clock = await h.api('POST', '/v1/sandbox/clock', { advance_seconds: 1, freeze: true });
    expect(clock.status).toBe(400);
    expect(clock.json.error.message).toContain('exactly one');
  });

  describe('a Messenger person of the sandbox page', () => {
    const thread = (psid: string) => `/v1/sandbox/messenger/${psid}/thread`;
    let pageAccountId: string;
    beforeAll(async () => {
      // The sandbox's page as an operator adds it: its webhooks already reach /webhooks/messenger.
      const box = openSecretBox(h.app.config.secrets, h.store, pino({ level: 'silent' }));
      const page = await upsertAccount(
        h.store.db,
        box,
        {
          id: 'acc_phone_page',
          channel: 'messenger',
          name: 'phone-page',
          externalId: SANDBOX_PAGE.pageId,
          wabaId: null,
          accessToken: SANDBOX_PAGE.pageToken,
          appSecret: SANDBOX_PAGE.appSecret,
          verifyToken: SANDBOX_PAGE.verifyToken,
          baseUrl: h.app.accounts.all()[0]!.baseUrl,
          graphVersion: 'v25.0',
          throughputMps: 40,
          source: 'api',
        },
        Date.now(),
      );
      pageAccountId = page.id;
      await h.app.accounts.reload();
    });

    it('lists the person, shows the page’s message with its buttons, and their words and taps reach Recontact', async () => {
      const { psid } = h.embedded.sandbox.messenger.users.create(SANDBOX_PAGE.pageId, { name: 'Mateo Sosa' });
      const listed = await h.api('GET', '/v1/sandbox');
      expectDocumented(doc, 'get /v1/sandbox', listed);
      expect(listed.json.messenger.pages).toEqual([
        {
          id: SANDBOX_PAGE.pageId,
          name: SANDBOX_PAGE.name,
          account: { id: pageAccountId, name: 'phone-page' },
        },
      ]);
      expect(listed.json.messenger.people).toContainEqual(
        expect.objectContaining({
          psid,
          name: 'Mateo Sosa',
          wrote: 0,
          window: { open: false, expires_at: null },
        }),
      );

      const wrote = await h.api('POST', `/v1/sandbox/messenger/${psid}/messages`, {
        text: '¿Abren el sábado?',
      });
      expect(wrote.status).toBe(200);
      expectDocumented(doc, 'post /v1/sandbox/messenger/{psid}/messages', wrote);
      const inbound = await h.waitFor('the message in Recontact', () =>
        h.events.find((e) => e.type === 'message.received' && e.data.account_id === pageAccountId),
      );
      expect(inbound.data.message).toMatchObject({ type: 'text', text: '¿Abren el sábado?' });

      const answer = {
        to: `psid:${psid}`,
        interactive: {
          body: 'Sí, de 9 a 13. ¿Te reservo un turno?',
          buttons: [
            { id: 'BOOK', title: 'Reservar' },
            { id: 'NO', title: 'No, gracias' },
          ],
        },
      };
      const sent = await h.api('POST', '/v1/messages', answer);
      expect(sent.status, JSON.stringify(sent.json)).toBe(202);
      const arrived = await h.waitFor('the answer in the thread', async () => {
        const res = await h.api('GET', thread(psid));
        return res.json.messages?.length >= 2 ? res : undefined;
      });
      expectDocumented(doc, 'get /v1/sandbox/messenger/{psid}/thread', arrived);
      expect(arrived.json.person).toMatchObject({ psid, wrote: 1, window: { open: true } });
      const [mine, theirs] = arrived.json.messages;
      expect(mine).toMatchObject({ direction: 'from_user', type: 'text', text: '¿Abren el sábado?' });
      expect(theirs).toMatchObject({ direction: 'to_user', text: 'Sí, de 9 a 13. ¿Te reservo un turno?' });
      const offered = [...(theirs.buttons ?? []), ...(theirs.quick_replies ?? [])].map(
        (b: { title: string }) => b.title,
      );
      expect(offered).toEqual(['Reservar', 'No, gracias']);

      const tap = await h.api('POST', `/v1/sandbox/messenger/${psid}/tap`, {
        message_id: theirs.id,
        button: 'Reservar',
      });
      expect(tap.status, JSON.stringify(tap.json)).toBe(200);
      expectDocumented(doc, 'post /v1/sandbox/messenger/{psid}/tap', tap);
      const reply = await h.waitFor('the reply to the message', () =>
        h.events.find((e) => e.type === 'message.reply' && e.data.message.id === sent.json.id),
      );
      expect(reply.data.reply.payload).toBe('BOOK');
      const after = await h.api('GET', thread(psid));
      expect(after.json.messages.at(-1)).toMatchObject({
        direction: 'from_user',
        text: 'Reservar',
        payload: 'BOOK',
      });
    });

    it('names what is wrong: a PSID that is not one, a person the sandbox does not know, a button not offered', async () => {
      const bad = await h.api('GET', '/v1/sandbox/messenger/not-a-psid/thread');
      expect(bad.status).toBe(400);
      expect(bad.json.error.details[0].path).toBe('params.psid');

      const unknown = await h.api('GET', '/v1/sandbox/messenger/1234/thread');
      expect(unknown.status).toBe(404);
      expect(unknown.json.error).toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
      expect(unknown.json.error.message).toContain('no simulated Messenger user with PSID 1234');

      const { psid } = h.embedded.sandbox.messenger.users.create(SANDBOX_PAGE.pageId);
      const empty = await h.api('POST', `/v1/sandbox/messenger/${psid}/messages`, { text: '' });
      expect(empty.status).toBe(400);
      const tap = await h.api('POST', `/v1/sandbox/messenger/${psid}/tap`, {
        message_id: 'm_nothing',
        button: 'Sí',
      });
      expect(tap.status).toBe(404);
      expect(tap.json.error.message).toContain('m_nothing');
    });
  });

  it('is for senders: a viewer key is refused', async () => {
    const viewer = (await h.app.apiKeys.create('viewer', 'viewer')).key;
    const res = await h.api('GET', '/v1/sandbox', undefined, { authorization: `Bearer ${viewer}` });
    expect(res.status).toBe(403);
  });
});

describe('the sandbox phone API without a sandbox', () => {
  it('answers 404 saying no sandbox runs, and 502 when the sandbox does not answer', async () => {
    const none = await startHarness('sqlite', { app: { sandboxUrl: undefined } });
    try {
      const res = await none.api('GET', '/v1/sandbox');
      expect(res.status).toBe(404);
      expect(res.json.error).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
      expect(res.json.error.message).toContain('No sandbox runs');
    } finally {
      await none.close();
    }
    // Port 9 (discard) has no listener on a test machine: the connection is refused.
    const gone = await startHarness('sqlite', { app: { sandboxUrl: 'http://127.0.0.1:9' } });
    try {
      const res = await gone.api('GET', '/v1/sandbox');
      expect(res.status).toBe(502);
      expect(res.json.error.code).toBe('PROVIDER_ERROR');
      expect(res.json.error.message).toContain('http://127.0.0.1:9');
    } finally {
      await gone.close();
    }
  });
});
