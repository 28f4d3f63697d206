/**
 * `recontact campaigns launch | pause | resume | cancel | status | recipients` as a person runs
 * them: separate processes against a started Recontact. Piped (no terminal), `status --watch`
 * prints one line per change until the campaign completes, then the reply rate and replies;
 * `recipients` prints a page or streams the CSV to stdout or a file, as the API exports it.
 * SQLite only: the commands are clients of the HTTP API, whose storage the API tests cover on
 * both databases.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli';
import { type Harness, startHarness } from '../support/harness';

const SLOW = { timeout: 120_000 };

const campaign = (name: string, tag: string, pace: number) => ({
  name,
  template: {
    name: 'taxi_discount',
    language: 'es_AR',
    header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
    body: [{ field: 'first_name', default: 'cliente' }, '10%'],
    buttons: [
      { payload: 'TAXI_YES' },
      { payload: 'NO_PROMOS' },
      { url_suffix: 'taxi10' },
      { coupon_code: 'TAXI10' },
    ],
  },
  audience: { filter: { tags: { all: [tag] } } },
  pace,
});

const ID = /cmp_[0-9A-Z]{26}/;

describe('recontact campaigns: run, status and recipients', SLOW, () => {
  let h: Harness;
  let env: Record<string, string>;
  let done: string;
  const dir = mkdtempSync(join(tmpdir(), 'recontact-cli-results-'));

  const addContacts = async (tag: string, n: number, base: number) => {
    for (let i = 0; i < n; i++) {
      const r = await h.api(
        'PUT',
        `/v1/contacts/${encodeURIComponent(`+5493417${String(base + i).padStart(6, '0')}`)}`,
        {
          name: `Persona ${base + i}`,
          tags: [tag],
        },
      );
      expect(r.status, JSON.stringify(r.json)).toBe(201);
    }
  };
  const create = async (body: unknown) => {
    const r = await h.api('POST', '/v1/campaigns', body);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json.id as string;
  };

  beforeAll(async () => {
    h = await startHarness('sqlite', { app: { campaignRunner: { pollMs: 20, checkEveryMs: 50 } } });
    env = { RECONTACT_URL: h.url, RECONTACT_API_KEY: h.key };
    await addContacts('cli-watch', 6, 1);
    await addContacts('cli-pause', 30, 100);
  });
  afterAll(() => h.close());

  it('launches, and watches the funnel line by line until the campaign completes', async () => {
    // One a second: the campaign takes seconds, and the watch sees its funnel move.
    done = await create(campaign('watched', 'cli-watch', 1));
    // Someone taps the offer as soon as it reaches them.
    const unsubscribe = h.embedded.sandbox.users.onMessage((m) => {
      if (m.waId.endsWith('000001')) {
        h.embedded.sandbox.users.tapButton(
          h.embedded.whatsapp.phoneNumberId,
          m.waId,
          m.wamid,
          'Quiero el código',
        );
      }
    });
    const launched = await runCli(['campaigns', 'launch', done], env);
    expect(launched.stderr).toBe('');
    expect(launched.code).toBe(0);
    const lines = launched.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`launched campaign ${done}: now running`);
    expect(lines[1]).toMatch(/^recipients 6 · excluded 0 · pending \d · queued \d · sent \d/);
    expect(lines[2]).toBe(`follow it: recontact campaigns status ${done} --watch`);
    // Held while the watch starts: its first line is then the paused campaign.
    expect((await h.api('POST', `/v1/campaigns/${done}/pause`)).json.state).toBe('paused');

    // The watch has its own key, so its first request is seen (last_used_at) before resuming.
    const watcher = await h.app.apiKeys.create('watcher', 'viewer');
    const watching = runCli(['campaigns', 'status', done, '--watch'], {
      ...env,
      RECONTACT_API_KEY: watcher.key,
    });
    await h.waitFor(
      'the watch reading',
      async () => {
        const key = await h.store.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', watcher.id)
          .executeTakeFirst();
        return key?.last_used_at != null || undefined;
      },
      30_000,
    );
    expect((await h.api('POST', `/v1/campaigns/${done}/resume`)).json.state).toBe('running');
    const watched = await watching;
    unsubscribe();
    expect(watched.stderr).toBe('');
    expect(watched.code).toBe(0);
    const out = watched.stdout.trimEnd().split('\n');
    const funnelLines = out.filter((l) => /^\d\d:\d\d:\d\d cmp_/.test(l));
    // One line per change, never the same twice in a row, until completed.
    expect(funnelLines.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < funnelLines.length; i++) {
      expect(funnelLines[i]!.slice(9)).not.toBe(funnelLines[i - 1]!.slice(9));
    }
    for (const l of funnelLines) {
      expect(l).toMatch(
        /^\d\d:\d\d:\d\d cmp_\S+ (paused|running|completed) \d+% · recipients 6 · excluded 0 · pending \d · queued \d · sent \d · delivered \d · read \d · replied \d · failed 0 · opted out 0 · expired 0$/,
      );
    }
    expect(funnelLines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${done} (paused|running) `));
    expect(funnelLines.at(-1)).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${done} completed 100% · recipients 6 `),
    );
    // The details once at the end.
    expect(out.slice(funnelLines.length)[0]).toMatch(/^reply rate /);
  });

  it('shows the status once, with the reply rate and the replies by button', async () => {
    await h.waitFor(
      'the tap counted',
      async () => {
        const c = (await h.api('GET', `/v1/campaigns/${done}`)).json;
        return c.counts.replied === 1 && c.counts.sent + c.counts.accepted === 0 ? c : undefined;
      },
      30_000,
    );
    const r = await runCli(['campaigns', 'status', done], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^${done} completed 100% · recipients 6 · excluded 0 · pending 0 · queued 0 · sent 0 · delivered \\d · read \\d · replied 1 · failed 0`,
      ),
    );
    expect(lines[1]).toMatch(/^reply rate 16\.7% \(1 of 6 delivered\) · median reply [\d.]+ s$/);
    expect(lines[2]).toBe('replies: TAXI_YES 1');
    expect(
      lines.some((l) => /^cost \d+\.\d+ USD \(as Meta billed; rate card of \d{4}-\d\d-\d\d\)$/.test(l)),
    ).toBe(true);

    const json = await runCli(['campaigns', 'status', done, '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({
      id: done,
      state: 'completed',
      replies_by_payload: { TAXI_YES: 1 },
    });

    const missing = await runCli(['campaigns', 'status', 'cmp_01JD2Q0000000000000000000Z'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error CAMPAIGN_NOT_FOUND \(HTTP 404\)/);
  });

  it('pauses, resumes and cancels, and refuses what the state does not allow', async () => {
    const id = await create(campaign('paused', 'cli-pause', 2));
    expect((await runCli(['campaigns', 'launch', id], env)).code).toBe(0);
    const paused = await runCli(['campaigns', 'pause', id], env);
    expect(paused.code).toBe(0);
    expect(paused.stdout.split('\n')[0]).toBe(`paused campaign ${id}: now paused`);
    const resumed = await runCli(['campaigns', 'resume', id], env);
    expect(resumed.stdout.split('\n')[0]).toBe(`resumed campaign ${id}: now running`);
    const cancelled = await runCli(['campaigns', 'cancel', id], env);
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout.split('\n')[0]).toBe(`cancelled campaign ${id}: now cancelled`);
    expect(cancelled.stdout).toMatch(/· cancelled \d+$/m);

    const again = await runCli(['campaigns', 'resume', id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^error CAMPAIGN_STATE_CONFLICT \(HTTP 409\): .*cancelled/);
    // A finished campaign is watched once: nothing to wait for.
    const watched = await runCli(['campaigns', 'status', id, '--watch'], env);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${id} cancelled \\d+% `));
  });

  it('lists the recipients as a table, page by page, and exports them as CSV', async () => {
    const page = await runCli(['campaigns', 'recipients', done, '--limit', '4'], env);
    expect(page.stderr).toBe('');
    expect(page.code).toBe(0);
    const lines = page.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^CONTACT\s+WA_ID\s+STATE\s+VARIANT\s+REPLY\s+REASON\s+NAME$/);
    expect(lines).toHaveLength(6);
    expect(lines[1]).toMatch(/^ctc_\S+\s+5493417000001\s+read\s+A\s+TAXI_YES\s+-\s+Persona 1$/);
    const more = lines[5]!;
    expect(more).toMatch(
      new RegExp(`^more: recontact campaigns recipients ${done} --limit 4 --cursor \\S+$`),
    );
    const next = await runCli([...more.slice('more: recontact '.length).split(' ')], env);
    expect(next.stdout.trimEnd().split('\n')).toHaveLength(3);

    const replied = await runCli(['campaigns', 'recipients', done, '--state', 'replied'], env);
    expect(replied.stdout.trimEnd().split('\n')).toHaveLength(2);

    const api = await request(`${h.url}/v1/campaigns/${done}/recipients.csv`, {
      headers: { authorization: `Bearer ${h.key}` },
    });
    const expected = await api.body.text();
    const csv = await runCli(['campaigns', 'recipients', done, '--csv'], env);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(expected);
    expect(csv.stdout.split('\n')[0]).toBe(
      'contact_id,wa_id,name,state,reason,error_code,variant,message_id,send_at,replied_at,reply_payload',
    );
    const file = join(dir, 'recipients.csv');
    const saved = await runCli(['campaigns', 'recipients', done, '--out', file], env);
    expect(saved.code).toBe(0);
    expect(saved.stdout).toBe(`wrote 6 recipient(s) to ${file}\n`);
    expect(readFileSync(file, 'utf8')).toBe(expected);

    const bad = await runCli(['campaigns', 'recipients', done, '--state', 'bounced'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error INPUT_INVALID \(HTTP 400\)/);
    const both = await runCli(['campaigns', 'recipients', done, '--csv', '--limit', '5'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error: --csv exports every recipient/);
    expect(ID.test(done)).toBe(true);
  });
});
