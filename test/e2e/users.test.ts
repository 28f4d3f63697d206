/**
 * Users of the web app through /v1/users, on both databases: created by an admin with a role
 * and a password (never shown back, only a hash stored), usernames unique without regard to
 * case, clear refusals naming the field, role and password changes and disabling taking effect
 * on open sessions, never leaving no enabled admin user, and nothing of it for non-admins.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';
import { call, signIn } from '../support/web-session';

const PASSWORD = 'correct horse battery staple';

describe.each(DIALECTS)('users on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  const create = async (body: Record<string, unknown>) => {
    const res = await h.api('POST', '/v1/users', body);
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json as { id: string; username: string; role: string; status: string };
  };

  it('never leaves no enabled admin user', async () => {
    const first = await create({ username: 'first-admin', role: 'admin', password: PASSWORD });
    const demote = await h.api('PATCH', `/v1/users/${first.id}`, { role: 'sender' });
    expect(demote.status).toBe(409);
    expect(demote.json.error).toMatchObject({ code: 'USER_LAST_ADMIN' });
    expect(demote.json.error.message).toContain('"first-admin" is the last enabled admin user; demoting');
    const disable = await h.api('PATCH', `/v1/users/${first.id}`, { disabled: true });
    expect(disable.status).toBe(409);
    expect(disable.json.error.message).toContain('disabling them');
    // Renaming or a new password is no threat to that.
    expect((await h.api('PATCH', `/v1/users/${first.id}`, { name: 'First' })).status).toBe(200);

    const second = await create({ username: 'second-admin', role: 'admin', password: PASSWORD });
    const now = await h.api('PATCH', `/v1/users/${first.id}`, { role: 'sender' });
    expect(now.status).toBe(200);
    expect(now.json.role).toBe('sender');
    expect((await h.api('PATCH', `/v1/users/${second.id}`, { disabled: true })).status).toBe(409);
  });

  it('creates a user, shown without any password or hash; the username folded to lower case', async () => {
    const res = await h.api('POST', '/v1/users', {
      username: 'Ana.Perez',
      name: 'Ana Pérez',
      role: 'sender',
      password: PASSWORD,
    });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({
      id: expect.stringMatching(/^usr_/),
      username: 'ana.perez',
      name: 'Ana Pérez',
      role: 'sender',
      status: 'active',
      created_at: expect.any(String),
      updated_at: expect.any(String),
      disabled_at: null,
      last_sign_in_at: null,
    });
    const list = await h.api('GET', '/v1/users');
    expect(list.status).toBe(200);
    expect(list.json.data.map((u: any) => u.username)).toContain('ana.perez');
    expect(JSON.stringify(list.json)).not.toMatch(/scrypt|password/);
    const byName = await h.api('GET', '/v1/users/ANA.PEREZ');
    expect(byName.json.id).toBe(res.json.id);
    const s = await signIn(h.url, { username: 'ana.perez', password: PASSWORD });
    expect(s.user).toMatchObject({ name: 'ana.perez', display_name: 'Ana Pérez', role: 'sender' });
  });

  it('refuses a taken username whatever its case, naming the field', async () => {
    await create({ username: 'bruno', role: 'viewer', password: PASSWORD });
    const again = await h.api('POST', '/v1/users', { username: 'BRUNO', role: 'admin', password: PASSWORD });
    expect(again.status).toBe(409);
    expect(again.json.error).toMatchObject({
      code: 'USERNAME_TAKEN',
      message: 'The username "bruno" is taken',
      details: [{ path: 'body.username', message: 'another user has it (usernames ignore case)' }],
    });
  });

  it('refuses bad usernames, names and passwords with what is wrong and where', async () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ username: '', role: 'viewer', password: PASSWORD }, 'body.username', 'must not be empty'],
      [{ username: 'a b', role: 'viewer', password: PASSWORD }, 'body.username', 'may hold only letters'],
      [{ username: '.dot', role: 'viewer', password: PASSWORD }, 'body.username', 'must start with a letter'],
      [{ username: 'x'.repeat(65), role: 'viewer', password: PASSWORD }, 'body.username', 'at most 64'],
      [
        { username: 'carla', role: 'viewer', password: 'too short' },
        'body.password',
        'at least 12 characters (got 9)',
      ],
      [{ username: 'carla', role: 'viewer', password: 'x'.repeat(1025) }, 'body.password', 'at most 1024'],
      [
        { username: 'carla', role: 'viewer', password: PASSWORD, name: '   ' },
        'body.name',
        'must not be blank',
      ],
      [{ username: 'carla', role: 'owner', password: PASSWORD }, 'body.role', ''],
    ];
    for (const [body, path, message] of cases) {
      const res = await h.api('POST', '/v1/users', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.details[0].path, JSON.stringify(body)).toBe(path);
      expect(res.json.error.details[0].message, JSON.stringify(body)).toContain(message);
    }
    const nul = await h.api('POST', '/v1/users', {
      username: 'carla',
      role: 'viewer',
      password: `${PASSWORD}\u0000`,
    });
    expect(nul.status).toBe(400);
    expect((await h.api('GET', '/v1/users/carla')).status).toBe(404);
  });

  it('changes a role, seen by the user’s open session at its next request', async () => {
    const u = await create({ username: 'dario', role: 'viewer', password: PASSWORD });
    const s = await signIn(h.url, { username: 'dario', password: PASSWORD });
    expect((await call(h.url, 'GET', '/v1/api-keys', { cookie: s.cookie })).status).toBe(403);
    const res = await h.api('PATCH', `/v1/users/${u.id}`, { role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.json.role).toBe('admin');
    expect((await call(h.url, 'GET', '/v1/api-keys', { cookie: s.cookie })).status).toBe(200);
    expect((await call(h.url, 'GET', '/v1/session', { cookie: s.cookie })).json.data.user.role).toBe('admin');
  });

  it('sets a new password: every session of the user ends, only the new password works', async () => {
    const u = await create({ username: 'elena', role: 'viewer', password: PASSWORD });
    const s = await signIn(h.url, { username: 'elena', password: PASSWORD });
    const next = 'another long passphrase';
    expect((await h.api('PATCH', `/v1/users/${u.id}`, { password: next })).status).toBe(200);
    expect((await call(h.url, 'GET', '/v1/session', { cookie: s.cookie })).status).toBe(401);
    const old = await call(h.url, 'POST', '/v1/session', { body: { username: 'elena', password: PASSWORD } });
    expect(old.status).toBe(401);
    await signIn(h.url, { username: 'elena', password: next });
  });

  it('disables and enables a user', async () => {
    const u = await create({ username: 'fede', role: 'sender', password: PASSWORD });
    const off = await h.api('PATCH', `/v1/users/${u.id}`, { disabled: true });
    expect(off.json).toMatchObject({ status: 'disabled', disabled_at: expect.any(String) });
    expect(
      (await call(h.url, 'POST', '/v1/session', { body: { username: 'fede', password: PASSWORD } })).status,
    ).toBe(401);
    const on = await h.api('PATCH', `/v1/users/fede`, { disabled: false });
    expect(on.json).toMatchObject({ status: 'active', disabled_at: null });
    await signIn(h.url, { username: 'fede', password: PASSWORD });
  });

  it('answers 404 for an unknown user, and 403 to anyone but an admin', async () => {
    const unknown = await h.api('PATCH', '/v1/users/usr_nope', { role: 'viewer' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'USER_NOT_FOUND', message: 'No user "usr_nope"' });
    await create({ username: 'gabi', role: 'sender', password: PASSWORD });
    const s = await signIn(h.url, { username: 'gabi', password: PASSWORD });
    const list = await call(h.url, 'GET', '/v1/users', { cookie: s.cookie });
    expect(list.status).toBe(403);
    expect(list.json.error.message).toContain('you are signed in as "gabi", a sender');
    const make = await call(h.url, 'POST', '/v1/users', {
      cookie: s.cookie,
      csrf: s.csrf,
      body: { username: 'mallory', role: 'admin', password: PASSWORD },
    });
    expect(make.status).toBe(403);
    const key = (await h.api('POST', '/v1/api-keys', { name: 'sender key', role: 'sender' })).json.key;
    expect((await h.api('GET', '/v1/users', undefined, { authorization: `Bearer ${key}` })).status).toBe(403);
  });
});
