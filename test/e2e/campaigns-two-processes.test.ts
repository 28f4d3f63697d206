/**
 * Pause, resume and cancel across processes, on both databases: the campaign runs in one
 * Recontact (the harness: runner and dispatcher), the commands go to a second Recontact, a
 * separate OS process on the same database (test/support/recontact-process.ts). Within a second
 * of the answer nothing more of the campaign reaches Meta's stand-in: every message posted
 * after the pause had left before the pause committed. Resume sends the rest, nobody twice;
 * cancel withdraws what had not left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { TAXI_TEMPLATE } from '../support/campaigns';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS, TEST_SECRET_KEY } from '../support/stores';

const SLOW = { timeout: 180_000 };
const N = 60;

const CAMPAIGN = {
  name: 'two processes',
  template: TAXI_TEMPLATE,
  audience: { filter: { tags: { all: ['two'] } } },
  // Slow enough that the commands land mid-run: 6 s for everyone.
  pace: 10,
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('campaign commands across two processes on %s', SLOW, (dialect) => {
  let h: Harness;
  let child: ChildProcess | undefined;
  let otherUrl = '';

  /** The second process's API. */
  const other = async (path: string) => {
    const res = await request(`${otherUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.key}` },
    });
    const text = await res.body.text();
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    h = await startHarness(dialect, { app: { campaignRunner: { pollMs: 20, checkEveryMs: 50 } } });
    // Before the second process starts: its start-up writes (migrations, the account) would
    // make these wait on a busy machine.
    for (let i = 0; i < N; i++) {
      const phone = `+5493418${String(i).padStart(6, '0')}`;
      const r = await h.api('PUT', `/v1/contacts/${encodeURIComponent(phone)}`, {
        name: `P ${i}`,
        tags: ['two'],
      });
      expect(r.status).toBe(201);
    }
    const env: Record<string, string> = {
      ...(process.env as Record<string, string>),
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      DATABASE_URL: h.store.url,
      WHATSAPP_PHONE_NUMBER_ID: SANDBOX_ACCOUNT.phoneNumberId,
      WHATSAPP_WABA_ID: SANDBOX_ACCOUNT.wabaId,
      WHATSAPP_ACCESS_TOKEN: SANDBOX_ACCOUNT.accessToken,
      WHATSAPP_APP_SECRET: SANDBOX_ACCOUNT.appSecret,
      WHATSAPP_VERIFY_TOKEN: SANDBOX_ACCOUNT.verifyToken,
      WHATSAPP_BASE_URL: h.embedded.whatsapp.baseUrl,
      WORKER_ID: `second-process-${dialect}`,
      ...(dialect === 'postgres' ? { RECONTACT_SECRET_KEY: TEST_SECRET_KEY } : {}),
      ...(h.store.pgSchema ? { TEST_PG_SCHEMA: h.store.pgSchema } : {}),
    };
    child = spawn(process.execPath, ['--import', 'tsx', 'test/support/recontact-process.ts'], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    otherUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      child!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /READY (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child!.on('exit', (code) => reject(new Error(`the second Recontact exited early with ${code}`)));
    });
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([gone, sleep(5_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await h?.close();
  });

  it('pauses, resumes and cancels through the other process: nothing posted a second after, nothing twice', async () => {
    const created = await h.api('POST', '/v1/campaigns', CAMPAIGN);
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as string;
    const messageIds = async () =>
      new Set(
        (await h.store.db.selectFrom('messages').select('id').where('campaign_id', '=', id).execute()).map(
          (m) => m.id,
        ),
      );
    const sent = async () => {
      const ids = await messageIds();
      return h.embedded.sandbox.sent().filter((s) => ids.has(s.bizOpaque ?? ''));
    };
    /** Messages whose POST left after `at` (their sending mark). */
    const postedAfter = async (at: number) =>
      (
        await h.store.db
          .selectFrom('messages')
          .select('id')
          .where('campaign_id', '=', id)
          .where('posted_at', '>', at)
          .execute()
      ).length;

    expect((await h.api('POST', `/v1/campaigns/${id}/launch`)).json.state).toBe('running');
    await h.waitFor('some sends', async () => (await sent()).length >= 5 || undefined, 20_000);

    // Pause through the other process.
    const paused = await other(`/v1/campaigns/${id}/pause`);
    expect(paused.status, JSON.stringify(paused.json)).toBe(200);
    expect(paused.json.state).toBe('paused');
    // Once the answer is here the pause has committed: no sending mark can succeed after it.
    const pausedAt = Date.now();
    await sleep(1_000);
    const afterOneSecond = (await sent()).length;
    expect(afterOneSecond).toBeLessThan(N);
    await sleep(1_500);
    // Nothing more arrives once a second has passed, and nothing left after the pause answered.
    expect((await sent()).length).toBe(afterOneSecond);
    expect(await postedAfter(pausedAt)).toBe(0);
    expect((await h.api('GET', `/v1/campaigns/${id}`)).json.state).toBe('paused');

    // Resume through the other process: the rest goes, nobody twice.
    const resumed = await other(`/v1/campaigns/${id}/resume`);
    expect(resumed.status, JSON.stringify(resumed.json)).toBe(200);
    expect(resumed.json.state).toBe('running');
    await h.waitFor(
      'more sends',
      async () => (await sent()).length >= afterOneSecond + 5 || undefined,
      20_000,
    );

    // Cancel through the other process: what had not left is withdrawn.
    const cancelled = await other(`/v1/campaigns/${id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.json)).toBe(200);
    expect(cancelled.json.state).toBe('cancelled');
    const cancelledAt = Date.now();
    await sleep(1_000);
    const atCancel = (await sent()).length;
    await sleep(1_500);
    const final = await sent();
    expect(final.length).toBe(atCancel);
    expect(await postedAfter(cancelledAt)).toBe(0);
    expect(new Set(final.map((s) => s.to)).size).toBe(final.length);
    expect(new Set(final.map((s) => s.bizOpaque)).size).toBe(final.length);
    const view = await h.waitFor('counts settled', async () => {
      const c = (await h.api('GET', `/v1/campaigns/${id}`)).json;
      return c.counts.queued === 0 ? c : undefined;
    });
    expect(view.state).toBe('cancelled');
    expect(view.counts.pending).toBe(0);
    expect(view.counts.cancelled).toBeGreaterThan(0);
    expect(view.counts.cancelled + final.length).toBe(N);
  });
});
