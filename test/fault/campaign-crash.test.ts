/**
 * A 5,000-recipient campaign, two worker processes on one database and one sandbox, and kill -9
 * of one worker, then the other, then the first again, each at a moment drawn from a seed
 * (printed; CAMPAIGN_CRASH_SEED replays one), each restarted after a drawn pause. The sandbox's
 * received log is the judge: every eligible recipient got exactly one message, no excluded one
 * got anything, and the campaign's counts say the same.
 *
 * What makes it exactly once across kills: the runner queues a recipient and its outbox row in
 * one transaction (a dead runner leaves either both or neither), the dispatcher marks a row
 * `sending` before its POST leaves, and the next holder of the account waits for Meta's status
 * webhook carrying our id to settle the rows the dead one left `sending` (DISPATCH_IN_DOUBT
 * =resend only applies to those still unproved after the grace, longer here than any POST can
 * be in flight). The sandbox keeps retrying its webhooks, and a small front in this test
 * routes them to whichever worker is up, as a load balancer would.
 *
 * Shortened for the test through test/support/recontact-process.ts: the account lease (a dead
 * worker's account is taken over after 2 s), the campaign hold (1.5 s) and the message lease.
 * A restarted worker has its old WORKER_ID (the same deployment slot) and takes its leases
 * back at once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config';
import { createIdGenerator } from '../../src/domain/ids';
import { type EmbeddedSandbox, SANDBOX_ACCOUNT, startEmbeddedSandbox } from '../../src/embedded-sandbox';
import { type BulkContact, bulkInsertContacts } from '../../src/store/contact-book-repo';
import { DIALECTS, openTestStore, TEST_SECRET_KEY, type TestStore } from '../support/stores';

const N = 5_000;
const API_KEY = 'rk_crash_0123456789abcdef0123';
const PACE = 250;
const WORKERS = ['worker-a', 'worker-b'] as const;
type WorkerName = (typeof WORKERS)[number];

/** Contact i: opted out of marketing when i % 50 === 7; without the `discount` attribute when i % 40 === 3. */
const optedOut = (i: number) => i % 50 === 7;
const missingValue = (i: number) => i % 40 === 3;
const digitsOf = (i: number) => `549341${String(7_000_000 + i).padStart(7, '0')}`;

const SEED = Number(process.env.CAMPAIGN_CRASH_SEED ?? randomBytes(4).readUInt32LE(0));

/** A small deterministic generator: the kill moments follow from the seed. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(DIALECTS)('campaign under kill -9 of two workers on %s', (dialect) => {
  let store: TestStore;
  let embedded: EmbeddedSandbox;
  let front: Server;
  const ports = new Map<WorkerName, number>();
  const procs = new Map<WorkerName, ChildProcess>();
  const up = new Set<WorkerName>();
  let baseEnv: Record<string, string>;

  const urlOf = (w: WorkerName) => `http://127.0.0.1:${ports.get(w)}`;
  const anyUp = () => {
    const w = WORKERS.find((x) => up.has(x));
    if (!w) throw new Error('no worker is up');
    return urlOf(w);
  };

  const start = (w: WorkerName) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', 'test/support/recontact-process.ts'], {
        env: { ...baseEnv, PORT: String(ports.get(w)), WORKER_ID: w },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      procs.set(w, p);
      const early = (code: number | null) => reject(new Error(`${w} exited early with ${code}`));
      p.once('exit', early);
      p.stdout!.on('data', (d: Buffer) => {
        if (!d.toString().includes('READY')) return;
        p.off('exit', early);
        p.stdout!.removeAllListeners('data');
        p.stdout!.resume();
        up.add(w);
        resolve();
      });
    });

  const kill = async (w: WorkerName) => {
    const p = procs.get(w)!;
    up.delete(w);
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };

  const api = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
    const res = await request(`${anyUp()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.statusCode, json: (await res.body.json()) as any };
  };

  beforeAll(async () => {
    store = await openTestStore(dialect);
    const base = loadConfig({
      SANDBOX_PORT: '0',
      LOG_LEVEL: 'silent',
      RECONTACT_SECRET_KEY: TEST_SECRET_KEY,
    });
    embedded = await startEmbeddedSandbox(base, {
      delays: { sentMs: 1, deliveredMs: 2, readMs: null, templateReviewMs: 5 },
      webhookBatchMs: 5,
      webhookRetry: { baseMs: 100, maxAttempts: 10_000, capMs: 500 },
    });
    // The load balancer in front of the workers: Meta's webhooks go to one that is up; none up
    // is a 502, which Meta (the sandbox) retries.
    front = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        try {
          const target = anyUp();
          const r = await request(`${target}${req.url}`, {
            method: req.method as 'POST',
            headers: {
              'content-type': req.headers['content-type'] ?? 'application/json',
              'x-hub-signature-256': String(req.headers['x-hub-signature-256'] ?? ''),
            },
            body: Buffer.concat(chunks),
          });
          const body = await r.body.arrayBuffer();
          res.writeHead(r.statusCode).end(Buffer.from(body));
        } catch {
          if (!res.headersSent) res.writeHead(502).end();
        }
      });
    });
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    embedded.connect(`http://127.0.0.1:${(front.address() as { port: number }).port}`);

    for (const w of WORKERS) ports.set(w, await freePort());
    baseEnv = {
      ...(process.env as Record<string, string>),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      DATABASE_URL: store.url,
      RECONTACT_SECRET_KEY: TEST_SECRET_KEY,
      RECONTACT_API_KEY: API_KEY,
      WHATSAPP_PHONE_NUMBER_ID: SANDBOX_ACCOUNT.phoneNumberId,
      WHATSAPP_WABA_ID: SANDBOX_ACCOUNT.wabaId,
      WHATSAPP_ACCESS_TOKEN: SANDBOX_ACCOUNT.accessToken,
      WHATSAPP_APP_SECRET: SANDBOX_ACCOUNT.appSecret,
      WHATSAPP_VERIFY_TOKEN: SANDBOX_ACCOUNT.verifyToken,
      WHATSAPP_BASE_URL: embedded.whatsapp.baseUrl,
      WHATSAPP_THROUGHPUT_MPS: '400',
      // Talking to a "real" Meta without one set, Recontact assumes the starting tier (250).
      MESSAGING_LIMIT: 'unlimited',
      DISPATCH_LEASE_MS: '1000',
      // At least the channel's POST timeout (30 s): a send still in flight from a worker that is
      // alive but starved (two CPU hogs) lands within it, and its proof settles the doubt.
      DISPATCH_RECOVERY_GRACE_MS: '35000',
      DISPATCH_IN_DOUBT: 'resend',
      TEST_ACCOUNT_LEASE_MS: '2000',
      TEST_CAMPAIGN_HOLD_TTL_MS: '1500',
      TEST_CAMPAIGN_POLL_MS: '50',
      ...(store.pgSchema ? { TEST_PG_SCHEMA: store.pgSchema } : {}),
    };
    delete baseEnv.RECONTACT_URL;
    await start('worker-a');

    // The book, written straight into the store: the import is not what is tested here.
    const newId = createIdGenerator((k) => randomBytes(k));
    const now = Date.now();
    const contacts: BulkContact[] = [];
    for (let i = 0; i < N; i++) {
      contacts.push({
        id: newId('ctc', now - N + i),
        accountId: 'acc_default',
        waId: digitsOf(i),
        phoneE164: `+${digitsOf(i)}`,
        name: `Persona ${i}`,
        tags: ['crash'],
        attributes: missingValue(i) ? {} : { discount: `${10 + (i % 5)}%` },
        lastInboundAt: null,
        lastMarketingAt: null,
        marketingConsent: optedOut(i) ? 'opted_out' : 'unknown',
        createdAt: now - N + i,
      });
    }
    await bulkInsertContacts(store.db, contacts);
    await start('worker-b');
  }, 120_000);

  afterAll(async () => {
    for (const p of procs.values()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await embedded?.sandbox.close();
    await new Promise((r) => front?.close(r));
    await store?.destroy();
  });

  /** On a failure: each named recipient's messages, what the sandbox got of them, and their timelines. */
  const explain = async (campaignId: string, who: number[]) => {
    const sent = embedded.sandbox.sent();
    for (const i of who.slice(0, 5)) {
      const phone = digitsOf(i);
      const got = sent
        .filter((s) => s.to === phone)
        .map((s) => ({ id: s.bizOpaque, wamid: s.wamid, at: s.at }));
      const msgs = await store.db
        .selectFrom('messages')
        .innerJoin('contacts', 'contacts.id', 'messages.contact_id')
        .select([
          'messages.id',
          'messages.status',
          'messages.attempts',
          'messages.error_class',
          'messages.error_message',
          'messages.posted_at',
          'messages.locked_by',
          'messages.accepted_at',
        ])
        .where('contacts.wa_id', '=', phone)
        .where('messages.campaign_id', '=', campaignId)
        .execute();
      const events = await store.db
        .selectFrom('message_events')
        .select(['message_id', 'status', 'at', 'source', 'detail'])
        .where('message_id', 'in', msgs.map((m) => m.id).concat(['-']))
        .orderBy('at')
        .execute();
      process.stdout.write(
        `[campaign-crash ${dialect}] recipient ${i} (${phone}): sandbox got ${JSON.stringify(got)}; messages ${JSON.stringify(msgs)}; events ${JSON.stringify(events)}\n`,
      );
    }
  };

  it('sends every eligible recipient exactly once and no excluded one, through three kills', async () => {
    const random = mulberry32(SEED + (dialect === 'postgres' ? 1 : 0));
    // Kills at drawn fractions of the eligible recipients sent: the first worker, the other, the first.
    const eligible = Array.from({ length: N }, (_, i) => i).filter((i) => !optedOut(i) && !missingValue(i));
    const plan = [
      { worker: 'worker-a' as const, at: 0.05 + random() * 0.25, downMs: Math.round(random() * 1500) },
      { worker: 'worker-b' as const, at: 0.35 + random() * 0.25, downMs: Math.round(random() * 1500) },
      { worker: 'worker-a' as const, at: 0.65 + random() * 0.25, downMs: Math.round(random() * 1500) },
    ];
    const planText = plan
      .map((k) => `${k.worker} at ${(k.at * 100).toFixed(0)}% down ${k.downMs} ms`)
      .join(', ');
    process.stdout.write(`[campaign-crash ${dialect}] seed ${SEED}: ${planText}\n`);

    const created = await api('POST', '/v1/campaigns', {
      name: 'crash discount',
      template: {
        name: 'taxi_discount',
        language: 'es_AR',
        header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
        // No default for the discount: a contact without it is excluded (missing_value).
        body: [{ field: 'first_name', default: 'cliente' }, { attribute: 'discount' }],
        buttons: [null, null, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
      },
      audience: { filter: { tags: { all: ['crash'] } } },
      pace: PACE,
      metadata: { offer: 'taxi10' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const id = created.json.id as string;
    const t0 = Date.now();
    const launched = await api('POST', `/v1/campaigns/${id}/launch`);
    expect(launched.status, JSON.stringify(launched.json)).toBe(200);
    expect(launched.json.counts.recipients).toBe(N);

    const sandbox = embedded.sandbox;
    const timeline: string[] = [];
    for (const k of plan) {
      const target = Math.floor(k.at * eligible.length);
      const deadline = Date.now() + 60_000;
      while (sandbox.sent().length < target) {
        if (Date.now() > deadline)
          throw new Error(`stuck at ${sandbox.sent().length} sent before ${k.worker}'s kill`);
        await sleep(5);
      }
      await kill(k.worker);
      timeline.push(
        `killed ${k.worker} at ${sandbox.sent().length} sent (+${Date.now() - t0} ms, ${Date.now()})`,
      );
      await sleep(k.downMs);
      await start(k.worker);
      timeline.push(`restarted ${k.worker} (+${Date.now() - t0} ms)`);
    }

    const deadline = Date.now() + 90_000;
    let done: { state: string; counts: Record<string, number> } | undefined;
    type Counts = Record<
      | 'recipients'
      | 'excluded'
      | 'pending'
      | 'queued'
      | 'failed'
      | 'cancelled'
      | 'expired'
      | 'accepted'
      | 'sent'
      | 'delivered'
      | 'read',
      number
    >;
    for (;;) {
      const c = (await api('GET', `/v1/campaigns/${id}`)).json;
      if (c.state === 'completed') {
        done = c;
        break;
      }
      if (Date.now() > deadline) throw new Error(`not completed: ${JSON.stringify(c.counts)}`);
      await sleep(100);
    }
    process.stdout.write(
      `[campaign-crash ${dialect}] ${timeline.join('; ')}; completed after ${Date.now() - t0} ms\n`,
    );

    // The received log: by phone, every eligible recipient exactly once, no excluded one.
    const byPhone = new Map<string, number>();
    for (const s of sandbox.sent()) byPhone.set(s.to, (byPhone.get(s.to) ?? 0) + 1);
    const twice = eligible.filter((i) => (byPhone.get(digitsOf(i)) ?? 0) > 1);
    const never = eligible.filter((i) => (byPhone.get(digitsOf(i)) ?? 0) === 0);
    const excludedGot = Array.from({ length: N }, (_, i) => i).filter(
      (i) => (optedOut(i) || missingValue(i)) && byPhone.has(digitsOf(i)),
    );
    if (twice.length + never.length + excludedGot.length > 0)
      await explain(id, [...twice, ...never, ...excludedGot]);
    expect({ twice: twice.length, never: never.length, excludedGot: excludedGot.length }).toEqual({
      twice: 0,
      never: 0,
      excludedGot: 0,
    });
    expect(sandbox.sent()).toHaveLength(eligible.length);
    // And by our message id (the callback data): each of the campaign's messages reached Meta once.
    const counts = sandbox.countsByCallbackData();
    const messages = await store.db
      .selectFrom('messages')
      .select(['id', 'status'])
      .where('campaign_id', '=', id)
      .execute();
    expect(messages).toHaveLength(eligible.length);
    expect(messages.filter((m) => counts.get(m.id) !== 1)).toEqual([]);
    expect(messages.filter((m) => m.status === 'failed' || m.status === 'in_doubt')).toEqual([]);

    // The campaign's own counts agree with the log.
    const c = done!.counts as Counts;
    expect(c.recipients).toBe(N);
    expect(c.excluded).toBe(N - eligible.length);
    expect(c.pending + c.queued + c.failed + c.cancelled + c.expired).toBe(0);
    expect(c.accepted + c.sent + c.delivered + c.read).toBe(eligible.length);
    const reasons = (await api('GET', `/v1/campaigns/${id}`)).json;
    // What the kills left in doubt (posted, answer lost with the process), settled by Meta's webhook.
    const doubted = await store.db
      .selectFrom('message_events')
      .select((eb) => eb.fn.count<number>('message_id').distinct().as('n'))
      .where('status', '=', 'unconfirmed')
      .executeTakeFirstOrThrow();
    process.stdout.write(
      `[campaign-crash ${dialect}] left in doubt by the kills and proved by webhook: ${Number(doubted.n)}; counts ${JSON.stringify(c)}\n`,
    );
    expect(JSON.stringify(reasons)).toContain('opted_out');
    expect(JSON.stringify(reasons)).toContain('missing_value');
  }, 240_000);
});
