/**
 * A BullMQ worker in its own process, as a Node developer would deploy one beside Redis: each job
 * posts its template send to the sandbox and completes with Meta's message id as its return
 * value, which BullMQ keeps in Redis with the completed job.
 * Env: SANDBOX_URL, POOL_CONNECTIONS, BULLMQ_CONCURRENCY, REDIS_URL, BULLMQ_PREFIX, BULLMQ_QUEUE.
 */
import { type Job, Worker } from 'bullmq';
import { Pool } from 'undici';
import { redisConnection } from './redis';
import { envNumber, envString, postTemplate, type TemplateSend } from './template-send';

const pool = new Pool(envString('SANDBOX_URL'), { connections: envNumber('POOL_CONNECTIONS') });
const worker = new Worker(
  envString('BULLMQ_QUEUE'),
  async (job: Job<TemplateSend>) => ({ message_id: await postTemplate(pool, job.data) }),
  {
    connection: redisConnection(envString('REDIS_URL')),
    prefix: envString('BULLMQ_PREFIX'),
    concurrency: envNumber('BULLMQ_CONCURRENCY'),
  },
);
worker.on('error', (err) => process.stderr.write(`bullmq worker: ${err.message}\n`));
await worker.waitUntilReady();
process.stdout.write('READY bullmq\n');

process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => pool.close())
    .then(() => process.exit(0));
});
