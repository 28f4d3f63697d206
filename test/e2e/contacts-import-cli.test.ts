/**
 * `recontact contacts import` as a person runs it: a separate process against a real server,
 * summary and first rejects printed, the rejects written beside the file, exit codes as --help
 * says. SQLite only: the command is a client of the HTTP API, whose storage the API tests cover
 * on both databases.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { type Harness, startHarness } from '../support/harness';

const SLOW = { timeout: 120_000 };

describe('recontact contacts import', SLOW, () => {
  let h: Harness;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'recontact-cli-import-'));
  beforeAll(async () => {
    h = await startHarness('sqlite');
    env = { RECONTACT_URL: h.url, RECONTACT_API_KEY: h.key };
  });
  afterAll(() => h.close());

  it('imports a file, prints the summary and the rejects, writes them beside it, exits 0', async () => {
    const file = join(dir, 'clinic.csv');
    writeFileSync(
      file,
      'Telefono;Nombre;Plan\n+54 9 11 7000-0001;Emilia;gold\n+54 9 11 7000-0002;Bruno;silver\n+54 9 11 CALL;Spam;x\n',
    );
    const r = await runCli(
      [
        'contacts',
        'import',
        file,
        '--tag',
        'clinic',
        '--tag',
        'spring',
        '--map',
        'Nombre=name',
        '--phone-column',
        'Telefono',
      ],
      env,
    );
    // Not a terminal: progress, if the job was seen running at all, is plain lines.
    for (const line of r.stderr.split('\n').filter(Boolean)) {
      expect(line).toMatch(/^\d+% [\d,]+ rows, [\d,]+ rows\/s$/);
    }
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(/^import imp_\w+: clinic\.csv \(\d+ bytes\) accepted$/);
    expect(out[1]).toMatch(
      /^done: 2 created, 0 updated, 0 unchanged, 1 rejected \(3 rows in [\d.]+ s, [\d,]+ rows\/s\)$/,
    );
    expect(out[2]).toBe(
      '  line 4, Telefono: "+54 9 11 CALL" contains letters; a phone number has only digits and separators',
    );
    expect(out[3]).toBe(
      `rejected rows: ${join(dir, 'clinic.rejects.csv')} (fix them there and import that file; the rest is already in)`,
    );
    expect(readFileSync(join(dir, 'clinic.rejects.csv'), 'utf8')).toBe(
      'line,column,reason,value\n4,Telefono,"""+54 9 11 CALL"" contains letters; a phone number has only digits and separators",+54 9 11 CALL\n',
    );
    const emilia = await h.store.db
      .selectFrom('contacts')
      .selectAll()
      .where('wa_id', '=', '5491170000001')
      .executeTakeFirstOrThrow();
    expect(emilia.name).toBe('Emilia');
    expect(JSON.parse(emilia.tags)).toEqual(['clinic', 'spring']);
    expect(JSON.parse(emilia.attributes)).toEqual({ Plan: 'gold' });

    // The same file again: nothing changes; with --strict its one reject fails the command.
    const strict = await runCli(
      [
        'contacts',
        'import',
        file,
        '--tag',
        'clinic',
        '--tag',
        'spring',
        '--map',
        'Nombre=name',
        '--phone-column',
        'Telefono',
        '--strict',
        '--rejects',
        join(dir, 'out.csv'),
      ],
      env,
    );
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('done: 0 created, 0 updated, 2 unchanged, 1 rejected');
    expect(readFileSync(join(dir, 'out.csv'), 'utf8').split('\n')).toHaveLength(3);
  });

  it('a file refused as a whole exits 1 with one line; a missing file or a bad flag exits 2', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'name,city\nAna,Rosario\n');
    const [refused, missing, consent] = await Promise.all([
      runCli(['contacts', 'import', bad], env),
      runCli(['contacts', 'import', join(dir, 'nope.csv')], env),
      runCli(['contacts', 'import', bad, '--consent', 'maybe'], env),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error CSV_INVALID (HTTP 422): The file cannot be imported: the header has no "phone" column (it has: "name", "city"); name the phone column "phone" or pass phone_column= (--phone-column) — hint: Fix the file and import it again: nothing of it was written, and importing is idempotent.\n',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^error: cannot read .*nope\.csv: ENOENT/);
    expect(consent.code).toBe(2);
    expect(consent.stderr).toBe('error: --consent takes "opted-in" only, not "maybe"\n');
  });

  it('--help says what rejected rows mean for the exit code', async () => {
    const help = await runCli(['contacts', 'import', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('0   the import ran to its end, rejected rows included (see --strict)');
    expect(help.stdout).toContain('--strict');
  });
});
