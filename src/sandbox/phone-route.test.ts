import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, type Harness, PHONE_ID, reminder, send, startHarness, USER } from './test-support';

interface ChatMessage {
  direction: 'to_user' | 'from_user';
  wamid: string;
  at: number;
  type: string;
  text: string;
  payload?: string;
  context_wamid?: string;
  buttons?: Array<{ index: number; text: string }>;
  read: boolean;
}

interface ChatUser {
  wa_id: string;
  name: string;
  received: number;
  unread: number;
  wrote: number;
  window_open: boolean;
  window_until: number | null;
}

interface Chat {
  user: ChatUser;
  messages: ChatMessage[];
}

interface UserList {
  numbers: Array<{ phone_number_id: string; display_phone_number: string }>;
  data: ChatUser[];
}

describe('the phone view of simulated users', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ delays: { sentMs: 0, deliveredMs: 0, readMs: null } });
  });
  afterEach(() => h.close());

  const chat = async (waId = USER, query = '') =>
    (await call<Chat>(h.base, 'GET', `/_sandbox/users/${waId}/chat${query}`, undefined, null)).json;

  it('shows both sides of the chat in order: the template received, the tap, then a text', async () => {
    const sent = await send(h.base, reminder());
    const wamid = sent.json.messages[0]!.id;
    await h.sandbox.drainWebhooks();
    const tap = await call(h.base, 'POST', `/_sandbox/users/${USER}/tap`, {
      phone_number_id: PHONE_ID,
      wamid,
      button: 'Confirmar',
    });
    expect(tap.status).toBe(200);
    h.sandbox.users.sendText(PHONE_ID, USER, 'Gracias, ahí estaré');
    await h.sandbox.drainWebhooks();

    const c = await chat();
    expect(c.user).toMatchObject({ wa_id: USER, received: 1, unread: 0, wrote: 2, window_open: true });
    expect(c.messages.map((m) => [m.direction, m.type, m.text])).toEqual([
      ['to_user', 'template', expect.stringContaining('Hola Emilia')],
      ['from_user', 'button', 'Confirmar'],
      ['from_user', 'text', 'Gracias, ahí estaré'],
    ]);
    const [template, tapped] = c.messages;
    // Answering opened the chat: the template is read; the tap answers it.
    expect(template?.read).toBe(true);
    expect(template?.buttons?.map((b) => b.text)).toEqual(['Confirmar', 'Cancelar']);
    expect(tapped).toMatchObject({ payload: 'CONFIRM:apt-42', context_wamid: wamid, read: false });
  });

  it('lists the users with a chat, newest activity first, with what is unread', async () => {
    await send(h.base, reminder('5491155550001'));
    await h.sandbox.drainWebhooks();
    h.sandbox.users.sendText(PHONE_ID, '5491155550002', 'Hola');
    await h.sandbox.drainWebhooks();

    const list = (await call<UserList>(h.base, 'GET', '/_sandbox/users', undefined, null)).json;
    expect(list.numbers).toEqual([{ phone_number_id: PHONE_ID, display_phone_number: '15550783881' }]);
    expect(list.data.map((u) => [u.wa_id, u.received, u.unread, u.wrote, u.window_open])).toEqual([
      ['5491155550002', 0, 0, 1, true],
      ['5491155550001', 1, 1, 0, false],
    ]);
  });

  it('keeps a back-dated message at its date, with the window running from it', async () => {
    const at = Math.floor(Date.now() / 1000) - 86_340;
    h.sandbox.users.sendText(PHONE_ID, USER, 'Quiero hablar con una persona', { at: at * 1000 });
    const c = await chat(USER, `?phone_number_id=${PHONE_ID}`);
    expect(c.messages[0]?.at).toBe(at * 1000);
    expect(c.user.window_until).toBe(at * 1000 + 24 * 3600_000);
  });

  it('answers an empty chat for a number nobody wrote to, and names what is wrong otherwise', async () => {
    expect(await chat('5491100000009')).toMatchObject({
      user: { wa_id: '5491100000009', received: 0, window_open: false, window_until: null },
      messages: [],
    });
    const bad = await call<{ error: { message: string } }>(h.base, 'GET', '/_sandbox/users/12ab/chat');
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/7 to 15 digits/);
    const unknown = await call<{ error: { message: string } }>(
      h.base,
      'GET',
      '/_sandbox/users?phone_number_id=999',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.message).toContain(PHONE_ID);
  });
});
