/**
 * `npm run bench:profile`: where a Recontact process spends its CPU on the hot paths. Runs API
 * intake (a `serve --no-dispatch` process), then dispatch (a `worker` process) of N template
 * sends to the sandbox, then 3 × N status webhooks received and applied (a `serve` process), each Recontact process under `node --cpu-prof`, and prints the top costs
 * by self time, grouped by what they are (SQLite, PostgreSQL driver, undici and sockets, Kysely,
 * JSON, Fastify, our code). The raw .cpuprofile files stay in the printed folder for Chrome's
 * DevTools. Env: BENCH_MESSAGES (20000), BENCH_DIALECTS (sqlite).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/database';
import { bareLoop } from './bare-loop';
import {
  nothingLeft,
  postMessages,
  postStatusWebhooks,
  statusBodies,
  waitForDispatch,
  waitUntil,
} from './phases-core';
import { type Proc, startProcess } from './procs';
import { freshDatabase, recontactEnv } from './recontact-env';

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const DIALECTS = (process.env.BENCH_DIALECTS ?? 'sqlite').split(',');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** What a frame belongs to, by its file: the groups the README names. */
function groupOf(url: string, fn: string): string {
  if (url.includes('better-sqlite3')) return 'SQLite (better-sqlite3)';
  if (url.includes('/pg') || url.includes('pg-protocol') || url.includes('pg-pool'))
    return 'PostgreSQL driver';
  if (url.includes('undici')) return 'undici';
  // better-sqlite3's native work shows as the self time of the JS frame that calls it.
  if (url.includes('kysely') && url.includes('sqlite-driver') && fn === 'executeQuery')
    return 'SQLite statements (native)';
  if (url.includes('kysely')) return 'Kysely (query building, compiling)';
  if (url.includes('fastify') || url.includes('find-my-way') || url.includes('avvio')) return 'Fastify';
  if (url.includes('zod')) return 'zod (request validation)';
  if (url.includes('pino') || url.includes('sonic-boom')) return 'logging';
  // Our code: the sources under tsx, or the bundle that `npm start` and the benches run.
  if (url.includes('/src/') || url.includes('/dist/recontact.mjs')) return 'Recontact';
  if (fn === '(garbage collector)') return 'garbage collection';
  if (fn === '(program)' || fn === '(idle)') return fn;
  if (url === '' || url.startsWith('node:')) {
    if (/JSON|stringify|parse/.test(fn)) return 'JSON';
    if (/write|writev|read|onStreamRead|Socket|TCP|afterWrite/i.test(fn)) return 'sockets (node)';
    return 'node internals';
  }
  return 'other dependencies';
}

type Window = { from: bigint; to: bigint };

/** Now on the clock V8 stamps profile samples with (CLOCK_MONOTONIC, µs), shared by every process. */
const monotonicUs = () => process.hrtime.bigint() / 1000n;

function summarize(p: CpuProfile, window: Window) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Only the samples taken while the work ran: start-up (loading TypeScript) is not the hot path.
  let at = BigInt(p.startTime);
  for (let i = 0; i < p.samples.length; i++) {
    const delta = p.timeDeltas[i] ?? 0;
    at += BigInt(delta);
    if (at < window.from || at > window.to) continue;
    const id = p.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    total += us;
    const g = groupOf(url, functionName);
    groups.set(g, (groups.get(g) ?? 0) + us);
    const short = url.replace(/^.*\/(node_modules|src)\//, '$1/');
    const key = `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const top = [...fns].sort((a, b) => b[1] - a[1]).slice(0, 25);
  return { total, groups, top };
}

function print(title: string, dir: string, messages: number, window: Window): void {
  // One profile per thread: the main thread's is the one that worked while we measured (the
  // others are tsx's loader thread).
  const s = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarize(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, window))
    .sort((a, b) => b.total - a.total)[0];
  if (s) {
    process.stdout.write(
      `\n## ${title}: ${(s.total / 1000).toFixed(0)} ms of CPU (not idle), ${(s.total / messages).toFixed(0)} µs per message\n\n`,
    );
    process.stdout.write('| group | share | µs per message |\n|---|---|---|\n');
    for (const [g, us] of [...s.groups].sort((a, b) => b[1] - a[1])) {
      process.stdout.write(
        `| ${g} | ${((100 * us) / s.total).toFixed(1)} % | ${(us / messages).toFixed(1)} |\n`,
      );
    }
    process.stdout.write('\ntop functions by self time:\n');
    for (const [k, us] of s.top) {
      process.stdout.write(`  ${((100 * us) / s.total).toFixed(1).padStart(5)} %  ${k}\n`);
    }
  }
}

for (const dialect of DIALECTS) {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-profile-'));
  const sandbox = await startProcess(
    ['bench/sandbox-process.ts'],
    { BENCH_STATUS_WEBHOOKS: '0' },
    /READY (\S+)/,
  );
  const procs: Proc[] = [];
  try {
    const bare = await bareLoop(sandbox.url, Math.min(N, 10_000));
    const db = await freshDatabase(dialect, dir, 'recontact_profile');
    const env = recontactEnv(sandbox.url, db, bare.concurrency);
    const intakeDir = join(dir, 'intake');
    const api = await startProcess(
      ['src/cli/main.ts', 'serve', '--no-dispatch'],
      env,
      /listening on (http:\/\/\S+)/,
      ['--cpu-prof', `--cpu-prof-dir=${intakeDir}`],
    );
    procs.push(api);
    const intake = { from: monotonicUs(), to: 0n };
    await postMessages(api.url, N);
    intake.to = monotonicUs();
    await api.stop();
    const dispatchDir = join(dir, 'dispatch');
    const worker = await startProcess(['src/cli/main.ts', 'worker'], env, /(worker) running/, [
      '--cpu-prof',
      `--cpu-prof-dir=${dispatchDir}`,
    ]);
    procs.push(worker);
    const store = await openStore({ url: db });
    const dispatch = { from: monotonicUs(), to: 0n };
    await waitForDispatch(store, N);
    dispatch.to = monotonicUs();
    await worker.stop();
    // Status webhooks (sent, delivered, read for each message) into a fresh API process:
    // acknowledged after a durable write, then applied to the messages.
    const rows = await store.db
      .selectFrom('messages')
      .select(['id', 'provider_message_id'])
      .orderBy('id')
      .execute();
    const bodies = statusBodies(rows);
    const hooksDir = join(dir, 'webhooks');
    const hooksApi = await startProcess(
      ['src/cli/main.ts', 'serve', '--no-dispatch'],
      env,
      /listening on (http:\/\/\S+)/,
      ['--cpu-prof', `--cpu-prof-dir=${hooksDir}`],
    );
    procs.push(hooksApi);
    const hooks = { from: monotonicUs(), to: 0n };
    await postStatusWebhooks(hooksApi.url, bodies);
    await waitUntil(() => nothingLeft(store, 'webhooks'), 'webhook processing');
    hooks.to = monotonicUs();
    await hooksApi.stop();
    await store.close();
    process.stdout.write(`\n# ${dialect}, ${N} messages (profiles in ${dir})\n`);
    print('API intake (serve --no-dispatch)', intakeDir, N, intake);
    print('dispatch (worker)', dispatchDir, N, dispatch);
    print('status webhooks, received and applied (serve --no-dispatch), per event', hooksDir, 3 * N, hooks);
  } finally {
    for (const p of procs) await p.stop();
    await sandbox.stop();
  }
}
