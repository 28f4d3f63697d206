/**
 * The `recontact` command as a process (`node bin/recontact.js …`): every failure is one line on
 * stderr with the right exit code, and --button values reach Meta where the template takes them.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { EMILIA, type Harness, startHarness } from '../support/harness';

/** A port nothing listens on: taken from the system, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

const oneLine = (s: string) => {
  expect(s.endsWith('\n'), JSON.stringify(s)).toBe(true);
  expect(s.trimEnd().split('\n'), JSON.stringify(s)).toHaveLength(1);
  return s.trimEnd();
};

// Each case starts Node processes: generous bounds, so that only a hung command fails on a busy machine.
const SLOW = { timeout: 120_000 };

describe('the recontact command without a server', SLOW, () => {
  it('cannot reach Recontact: one line saying where it looked and how to start it, exit 1', async () => {
    const port = await closedPort();
    const env = { RECONTACT_URL: `http://127.0.0.1:${port}`, RECONTACT_API_KEY: 'rk_0123456789abcdef' };
    const [list, send] = await Promise.all([
      runCli(['templates', 'list'], env),
      runCli(['send', '--to', '+5491155551234', '--text', 'hola'], env),
    ]);
    for (const r of [list, send]) {
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toBe(
        `error: cannot reach Recontact at http://127.0.0.1:${port} (connection refused): start it with \`npm start\` (or \`npx recontact serve\`), or set RECONTACT_URL (or --url) to where it runs`,
      );
      expect(r.stdout).toBe('');
    }
  });

  it('an invalid environment exits 78, a wrong command line 2, each with one line', async () => {
    const [env, flag, command, key] = await Promise.all([
      runCli(['templates', 'list'], { RECONTACT_URL: 'localhost:3000' }),
      runCli(['send', '--to', '+5491155551234', '--bogus']),
      runCli(['sedn']),
      runCli(['templates', 'list']),
    ]);
    expect(env.code).toBe(78);
    expect(oneLine(env.stderr)).toBe(
      'error CONFIG_INVALID: Invalid environment for the recontact command [RECONTACT_URL: must be the http(s) address of a running Recontact, like http://127.0.0.1:3000, got "localhost:3000"] — hint: Fix or unset the variables named, or pass --url / --api-key instead.',
    );
    expect(flag.code).toBe(2);
    expect(oneLine(flag.stderr)).toBe(
      "error: unknown option '--bogus' (run the command with --help for its usage)",
    );
    expect(command.code).toBe(2);
    expect(oneLine(command.stderr)).toMatch(/^error: unknown command 'sedn' \(Did you mean send\?\)/);
    expect(key.code).toBe(2);
    expect(oneLine(key.stderr)).toBe(
      'error: no API key: pass --api-key or set RECONTACT_API_KEY (`npm start` prints one on its first start)',
    );
  });

  it('--help lists the exit codes', async () => {
    const [root, preview] = await Promise.all([
      runCli(['--help']),
      runCli(['templates', 'preview', '--help']),
    ]);
    expect(root.code).toBe(0);
    expect(root.stdout).toContain('Exit codes:\n  0   done\n  1   failed');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain('1   shown, and a send would be refused');
    expect(preview.stdout).toMatch(
      /--button <value\.\.\.>\s+one per template button, in order: a bare value/,
    );
  });
});

describe('the recontact command against a running Recontact', SLOW, () => {
  let h: Harness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await startHarness('sqlite');
    env = { RECONTACT_URL: h.url, RECONTACT_API_KEY: h.key };
  });
  afterAll(() => h.close());

  it("prints an API error's code, message and hint on one line, exit 1", async () => {
    const r = await runCli(['send', '--to', EMILIA.phone, '--text', '¡Gracias!'], env);
    expect(r.code).toBe(1);
    expect(oneLine(r.stderr)).toMatch(
      /^error WINDOW_CLOSED \(HTTP 409\): .+ — hint: Send an approved template that invites a reply/,
    );
  });

  it('sends bare --button values where each button takes one', async () => {
    const r = await runCli(
      [
        'send',
        '--to',
        EMILIA.phone,
        '--template',
        'appointment_reminder',
        '--language',
        'es_AR',
        '--body',
        'Emilia',
        'la Dra. Gómez',
        'lunes 3 de marzo a las 10:00',
        '--button',
        'CONFIRM:appt-9',
        'payload=CANCEL:appt-9',
      ],
      env,
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^queued: msg_\w+ → 5491155551234 \(queued\)\n$/);
    const delivered = await h.waitFor('the template on the phone', () =>
      h.embedded.sandbox.users.inbox(EMILIA.waId).find((m) => m.type === 'template'),
    );
    expect(delivered.buttons?.map((b) => b.payload)).toEqual(['CONFIRM:appt-9', 'CANCEL:appt-9']);
  });

  it('templates preview exits 1 with one line when a send would be refused, 0 when it would go', async () => {
    const [refused, ok] = await Promise.all([
      runCli(['templates', 'preview', 'taxi_discount', '--language', 'es_AR', '--body', 'Emilia'], env),
      runCli(
        [
          'templates',
          'preview',
          'taxi_discount',
          '--language',
          'es_AR',
          '--header-image',
          'https://cdn.example/taxi.jpg',
          '--body',
          'Emilia',
          '10%',
          '--button',
          '-',
          '-',
          'taxi10',
          'TAXI10',
        ],
        env,
      ),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('a send would be refused: ');
    expect(oneLine(refused.stderr)).toMatch(
      /^error: a send of taxi_discount \(es_AR\) with these values would be refused: .+; the preview above lists what to fix$/,
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('[Ver condiciones] → https://saludcenter.example/promos/taxi10');
  });
});
