/**
 * Watches a run from outside, as an operator would: every 100 ms, who holds each account's lease
 * (the account_leases table) and how many sends each number has had accepted at the sandbox
 * (GET /_sandbox/sends). Fairness, lease movement and resumption are read off these samples, so
 * nothing depends on how Recontact records its own progress.
 */
import { type Kysely, sql } from 'kysely';
import { request } from 'undici';
import type { NumberSendsView } from '../../src/sandbox/number-sends';
import type { Database } from '../../src/store/schema';
import { cpuSeconds } from './resources';

/** The application_name of the bench's own connections, left out of PostgreSQL's figures. */
export const BENCH_APP = 'recontact-scale-bench';

export interface Sample {
  /** Date.now() when the sample was taken. */
  t: number;
  /** Account name → holder of its lease (absent: nobody holds it or it has expired). */
  holders: Map<string, string>;
  /** Accepted sends per number at the sandbox, in the bench's order of numbers. */
  accepted: number[];
  /** Recontact's connections to the database (the bench's own left out). */
  connections: number;
}

export async function sandboxSends(sandboxUrl: string): Promise<NumberSendsView[]> {
  const res = await request(`${sandboxUrl}/_sandbox/sends`);
  if (res.statusCode !== 200) throw new Error(`GET /_sandbox/sends answered ${res.statusCode}`);
  return ((await res.body.json()) as { data: NumberSendsView[] }).data;
}

export class Monitor {
  readonly samples: Sample[] = [];
  /** Statements this monitor ran against the database (not Recontact's). */
  queries = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private accountNames = new Map<string, string>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly sandboxUrl: string,
    /** Phone-number ids in the bench's order. */
    private readonly phoneIds: string[],
  ) {}

  async start(): Promise<void> {
    this.queries++;
    const rows = await this.db.selectFrom('channel_accounts').select(['id', 'name']).execute();
    this.accountNames = new Map(rows.map((r) => [r.id, r.name]));
    await this.sample();
    this.timer = setInterval(() => {
      this.running ??= this.sample()
        .catch((err: unknown) => {
          process.stderr.write(`  monitor: ${String(err)}\n`);
        })
        .finally(() => {
          this.running = undefined;
        });
    }, 100);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.sample();
  }

  /**
   * CPU seconds PostgreSQL's backends for this database spent since the monitor started (the
   * server runs on this machine: /proc). Shared processes (WAL writer, checkpointer, autovacuum)
   * are not counted, nor the last tenth of a second of a backend that closed between samples.
   */
  backendCpuSeconds(): number {
    let sum = 0;
    for (const b of this.backends.values()) sum += b.last - b.first;
    return sum;
  }

  last(): Sample {
    return this.samples[this.samples.length - 1]!;
  }

  /** Backend pid → CPU seconds when first seen (0 for one that connected later) and now. */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private sampled = false;

  private readBackendCpu(pids: number[]): void {
    for (const pid of pids) {
      const cpu = cpuSeconds(pid);
      if (Number.isNaN(cpu)) continue;
      const b = this.backends.get(pid);
      if (b) b.last = cpu;
      // A backend already running at the first sample has done other work (the intake) before.
      else this.backends.set(pid, { first: this.sampled ? 0 : cpu, last: cpu });
    }
    this.sampled = true;
  }

  private async sample(): Promise<void> {
    const t = Date.now();
    this.queries += 2;
    const [leases, backends, sends] = await Promise.all([
      this.db.selectFrom('account_leases').select(['account_id', 'holder', 'expires_at']).execute(),
      sql<{ pid: number }>`
        SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND application_name <> ${BENCH_APP}`.execute(this.db),
      sandboxSends(this.sandboxUrl),
    ]);
    this.readBackendCpu(backends.rows.map((r) => Number(r.pid)));
    const holders = new Map<string, string>();
    for (const l of leases) {
      if (Number(l.expires_at) > t)
        holders.set(this.accountNames.get(l.account_id) ?? l.account_id, l.holder);
    }
    const byPhone = new Map(sends.map((s) => [s.phone_number_id, s.accepted]));
    this.samples.push({
      t,
      holders,
      accepted: this.phoneIds.map((p) => byPhone.get(p) ?? 0),
      connections: backends.rows.length,
    });
  }
}
