/**
 * kill -9 in the middle of a dispatch: the restarted process finishes the work, and every
 * message reaches Meta's stand-in exactly once. The proof of acceptance for sends whose
 * response died with the process is the status webhook carrying our id, which the sandbox
 * keeps retrying until the new process answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { type EmbeddedSandbox, SANDBOX_ACCOUNT, startEmbeddedSandbox } from '../../src/embedded-sandbox';
import { pullTemplates } from '../../src/engine/templates/sync';
import { REMINDER } from '../support/harness';
import { DIALECTS, openTestStore, type TestStore } from '../support/stores';

const N = 1500;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe.each(DIALECTS)('kill -9 during dispatch on %s', (dialect) => {
  let store: TestStore;
  let embedded: EmbeddedSandbox;
  let child: ChildProcess | undefined;
  let env: Record<string, string>;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    const base = loadConfig({ SANDBOX_PORT: '0', LOG_LEVEL: 'silent', DATABASE_URL: store.url });
    embedded = await startEmbeddedSandbox(base, {
      delays: { sentMs: 1, deliveredMs: 2, readMs: null, templateReviewMs: 5 },
      webhookBatchMs: 5,
      webhookRetry: { baseMs: 100, maxAttempts: 30 },
    });
    const port = await freePort();
    env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      DATABASE_URL: store.url,
      WHATSAPP_PHONE_NUMBER_ID: SANDBOX_ACCOUNT.phoneNumberId,
      WHATSAPP_WABA_ID: SANDBOX_ACCOUNT.wabaId,
      WHATSAPP_ACCESS_TOKEN: SANDBOX_ACCOUNT.accessToken,
      WHATSAPP_APP_SECRET: SANDBOX_ACCOUNT.appSecret,
      WHATSAPP_VERIFY_TOKEN: SANDBOX_ACCOUNT.verifyToken,
      WHATSAPP_BASE_URL: embedded.whatsapp.baseUrl,
      // Slow enough that the kill lands mid-run; leases short so the test does not wait long.
      WHATSAPP_THROUGHPUT_MPS: '400',
      DISPATCH_LEASE_MS: '1000',
      DISPATCH_RECOVERY_GRACE_MS: '4000',
      // The restarted process is the same deployment slot: it takes its account lease back at once.
      WORKER_ID: 'kill-restart-worker',
      ...(store.pgSchema ? { TEST_PG_SCHEMA: store.pgSchema } : {}),
    } as Record<string, string>;
    embedded.connect(`http://127.0.0.1:${port}`);

    // Queue the work with an in-process Recontact on the same database, then let it go.
    const app = await createApp({ config: loadConfig(env), store });
    await pullTemplates(app.ctx, app.channel, app.accounts.all()[0]!);
    for (let i = 0; i < N; i++) {
      await app.sendService.send({
        ...REMINDER,
        to: `+1 650 555 ${String(1000 + (i % 9000)).padStart(4, '0')}`,
        metadata: { i },
      });
    }
    await app.stop();
  }, 120_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await embedded.sandbox.close();
    await store.destroy();
  });

  const start = () =>
    new Promise<ChildProcess>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'test/support/recontact-process.ts'], {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      p.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('READY')) resolve(p);
      });
      p.on('exit', (code) => reject(new Error(`recontact exited early with ${code}`)));
    });

  it('finishes after a restart with every message sent exactly once', async () => {
    child = await start();
    const sandbox = embedded.sandbox;
    const killAt = Math.floor(N / 3);
    while (sandbox.sent().length < killAt) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const atKill = sandbox.sent().length;
    expect(atKill).toBeLessThan(N);

    child = await start();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const open = await store.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['queued', 'sending'])
        .executeTakeFirstOrThrow();
      if (Number(open.n) === 0) break;
      if (Date.now() > deadline) throw new Error(`${open.n} messages still open`);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');

    const counts = sandbox.countsByCallbackData();
    const ids = await store.db.selectFrom('messages').select(['id', 'status']).execute();
    expect(ids).toHaveLength(N);
    const twice = ids.filter((m) => (counts.get(m.id) ?? 0) > 1);
    const never = ids.filter((m) => (counts.get(m.id) ?? 0) === 0);
    expect(twice).toEqual([]);
    expect(never).toEqual([]);
    expect(ids.every((m) => m.status !== 'failed')).toBe(true);
  }, 150_000);
});
