/**
 * Campaign figures (part of `npm run bench`, or alone: `node --import tsx bench/campaign.ts`).
 * For each database, against the sandbox in its own process and Recontact (`serve`) in another:
 *   (1) a BENCH_CAMPAIGN_RECIPIENTS (100,000) campaign at the account's pace (100,000/s, above
 *       what the machine can do): the launch call (the audience materialised into recipient
 *       rows), the dispatch rate (first to last acceptance, timed by the database), the time
 *       from launch to `completed`, Recontact's peak RSS, and the CPU per message sent of the
 *       Recontact process (all its threads, launch included) and of the sandbox's (the same work
 *       in every run, so the ratio of the two says more than a rate on a busy machine); beside
 *       the bare undici loop of the same run (bench/run.ts passes its figure; alone, this file
 *       measures one);
 *   (2) a BENCH_CAMPAIGN_MILLION (1,000,000) recipient campaign scheduled for tomorrow, so it is
 *       materialised and counted but nothing is sent: the launch, GET /v1/campaigns/{id} (the
 *       counts), and the peak RSS of a Recontact process that did only that.
 * The contact book is bench/audience-count.ts's (3% opted out, 5% within the marketing cap),
 * written straight into the store: the import has its own bench. Prints figures, asserts nothing.
 * Env: BENCH_CAMPAIGN_RECIPIENTS, BENCH_CAMPAIGN_MILLION (0 skips), BENCH_DIALECTS, BENCH_PG_URL;
 * BENCH_CPU_PROF=1 writes a CPU profile of each Recontact process to $TMPDIR/prof-campaign.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { request } from 'undici';
import { bulkInsertContacts } from '../src/store/contact-book-repo';
import { openStore, type Store } from '../src/store/database';
import { generate } from './audience-count';
import { bareLoop } from './bare-loop';
import { cpuSeconds, type Proc, startProcess } from './procs';
import { API_KEY, freshDatabase, recontactEnv } from './recontact-env';

const RECIPIENTS = Number(process.env.BENCH_CAMPAIGN_RECIPIENTS ?? 100_000);
const MILLION = Number(process.env.BENCH_CAMPAIGN_MILLION ?? 1_000_000);

export interface Bare {
  rate: number;
  concurrency: number;
}

export interface CampaignRun {
  dialect: string;
  bare: Bare;
  recipients: number;
  excluded: number;
  launchMs: number;
  dispatch: number;
  endToEndS: number;
  rssMb: number;
  /** CPU per message sent, launch to completed: Recontact's process (runner and dispatcher) and the sandbox's. */
  cpuUs: number;
  sandboxCpuUs: number;
}

export interface MillionRun {
  dialect: string;
  recipients: number;
  launchMs: number;
  countMs: number;
  rssMb: number;
}

type Json = Record<string, any>;

async function api(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Json> {
  const res = await request(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headersTimeout: 600_000,
    bodyTimeout: 600_000,
  });
  const json = (await res.body.json()) as Json;
  if (res.statusCode >= 300)
    throw new Error(`${method} ${path} answered ${res.statusCode}: ${JSON.stringify(json)}`);
  return json;
}

/** Everyone in the book; the seed's discount offer, personalised by name and plan. */
const definition = (name: string, schedule?: Record<string, unknown>) => ({
  name,
  template: {
    name: 'taxi_discount',
    language: 'es_AR',
    header: { image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } },
    body: [
      { field: 'first_name', default: 'cliente' },
      { attribute: 'plan', default: '10%' },
    ],
    buttons: [null, null, { url_suffix: 'taxi10' }, { coupon_code: 'TAXI10' }],
  },
  audience: { all: true },
  metadata: { offer: 'taxi10' },
  ...(schedule ? { schedule } : {}),
});

/** Recontact (`serve`) on a fresh database holding `n` contacts, its templates pulled. */
async function prepare(
  dialect: string,
  dir: string,
  name: string,
  sandboxUrl: string,
  concurrency: number,
  n: number,
): Promise<{ serve: Proc; store: Store }> {
  const url = await freshDatabase(dialect, dir, name);
  // BENCH_CPU_PROF=1: where the Recontact process spends its time, written when it stops.
  const prof =
    process.env.BENCH_CPU_PROF === '1'
      ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'prof-campaign')}`]
      : [];
  const serve = await startProcess(
    ['src/cli/main.ts', 'serve'],
    // Without Meta's credentials set, Recontact assumes the starting messaging limit (250).
    {
      ...recontactEnv(sandboxUrl, url, concurrency),
      MESSAGING_LIMIT: 'unlimited',
    },
    /listening on (http:\/\/\S+)/,
    prof,
  );
  const store = await openStore({ url, pgPoolSize: 2, pgStatementTimeoutMs: 600_000 });
  const t0 = performance.now();
  for (const batch of generate(n, Date.now())) {
    await bulkInsertContacts(
      store.db,
      batch.map((c) => ({ ...c, accountId: 'acc_default' })),
    );
  }
  await sql`ANALYZE`.execute(store.db);
  log(`${dialect}: ${fmt(n)} contacts written in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  await api(serve.url, 'POST', '/v1/templates/pull');
  return { serve, store };
}

export async function benchCampaign(dialect: string, bareGiven?: Bare): Promise<CampaignRun> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-bench-campaign-'));
  const sandbox = await startProcess(
    ['bench/sandbox-process.ts'],
    { BENCH_STATUS_WEBHOOKS: '0' },
    /READY (\S+)/,
  );
  let serve: Proc | undefined;
  let store: Store | undefined;
  try {
    const bare = bareGiven ?? (await bareLoop(sandbox.url, 20_000));
    ({ serve, store } = await prepare(
      dialect,
      dir,
      'recontact_bench_campaign',
      sandbox.url,
      bare.concurrency,
      RECIPIENTS,
    ));
    const { id } = await api(serve.url, 'POST', '/v1/campaigns', definition('bench 100k'));
    const cpu0 = { recontact: cpuSeconds(serve.child.pid!), sandbox: cpuSeconds(sandbox.child.pid!) };
    const t0 = performance.now();
    const launched = await api(serve.url, 'POST', `/v1/campaigns/${id}/launch`);
    const launchMs = performance.now() - t0;
    log(`${dialect}: launch (materialise ${fmt(launched.counts.recipients)}) ${launchMs.toFixed(0)} ms`);
    // Polled from the campaigns row, not the API: the counts a GET computes are not what is timed.
    for (;;) {
      const row = await store.db
        .selectFrom('campaigns')
        .select('state')
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      if (row.state === 'completed') break;
      if (row.state !== 'running' && row.state !== 'scheduled') throw new Error(`campaign ${row.state}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const endToEndS = (performance.now() - t0) / 1000;
    const cpu1 = { recontact: cpuSeconds(serve.child.pid!), sandbox: cpuSeconds(sandbox.child.pid!) };
    const span = await store.db
      .selectFrom('messages')
      .select((eb) => [
        eb.fn.min('accepted_at').as('first'),
        eb.fn.max('accepted_at').as('last'),
        eb.fn.countAll<number>().as('n'),
      ])
      .where('campaign_id', '=', id)
      .where('status', '=', 'accepted')
      .executeTakeFirstOrThrow();
    const sent = Number(span.n);
    const dispatch = (sent - 1) / ((Number(span.last) - Number(span.first)) / 1000);
    const final = await api(serve.url, 'GET', `/v1/campaigns/${id}`);
    const cpuUs = ((cpu1.recontact - cpu0.recontact) * 1e6) / sent;
    const sandboxCpuUs = ((cpu1.sandbox - cpu0.sandbox) * 1e6) / sent;
    log(
      `${dialect}: ${fmt(sent)} sent at ${fmt(dispatch)} msg/s; completed ${endToEndS.toFixed(1)} s after launch; CPU per message: Recontact ${fmt(cpuUs)} µs (launch included), sandbox ${fmt(sandboxCpuUs)} µs`,
    );
    return {
      dialect,
      bare,
      recipients: final.counts.recipients,
      excluded: final.counts.excluded,
      launchMs,
      dispatch,
      endToEndS,
      rssMb: serve.peakRssMb(),
      cpuUs,
      sandboxCpuUs,
    };
  } finally {
    await store?.close();
    await serve?.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchMillion(dialect: string): Promise<MillionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-bench-million-'));
  const sandbox = await startProcess(
    ['bench/sandbox-process.ts'],
    { BENCH_STATUS_WEBHOOKS: '0' },
    /READY (\S+)/,
  );
  let serve: Proc | undefined;
  let store: Store | undefined;
  try {
    ({ serve, store } = await prepare(dialect, dir, 'recontact_bench_million', sandbox.url, 64, MILLION));
    const tomorrow = new Date(Date.now() + 24 * 3600_000).toISOString();
    const { id } = await api(serve.url, 'POST', '/v1/campaigns', definition('bench 1M', { at: tomorrow }));
    let t = performance.now();
    const launched = await api(serve.url, 'POST', `/v1/campaigns/${id}/launch`);
    const launchMs = performance.now() - t;
    if (launched.state !== 'scheduled') throw new Error(`expected scheduled, got ${launched.state}`);
    t = performance.now();
    const got = await api(serve.url, 'GET', `/v1/campaigns/${id}`);
    const countMs = performance.now() - t;
    log(
      `${dialect}: 1M launch ${launchMs.toFixed(0)} ms, count ${countMs.toFixed(0)} ms (${fmt(got.counts.recipients)} recipients, ${fmt(got.counts.excluded)} excluded)`,
    );
    return { dialect, recipients: got.counts.recipients, launchMs, countMs, rssMb: serve.peakRssMb() };
  } finally {
    await store?.close();
    await serve?.stop();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function printCampaignFigures(runs: CampaignRun[], millions: MillionRun[]): void {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  process.stdout.write(
    `\nCampaigns — machine: ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, load average ${load}\n\n`,
  );
  process.stdout.write(
    '| database | recipients (excluded) | launch: materialise | dispatch | bare undici loop | dispatch / bare | launch → completed | CPU per message: Recontact / sandbox | peak RSS Recontact |\n|---|---|---|---|---|---|---|---|---|\n',
  );
  for (const r of runs) {
    process.stdout.write(
      `| ${r.dialect} | ${fmt(r.recipients)} (${fmt(r.excluded)}) | ${r.launchMs.toFixed(0)} ms | ${fmt(r.dispatch)} msg/s | ${fmt(r.bare.rate)} msg/s (${r.bare.concurrency} in flight) | ${(r.dispatch / r.bare.rate).toFixed(2)} | ${r.endToEndS.toFixed(1)} s | ${fmt(r.cpuUs)} / ${fmt(r.sandboxCpuUs)} µs | ${fmt(r.rssMb)} MB |\n`,
    );
  }
  if (millions.length) {
    process.stdout.write(
      '\n| database | recipients materialised, nothing sent | launch | GET counts | peak RSS Recontact |\n|---|---|---|---|---|\n',
    );
    for (const m of millions) {
      process.stdout.write(
        `| ${m.dialect} | ${fmt(m.recipients)} | ${(m.launchMs / 1000).toFixed(1)} s | ${m.countMs.toFixed(0)} ms | ${fmt(m.rssMb)} MB |\n`,
      );
    }
  }
}

/** `bares`: the bare loop measured earlier in the same run, by database; else measured here. */
export async function runCampaignBench(
  dialects: string[],
  bares: Map<string, Bare> = new Map(),
): Promise<void> {
  const runs: CampaignRun[] = [];
  const millions: MillionRun[] = [];
  for (const d of dialects) {
    process.stdout.write(`campaign of ${fmt(RECIPIENTS)} on ${d}…\n`);
    runs.push(await benchCampaign(d, bares.get(d)));
  }
  if (MILLION > 0) {
    for (const d of dialects) {
      process.stdout.write(`campaign of ${fmt(MILLION)} materialised and counted on ${d}…\n`);
      millions.push(await benchMillion(d));
    }
  }
  printCampaignFigures(runs, millions);
}

function log(s: string) {
  process.stderr.write(`  ${s}\n`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

if (import.meta.url === `file://${process.argv[1]}`) {
  await runCampaignBench((process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(','));
}
