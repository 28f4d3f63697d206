/**
 * /v1/sandbox: the web app's sandbox phone, through Recontact's own API, forwarding to the
 * embedded sandbox over real HTTP. The seed's appointment confirmation played by hand: the
 * template reaches the simulated phone, the person taps "Confirmar", the bot's message gets the
 * reply. Answers are checked against the published OpenAPI document.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
