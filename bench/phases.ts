/**
 * Bench phases more than one bench runs, each a function of the sandbox it sends to.
 * recontactDispatch is run.ts's (b1) + (b2): N template sends accepted by the API of a fresh
 * Recontact, then dispatched by a `worker` process, every one durably recorded as accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../src/store/database';
import {
  BENCH_APPLICATION,
  type CpuSource,
  cpuSnapshot,
  cpuSpent,
  pgDatabaseCpu,
  processCpu,
} from './peers/cpu';
import { nothingLeft, postMessages, waitUntil as waitUntilEvery } from './phases-core';
import { type Proc, startProcess } from './procs';
import { freshDatabase, recontactEnv } from './recontact-env';

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
    await waitUntil(() => nothingLeft(s, 'dispatch'), 'dispatch');
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

/**
 * Polling competes with the processes under test for the two cores: a few times a second is
 * enough, since every rate is read from the stored completion times, not from when a poll noticed.
 */
export const waitUntil = (probe: () => Promise<boolean>, what: string, ms = 600_000) =>
  waitUntilEvery(probe, what, ms, 200);

async function countAccepted(store: Store): Promise<number> {
  const r = await store.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['accepted', 'sent', 'delivered', 'read'])
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
