/**
 * A `recontact worker` process, started as an operator would (`--metrics-port`), serves its own
 * GET /metrics, on both databases: the sends it made (the API process made none), the lease it
 * holds, its identity; with the same authentication as the API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { REPO_ROOT } from '../support/cli';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS, TEST_SECRET_KEY } from '../support/stores';
import { parseScrape, sampleValue } from './metrics-text';

const SLOW = { timeout: 120_000 };
const METRICS_TOKEN = 'prometheus-scrapes-this-0123456789';

describe.each(DIALECTS)('the metrics listener of a worker process on %s', SLOW, (dialect) => {
  let h: Harness;
  let worker: ChildProcess | undefined;
  let metricsUrl = '';
  const workerId = `metrics-worker-${dialect}`;

  beforeAll(async () => {
    // This process takes the API requests only; the worker process sends.
    h = await startHarness(dialect, { app: { runDispatcher: false } });
    // The worker reaches the test's PostgreSQL schema through the connection's search path.
    const databaseUrl = h.store.pgSchema
      ? `${h.store.url}?options=${encodeURIComponent(`-c search_path=${h.store.pgSchema}`)}`
      : h.store.url;
    worker = spawn(process.execPath, ['bin/recontact.js', 'worker', '--metrics-port', '0'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        DATABASE_URL: databaseUrl,
        WHATSAPP_PHONE_NUMBER_ID: SANDBOX_ACCOUNT.phoneNumberId,
        WHATSAPP_WABA_ID: SANDBOX_ACCOUNT.wabaId,
        WHATSAPP_ACCESS_TOKEN: SANDBOX_ACCOUNT.accessToken,
        WHATSAPP_APP_SECRET: SANDBOX_ACCOUNT.appSecret,
        WHATSAPP_VERIFY_TOKEN: SANDBOX_ACCOUNT.verifyToken,
        WHATSAPP_BASE_URL: h.embedded.whatsapp.baseUrl,
        WORKER_ID: workerId,
        METRICS_TOKEN,
        ...(dialect === 'postgres' ? { RECONTACT_SECRET_KEY: TEST_SECRET_KEY } : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    metricsUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      let err = '';
      worker!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Metrics:\s+(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(out);
        if (m) resolve(m[1]!);
      });
      worker!.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
      });
      worker!.on('exit', (code) => reject(new Error(`worker exited (${code}): ${err}${out}`)));
    });
  }, 90_000);

  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = new Promise((r) => worker!.once('exit', r));
      worker.kill('SIGTERM');
      await exited;
    }
    await h?.close();
  });

  const scrape = async (headers: Record<string, string> = { authorization: `Bearer ${METRICS_TOKEN}` }) => {
    const res = await request(metricsUrl, { headers });
    return { status: res.statusCode, text: await res.body.text() };
  };

  it('serves what the worker did: its sends, its lease, itself', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await h.api('POST', '/v1/messages', { ...REMINDER, to: `+1 650 555 ${6000 + i}` });
      expect(r.status).toBe(202);
      ids.push(r.json.id);
    }
    await h.waitFor(
      'sent by the worker',
      async () => {
        for (const id of ids)
          if ((await h.api('GET', `/v1/messages/${id}`)).json.provider_message_id === null) return false;
        return true;
      },
      30_000,
    );
    const res = await scrape();
    expect(res.status).toBe(200);
    const s = parseScrape(res.text);
    expect(sampleValue(s, 'recontact_sends_total', { account: 'acc_default', outcome: 'accepted' })).toBe(3);
    expect(sampleValue(s, 'recontact_worker_info', { worker: workerId })).toBe(1);
    expect(
      sampleValue(s, 'recontact_account_lease_holder', { account: 'acc_default', holder: workerId }),
    ).toBe(1);
    expect(sampleValue(s, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    // The API process sent nothing: each process counts its own.
    const api = parseScrape(await h.app.metrics.render());
    expect(
      sampleValue(api, 'recontact_sends_total', { account: 'acc_default', outcome: 'accepted' }),
    ).toBeUndefined();
  });

  it('asks for a key or the token, and serves nothing else', async () => {
    const none = await scrape({});
    expect(none.status).toBe(401);
    expect(JSON.parse(none.text).error.code).toBe('AUTH_MISSING');
    const byKey = await scrape({ authorization: `Bearer ${h.key}` });
    expect(byKey.status).toBe(200);
    const other = await request(metricsUrl.replace(/\/metrics$/, '/v1/messages'));
    expect(other.statusCode).toBe(404);
    expect(JSON.parse(await other.body.text()).error.code).toBe('ROUTE_NOT_FOUND');
  });
});
