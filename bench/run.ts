/**
 * `npm run bench`: prints figures, asserts nothing. For each database:
 *   (a) a bare undici loop posting template sends straight to the sandbox — the physical limit;
 *       run again right after Recontact's dispatch (a'), since a shared machine's speed drifts
 *       by a fifth or more within minutes, and the dispatch is also compared with the mean of
 *       the two;
 *   (b) N template messages accepted by Recontact's API and dispatched to the same sandbox,
 *       end to end, every one durably recorded as accepted;
 *   (c) status webhooks (sent, delivered, read for each message) posted signed to Recontact,
 *       acknowledged after a durable write and applied to the messages.
 * Each of sandbox, Recontact and this client runs in its own process, as in production.
 * Every figure is of warm processes, as the bare loop's is (it posts 2,000 sends before its
 * clock starts): each Recontact phase first handles BENCH_WARMUP (2,000) messages of its own,
 * untimed, so V8's compilation of the hot paths is not counted against Recontact alone.
 * Then campaigns (bench/campaign.ts: 100,000 recipients sent, 1,000,000 materialised), the CSV
 * contact import (bench/contact-import.ts: rows/s and peak RSS for 1,000,000 rows), and what SQLite alone costs for the same rows (bench/sqlite-floor.ts).
 * Before the campaigns, the least any durable sender writes beside the bare loop (bench/dispatch-floor.ts).
 * Env: BENCH_MESSAGES (20000), BENCH_WARMUP (2000), BENCH_DIALECTS (sqlite,postgres), BENCH_PG_URL, BENCH_IMPORT_ROWS,
 * BENCH_CAMPAIGN (0 skips), BENCH_CAMPAIGN_RECIPIENTS, BENCH_CAMPAIGN_MILLION, BENCH_FLOOR (0 skips).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { SANDBOX_ACCOUNT } from '../src/embedded-sandbox';
import { openStore } from '../src/store/database';
import { parseScrape, sampleValue } from '../test/e2e/metrics-text';
import { runAudienceBench } from './audience-count';
import { bareLoop, bareLoopAt, drive } from './bare-loop';
import {
  countStatus,
  DONE,
  expectAll as expectAllOf,
  nothingLeft,
  postMessages as postN,
  postStatusWebhooks,
  statusBodies,
  waitUntil,
} from './phases-core';
import { cpuSeconds, type Proc, peakRss, postgresCpuSeconds, startProcess } from './procs';
import { API_KEY, freshDatabase, recontactEnv, recontactInFlight } from './recontact-env';

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
/** Messages each phase handles before its clock starts (the bare loop warms up with as many). */
const WARM = Number(process.env.BENCH_WARMUP ?? 2_000);
const DIALECTS = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',');
/** The counter the worker's /metrics serves of the time its event loop ran code. */
const BUSY = 'recontact_event_loop_busy_seconds_total';

interface Row {
  dialect: string;
  bare: { rate: number; concurrency: number };
  /**
   * The bare loop again right after the dispatch, at the same number in flight: a shared
   * machine's speed drifts by a fifth or more within minutes, so the dispatch is also compared
   * with the mean of the two loops around it.
   */
  bareAfter: number;
  intake: number;
  dispatch: number;
  /**
   * CPU per message: the dispatching worker and the bare loop's own client; the sandbox's in
   * each; PostgreSQL's server processes during dispatch (NaN on SQLite).
   */
  dispatchCpuUs: number;
  bareCpuUs: number;
  dispatchSandboxCpuUs: number;
  bareSandboxCpuUs: number;
  dispatchDatabaseCpuUs: number;
  /** The share of the dispatch's time the worker's event loop was running code (1: saturated). */
  dispatchLoopBusy: number;
  endToEnd: number;
  endToEndHogged: number;
  webhookAck: number;
  webhookApplied: number;
  /** CPU per status event, from the first webhook posted to the last applied: API process, PostgreSQL's server. */
  webhookCpuUs: number;
  webhookDatabaseCpuUs: number;
  ackP50: number;
  ackP99: number;
  steadyP50: number;
  steadyP99: number;
  rssRecontact: number;
  rssSandbox: number;
}

async function benchDialect(dialect: string): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-bench-'));
  // PostgreSQL's server processes share the machine; SQLite has none (NaN, and so are its figures).
  const databaseCpu = () => (dialect === 'postgres' ? postgresCpuSeconds() : Number.NaN);
  const sandbox = await startProcess(
    ['bench/sandbox-process.ts'],
    { BENCH_STATUS_WEBHOOKS: '0' },
    /READY (\S+)/,
  );
  const procs: Proc[] = [];
  const serve = async (env: Record<string, string>, extra: string[] = []) => {
    const p = await startProcess(['src/cli/main.ts', 'serve', ...extra], env, /listening on (http:\/\/\S+)/);
    procs.push(p);
    return p;
  };
  try {
    const bare = await bareLoop(sandbox.url, N, sandbox.child.pid);
    log(
      `(a) ${fmt(bare.rate)} msg/s at ${bare.concurrency} in flight (Recontact gets ${recontactInFlight(bare.concurrency)})`,
    );

    // (b1) intake alone, then (b2) dispatch alone by a worker process, on one database.
    const db1 = await freshDatabase(dialect, dir, 'recontact_bench');
    const env1 = recontactEnv(sandbox.url, db1, bare.concurrency);
    const api1 = await serve(env1, ['--no-dispatch']);
    const store = await openStore({ url: db1 });
    await postN(api1.url, WARM);
    let t = performance.now();
    const intakeFrom = {
      api: cpuSeconds(api1.child.pid!),
      database: databaseCpu(),
      client: process.cpuUsage(),
    };
    await postN(api1.url, N);
    const intake = N / ((performance.now() - t) / 1000);
    // The three share two cores: what each took says where an intake rate goes.
    const intakeClient = process.cpuUsage(intakeFrom.client);
    log(
      `(b1) API intake ${fmt(intake)} msg/s; CPU per message: API ${fmt(((cpuSeconds(api1.child.pid!) - intakeFrom.api) * 1e6) / N)} µs, this client ${fmt((intakeClient.user + intakeClient.system) / N)} µs${
        dialect === 'postgres'
          ? `, PostgreSQL server ${fmt(((databaseCpu() - intakeFrom.database) * 1e6) / N)} µs`
          : ''
      }`,
    );
    // With its metrics listener: how busy its event loop was says whether the worker's one
    // thread, or what it waits on (the database, the sandbox), limits the dispatch.
    const worker = await startProcess(
      ['src/cli/main.ts', 'worker'],
      { ...env1, METRICS_PORT: '0' },
      /Metrics:\s+(http:\/\/\S+)\/metrics/,
    );
    procs.push(worker);
    // The worker's CPU and rate after its first WARM acceptances (start-up and V8's compilation
    // are not dispatch), to the last.
    await waitUntil(async () => (await countStatus(store, DONE)) >= Math.max(1, WARM), 'the warm-up');
    const from = {
      cpu: cpuSeconds(worker.child.pid!),
      sandbox: cpuSeconds(sandbox.child.pid!),
      database: databaseCpu(),
      accepted: await countStatus(store, DONE),
      loopBusy: await loopBusySeconds(worker.url),
      at: performance.now(),
    };
    await waitUntil(() => nothingLeft(store, 'dispatch'), 'dispatch');
    const total = N + WARM;
    const perMessage = (seconds: number) => (seconds * 1e6) / (total - from.accepted);
    const dispatchCpuUs = perMessage(cpuSeconds(worker.child.pid!) - from.cpu);
    const dispatchSandboxCpuUs = perMessage(cpuSeconds(sandbox.child.pid!) - from.sandbox);
    // The store's own connection stays open meanwhile; the count above is its last statement.
    const dispatchDatabaseCpuUs = perMessage(databaseCpu() - from.database);
    const dispatchLoopBusy =
      ((await loopBusySeconds(worker.url)) - from.loopBusy) / ((performance.now() - from.at) / 1000);
    await expectAllOf(store, total, DONE);
    // Timed by the database itself, from the acceptance the CPU count started at to the last.
    const acceptedAt = (
      await store.db.selectFrom('messages').select('accepted_at').orderBy('accepted_at').execute()
    ).map((r) => Number(r.accepted_at));
    const dispatch =
      (total - from.accepted - 1) / ((acceptedAt[total - 1]! - acceptedAt[from.accepted]!) / 1000);
    log(
      `(b2) dispatch ${fmt(dispatch)} msg/s; CPU per message: worker ${fmt(dispatchCpuUs)} µs, bare loop client ${fmt(bare.cpuUsPerMsg)} µs`,
    );
    log(
      `     sandbox ${fmt(dispatchSandboxCpuUs)} µs (in the bare loop ${fmt(bare.sandboxCpuUsPerMsg)} µs)${
        dialect === 'postgres' ? `, PostgreSQL server ${fmt(dispatchDatabaseCpuUs)} µs` : ''
      }; the worker's event loop busy ${Math.round(dispatchLoopBusy * 100)} % of the time`,
    );
    const rssWorker = worker.peakRssMb();
    await worker.stop();
    const bareAfter = (await bareLoopAt(sandbox.url, N, bare.concurrency)).rate;
    const bracketed = dispatch / ((bare.rate + bareAfter) / 2);
    const equalSpeed = atEqualSpeed(dispatch / bare.rate, dispatchSandboxCpuUs, bare.sandboxCpuUsPerMsg);
    log(
      `(a') the bare loop again, right after: ${fmt(bareAfter)} msg/s; (b2) ÷ the mean of (a) and (a') ${bracketed.toFixed(2)}; ÷ (a) at about equal machine speed ${equalSpeed.toFixed(2)}`,
    );

    // (c) status webhooks into the API process, as Meta batches them: several statuses a body, signed.
    // The first WARM messages' statuses warm the process up, untimed.
    const rows = await store.db
      .selectFrom('messages')
      .select(['id', 'provider_message_id'])
      .orderBy('id')
      .execute();
    await postStatusWebhooks(api1.url, statusBodies(rows.slice(0, WARM)));
    await waitUntil(() => nothingLeft(store, 'webhooks'), 'the warm-up webhooks');
    const bodies = statusBodies(rows.slice(WARM));
    const hooks = new Pool(api1.url, { connections: 32 });
    const hooksFrom = {
      api: cpuSeconds(api1.child.pid!),
      database: databaseCpu(),
    };
    t = performance.now();
    const lat = await drive(bodies.length, 32, async (i) => {
      const body = bodies[i]!;
      const sig = createHmac('sha256', SANDBOX_ACCOUNT.appSecret).update(body).digest('hex');
      const res = await hooks.request({
        method: 'POST',
        path: '/webhooks/whatsapp',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${sig}` },
        body,
      });
      if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
      await res.body.dump();
    });
    const webhookAck = (3 * N) / ((performance.now() - t) / 1000);
    await waitUntil(() => nothingLeft(store, 'webhooks'), 'webhook processing');
    const webhookApplied = (3 * N) / ((performance.now() - t) / 1000);
    // Both roles of the API process (acknowledging, applying) and, on PostgreSQL, its server.
    const perEvent = (seconds: number) => (seconds * 1e6) / (3 * N);
    const webhookCpuUs = perEvent(cpuSeconds(api1.child.pid!) - hooksFrom.api);
    const webhookDatabaseCpuUs = perEvent(databaseCpu() - hooksFrom.database);
    await expectAllOf(store, total, ['read']);
    log(`(c) webhooks ${fmt(webhookAck)} events/s acknowledged, ${fmt(webhookApplied)} applied`);
    log(
      `    CPU per event: API ${fmt(webhookCpuUs)} µs${dialect === 'postgres' ? `, PostgreSQL server ${fmt(webhookDatabaseCpuUs)} µs` : ''}`,
    );
    const steady = await ackLatencyAtRate(hooks, bodies, TARGET_EVENTS_PER_S / 10, 5);
    log(
      `(c2) at ${fmt(TARGET_EVENTS_PER_S)} events/s: ack p50 ${steady.p50.toFixed(1)} ms, p99 ${steady.p99.toFixed(1)} ms`,
    );
    await hooks.close();
    lat.sort((a, b) => a - b);
    const rssApi = api1.peakRssMb();
    await store.close();

    // (b) end to end: one process takes the API calls and dispatches at the same time; then the
    // same beside two CPU hogs (a busy laptop, a shared CI runner).
    const e2e = await endToEndRun(dialect, dir, 'recontact_bench_e2e', sandbox.url, bare.concurrency, serve);
    const endToEnd = e2e.rate;
    log(`(b) end to end ${fmt(endToEnd)} msg/s`);
    const hogs = startHogs(2);
    let endToEndHogged: number;
    try {
      endToEndHogged = (
        await endToEndRun(dialect, dir, 'recontact_bench_e2e_hogs', sandbox.url, bare.concurrency, serve)
      ).rate;
    } finally {
      stopHogs(hogs);
    }
    log(`(b') end to end beside two CPU hogs ${fmt(endToEndHogged)} msg/s`);
    log(
      `peak RSS: API (intake, webhooks) ${fmt(rssApi)} MB, worker ${fmt(rssWorker)} MB, end to end ${fmt(e2e.rssMb)} MB`,
    );
    return {
      dialect,
      bare,
      bareAfter,
      intake,
      dispatch,
      dispatchCpuUs,
      bareCpuUs: bare.cpuUsPerMsg,
      dispatchSandboxCpuUs,
      bareSandboxCpuUs: bare.sandboxCpuUsPerMsg,
      dispatchDatabaseCpuUs,
      dispatchLoopBusy,
      endToEnd,
      endToEndHogged,
      webhookAck,
      webhookApplied,
      webhookCpuUs,
      webhookDatabaseCpuUs,
      ackP50: lat[Math.floor(lat.length * 0.5)]!,
      ackP99: lat[Math.floor(lat.length * 0.99)]!,
      steadyP50: steady.p50,
      steadyP99: steady.p99,
      rssRecontact: Math.max(rssApi, rssWorker, e2e.rssMb),
      rssSandbox: sandbox.peakRssMb(),
    };
  } finally {
    for (const p of procs) await p.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** N sends posted to one `serve` process that also dispatches them; messages/s, end to end. */
async function endToEndRun(
  dialect: string,
  dir: string,
  name: string,
  sandboxUrl: string,
  concurrency: number,
  serve: (env: Record<string, string>) => Promise<Proc>,
): Promise<{ rate: number; rssMb: number }> {
  const db = await freshDatabase(dialect, dir, name);
  const both = await serve(recontactEnv(sandboxUrl, db, concurrency));
  const store = await openStore({ url: db });
  try {
    await postN(both.url, WARM);
    await waitUntil(() => nothingLeft(store, 'dispatch'), 'the warm-up');
    const t = performance.now();
    await postN(both.url, N);
    await waitUntil(() => nothingLeft(store, 'dispatch'), 'end-to-end dispatch');
    const rate = N / ((performance.now() - t) / 1000);
    await expectAllOf(store, N + WARM, DONE);
    return { rate, rssMb: both.peakRssMb() };
  } finally {
    await store.close();
    await both.stop();
  }
}

/** Busy loops in processes of their own, as the issue's "two CPU hogs beside it". */
function startHogs(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));
}

function stopHogs(hogs: ChildProcess[]): void {
  for (const h of hogs) h.kill('SIGKILL');
}

/** DESIGN.md's ingestion target: the rate at which acknowledgement latency is judged. */
const TARGET_EVENTS_PER_S = 5_000;

/**
 * Open-loop load: bodies leave on a fixed schedule whatever the answers do, and each latency
 * counts from the scheduled time, so falling behind shows up as latency (no coordinated
 * omission). The bodies are re-deliveries of statuses already applied, as Meta's retries are:
 * the acknowledgement path (verify, parse, store) is the same.
 */
async function ackLatencyAtRate(pool: Pool, bodies: string[], perSecond: number, seconds: number) {
  const total = Math.min(bodies.length, Math.round(perSecond * seconds));
  const start = performance.now() + 20;
  const lat: number[] = [];
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = bodies[i]!;
    const sig = createHmac('sha256', SANDBOX_ACCOUNT.appSecret).update(body).digest('hex');
    inflight.push(
      pool
        .request({
          method: 'POST',
          path: '/webhooks/whatsapp',
          headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${sig}` },
          body,
        })
        .then(async (res) => {
          await res.body.dump();
          if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
          lat.push(performance.now() - due);
        }),
    );
  }
  await Promise.all(inflight);
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length * 0.5)]!, p99: lat[Math.floor(lat.length * 0.99)]! };
}

function log(s: string) {
  process.stderr.write(`  ${s}\n`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const results: Row[] = [];
for (const d of DIALECTS) {
  process.stdout.write(`running ${d} with ${N} messages…\n`);
  results.push(await benchDialect(d));
}
const cpu = cpus()[0]?.model ?? 'unknown CPU';
process.stdout.write(
  `\nMachine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${N} messages\n\n`,
);
process.stdout.write(
  '| database | (a) bare undici → sandbox | (b2) dispatch, durable | (b2)/(a) (÷ mean of (a) and (a′), the loop again right after) | (b1) API intake, durable | (b) API + dispatch in one process, end to end (beside two CPU hogs) | (c) status webhooks acknowledged / applied | webhook ack p50 / p99 at saturation (32 in flight) | webhook ack p50 / p99 at 5,000 events/s | peak RSS Recontact / sandbox |\n',
);
process.stdout.write('|---|---|---|---|---|---|---|---|---|---|\n');
for (const r of results) {
  process.stdout.write(
    `| ${r.dialect} | ${fmt(r.bare.rate)} msg/s (${r.bare.concurrency} in flight) | ${fmt(r.dispatch)} msg/s | ${(r.dispatch / r.bare.rate).toFixed(2)} (${(r.dispatch / ((r.bare.rate + r.bareAfter) / 2)).toFixed(2)}) | ${fmt(r.intake)} msg/s | ${fmt(r.endToEnd)} (${fmt(r.endToEndHogged)}) msg/s | ${fmt(r.webhookAck)} / ${fmt(r.webhookApplied)} events/s | ${r.ackP50.toFixed(1)} / ${r.ackP99.toFixed(1)} ms | ${r.steadyP50.toFixed(1)} / ${r.steadyP99.toFixed(1)} ms | ${fmt(r.rssRecontact)} / ${fmt(r.rssSandbox)} MB |\n`,
  );
}
process.stdout.write(`\nbench client peak RSS ${fmt(peakRss(process.pid))} MB\n`);

/**
 * The dispatch's ratio to the bare loop as if the machine had run both at one speed, printed as a
 * diagnostic beside the measured ratio. On a shared machine the same work costs more CPU in one
 * minute than the next (the sandbox's CPU per message ranged 79–148 µs in eight identical bare
 * loops in a row here), and a rate limited by one thread moves with it. The sandbox's CPU per
 * message in each phase measures that speed, so the ratio is scaled by how much slower the
 * machine was during the dispatch. An estimate, and a little generous: a sandbox that is not
 * saturated does slightly more work per message (1–7 % more at 6,000 msg/s than at full speed,
 * up to 20 % at 4,000, measured here), which this counts as the machine being slower.
 */
function atEqualSpeed(ratio: number, sandboxUsDuringDispatch: number, sandboxUsInBareLoop: number): number {
  return ratio * (sandboxUsDuringDispatch / sandboxUsInBareLoop);
}

/** The worker's BUSY counter, scraped from its metrics listener. */
async function loopBusySeconds(metricsBase: string): Promise<number> {
  const res = await request(`${metricsBase}/metrics`, { headers: { authorization: `Bearer ${API_KEY}` } });
  const text = await res.body.text();
  const busy = res.statusCode === 200 ? sampleValue(parseScrape(text), BUSY) : undefined;
  if (busy === undefined)
    throw new Error(
      `the worker's /metrics answered ${res.statusCode} without ${BUSY}: ${text.slice(0, 200)}`,
    );
  return busy;
}

// `--json FILE`: the headline figures, messages or events per second (RSS in MB).
const jsonAt = process.argv.indexOf('--json');
if (jsonAt !== -1) {
  const file = process.argv[jsonAt + 1];
  if (!file) throw new Error('--json needs a file name: npm run bench -- --json figures.json');
  const figures: Record<string, unknown> = {};
  for (const r of results) {
    figures[r.dialect] = {
      bare: Math.round(r.bare.rate),
      bare_after: Math.round(r.bareAfter),
      dispatch: Math.round(r.dispatch),
      dispatch_cpu_us_per_message: Math.round(r.dispatchCpuUs),
      bare_cpu_us_per_message: Math.round(r.bareCpuUs),
      dispatch_sandbox_cpu_us_per_message: Math.round(r.dispatchSandboxCpuUs),
      bare_sandbox_cpu_us_per_message: Math.round(r.bareSandboxCpuUs),
      ...(r.dialect === 'postgres'
        ? { dispatch_database_cpu_us_per_message: Math.round(r.dispatchDatabaseCpuUs) }
        : {}),
      dispatch_event_loop_busy: Number(r.dispatchLoopBusy.toFixed(2)),
      intake: Math.round(r.intake),
      end_to_end: Math.round(r.endToEnd),
      end_to_end_with_two_hogs: Math.round(r.endToEndHogged),
      webhooks_acknowledged: Math.round(r.webhookAck),
      webhooks_applied: Math.round(r.webhookApplied),
      webhook_cpu_us_per_event: Math.round(r.webhookCpuUs),
      ...(r.dialect === 'postgres'
        ? { webhook_database_cpu_us_per_event: Math.round(r.webhookDatabaseCpuUs) }
        : {}),
      webhook_ack_p99_ms_at_5000_per_s: Number(r.steadyP99.toFixed(1)),
      rss_mb: Math.round(r.rssRecontact),
    };
  }
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
  process.stdout.write(`figures written to ${file}\n`);
}

// The least any durable sender writes, with the bare loop's own client (bench/dispatch-floor.ts):
// the ceiling of a dispatcher that records each message here. BENCH_FLOOR=0 skips it.
if (DIALECTS.includes('sqlite') && process.env.BENCH_FLOOR !== '0') {
  const { benchDispatchFloor, printDispatchFloorFigures } = await import('./dispatch-floor');
  printDispatchFloorFigures(await benchDispatchFloor());
}

// Campaigns (bench/campaign.ts): 100,000 recipients sent beside the bare loop measured above, and
// 1,000,000 materialised and counted. BENCH_CAMPAIGN=0 skips them.
if (process.env.BENCH_CAMPAIGN !== '0') {
  const { runCampaignBench } = await import('./campaign');
  await runCampaignBench(DIALECTS, new Map(results.map((r) => [r.dialect, r.bare])));
}

// The CSV contact import: 1,000,000 generated rows, beside a bare csv-parse of the same file.
// BENCH_IMPORT=0 skips it.
if (process.env.BENCH_IMPORT !== '0') {
  const { benchContactImport, printImportFigures } = await import('./contact-import');
  process.stdout.write('\nrunning the CSV contact import…\n');
  printImportFigures(await benchContactImport(DIALECTS));
  // What SQLite alone costs for those rows (bench/sqlite-floor.ts): the ceiling of any import.
  if (DIALECTS.includes('sqlite')) {
    const { benchSqliteFloor, printFloorFigures } = await import('./sqlite-floor');
    printFloorFigures(await benchSqliteFloor());
  }
}

// Audience counts on 1,000,000 contacts (bench/audience-count.ts); BENCH_AUDIENCE=0 skips them.
if (process.env.BENCH_AUDIENCE !== '0') await runAudienceBench();
