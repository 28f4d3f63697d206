/**
 * `npm run bench:peers`: Recontact's dispatch beside the queues a Node developer would use
 * instead, doing the same work against the same sandbox process in the same run. Prints figures,
 * asserts nothing.
 *   1. the bare undici loop (bench/bare-loop.ts): its best number in flight is everyone's;
 *   2. BullMQ on Redis (bullmq.ts), at each worker concurrency tried; then, for the reading only,
 *      at the best of them on a private Redis that fsyncs every write (durable-redis.ts);
 *   3. pg-boss 10 on PostgreSQL (pg-boss.ts), at each batch setting tried;
 *   4. Recontact's dispatch (bench/phases.ts) on each database;
 *   5. the bare loop again, to show how much the machine or the filling sandbox drifted.
 * Each queue gets N jobs whose data is the template send, then a worker process of its own posts
 * each to the sandbox and records the job done with Meta's message id; the rate runs from the
 * first completion to the last, as stamped by the store (enqueueing and start-up left out).
 * Env: BENCH_MESSAGES (20000), BENCH_PEERS (bullmq,pg-boss), BENCH_DIALECTS (postgres,sqlite),
 * BENCH_PG_URL, BENCH_REDIS_URL. `--json FILE` also writes the figures as JSON.
 */
import { loadavg } from 'node:os';
import { bareLoop } from '../bare-loop';
import { type DispatchFigures, recontactDispatch } from '../phases';
import { startProcess } from '../procs';
import { assertBullmqCanConnect, runBullmq } from './bullmq';
import { startDurableRedis } from './durable-redis';
import { bestOf, type PeerRun } from './peer';
import { type PgBossSettings, runPgBoss } from './pg-boss';
import { fmt, type PeersFigures, printTable, writeJson } from './report';

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
if (!Number.isInteger(N) || N < 2) throw new Error(`BENCH_MESSAGES must be an integer ≥ 2, got ${N}`);
const PEERS = list('BENCH_PEERS', 'bullmq,pg-boss', ['bullmq', 'pg-boss']);
const DIALECTS = list('BENCH_DIALECTS', 'postgres,sqlite', ['postgres', 'sqlite']);
const jsonFile = parseArgs(process.argv.slice(2));
if (PEERS.includes('bullmq')) assertBullmqCanConnect();

/** BullMQ worker concurrency, as multiples of the bare loop's best number in flight. */
const BULLMQ_CONCURRENCY = [1, 2, 4];
/**
 * pg-boss `work()` settings tried. A job's output can only be stored by completing it on its own,
 * so one commit per job bounds pg-boss whatever the batch; the batches are big enough that no
 * fetch loop sleeps out its polling interval (it does after a batch that took under 400 ms), and
 * the connection pool grows with the loops so their completions do not queue for a connection.
 */
const PGBOSS_SETTINGS: PgBossSettings[] = [
  { workers: 1, batchSize: 1_000, pollMs: 500, poolMax: 10 },
  { workers: 2, batchSize: 500, pollMs: 500, poolMax: 20 },
  { workers: 4, batchSize: 250, pollMs: 500, poolMax: 40 },
];

const started = new Date();
const load = loadavg()[0]!;
const sandbox = await startProcess(
  ['bench/sandbox-process.ts'],
  { BENCH_STATUS_WEBHOOKS: '0' },
  /READY (\S+)/,
);
try {
  process.stdout.write(`peers bench: ${N} template sends each, sandbox at ${sandbox.url}\n`);
  const bare = await bareLoop(sandbox.url, N);
  const c = bare.concurrency;
  log(`bare loop ${fmt(bare.rate)} msg/s at ${c} in flight`);

  const bullmq: PeerRun[] = [];
  let bullmqDurable: PeerRun | undefined;
  if (PEERS.includes('bullmq')) {
    let bestConcurrency = c;
    for (const k of BULLMQ_CONCURRENCY) {
      const run = await runBullmq(sandbox.url, N, c, k * c);
      if (!bullmq.length || run.rate > bestOf(bullmq).rate) bestConcurrency = k * c;
      bullmq.push(run);
      log(`BullMQ ${run.settings}: ${fmt(run.rate)} msg/s`);
    }
    // For the reading only, not a contender: the shared Redis keeps nothing on disk.
    const redis = await startDurableRedis();
    if (redis) {
      try {
        bullmqDurable = await runBullmq(sandbox.url, N, c, bestConcurrency, redis.url);
        log(`BullMQ ${bullmqDurable.settings}, Redis fsyncing every write: ${fmt(bullmqDurable.rate)} msg/s`);
      } finally {
        await redis.stop();
      }
    } else {
      log('no redis-server on this machine: BullMQ on a durable Redis skipped');
    }
  }
  const pgboss: PeerRun[] = [];
  if (PEERS.includes('pg-boss')) {
    for (const s of PGBOSS_SETTINGS) {
      pgboss.push(await runPgBoss(sandbox.url, N, c, s));
      log(`pg-boss ${pgboss.at(-1)!.settings}: ${fmt(pgboss.at(-1)!.rate)} msg/s`);
    }
  }
  const recontact: Record<string, DispatchFigures> = {};
  for (const d of DIALECTS) {
    recontact[d] = await recontactDispatch(d, sandbox.url, N, c);
    log(`Recontact dispatch on ${d}: ${fmt(recontact[d].dispatch)} msg/s`);
  }
  const bareAgain = await bareLoop(sandbox.url, N);
  log(`bare loop again ${fmt(bareAgain.rate)} msg/s at ${bareAgain.concurrency} in flight`);

  const figures: PeersFigures = {
    started,
    loadAverage: load,
    messages: N,
    bare,
    bareAgain,
    bullmq,
    bullmqDurable,
    pgboss,
    recontact,
  };
  printTable(figures);
  if (jsonFile) {
    writeJson(jsonFile, figures);
    process.stdout.write(`figures written to ${jsonFile}\n`);
  }
} finally {
  await sandbox.stop();
}

function parseArgs(args: string[]): string | undefined {
  if (args.length === 0) return undefined;
  if (args[0] === '--json' && args.length === 2 && args[1]) return args[1];
  throw new Error(`usage: npm run bench:peers [-- --json FILE]; got "${args.join(' ')}"`);
}

function list(name: string, fallback: string, allowed: string[]): string[] {
  const items = (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = items.filter((i) => !allowed.includes(i));
  if (bad.length) throw new Error(`${name}: unknown ${bad.join(', ')} (known: ${allowed.join(', ')})`);
  return items;
}

function log(s: string) {
  process.stderr.write(`  ${s}\n`);
}
