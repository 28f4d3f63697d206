/**
 * A pg-boss 10 worker in its own process, as a Node developer would deploy one beside
 * PostgreSQL: `work()` fetches batches of jobs; each job posts its template send to the sandbox
 * and is completed with Meta's message id as its output. pg-boss stores an output per job only
 * through `complete(name, id, output)` (a batch handler's return value is dropped when the batch
 * holds more than one job), so each job is completed on its own as its answer arrives.
 * Env: SANDBOX_URL, POOL_CONNECTIONS, PGBOSS_URL, PGBOSS_QUEUE, PGBOSS_WORKERS, PGBOSS_BATCH,
 * PGBOSS_POLL_MS, PGBOSS_POOL_MAX.
 */
import PgBoss from 'pg-boss';
import { Pool } from 'undici';
import { drive } from '../bare-loop';
import { envNumber, envString, postTemplate, type TemplateSend } from './template-send';

const connections = envNumber('POOL_CONNECTIONS');
const workers = envNumber('PGBOSS_WORKERS');
const queue = envString('PGBOSS_QUEUE');
const pool = new Pool(envString('SANDBOX_URL'), { connections });
const boss = new PgBoss({
  connectionString: envString('PGBOSS_URL'),
  max: envNumber('PGBOSS_POOL_MAX'),
  // The bench process created the schema and the queue; this process only works.
  migrate: false,
  supervise: false,
  schedule: false,
});
boss.on('error', (err) => process.stderr.write(`pg-boss worker: ${err.message}\n`));
await boss.start();

// The sandbox sees the same number of requests in flight as from the bare loop, split among the
// workers (each a fetch loop of its own).
const inFlight = Math.ceil(connections / workers);
const options = {
  batchSize: envNumber('PGBOSS_BATCH'),
  pollingIntervalSeconds: envNumber('PGBOSS_POLL_MS') / 1000,
};
for (let w = 0; w < workers; w++) {
  await boss.work<TemplateSend>(queue, options, async (jobs) => {
    await drive(jobs.length, Math.min(inFlight, jobs.length), async (i) => {
      const job = jobs[i]!;
      const messageId = await postTemplate(pool, job.data);
      await boss.complete(queue, job.id, { message_id: messageId });
    });
  });
}
process.stdout.write('READY pg-boss\n');

process.on('SIGTERM', () => {
  void boss
    .stop({ graceful: false, wait: true })
    .then(() => pool.close())
    .then(() => process.exit(0));
});
