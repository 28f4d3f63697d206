/**
 * `recontact keys` against a running Recontact over HTTP, and `recontact secrets rotate` on a
 * database: output, exit codes, the errors a person meets.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure } from '../../src/cli/errors';
import { parseDuration, runKeysCreate, runKeysList, runKeysRevoke, runKeysRotate } from '../../src/cli/keys';
import { runCli } from '../support/cli';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS, TEST_SECRET_KEY } from '../support/stores';

/** Pinned for --expires-in, so the expiry printed is known exactly. */
const NOW = Date.now();
const inFuture = (ms: number) => new Date(NOW + ms).toISOString();
const WEEK = 7 * 86_400_000;

describe.each(DIALECTS)('keys CLI on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  /** Output lines, then the one line main.ts would print on stderr for a failure. */
  async function run(fn: (o: any) => Promise<number>, extra: Record<string, unknown> = {}) {
    const lines: string[] = [];
    let code: number;
    try {
      code = await fn({
        url: h.url,
        apiKey: h.key,
        now: () => NOW,
        out: (l: string) => lines.push(l),
        ...extra,
      });
    } catch (err) {
      const f = describeFailure(err);
      lines.push(f.line);
      code = f.exitCode;
    }
    return { code, text: lines.join('\n'), lines };
  }

  it('creates a key with an expiry, prints it once, and lists it by prefix', async () => {
    const created = await run(runKeysCreate, { name: 'crm', role: 'sender', expiresIn: '400w' });
    expect(created.code).toBe(0);
    expect(created.lines[0]).toMatch(/^created key_\w+ "crm" \(sender, expires /);
    expect(created.lines[0]).toContain(`expires ${inFuture(400 * WEEK)}). The key, shown this once:`);
    const key = created.lines[1]!;
    expect(key).toMatch(/^rk_/);

    const listed = await run(runKeysList);
    expect(listed.lines[0]).toMatch(/^ID\s+NAME\s+ROLE\s+PREFIX\s+STATUS\s+CREATED\s+LAST USED\s+EXPIRES$/);
    const row = listed.lines.find((l) => l.includes(' crm '))!;
    expect(row).toContain(`${key.slice(0, 11)}…`);
    expect(row).toMatch(/ active /);
    expect(
      row.endsWith(
        `${inFuture(400 * WEEK)
          .slice(0, 16)
          .replace('T', ' ')}Z`,
      ),
    ).toBe(true);
    expect(listed.text).not.toContain(key);
    expect(JSON.parse((await run(runKeysList, { json: true })).text).length).toBeGreaterThan(2);
  });

  it('rotates and revokes by id, and says why when refused', async () => {
    const created = await run(runKeysCreate, { name: 'bot', role: 'viewer' });
    const id = /created (key_\w+)/.exec(created.lines[0]!)![1]!;
    const r = await runKeysRotateWith(id, { expiresIn: '12h' });
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatch(
      new RegExp(`^${id} is revoked; its replacement is key_\\w+ "bot" \\(viewer, expires `),
    );
    expect(r.lines[0]).toContain(`expires ${inFuture(12 * 3_600_000)})`);
    const newId = /replacement is (key_\w+)/.exec(r.lines[0]!)![1]!;
    expect((await runKeysRevokeWith(newId)).lines[0]).toBe(
      `revoked ${newId}: every process sharing the database refuses it within a second`,
    );
    const again = await runKeysRotateWith(id, {});
    expect(again.code).toBe(1);
    expect(again.text).toContain('error API_KEY_REVOKED (HTTP 409)');
    const unknown = await runKeysRevokeWith('key_nope', {});
    expect(unknown.text).toContain('error API_KEY_NOT_FOUND (HTTP 404): No API key "key_nope"');
  });

  it('refuses a bad role or duration before calling, as a usage error', async () => {
    const role = await run(runKeysCreate, { name: 'x', role: 'owner' });
    expect(role).toMatchObject({
      code: 2,
      text: 'error: --role must be one of viewer, sender, admin; got "owner"',
    });
    const when = await run(runKeysCreate, { name: 'x', role: 'viewer', expiresIn: '1 month' });
    expect(when.code).toBe(2);
    expect(when.text).toContain('like 30d, 12h, 2w or 90m; got "1 month"');
    expect(parseDuration('90m')).toBe(90 * 60_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(() => parseDuration('0d')).toThrow(/--expires-in/);
  });

  const runKeysRotateWith = (id: string, extra: Record<string, unknown>) =>
    run((o) => runKeysRotate(id, o), extra);
  const runKeysRevokeWith = (id: string, extra: Record<string, unknown> = {}) =>
    run((o) => runKeysRevoke(id, o), extra);
});

describe('keys and secrets commands as a person runs them', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('sqlite');
  });
  afterAll(() => h.close());

  it('recontact keys list / revoke through RECONTACT_URL and RECONTACT_API_KEY', async () => {
    const env = { RECONTACT_URL: h.url, RECONTACT_API_KEY: h.key };
    const listed = await runCli(['keys', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^ID\s+NAME/);
    const refused = await runCli(['keys', 'revoke', 'key_nope'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^error API_KEY_NOT_FOUND \(HTTP 404\): No API key "key_nope"/);
  });

  it('recontact secrets rotate re-encrypts with the current key', async () => {
    const out = await runCli(['secrets', 'rotate'], {
      DATABASE_URL: h.store.url,
      RECONTACT_SECRET_KEY: TEST_SECRET_KEY,
      // The key `npm start` made beside the database becomes the previous one.
      RECONTACT_SECRET_KEY_PREVIOUS: readFileSync(h.store.url.replace(/\.db$/, '.key'), 'utf8').trim(),
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.stdout).toContain('re-encrypted the credentials of 1 account(s)');
    expect(out.stdout).toContain('RECONTACT_SECRET_KEY_PREVIOUS is no longer needed');
  });
});
