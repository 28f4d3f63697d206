/**
 * `npm run bench:scale`: many numbers across worker processes, on PostgreSQL. Prints figures,
 * asserts nothing (but says when a message was lost or sent twice).
 *
 * A sandbox with 8 WhatsApp numbers at Meta's 1,000 msg/s each (130429 beyond it), Recontact with
 * the same 8 accounts in a recontact.config.yaml, 8 × 5,000 template sends queued through the API
 * before any worker starts, then:
 *   phase 1  one worker process drains them;
 *   phase 2  two worker processes, started together;
 *   phase 3  two workers again, and the one holding the most accounts is killed with SIGKILL a
 *            third of the way through: how long until its leases moved to the other worker and
 *            its numbers were sending again, and what became of the sends it had in flight.
 * Each phase on a fresh database and a fresh sandbox. The sandbox counts, per number, what it
 * accepted, what it refused for throughput, its busiest second and every message id
 * (biz_opaque_callback_data) it accepted more than once (GET /_sandbox/sends). In phase 3 the
 * sandbox also sends each message's `sent` status to the API process, as Meta would: the proof
 * that settles a send whose answer died with the worker.
 *
 * Env: BENCH_SCALE_PER_NUMBER (5000), BENCH_SCALE_NUMBERS (8), BENCH_SCALE_PHASES (1,2,3),
 * BENCH_SCALE_WEBHOOKS (3: the phases with `sent` statuses; "" none), BENCH_PG_URL; DISPATCH_LEASE_MS (10000 here),
 * DISPATCH_RECOVERY_GRACE_MS (5000 here), DISPATCH_IN_DOUBT (fail) are passed to Recontact.
 * `--json FILE` writes the figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchNumbers, NUMBER_MPS } from './scale/numbers';
import { fmt, log, type PhaseResult, runPhase } from './scale/phase';
import type { TableWrites } from './scale/resources';

const PER_NUMBER = positive('BENCH_SCALE_PER_NUMBER', 5_000);
const NUMBERS = positive('BENCH_SCALE_NUMBERS', 8);
const PHASES = (process.env.BENCH_SCALE_PHASES ?? '1,2,3').split(',').map((p) => p.trim());
const WEBHOOKS = (process.env.BENCH_SCALE_WEBHOOKS ?? '3')
  .split(',')
  .map((p) => p.trim())
  .filter(Boolean);
// Short enough that a killed worker's sends settle within the run; README: what the defaults do.
const DISPATCH = {
  DISPATCH_LEASE_MS: process.env.DISPATCH_LEASE_MS ?? '10000',
  DISPATCH_RECOVERY_GRACE_MS: process.env.DISPATCH_RECOVERY_GRACE_MS ?? '5000',
  DISPATCH_IN_DOUBT: process.env.DISPATCH_IN_DOUBT ?? 'fail',
};
const jsonAt = process.argv.indexOf('--json');
const JSON_FILE = jsonAt === -1 ? undefined : process.argv[jsonAt + 1];
if (jsonAt !== -1 && !JSON_FILE) throw new Error('--json needs a file name: --json figures.json');
for (const [name, list] of [
  ['BENCH_SCALE_PHASES', PHASES],
  ['BENCH_SCALE_WEBHOOKS', WEBHOOKS],
] as const)
  for (const p of list)
    if (!['1', '2', '3'].includes(p)) throw new Error(`${name}: unknown phase "${p}" (1, 2 or 3)`);

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got "${raw}"`);
  return n;
}

const PLAN = {
  '1': { label: 'phase 1: one worker', workers: 1, kill: false },
  '2': { label: 'phase 2: two workers', workers: 2, kill: false },
  '3': { label: 'phase 3: two workers, one killed', workers: 2, kill: true },
} as const;

const numbers = benchNumbers(NUMBERS);
const dir = mkdtempSync(join(tmpdir(), 'recontact-scale-'));
const started = new Date();
const load = loadavg()[0]!;
const results: PhaseResult[] = [];
try {
  for (const p of PHASES) {
    const plan = PLAN[p as keyof typeof PLAN];
    process.stdout.write(`running ${plan.label}: ${NUMBERS} numbers × ${fmt(PER_NUMBER)} messages…\n`);
    const r = await runPhase({
      ...plan,
      perNumber: PER_NUMBER,
      numbers,
      dir,
      dbName: `recontact_scale_${p}`,
      webhooks: WEBHOOKS.includes(p),
      dispatch: DISPATCH,
    });
    log(`${fmt(r.totalRate)} msg/s; duplicates ${r.verdict.duplicates}, lost ${r.verdict.lost}`);
    results.push(r);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const out = (s = '') => process.stdout.write(`${s}\n`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const s1 = (ms: number | null) => (ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`);
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
out();
out(
  `Machine: ${machine}; load average ${load.toFixed(1)} at the start; ${started.toISOString().slice(0, 10)}; PostgreSQL on the same machine`,
);
out(
  `${NUMBERS} numbers at ${fmt(NUMBER_MPS)} msg/s each (Meta's ceiling, enforced by the sandbox), ${fmt(PER_NUMBER)} messages each; ` +
    `\`sent\` status webhooks in ${
      WEBHOOKS.filter((p) => PHASES.includes(p))
        .map((p) => `phase ${p}`)
        .join(', ') || 'no phase'
    }; ${Object.entries(DISPATCH)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ')}`,
);
out();
out(
  '| phase | total msg/s | per number msg/s (min – max) | share (min – max; fair 1/' +
    NUMBERS +
    ') | busiest second of a number | 130429 refusals | account leases (worker: accounts) | duplicates | lost | worker CPU per message |',
);
out('|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const f = r.fairness.perNumber;
  const rates = f.map((x) => x.rate);
  const shares = f.map((x) => x.share);
  const split = Object.entries(r.leases.atMiddle)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([w, accounts]) => `${w}: ${accounts.length}`)
    .join(', ');
  out(
    `| ${r.label} | ${fmt(r.totalRate)} | ${fmt(Math.min(...rates))} – ${fmt(Math.max(...rates))} | ` +
      `${pct(Math.min(...shares))} – ${pct(Math.max(...shares))}${r.fairness.starved.length ? ` (starved: ${r.fairness.starved.join(', ')})` : ''} | ` +
      `${fmt(Math.max(...r.sandbox.map((s) => s.busiest_second)))} | ${fmt(r.sandbox.reduce((a, s) => a + s.throttled, 0))} | ` +
      `${split || 'none'} | ${r.verdict.duplicates} | ${r.verdict.lost} | ${fmt(r.workerCpuUsPerMessage)} µs |`,
  );
}
for (const r of results) {
  out();
  out(
    `${r.label}: ${fmt(r.messages)} messages queued at ${fmt(r.intakeRate)}/s, drained in ${s1(r.durationMs)}; ` +
      `the last number's first send ${s1(r.fairness.startSkewMs)} after the first's; fairness over the ${s1(r.fairness.to - r.fairness.from)} when every number was sending; ` +
      `lease share ${r.takeover ? 'until the kill' : 'over the run'} ${Object.entries(r.leases.heldShare)
        .map(([w, x]) => `${w} ${pct(x)}`)
        .join(
          ', ',
        )}, ${r.leases.moves} lease move(s); worker peak RSS ${r.workerRssMb.map((m) => `${fmt(m)} MB`).join(', ')}`,
  );
  out(
    `  per number: ${r.fairness.perNumber.map((x) => `${x.name} ${fmt(x.rate)}/s (${pct(x.share)})`).join(', ')}`,
  );
  const v = r.verdict;
  out(
    `  messages: ${fmt(v.accepted)} accepted, ${fmt(v.failed)} failed, in doubt ${fmt(v.inDoubtReachedMeta + v.inDoubtNeverSent)} ` +
      `(${fmt(v.inDoubtReachedMeta)} had reached the sandbox, ${fmt(v.inDoubtNeverSent)} never had), unsettled ${fmt(v.unsettled)}, ` +
      `recorded accepted but never at the sandbox ${fmt(v.acceptedNotAtMeta)}; duplicates at the sandbox ${v.duplicates}` +
      (v.unknownAtMeta ? `; ${v.unknownAtMeta} ids at the sandbox unknown to Recontact` : ''),
  );
  const rows = writesText(r.writes);
  out(`  PostgreSQL rows written per message by the API's intake: ${writesText(r.intakeWrites)}`);
  out(
    `  PostgreSQL while the workers ran: backend CPU ${fmt(r.postgresCpuUsPerMessage)} µs per message; ${r.commitsPerMessage.toFixed(2)} transactions per message; peak connections ${r.peakConnections}; rows written per message${r.webhooks ? ' (the API applying the webhooks included)' : ''}: ${rows}`,
  );
  if (r.takeover) {
    const k = r.takeover;
    const moved = k.accounts.map((a) => a.leaseMovedMs).filter((x): x is number => x !== null);
    const resumed = k.accounts.map((a) => a.resumedMs).filter((x): x is number => x !== null);
    out(
      `  kill -9 of ${k.victim} at ${fmt(k.acceptedAtKill)} accepted; its ${k.accounts.length} account(s) moved to ${k.survivor} after ` +
        `${span(moved)}${moved.length < k.accounts.length ? ` (${k.accounts.length - moved.length} never)` : ''}, ` +
        `sending again after ${span(resumed)}; ${fmt(k.unprovenAfterKill)} of its sends were unproven just after the kill, all of them proven or held after ${s1(k.doubtsSettledMs)}`,
    );
    out(
      `  per account: ${k.accounts.map((a) => `${a.account} moved ${s1(a.leaseMovedMs)}, ${a.resumedMs === null ? 'nothing left to send' : `resumed ${s1(a.resumedMs)}`}`).join('; ')}`,
    );
  }
}
/** "1.2 s – 3.4 s" over the values given. */
function span(ms: number[]): string {
  return ms.length ? `${s1(Math.min(...ms))} – ${s1(Math.max(...ms))}` : 'never';
}

/** Rows written per message by table, the busiest first; tables under 0.005 a message left out. */
function writesText(writes: TableWrites): string {
  return (
    Object.entries(writes)
      .map(([t, w]) => [t, w, w.inserted + w.updated + w.deleted] as const)
      .filter(([, , n]) => n >= 0.005)
      .sort(([, , a], [, , b]) => b - a)
      .map(
        ([t, w]) =>
          `${t} ${[
            w.inserted >= 0.005 && `${w.inserted.toFixed(2)} ins`,
            w.updated >= 0.005 && `${w.updated.toFixed(2)} upd (${w.hot.toFixed(2)} HOT)`,
            w.deleted >= 0.005 && `${w.deleted.toFixed(2)} del`,
          ]
            .filter(Boolean)
            .join(' + ')}`,
      )
      .join('; ') || 'none'
  );
}

const bad = results.filter((r) => r.verdict.duplicates > 0 || r.verdict.lost > 0);
if (bad.length) out(`\nNOT EXACTLY ONCE in ${bad.map((r) => r.label).join(', ')}: see the counts above.`);

if (JSON_FILE) {
  writeFileSync(
    JSON_FILE,
    `${JSON.stringify(
      {
        machine,
        date: started.toISOString(),
        load_average_at_start: load,
        numbers: NUMBERS,
        per_number: PER_NUMBER,
        number_mps: NUMBER_MPS,
        status_webhooks_in_phases: WEBHOOKS,
        dispatch: DISPATCH,
        phases: results.map((r) => ({
          label: r.label,
          workers: r.workers,
          status_webhooks: r.webhooks,
          messages: r.messages,
          intake_msg_s: r.intakeRate,
          total_msg_s: r.totalRate,
          duration_ms: r.durationMs,
          fairness: r.fairness,
          sandbox: r.sandbox,
          leases: r.leases,
          takeover: r.takeover ?? null,
          verdict: r.verdict,
          intake_writes_per_message: r.intakeWrites,
          writes_per_message: r.writes,
          peak_connections: r.peakConnections,
          commits_per_message: r.commitsPerMessage,
          worker_cpu_us_per_message: r.workerCpuUsPerMessage,
          postgres_backend_cpu_us_per_message: r.postgresCpuUsPerMessage,
          worker_peak_rss_mb: r.workerRssMb,
          series: r.series,
        })),
      },
      null,
      2,
    )}\n`,
  );
  out(`\nfigures written to ${JSON_FILE}`);
}
