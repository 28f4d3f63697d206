/** The peers bench's figures: one run's results, printed as a table and written as JSON. */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { DispatchFigures } from '../phases';
import { recontactInFlight } from '../recontact-env';
import { bestOf, type CpuPerMessage, type PeerRun } from './peer';

export interface PeersFigures {
  started: Date;
  loadAverage: number;
  messages: number;
  bare: { rate: number; concurrency: number };
  bareAgain: { rate: number; concurrency: number };
  bullmq: PeerRun[];
  /** BullMQ on a Redis that fsyncs every write: shown for the reading, never the best peer. */
  bullmqDurable: PeerRun | undefined;
  pgboss: PeerRun[];
  recontact: Record<string, DispatchFigures>;
}

export const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** In-process SQLite has no server: its cost is in the workers' figure. */
const cpu = (c: CpuPerMessage) => `${fmt(c.worker)} + ${fmt(c.store)} = ${fmt(c.worker + c.store)}`;

function bestPeer(f: PeersFigures): { name: string; run: PeerRun } | undefined {
  const peers = [...f.bullmq, ...f.pgboss];
  if (!peers.length) return undefined;
  const run = bestOf(peers);
  return { name: f.bullmq.includes(run) ? 'BullMQ' : 'pg-boss', run };
}

export function printTable(f: PeersFigures): void {
  const best = bestPeer(f);
  const ratio = (rate: number) => (rate / f.bare.rate).toFixed(2);
  const out = process.stdout;
  const c = f.bare.concurrency;
  out.write(
    `\nMachine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
      `Node ${process.version}; ${f.started.toISOString().slice(0, 16)}Z, load average ` +
      `${f.loadAverage.toFixed(1)} at the start; ${f.messages} messages, ${c} in flight for everyone\n\n`,
  );
  out.write(
    '| what | settings | msg/s | ÷ bare loop | CPU µs per message: workers + server = total |\n|---|---|---|---|---|\n',
  );
  out.write(`| bare undici loop → sandbox | ${c} in flight | ${fmt(f.bare.rate)} | 1.00 | |\n`);
  const peerRow = (name: string, r: PeerRun) =>
    out.write(
      `| ${name}${r === best?.run ? ' (best peer)' : ''} | ${r.settings} | ${fmt(r.rate)} | ${ratio(r.rate)} | ${cpu(r.cpuUs)} |\n`,
    );
  for (const r of f.bullmq) peerRow('BullMQ (Redis)', r);
  if (f.bullmqDurable)
    peerRow('BullMQ (private Redis, appendfsync always; not a contender)', f.bullmqDurable);
  for (const r of f.pgboss) peerRow('pg-boss 10 (PostgreSQL)', r);
  for (const [d, r] of Object.entries(f.recontact)) {
    const db = d === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    out.write(
      `| Recontact dispatch (${db}) | DISPATCH_CONCURRENCY ${recontactInFlight(c)} | ${fmt(r.dispatch)} | ${ratio(r.dispatch)} | ${cpu(r.cpuUs)} |\n`,
    );
  }
  out.write(
    `| bare loop again, last | ${f.bareAgain.concurrency} in flight | ${fmt(f.bareAgain.rate)} | ${ratio(f.bareAgain.rate)} | |\n`,
  );
  if (best && Object.keys(f.recontact).length) {
    out.write(`\nRecontact ÷ best peer (${best.name}, ${fmt(best.run.rate)} msg/s), target ≥ 1.5:`);
    for (const [d, r] of Object.entries(f.recontact))
      out.write(` ${d} ${(r.dispatch / best.run.rate).toFixed(2)}`);
    out.write('\n');
  }
}

export function writeJson(file: string, f: PeersFigures): void {
  const best = bestPeer(f);
  const runs = (rs: PeerRun[]) =>
    rs.length
      ? {
          best: bestOf(rs).rate,
          runs: rs.map((r) => ({
            settings: r.settings,
            rate: r.rate,
            enqueue_rate: r.enqueueRate,
            worker_rss_mb: r.workerRssMb,
            cpu_us_per_message: r.cpuUs,
          })),
        }
      : null;
  const figures = {
    date: f.started.toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      memory_gib: Math.round(totalmem() / 2 ** 30),
      load_average: f.loadAverage,
    },
    node: process.version,
    messages: f.messages,
    concurrency: f.bare.concurrency,
    bare: f.bare.rate,
    bare_again: f.bareAgain.rate,
    bullmq: runs(f.bullmq),
    bullmq_durable_redis: f.bullmqDurable
      ? {
          settings: f.bullmqDurable.settings,
          rate: f.bullmqDurable.rate,
          cpu_us_per_message: f.bullmqDurable.cpuUs,
        }
      : null,
    pgboss: runs(f.pgboss),
    recontact: Object.fromEntries(
      Object.entries(f.recontact).map(([d, r]) => [
        d,
        {
          dispatch: r.dispatch,
          intake: r.intake,
          worker_rss_mb: r.workerRssMb,
          cpu_us_per_message: r.cpuUs,
          ratio_to_bare: r.dispatch / f.bare.rate,
          ratio_to_best_peer: best ? r.dispatch / best.run.rate : null,
        },
      ]),
    ),
    best_peer: best ? { name: best.name, settings: best.run.settings, rate: best.run.rate } : null,
  };
  writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
}
