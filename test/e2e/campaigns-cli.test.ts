/**
 * `recontact campaigns create | show | list` as a person runs them: separate processes against a
 * started Recontact. The example file becomes a draft exactly as written; a file that does not
 * parse names its line and column; a definition the server refuses is listed problem by problem
 * at its place in the file; exit codes as --help says. SQLite only: the commands are clients of
 * the HTTP API, whose storage the API tests cover on both databases.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT, runCli } from '../support/cli';
import { type Harness, startHarness } from '../support/harness';

const SLOW = { timeout: 120_000 };
const EXAMPLE = 'examples/taxi-discount.campaign.yaml';

describe('recontact campaigns', SLOW, () => {
  let h: Harness;
  let env: Record<string, string>;
  let created: string;
  const dir = mkdtempSync(join(tmpdir(), 'recontact-cli-campaigns-'));
  beforeAll(async () => {
    h = await startHarness('sqlite');
    env = { RECONTACT_URL: h.url, RECONTACT_API_KEY: h.key };
  });
  afterAll(() => h.close());

  it('creates the example file as a draft, exactly as written, and prints its id and state', async () => {
    const r = await runCli(['campaigns', 'create', EXAMPLE], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^created campaign cmp_[0-9A-Z]{26} \(draft\): Descuento taxi 10%$/);
    expect(lines[1]).toBe("template: taxi_discount · contact's language, else es_AR · APPROVED · MARKETING");
    created = /cmp_[0-9A-Z]{26}/.exec(lines[0]!)![0];
    expect(lines[2]).toBe(
      `next: recontact campaigns plan ${created}   (who it reaches, who is left out and why, when, at what cost)`,
    );
    const stored = await h.api('GET', `/v1/campaigns/${created}`);
    expect(stored.json.definition).toEqual(parse(readFileSync(join(REPO_ROOT, EXAMPLE), 'utf8')));
    expect(stored.json.state).toBe('draft');
  });

  it('shows a campaign, readable or as JSON', async () => {
    const r = await runCli(['campaigns', 'show', created], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `${created}  Descuento taxi 10%`,
      'state: draft',
      "template: taxi_discount · contact's language, else es_AR · APPROVED · MARKETING",
      'audience: {"filter":{"tags":{"all":["patient"]}}}',
      'schedule: {"local_time":{"time":"10:00","weekday":"monday"},"quiet_hours":{"from":"21:00","to":"09:00"}}',
    ]);
    expect(r.stdout).toContain(
      'counts: recipients 0 · excluded 0 · pending 0 · queued 0 · sent 0 · delivered 0 · read 0 · replied 0 · failed 0 · expired 0 (filled once launched)',
    );
    const json = await runCli(['campaigns', 'show', created, '--json'], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: created, state: 'draft', counts: { recipients: 0 } });

    const missing = await runCli(['campaigns', 'show', 'cmp_01JD2Q0000000000000000000Z'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^error CAMPAIGN_NOT_FOUND \(HTTP 404\): No campaign "cmp_01JD2Q0000000000000000000Z"/,
    );
  });

  it('creates from JSON with --json output, and lists newest first, page by page', async () => {
    const file = join(dir, 'spring.campaign.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'Primavera',
        template: { name: 'spring_promo', language: 'es_AR' },
        audience: { all: true },
      }),
    );
    const r = await runCli(['campaigns', 'create', file, '--json'], env);
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout);
    expect(view).toMatchObject({ state: 'draft', name: 'Primavera', template: { name: 'spring_promo' } });

    const list = await runCli(['campaigns', 'list'], env);
    expect(list.code).toBe(0);
    const rows = list.stdout.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^ID\s+STATE\s+TEMPLATE\s+RECIPIENTS\s+CREATED\s+NAME$/);
    expect(rows[1]).toMatch(
      new RegExp(
        `^${view.id}\\s+draft\\s+spring_promo\\s+0\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\s+Primavera$`,
      ),
    );
    expect(rows[2]).toMatch(
      new RegExp(`^${created}\\s+draft\\s+taxi_discount\\s+0\\s+.*Descuento taxi 10%$`),
    );

    const first = await runCli(['campaigns', 'list', '--limit', '1', '--state', 'draft'], env);
    const more = first.stdout.trimEnd().split('\n').at(-1)!;
    expect(more).toMatch(/^more: recontact campaigns list --state draft --limit 1 --cursor \S+$/);
    const second = await runCli(
      ['campaigns', 'list', '--state', 'draft', '--limit', '1', '--cursor', more.split(' ').at(-1)!],
      env,
    );
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(created);

    const bad = await runCli(['campaigns', 'list', '--limit', '0'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be a whole number from 1 to 100');
  });

  it('names the line and column of a YAML mistake, and sends nothing', async () => {
    const file = join(dir, 'broken.campaign.yaml');
    writeFileSync(
      file,
      'name: Roto\ntemplate:\n  name: taxi_discount\n    language: es_AR\naudience: { all: true\n',
    );
    const r = await runCli(['campaigns', 'create', file], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(`^error: ${file.replaceAll('.', '\\.')}:3:9: invalid YAML: Nested mappings are not allowed`),
    );
  });

  it('lists every problem the server finds at its place in the file, and exits 1', async () => {
    const file = join(dir, 'wrong.campaign.yaml');
    writeFileSync(
      file,
      [
        'name: Mal',
        'template:',
        '  name: taxi_discount',
        '  language: es_AR',
        '  body:',
        '    - { attr: first_name }',
        '    - "10%"',
        'audience: { all: true }',
        'colour: blue',
        'schedule:',
        '  local_time: { time: "25:00", weekday: monday }',
        '',
      ].join('\n'),
    );
    const r = await runCli(['campaigns', 'create', file], env);
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`${file}: 4 problems (INPUT_INVALID); nothing was created:`);
    expect(lines.slice(1).map((l) => l.split(': ')[0])).toEqual(
      expect.arrayContaining([
        `  ${file}:9:9 colour`,
        `  ${file}:6:15 template.body[0].attr`,
        `  ${file}:6:7 template.body[0]`,
        `  ${file}:11:23 schedule.local_time.time`,
      ]),
    );
    expect(r.stderr).toMatch(
      /^error: Recontact refused .* \(INPUT_INVALID, HTTP 400\): fix the problems listed above/,
    );

    const json = await runCli(['campaigns', 'create', file, '--json'], env);
    expect(json.code).toBe(1);
    expect(json.stderr).toContain(`${file}:9:9 colour: unknown key "colour"`);

    const none = await runCli(['campaigns', 'create', join(dir, 'absent.yaml')], env);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('cannot read');
  });

  it('explains the file in --help', async () => {
    const r = await runCli(['campaigns', 'create', '--help'], env);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('A campaign file is the JSON body of POST /v1/campaigns');
    expect(r.stdout).toContain('examples/taxi-discount.campaign.yaml');
    expect(r.stdout).toContain('Exit codes:');
  });
});
