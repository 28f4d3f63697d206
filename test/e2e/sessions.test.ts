/**
 * Signing in to the web app, end to end on both databases: a user's password or an API key
 * opens a session held in an HttpOnly, SameSite=Strict cookie; the same answer for an unknown
 * user and a wrong password; idle and absolute expiry by a controllable clock; sign-out ends
 * the session on the server; a disabled user or a revoked key is refused at the next request;
 * roles hold through a session; changes need the CSRF token and the own origin; the database
 * keeps only hashes; failed sign-ins count against the address.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';
import { call, signIn, tokenOf } from '../support/web-session';

const HOUR = 3_600_000;
const PASSWORD = 'correct horse battery staple';

describe.each(DIALECTS)('web-app sessions on %s', (dialect) => {
  let h: Harness;
  /** Added to real time: lets a test jump forward without freezing the engine's clock. */
  let offset = 0;
  let n = 0;
  beforeAll(async () => {
    h = await startHarness(dialect, { clock: () => Date.now() + offset });
  });
  afterAll(() => h.close());

  /** A fresh user of this role (usernames differ per test). */
  const user = async (role: 'viewer' | 'sender' | 'admin', password = PASSWORD) => {
    const username = `person${++n}`;
    await h.app.users.create({ username, role, password, name: `Person ${n}` });
    return { username, password };
  };
  const get = (path: string, cookie?: string) => call(h.url, 'GET', path, { cookie });

  it('signs in with a password: an HttpOnly, SameSite=Strict cookie for the session’s lifetime', async () => {
    const { username, password } = await user('sender');
    const res = await call(h.url, 'POST', '/v1/session', {
      body: { username: username.toUpperCase(), password },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json).toEqual({
      data: {
        user: { name: username, display_name: `Person ${n}`, role: 'sender', kind: 'user' },
        csrf_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      },
    });
    const attributes = res.setCookie!.split(';').map((a) => a.trim());
    expect(attributes[0]).toMatch(/^recontact_session=[A-Za-z0-9_-]{43}$/);
    expect(attributes.slice(1).sort()).toEqual(['HttpOnly', 'Max-Age=604800', 'Path=/', 'SameSite=Strict']);
    // Over plain http the cookie cannot be Secure, or the browser would never send it back.
    expect(res.setCookie).not.toContain('Secure');
    // X-Forwarded-Proto counts only from a proxy the server is told to trust; none here.
    const forwarded = await call(h.url, 'POST', '/v1/session', {
      body: { username, password },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(forwarded.setCookie).not.toContain('Secure');

    const cookie = tokenOf(res.setCookie);
    const again = await get('/v1/session', cookie);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(res.json);
    expect((await get('/v1/templates', cookie)).status).toBe(200);
    const listed = (await h.api('GET', '/v1/users')).json;
    if (listed?.data) {
      expect(listed.data.find((u: any) => u.username === username).last_sign_in_at).not.toBeNull();
    }
  });

  it('answers an unknown user exactly as a wrong password', async () => {
    const { username } = await user('viewer');
    const wrong = await call(h.url, 'POST', '/v1/session', {
      body: { username, password: 'not the password' },
    });
    const unknown = await call(h.url, 'POST', '/v1/session', {
      body: { username: 'nobody-here', password: 'not the password' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual(unknown.json);
    expect(wrong.json.error).toMatchObject({ code: 'AUTH_INVALID', message: 'Wrong username or password' });
    expect(wrong.setCookie).toBeUndefined();
  });

  it('names the missing field of a sign-in, and refuses both kinds of credentials at once', async () => {
    const none = await call(h.url, 'POST', '/v1/session', { body: {} });
    expect(none.status).toBe(400);
    expect(none.json.error.details[0].path).toBe('body.username');
    const noPassword = await call(h.url, 'POST', '/v1/session', { body: { username: 'ana' } });
    expect(noPassword.json.error.details[0].path).toBe('body.password');
    const both = await call(h.url, 'POST', '/v1/session', {
      body: { username: 'ana', password: PASSWORD, api_key: h.key },
    });
    expect(both.status).toBe(400);
    expect(both.json.error.details[0]).toMatchObject({ path: 'body.api_key' });
  });

  it('refuses a disabled user, and ends their open session at its next request', async () => {
    const { username, password } = await user('viewer');
    const s = await signIn(h.url, { username, password });
    const id = (await h.app.users.find(username)).id;
    await h.app.users.update(id, { disabled: true });
    const refused = await get('/v1/templates', s.cookie);
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).toContain(`the user "${username}" was disabled at`);
    // The dead cookie is cleared, so the browser stops sending it.
    expect(refused.setCookie).toMatch(/^recontact_session=;.*Max-Age=0/);
    const again = await call(h.url, 'POST', '/v1/session', { body: { username, password } });
    expect(again.status).toBe(401);
    expect(again.json.error.message).toContain('was disabled at');
    // With a wrong password a disabled user gets the answer anyone gets.
    const guess = await call(h.url, 'POST', '/v1/session', {
      body: { username, password: 'wrong password!' },
    });
    expect(guess.json.error.message).toBe('Wrong username or password');
  });

  it('ends a session after 12 h without use, and after 7 days however busy', async () => {
    const { username, password } = await user('viewer');
    const idle = await signIn(h.url, { username, password });
    offset += 11 * HOUR;
    expect((await get('/v1/session', idle.cookie)).status).toBe(200);
    // Used 11 h in: the idle deadline moved; 11 h more is still within 12 h of that use.
    offset += 11 * HOUR;
    expect((await get('/v1/session', idle.cookie)).status).toBe(200);
    offset += 12 * HOUR + 1_000;
    const ended = await get('/v1/session', idle.cookie);
    expect(ended.status).toBe(401);
    expect(ended.json.error.message).toContain('after 12 h without use');

    const busy = await signIn(h.url, { username, password });
    for (let i = 0; i < 15; i++) {
      offset += 11 * HOUR;
      expect((await get('/v1/session', busy.cookie)).status, `after ${(i + 1) * 11} h`).toBe(200);
    }
    offset += 3 * HOUR + 1_000; // 168 h and a second since sign-in
    const expired = await get('/v1/session', busy.cookie);
    expect(expired.status).toBe(401);
    expect(expired.json.error.message).toContain('a session lasts at most 7 days');
  });

  it('signs out: the session ends on the server and the cookie is cleared', async () => {
    const s = await signIn(h.url, await user('viewer'));
    const out = await call(h.url, 'DELETE', '/v1/session', { cookie: s.cookie, csrf: s.csrf });
    expect(out.status).toBe(204);
    expect(out.setCookie).toMatch(/^recontact_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict$/);
    // A copy of the cookie kept elsewhere is worthless now.
    const reused = await get('/v1/templates', s.cookie);
    expect(reused.status).toBe(401);
    expect(reused.json.error.message).toContain('Your session was ended at');
  });

  it('signs in with an API key: the key’s role, ended when the key is revoked', async () => {
    const key = (await h.api('POST', '/v1/api-keys', { name: 'browser key', role: 'viewer' })).json;
    const s = await signIn(h.url, { api_key: key.key });
    expect(s.user).toEqual({ name: 'browser key', display_name: null, role: 'viewer', kind: 'api_key' });
    expect((await get('/v1/templates', s.cookie)).status).toBe(200);
    const forbidden = await call(h.url, 'POST', '/v1/api-keys', {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { name: 'x', role: 'admin' },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error.message).toContain('you signed in with the key "browser key", a viewer key');
    const noPassword = await call(h.url, 'POST', '/v1/session/password', {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { current: 'x', new: 'y' },
    });
    expect(noPassword.status).toBe(403);

    expect((await h.api('DELETE', `/v1/api-keys/${key.id}`)).status).toBe(204);
    const ended = await get('/v1/templates', s.cookie);
    expect(ended.status).toBe(401);
    expect(ended.json.error.message).toContain('the API key "browser key" was revoked at');
    const bad = await call(h.url, 'POST', '/v1/session', { body: { api_key: 'rk_not-a-key' } });
    expect(bad.status).toBe(401);
    expect(bad.json.error.code).toBe('AUTH_INVALID');
  });

  it('holds roles through a session', async () => {
    const viewer = await signIn(h.url, await user('viewer'));
    expect((await get('/v1/messages', viewer.cookie)).status).not.toBe(403);
    const send = await call(h.url, 'POST', '/v1/messages', {
      cookie: viewer.cookie,
      csrf: viewer.csrf,
      body: { to: '+5491155551234', text: 'hola' },
    });
    expect(send.status).toBe(403);
    expect(send.json.error).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    expect(send.json.error.message).toContain('a viewer');
    expect((await get('/v1/api-keys', viewer.cookie)).status).toBe(403);

    const admin = await signIn(h.url, await user('admin'));
    expect((await get('/v1/api-keys', admin.cookie)).status).toBe(200);
  });

  it('needs the CSRF token for changes made with the cookie, and not for reading', async () => {
    const s = await signIn(h.url, await user('admin'));
    const body = { name: 'made in the web app', role: 'viewer' };
    const missing = await call(h.url, 'POST', '/v1/api-keys', { cookie: s.cookie, body });
    expect(missing.status).toBe(403);
    expect(missing.json.error).toMatchObject({
      code: 'CSRF_TOKEN_INVALID',
      message: 'POST with the session cookie needs the x-csrf-token header',
    });
    expect(missing.json.error.hint).toContain('csrf_token');
    const wrong = await call(h.url, 'POST', '/v1/api-keys', {
      cookie: s.cookie,
      csrf: `${s.csrf.slice(1)}x`,
      body,
    });
    expect(wrong.status).toBe(403);
    expect(wrong.json.error.code).toBe('CSRF_TOKEN_INVALID');
    // Another session's token is not this one's.
    const other = await signIn(h.url, await user('admin'));
    const crossed = await call(h.url, 'POST', '/v1/api-keys', { cookie: s.cookie, csrf: other.csrf, body });
    expect(crossed.json.error.code).toBe('CSRF_TOKEN_INVALID');
    const signOut = await call(h.url, 'DELETE', '/v1/session', { cookie: s.cookie });
    expect(signOut.json.error.code).toBe('CSRF_TOKEN_INVALID');

    const right = await call(h.url, 'POST', '/v1/api-keys', { cookie: s.cookie, csrf: s.csrf, body });
    expect(right.status, JSON.stringify(right.json)).toBe(201);
    expect((await get('/v1/api-keys', s.cookie)).status).toBe(200);
    // An API key needs no token: a page of another origin cannot attach one.
    expect((await h.api('POST', '/v1/api-keys', body)).status).toBe(201);
  });

  it('refuses changes with the cookie from a page of another origin, and such sign-ins', async () => {
    const s = await signIn(h.url, await user('admin'));
    const body = { name: 'from afar', role: 'viewer' };
    const foreign = await call(h.url, 'POST', '/v1/api-keys', {
      cookie: s.cookie,
      csrf: s.csrf,
      origin: 'https://evil.example',
      body,
    });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error).toMatchObject({ code: 'CSRF_ORIGIN_FORBIDDEN' });
    expect(foreign.json.error.message).toContain('https://evil.example');
    const own = await call(h.url, 'POST', '/v1/api-keys', {
      cookie: s.cookie,
      csrf: s.csrf,
      origin: h.url,
      body,
    });
    expect(own.status).toBe(201);
    const login = await call(h.url, 'POST', '/v1/session', {
      origin: 'https://evil.example',
      body: { api_key: h.key },
    });
    expect(login.status).toBe(403);
    expect(login.json.error.code).toBe('CSRF_ORIGIN_FORBIDDEN');
  });

  it('opens the event stream with the cookie (as EventSource does)', async () => {
    const s = await signIn(h.url, await user('viewer'));
    const res = await request(`${h.url}/v1/events/stream`, {
      headers: { cookie: `recontact_session=${s.cookie}`, accept: 'text/event-stream' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/event-stream');
    res.body.destroy();
    const without = await request(`${h.url}/v1/events/stream`);
    expect(without.statusCode).toBe(401);
    await without.body.text();
  });

  it('prefers a key header to the cookie', async () => {
    const s = await signIn(h.url, await user('viewer'));
    const res = await call(h.url, 'GET', '/v1/api-keys', {
      cookie: s.cookie,
      headers: { authorization: `Bearer ${h.key}` },
    });
    expect(res.status).toBe(200);
  });

  it('lets a user change their own password: other sessions end, this one stays', async () => {
    const { username, password } = await user('viewer');
    const here = await signIn(h.url, { username, password });
    const elsewhere = await signIn(h.url, { username, password });
    const next = 'a whole new passphrase';
    const wrong = await call(h.url, 'POST', '/v1/session/password', {
      cookie: here.cookie,
      csrf: here.csrf,
      body: { current: 'not my password', new: next },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error.details).toEqual([
      { path: 'body.current', message: 'is not your current password' },
    ]);
    const short = await call(h.url, 'POST', '/v1/session/password', {
      cookie: here.cookie,
      csrf: here.csrf,
      body: { current: password, new: 'short' },
    });
    expect(short.status).toBe(400);
    expect(short.json.error.details[0]).toMatchObject({ path: 'body.new' });
    const ok = await call(h.url, 'POST', '/v1/session/password', {
      cookie: here.cookie,
      csrf: here.csrf,
      body: { current: password, new: next },
    });
    expect(ok.status, JSON.stringify(ok.json)).toBe(204);
    expect((await get('/v1/session', here.cookie)).status).toBe(200);
    expect((await get('/v1/session', elsewhere.cookie)).status).toBe(401);
    expect((await call(h.url, 'POST', '/v1/session', { body: { username, password } })).status).toBe(401);
    await signIn(h.url, { username, password: next });
  });

  it('stores only hashes: neither the session token nor the password is in the database', async () => {
    const { username, password } = await user('viewer');
    const s = await signIn(h.url, { username, password });
    const sessions = await h.store.db.selectFrom('sessions').selectAll().execute();
    const users = await h.store.db.selectFrom('users').selectAll().execute();
    const everything = JSON.stringify([sessions, users]);
    expect(sessions.length).toBeGreaterThan(0);
    expect(everything).not.toContain(s.cookie);
    expect(everything).not.toContain(s.csrf);
    expect(everything).not.toContain(password);
    const mine = users.find((u) => u.username === username)!;
    expect(mine.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });
});

describe.each(DIALECTS)('failed sign-ins on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect, { env: { RATE_LIMIT_AUTH_FAILURES_PER_IP: '3' } });
    await h.app.users.create({ username: 'ana', role: 'admin', password: PASSWORD });
  });
  afterAll(() => h.close());

  it('count against the address: over the budget even the right password waits', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await call(h.url, 'POST', '/v1/session', {
        body: { username: 'ana', password: `wrong ${i} password` },
      });
      expect(res.status, `attempt ${i + 1}`).toBe(401);
    }
    const fourth = await call(h.url, 'POST', '/v1/session', {
      body: { username: 'ana', password: 'wrong again, 4th' },
    });
    expect(fourth.status).toBe(429);
    expect(fourth.json.error.code).toBe('RATE_LIMITED');
    expect(fourth.headers['retry-after']).toBeDefined();
    const right = await call(h.url, 'POST', '/v1/session', { body: { username: 'ana', password: PASSWORD } });
    expect(right.status).toBe(429);
  });
});
