/**
 * BullMQ's phase: N template sends enqueued into Redis, then completed by a BullMQ worker process
 * (bullmq-worker.ts) that posts each to the sandbox; every completed job is kept with Meta's id.
 */
import { createRequire } from 'node:module';
import { Queue } from 'bullmq';
import { waitUntil } from '../phases';
import { startProcess } from '../procs';
import { cpuSnapshot, cpuSpent, processCpu, redisCpu } from './cpu';
import { type PeerRun, spanRate } from './peer';
import { REDIS_URL, redisConnection } from './redis';
import { templateSend } from './template-send';

/** Every key this bench writes starts with it, so flushing never touches anyone else's. */
const PREFIX = 'recontact-bench-peers';
const QUEUE = 'sends';

/**
 * BullMQ 6 reaches Redis through ioredis, an optional peer dependency it loads only when a queue
 * opens; without it every phase before would have run for nothing, so the bench asks first.
 */
export function assertBullmqCanConnect(): void {
  try {
    createRequire(import.meta.url).resolve('ioredis');
  } catch {
    throw new Error(
      'BullMQ 6 needs ioredis (an optional peer dependency) to reach Redis, and it is not installed: ' +
        'add it as a dev dependency, or run with BENCH_PEERS=pg-boss',
    );
  }
}

export async function runBullmq(
  sandboxUrl: string,
  n: number,
  poolConnections: number,
  workerConcurrency: number,
  redisUrl = REDIS_URL,
): Promise<PeerRun> {
  const queue = new Queue(QUEUE, { connection: redisConnection(redisUrl), prefix: PREFIX });
  try {
    await flush(queue);
    const t = performance.now();
    for (let i = 0; i < n; i += 1_000) {
      const chunk = Array.from({ length: Math.min(1_000, n - i) }, (_, k) => ({
        name: 'send',
        data: templateSend(i + k),
      }));
      await queue.addBulk(chunk);
    }
    const enqueueRate = n / ((performance.now() - t) / 1000);

    const worker = await startProcess(
      ['bench/peers/bullmq-worker.ts'],
      {
        SANDBOX_URL: sandboxUrl,
        POOL_CONNECTIONS: String(poolConnections),
        BULLMQ_CONCURRENCY: String(workerConcurrency),
        REDIS_URL: redisUrl,
        BULLMQ_PREFIX: PREFIX,
        BULLMQ_QUEUE: QUEUE,
      },
      /READY (bullmq)/,
    );
    const client = await queue.getBackend().client;
    const cpuSources = [processCpu('worker', worker.child.pid!), redisCpu(() => client.info())];
    const cpuBefore = await cpuSnapshot(cpuSources);
    try {
      await waitUntil(async () => {
        const c = await queue.getJobCounts('completed', 'failed');
        if (c.failed) {
          const [job] = await queue.getFailed(0, 0);
          throw new Error(`BullMQ: ${c.failed} jobs failed, the first with: ${job?.failedReason}`);
        }
        return c.completed === n;
      }, 'BullMQ jobs');
      const cpuAfter = await cpuSnapshot(cpuSources);
      const { first, last } = await completions(queue, n);
      return {
        settings: `concurrency ${workerConcurrency}`,
        rate: spanRate(n, first, last),
        enqueueRate,
        workerRssMb: worker.peakRssMb(),
        cpuUs: {
          worker: (cpuSpent(cpuBefore, cpuAfter, 'worker') / n) * 1e6,
          store: (cpuSpent(cpuBefore, cpuAfter, 'redis') / n) * 1e6,
        },
      };
    } finally {
      await worker.stop();
    }
  } finally {
    await flush(queue);
    await queue.close();
  }
}

/** Proves every job completed with its own Meta id, and returns the first and last finish times. */
async function completions(queue: Queue, n: number): Promise<{ first: number; last: number }> {
  const jobs = await queue.getJobs(['completed'], 0, -1);
  const ids = new Set<string>();
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const job of jobs) {
    const id = (job.returnvalue as { message_id?: string } | null)?.message_id;
    if (id) ids.add(id);
    first = Math.min(first, job.finishedOn ?? Number.POSITIVE_INFINITY);
    last = Math.max(last, job.finishedOn ?? 0);
  }
  if (jobs.length !== n || ids.size !== n) {
    throw new Error(`BullMQ kept ${jobs.length} completed jobs with ${ids.size} distinct Meta ids, for ${n}`);
  }
  return { first, last };
}

/** Deletes this bench's keys only (SCAN by prefix), never the rest of a shared Redis. */
async function flush(queue: Queue): Promise<void> {
  const client = await queue.getBackend().client;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, { MATCH: `${PREFIX}:*`, COUNT: 1000 });
    if (keys.length) await client.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}
