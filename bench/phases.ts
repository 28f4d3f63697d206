/**
 * Bench phases more than one bench runs, each a function of the sandbox it sends to.
 * recontactDispatch is run.ts's (b1) + (b2): N template sends accepted by the API of a fresh
 * Recontact, then dispatched by a `worker` process, every one durably recorded as accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Pool } from 'undici';
import { openStore, type Store } from '../src/store/database';
import { drive } from './bare-loop';
import {
  BENCH_APPLICATION,
  type CpuSource,
  cpuSnapshot,
  cpuSpent,
  pgDatabaseCpu,
  processCpu,
} from './peers/cpu';
import { type Proc, startProcess } from './procs';
import { API_KEY, freshDatabase, recontactEnv } from './recontact-env';

export interface DispatchFigures {
  /** Sends accepted by the API per second, each durable before its 202. */
  intake: number;
  /** Sends accepted by Meta per second, first acceptance to last, as the database stamped them. */
  dispatch: number;
  /** Peak RSS of the worker process, MB. */
  workerRssMb: number;
  /**
   * CPU per message, µs, while the worker dispatched: the worker and the API process beside it
   * (whose loops take their share of the work: events, timers), and PostgreSQL's backends.
   */
  cpuUs: { worker: number; store: number };
}

/**
 * Fresh database (PostgreSQL database `recontact_bench_dispatch`, or a SQLite file in a temporary
 * directory), `serve --no-dispatch` for the intake, then a `worker` process for the dispatch; the
 * API process stays up while the worker runs, as it would in production.
 */
export async function recontactDispatch(
  dialect: string,
  sandboxUrl: string,
  n: number,
  concurrency: number,
): Promise<DispatchFigures> {
  if (dialect !== 'sqlite' && dialect !== 'postgres') {
    throw new Error(`dialect must be sqlite or postgres, got "${dialect}"`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'recontact-bench-dispatch-'));
  const procs: Proc[] = [];
  let store: Store | undefined;
  try {
    const database = 'recontact_bench_dispatch';
    const url = await freshDatabase(dialect, dir, database);
    const env = recontactEnv(sandboxUrl, url, concurrency);
    const api = await startProcess(
      ['src/cli/main.ts', 'serve', '--no-dispatch'],
      env,
      /listening on (http:\/\/\S+)/,
    );
    procs.push(api);
    // The bench's own connection is named, so that PostgreSQL's CPU is counted without its polls.
    store = await openStore({ url: dialect === 'postgres' ? named(url, BENCH_APPLICATION) : url });
    const t = performance.now();
    await postMessages(api.url, n);
    const intake = n / ((performance.now() - t) / 1000);

    const worker = await startProcess(['src/cli/main.ts', 'worker'], env, /(worker) running/);
    procs.push(worker);
    const cpuSources: CpuSource[] = [
      processCpu('worker', worker.child.pid!),
      processCpu('api', api.child.pid!),
    ];
    if (dialect === 'postgres') cpuSources.push(pgDatabaseCpu(database));
    const cpuBefore = await cpuSnapshot(cpuSources);
    const s = store;
    await waitUntil(() => nothingLeftToDispatch(s), 'dispatch');
    const cpuAfter = await cpuSnapshot(cpuSources);
    const accepted = await countAccepted(store);
    if (accepted !== n) throw new Error(`expected ${n} messages accepted or later, found ${accepted}`);
    // From the first acceptance to the last: process start-up (loading TypeScript, opening the
    // store) is not dispatch.
    const span = await store.db
      .selectFrom('messages')
      .select((eb) => [eb.fn.min('accepted_at').as('first'), eb.fn.max('accepted_at').as('last')])
      .executeTakeFirstOrThrow();
    const dispatch = (n - 1) / ((Number(span.last) - Number(span.first)) / 1000);
    const perMessage = (prefix: string) => (cpuSpent(cpuBefore, cpuAfter, prefix) / n) * 1e6;
    return {
      intake,
      dispatch,
      workerRssMb: worker.peakRssMb(),
      cpuUs: { worker: perMessage('worker') + perMessage('api'), store: perMessage('postgres') },
    };
  } finally {
    await store?.close();
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function named(url: string, applicationName: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', applicationName);
  return u.toString();
}

/** Posts N template sends to the API with 64 in flight; resolves when all were acknowledged (202). */
export async function postMessages(url: string, n: number): Promise<void> {
  const api = new Pool(url, { connections: 64 });
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  await drive(n, 64, async (i) => {
    const res = await api.request({
      method: 'POST',
      path: '/v1/messages',
      headers,
      body: JSON.stringify({
        to: `+1 650 555 ${String(i % 10_000).padStart(4, '0')}`,
        template: {
          name: 'appointment_reminder',
          language: 'es_AR',
          body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
          buttons: [{ payload: `CONFIRM:${i}` }, { payload: `CANCEL:${i}` }],
        },
        metadata: { i },
      }),
    });
    if (res.statusCode !== 202) throw new Error(`API answered ${res.statusCode}: ${await res.body.text()}`);
    await res.body.dump();
  });
  await api.close();
}

/**
 * Polling competes with the processes under test for the two cores: a few times a second is
 * enough, since every rate is read from the stored completion times, not from when a poll noticed.
 */
export async function waitUntil(probe: () => Promise<boolean>, what: string, ms = 600_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Polled while the worker runs, so it must be cheap: each count reads only a partial index
 * (literal statuses let SQLite use it), never the whole table.
 */
async function nothingLeftToDispatch(store: Store): Promise<boolean> {
  const r = await sql<{ n: number }>`SELECT (SELECT COUNT(*) FROM messages WHERE status = 'queued')
      + (SELECT COUNT(*) FROM messages WHERE status = 'sending')
      + (SELECT COUNT(*) FROM messages WHERE status = 'unconfirmed') AS n`.execute(store.db);
  return Number(r.rows[0]?.n) === 0;
}

async function countAccepted(store: Store): Promise<number> {
  const r = await store.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['accepted', 'sent', 'delivered', 'read'])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
