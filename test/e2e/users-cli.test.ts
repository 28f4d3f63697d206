/**
 * `recontact users` in a real process, on both databases, beside a running Recontact: the first
 * admin created from the command line signs in over HTTP; passwords come from stdin (never a
 * flag), a new password and disabling take effect on the server at once; refusals are one
 * clear line with the exit code of their kind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runShell } from '../support/cli';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS, TEST_SECRET_KEY } from '../support/stores';
import { call, signIn } from '../support/web-session';

const PASSWORD = 'correct horse battery staple';

describe.each(DIALECTS)('users CLI on %s', (dialect) => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness(dialect);
    env = {
      DATABASE_URL: h.store.url,
      RECONTACT_SECRET_KEY: TEST_SECRET_KEY,
      // The test's own schema, as libpq reads it from the environment.
      ...(h.store.pgSchema ? { PGOPTIONS: `-c search_path=${h.store.pgSchema}` } : {}),
    };
  });
  afterAll(() => h.close());

  /** `recontact users ARGS` with `password` on stdin. */
  const withPassword = (password: string, args: string) =>
    runShell(`printf '%s\\n' '${password}' | node bin/recontact.js users ${args} --password-stdin`, env);

  it('creates the first admin, who then signs in to the running server', async () => {
    const empty = await runCli(['users', 'list'], env);
    expect(empty.stdout).toContain('No users. Create the first admin');
    const created = await withPassword(PASSWORD, `create --username Ana --role admin --name 'Ana Pérez'`);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(
      /^created admin "ana" \(usr_\w+\); they sign in to the web app with that password\n$/,
    );

    const s = await signIn(h.url, { username: 'ana', password: PASSWORD });
    expect(s.user).toEqual({ name: 'ana', display_name: 'Ana Pérez', role: 'admin', kind: 'user' });
    expect((await call(h.url, 'GET', '/v1/users', { cookie: s.cookie })).status).toBe(200);

    const listed = await runCli(['users', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^USERNAME\s+NAME\s+ROLE\s+STATUS\s+CREATED\s+LAST SIGN-IN\n/);
    expect(listed.stdout).toMatch(/\nana\s+Ana Pérez\s+admin\s+active\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+\d{4}-/);
    const json = JSON.parse((await runCli(['users', 'list', '--json'], env)).stdout);
    expect(json).toEqual([expect.objectContaining({ username: 'ana', role: 'admin', status: 'active' })]);
  });

  it('asks for no password it cannot read, and says what is wrong in one line', async () => {
    // The test's stdin is not a terminal: no prompt is possible.
    const noTty = await runCli(['users', 'create', '--username', 'bea', '--role', 'viewer'], env);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr.trim()).toBe(
      'error: stdin is not a terminal, so the password cannot be asked: pipe it in with --password-stdin (e.g. from a secret file)',
    );
    const role = await withPassword(PASSWORD, 'create --username bea --role owner');
    expect(role.code).toBe(2);
    expect(role.stderr.trim()).toBe('error: --role must be one of viewer, sender, admin; got "owner"');
    const short = await withPassword('short', 'create --username bea --role viewer');
    expect(short.code).toBe(1);
    expect(short.stderr.trim()).toMatch(
      /^error INPUT_INVALID: The password must be at least 12 characters \(got 5\) \[body\.password: .*\] — hint: /,
    );
    const taken = await withPassword(PASSWORD, 'create --username ANA --role viewer');
    expect(taken.code).toBe(1);
    expect(taken.stderr.trim()).toMatch(/^error USERNAME_TAKEN: The username "ana" is taken/);
    const unknown = await runCli(['users', 'disable', 'nobody'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toMatch(/^error USER_NOT_FOUND: No user "nobody"/);
  });

  it('sets a password and disables a user, seen by the server at once', async () => {
    const s = await signIn(h.url, { username: 'ana', password: PASSWORD });
    const next = 'a brand new passphrase';
    const changed = await withPassword(next, 'password ana');
    expect(changed.stderr).toBe('');
    expect(changed.stdout.trim()).toBe('set a new password for "ana"; their sessions ended');
    expect((await call(h.url, 'GET', '/v1/session', { cookie: s.cookie })).status).toBe(401);
    await signIn(h.url, { username: 'ana', password: next });

    const last = await runCli(['users', 'disable', 'ana'], env);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/^error USER_LAST_ADMIN: "ana" is the last enabled admin user/);
    expect((await withPassword(PASSWORD, 'create --username carlos --role admin')).code).toBe(0);
    const disabled = await runCli(['users', 'disable', 'ana'], env);
    expect(disabled.stdout.trim()).toBe('disabled "ana": they cannot sign in, and their sessions ended');
    const refused = await call(h.url, 'POST', '/v1/session', { body: { username: 'ana', password: next } });
    expect(refused.status).toBe(401);
    expect(refused.json.error.message).toContain('"ana" was disabled at');
    expect((await runCli(['users', 'enable', 'ana'], env)).stdout.trim()).toBe(
      'enabled "ana": they can sign in again',
    );
    await signIn(h.url, { username: 'ana', password: next });
  });
});
