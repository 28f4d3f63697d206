/**
 * One phase of the scale-out bench, on a fresh PostgreSQL database and a fresh sandbox: every
 * number's messages are queued through the API first (a `serve --no-dispatch` process, as a
 * deployment's API tier), then `workers` worker processes are started together and drain them.
 * With `kill`, the worker holding the most accounts is killed with SIGKILL a third of the way
 * through, and the survivor must take its accounts over.
 */
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { Pool, request } from 'undici';
import type { NumberSendsView } from '../../src/sandbox/number-sends';
import type { Database } from '../../src/store/schema';
import { drive } from '../bare-loop';
import { type Proc, startProcess } from '../procs';
import { API_KEY, freshDatabase, recontactEnv } from '../recontact-env';
import {
  type Fairness,
  fairness,
  type LeaseSplit,
  leaseSplit,
  type Takeover,
  takeovers,
  type Verdict,
  verdict,
} from './analysis';
import { BENCH_APP, Monitor, sandboxSends } from './monitor';
import { type BenchNumber, NUMBER_MPS, writeAccountsFile } from './numbers';
import { commits, cpuSeconds, type TableWrites, tableWrites, writesPerMessage } from './resources';

export interface PhaseOptions {
  label: string;
  workers: 1 | 2;
  kill: boolean;
  perNumber: number;
  numbers: BenchNumber[];
  dir: string;
  dbName: string;
  /** The sandbox sends `sent` statuses to the API process, which applies them. */
  webhooks: boolean;
  /** Dispatcher settings given to every Recontact process (DISPATCH_*). */
  dispatch: Record<string, string>;
}

export interface PhaseResult {
  label: string;
  workers: number;
  webhooks: boolean;
  messages: number;
  intakeRate: number;
  /** All accepted at the sandbox over its first to last acceptance. */
  totalRate: number;
  durationMs: number;
  fairness: Fairness;
  sandbox: NumberSendsView[];
  leases: LeaseSplit;
  takeover?: {
    victim: string;
    survivor: string;
    acceptedAtKill: number;
    accounts: Takeover[];
    /**
     * The victim's sends still `sending` at the first count, within a second of the kill (those
     * whose `sent` status had already come back are proven by then).
     */
    unprovenAfterKill: number;
    /** From the kill until none of them was `sending` or `unconfirmed` any more (proven or held). */
    doubtsSettledMs: number | null;
  };
  verdict: Verdict;
  /** Rows written per message by the API while it queued them (intake). */
  intakeWrites: TableWrites;
  writes: TableWrites;
  /** Most connections to the phase's database at once while the workers ran. */
  peakConnections: number;
  /** PostgreSQL transactions committed per message while the workers ran, the bench's own left out. */
  commitsPerMessage: number;
  workerCpuUsPerMessage: number;
  /** CPU of PostgreSQL's backends serving this database while the workers ran (monitor.ts). */
  postgresCpuUsPerMessage: number;
  workerRssMb: number[];
  /** About one sample a second: ms since the workers were started, accepted per number, lease holders. */
  series: Array<{ ms: number; accepted: number[]; holders: Record<string, string> }>;
}

const LEFT = ['queued', 'sending', 'unconfirmed'] as const;

export async function runPhase(o: PhaseOptions): Promise<PhaseResult> {
  const total = o.numbers.length * o.perNumber;
  const procs: Proc[] = [];
  // The sandbox must know where Recontact's webhooks go before Recontact knows the sandbox.
  const apiPort = o.webhooks ? await freePort() : 0;
  const sandbox = await startProcess(
    ['bench/scale/sandbox-process.ts'],
    {
      SCALE_NUMBERS: String(o.numbers.length),
      SCALE_MPS: String(NUMBER_MPS),
      SCALE_WEBHOOK_URL: o.webhooks ? `http://127.0.0.1:${apiPort}/webhooks/whatsapp` : '',
    },
    /READY (\S+)/,
  );
  procs.push(sandbox);
  try {
    const dbUrl = await freshDatabase('postgres', o.dir, o.dbName);
    const configFile = writeAccountsFile(o.dir, o.numbers, sandbox.url, NUMBER_MPS);
    // The WHATSAPP_* shortcut would add a ninth account: the numbers come from the file only.
    const base = Object.fromEntries(
      Object.entries(recontactEnv(sandbox.url, dbUrl, 64)).filter(([k]) => !k.startsWith('WHATSAPP_')),
    );
    const env = {
      ...base,
      RECONTACT_CONFIG: configFile,
      RECONTACT_ALLOW_PRIVATE_TARGETS: 'true',
      // 2 × 8 × 5,000 sends through one key within minutes: the per-key budget is not the question.
      RATE_LIMIT_PER_KEY: '0',
      ...o.dispatch,
    };
    const api = await startProcess(
      ['src/cli/main.ts', 'serve', '--no-dispatch'],
      { ...env, PORT: String(apiPort) },
      /listening on (http:\/\/\S+)/,
    );
    procs.push(api);
    const store = benchConnection(dbUrl);
    try {
      const beforeIntake = await tableWrites(store.db);
      let t = performance.now();
      await queue(api.url, o.numbers, o.perNumber);
      const intakeRate = total / ((performance.now() - t) / 1000);
      log(`${o.label}: ${fmt(total)} messages queued through the API at ${fmt(intakeRate)}/s`);
      const left = await countLeft(store.db);
      if (left !== total) throw new Error(`expected ${total} queued messages, found ${left}`);

      await sleep(1_500); // let the API's backends report their statistics before the baseline
      const writesBefore = await tableWrites(store.db);
      const intakeWrites = writesPerMessage(beforeIntake, writesBefore, total);
      const commitsBefore = await commits(store.db);
      // Every statement the bench itself runs until the second reading, to leave them out.
      let own = 1;
      const monitor = new Monitor(
        store.db,
        sandbox.url,
        o.numbers.map((n) => n.phoneNumberId),
      );
      await monitor.start();
      t = Date.now();
      const ids = Array.from({ length: o.workers }, (_, i) => `w${i + 1}`);
      const workers = await Promise.all(
        ids.map((id) =>
          startProcess(['src/cli/main.ts', 'worker'], { ...env, WORKER_ID: id }, /(worker) running/),
        ),
      );
      procs.push(...workers);
      // Loading TypeScript and opening the store is not dispatch: CPU counts from here.
      const cpuAtReady = workers.map((w) => cpuSeconds(w.child.pid!));
      const cpu = new Map<string, number>();
      const rss = new Map<string, number>();
      let kill:
        | {
            at: number;
            victim: string;
            survivor: string;
            accepted: number;
            inFlight?: number;
            settledAt?: number;
          }
        | undefined;
      const deadline = Date.now() + 600_000;
      const busy = async () => {
        own++;
        if ((await countLeft(store.db)) > 0) return true;
        if (!o.webhooks) return false;
        own++;
        return (await pendingWebhooks(store.db)) > 0;
      };
      // Counting what is left reads an index of every queued row: once a second is enough.
      for (let i = 0; i % 10 !== 0 || (await busy()); i++) {
        if (Date.now() > deadline) throw new Error(`${o.label}: messages still unsettled after 10 minutes`);
        const s = monitor.last();
        const accepted = s.accepted.reduce((a, b) => a + b, 0);
        if (o.kill && !kill && accepted >= total / 3) {
          const held = ids.map((id) => [...s.holders.values()].filter((h) => h === id).length);
          const v = held.indexOf(Math.max(...held));
          const victim = workers[v]!;
          cpu.set(ids[v]!, cpuSeconds(victim.child.pid!) - cpuAtReady[v]!);
          rss.set(ids[v]!, victim.peakRssMb());
          victim.child.kill('SIGKILL');
          kill = { at: Date.now(), victim: ids[v]!, survivor: ids[1 - v]!, accepted };
          log(
            `${o.label}: kill -9 ${kill.victim} (holding ${held[v]} of ${o.numbers.length} accounts) at ${fmt(accepted)} accepted`,
          );
        }
        if (kill && kill.settledAt === undefined && i % 10 === 0) {
          own++;
          const n = await victimDoubts(store.db, kill.victim);
          kill.inFlight ??= n;
          if (n === 0) kill.settledAt = Date.now();
        }
        await sleep(100);
      }
      const settledAt = Date.now();
      // Nothing is sending or unconfirmed any more: the dead worker's doubts too, by now at the latest.
      if (kill) kill.settledAt ??= settledAt;
      await monitor.stop();
      const names = o.numbers.map((n) => n.name);
      const sends = await sandboxSends(sandbox.url);
      const atMeta = new Map<string, number>();
      for (const n of o.numbers)
        for (const [id, c] of Object.entries(await callbackData(sandbox.url, n))) atMeta.set(id, c);
      const rows = await store.db.selectFrom('messages').select(['id', 'status']).execute();
      own++;
      for (const [i, w] of workers.entries())
        if (!cpu.has(ids[i]!)) cpu.set(ids[i]!, cpuSeconds(w.child.pid!) - cpuAtReady[i]!);
      const workerRssMb = workers.map((w, i) => rss.get(ids[i]!) ?? w.peakRssMb());
      for (const w of workers) await w.stop();
      await sleep(1_500);
      const writes = writesPerMessage(writesBefore, await tableWrites(store.db), total);
      own++;
      const commitsPerMessage = ((await commits(store.db)) - commitsBefore - own - monitor.queries) / total;

      const first = Math.min(...sends.map((s) => s.first_accepted_ms ?? Infinity));
      const last = Math.max(...sends.map((s) => s.last_accepted_ms ?? 0));
      const acceptedAtMeta = sends.reduce((a, s) => a + s.accepted, 0);
      const fair = fairness(monitor.samples, names, o.perNumber, kill?.at);
      const result: PhaseResult = {
        label: o.label,
        workers: o.workers,
        webhooks: o.webhooks,
        messages: total,
        intakeRate,
        totalRate: (acceptedAtMeta * 1000) / (last - first),
        durationMs: settledAt - t,
        fairness: fair,
        sandbox: sends,
        leases: leaseSplit(monitor.samples, fair, t, kill?.at ?? settledAt),
        verdict: verdict(rows, atMeta),
        intakeWrites,
        writes,
        peakConnections: Math.max(...monitor.samples.map((x) => x.connections)),
        commitsPerMessage,
        workerCpuUsPerMessage: ([...cpu.values()].reduce((a, b) => a + b, 0) * 1e6) / acceptedAtMeta,
        postgresCpuUsPerMessage: (monitor.backendCpuSeconds() * 1e6) / acceptedAtMeta,
        workerRssMb,
        series: monitor.samples
          .filter((_, i) => i % 10 === 0)
          .map((x) => ({ ms: x.t - t, accepted: x.accepted, holders: Object.fromEntries(x.holders) })),
      };
      if (kill) {
        result.takeover = {
          victim: kill.victim,
          survivor: kill.survivor,
          acceptedAtKill: kill.accepted,
          accounts: takeovers(monitor.samples, names, kill.at, kill.victim, kill.survivor),
          unprovenAfterKill: kill.inFlight ?? 0,
          doubtsSettledMs: kill.settledAt === undefined ? null : kill.settledAt - kill.at,
        };
      }
      return result;
    } finally {
      await store.db.destroy();
    }
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
}

/** Every number's messages through POST /v1/messages, interleaved, 64 in flight. */
async function queue(apiUrl: string, numbers: BenchNumber[], perNumber: number): Promise<void> {
  const pool = new Pool(apiUrl, { connections: 64 });
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  try {
    await drive(numbers.length * perNumber, 64, async (i) => {
      const k = Math.floor(i / numbers.length);
      const res = await pool.request({
        method: 'POST',
        path: '/v1/messages',
        headers,
        body: JSON.stringify({
          account_id: numbers[i % numbers.length]!.name,
          to: `+1 650 555 ${String(k % 10_000).padStart(4, '0')}`,
          template: {
            name: 'appointment_reminder',
            language: 'es_AR',
            body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
            buttons: [{ payload: `CONFIRM:${i}` }, { payload: `CANCEL:${i}` }],
          },
        }),
      });
      if (res.statusCode !== 202) throw new Error(`API answered ${res.statusCode}: ${await res.body.text()}`);
      await res.body.dump();
    });
  } finally {
    await pool.close();
  }
}

async function countLeft(db: Kysely<Database>): Promise<number> {
  const r = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', LEFT)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The sends a dead worker left in flight that are neither proven nor decided yet. */
async function victimDoubts(db: Kysely<Database>, workerId: string): Promise<number> {
  const r = await db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['sending', 'unconfirmed'])
    .where('locked_by', '=', workerId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function pendingWebhooks(db: Kysely<Database>): Promise<number> {
  const r = await db
    .selectFrom('webhook_inbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function callbackData(sandboxUrl: string, n: BenchNumber): Promise<Record<string, number>> {
  const res = await request(`${sandboxUrl}/_sandbox/accounts/${n.phoneNumberId}/sends`);
  if (res.statusCode !== 200) throw new Error(`GET sends of ${n.name} answered ${res.statusCode}`);
  return ((await res.body.json()) as { callback_data: Record<string, number> }).callback_data;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function log(s: string): void {
  process.stderr.write(`  ${s}\n`);
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * The bench's own connection, named, so that the monitor can leave its backends out of
 * PostgreSQL's CPU and connection counts.
 */
function benchConnection(url: string): { db: Kysely<Database> } {
  const pool = new pg.Pool({ connectionString: url, max: 3, application_name: BENCH_APP });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
}
