/**
 * pg-boss's phase: N template sends inserted as jobs into a database of their own, then completed
 * by a pg-boss worker process (pg-boss-worker.ts) that posts each to the sandbox; every job is
 * kept in PostgreSQL, completed, with Meta's id as its output.
 */
import PgBoss from 'pg-boss';
import { waitUntil } from '../phases';
import { startProcess } from '../procs';
import { freshDatabase } from '../recontact-env';
import { BENCH_APPLICATION, cpuSnapshot, cpuSpent, pgDatabaseCpu, processCpu } from './cpu';
import { type PeerRun, spanRate } from './peer';
import { templateSend } from './template-send';

/** Dropped and created again for every run: no other bench or test uses it. */
const DATABASE = 'recontact_bench_pgboss';
const QUEUE = 'sends';

export interface PgBossSettings {
  /** `work()` registrations, each its own fetch loop. */
  workers: number;
  batchSize: number;
  /** pg-boss waits this long after a fetch, less the time its batch took (500 ms at least). */
  pollMs: number;
  /** PostgreSQL connections of the worker's pool. */
  poolMax: number;
}

export const describePgBoss = (s: PgBossSettings) =>
  `${s.workers} × work(), batchSize ${s.batchSize}, polling ${s.pollMs} ms, ${s.poolMax} connections`;

export async function runPgBoss(
  sandboxUrl: string,
  n: number,
  poolConnections: number,
  settings: PgBossSettings,
): Promise<PeerRun> {
  const url = await freshDatabase('postgres', '', DATABASE);
  const boss = new PgBoss({
    connectionString: url,
    application_name: BENCH_APPLICATION,
    max: 4,
    supervise: false,
    schedule: false,
  });
  boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));
  await boss.start();
  try {
    await boss.createQueue(QUEUE);
    const t = performance.now();
    for (let i = 0; i < n; i += 1_000) {
      const chunk = Array.from({ length: Math.min(1_000, n - i) }, (_, k) => ({
        name: QUEUE,
        data: templateSend(i + k),
      }));
      await boss.insert(chunk);
    }
    const enqueueRate = n / ((performance.now() - t) / 1000);

    const worker = await startProcess(
      ['bench/peers/pg-boss-worker.ts'],
      {
        SANDBOX_URL: sandboxUrl,
        POOL_CONNECTIONS: String(poolConnections),
        PGBOSS_URL: url,
        PGBOSS_QUEUE: QUEUE,
        PGBOSS_WORKERS: String(settings.workers),
        PGBOSS_BATCH: String(settings.batchSize),
        PGBOSS_POLL_MS: String(settings.pollMs),
        PGBOSS_POOL_MAX: String(settings.poolMax),
      },
      /READY (pg-boss)/,
    );
    const cpuSources = [processCpu('worker', worker.child.pid!), pgDatabaseCpu(DATABASE)];
    const cpuBefore = await cpuSnapshot(cpuSources);
    try {
      const db = boss.getDb();
      await waitUntil(async () => {
        const { rows } = await db.executeSql(
          `SELECT count(*) FILTER (WHERE state = 'completed') AS completed,
                  count(*) FILTER (WHERE state = 'failed') AS failed
             FROM pgboss.job WHERE name = $1`,
          [QUEUE],
        );
        if (Number(rows[0].failed)) throw new Error(`pg-boss: ${rows[0].failed} jobs failed`);
        return Number(rows[0].completed) === n;
      }, 'pg-boss jobs');
      const cpuAfter = await cpuSnapshot(cpuSources);
      // Proof that each job holds its own Meta id, and the completion times PostgreSQL stamped.
      const { rows } = await db.executeSql(
        `SELECT count(*) AS jobs, count(DISTINCT output->>'message_id') AS ids,
                extract(epoch FROM min(completed_on)) * 1000 AS first,
                extract(epoch FROM max(completed_on)) * 1000 AS last
           FROM pgboss.job WHERE name = $1 AND state = 'completed'`,
        [QUEUE],
      );
      const r = rows[0];
      if (Number(r.jobs) !== n || Number(r.ids) !== n) {
        throw new Error(`pg-boss kept ${r.jobs} completed jobs with ${r.ids} distinct Meta ids, for ${n}`);
      }
      return {
        settings: describePgBoss(settings),
        rate: spanRate(n, Number(r.first), Number(r.last)),
        enqueueRate,
        workerRssMb: worker.peakRssMb(),
        cpuUs: {
          worker: (cpuSpent(cpuBefore, cpuAfter, 'worker') / n) * 1e6,
          store: (cpuSpent(cpuBefore, cpuAfter, 'postgres') / n) * 1e6,
        },
      };
    } finally {
      await worker.stop();
    }
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}
