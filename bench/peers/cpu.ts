/**
 * CPU time spent by the processes doing a phase's work, read from the kernel. On a machine shared
 * with other work the rates shrink with the share of the cores each process gets, but the CPU
 * each message costs does not: it is the figure that compares the contenders on a busy machine.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { PG_URL } from '../recontact-env';

/** CPU seconds by process (or server), keyed so that two snapshots can be subtracted. */
export type CpuSnapshot = Map<string, number>;
export type CpuSource = () => Promise<CpuSnapshot>;

/** The application_name of the bench's own connections, which poll and are not the work. */
export const BENCH_APPLICATION = 'recontact-bench-poll';

const TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

/** utime + stime of every thread of a process; NaN once it is gone. */
function pidCpu(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

export const processCpu =
  (role: string, pid: number): CpuSource =>
  async () =>
    new Map([[`${role}:${pid}`, pidCpu(pid)]]);

/**
 * The PostgreSQL backends connected to one database. A backend that closes between two
 * snapshots takes its CPU with it, so the figure is a floor; the pools here keep their
 * connections while they are busy. Only a server on this machine can be read.
 */
export const pgDatabaseCpu =
  (database: string): CpuSource =>
  async () => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const { rows } = await client.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity
          WHERE datname = $1 AND application_name <> $2 AND pid <> pg_backend_pid()`,
        [database, BENCH_APPLICATION],
      );
      return new Map(rows.map((r) => [`postgres:${r.pid}`, pidCpu(r.pid)]));
    } finally {
      await client.end();
    }
  };

/** Redis's own account of its CPU (INFO cpu), the server's threads together. */
export const redisCpu =
  (info: () => Promise<string>): CpuSource =>
  async () => {
    const text = await info();
    const read = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(text)?.[1]);
    return new Map([['redis', read('used_cpu_user') + read('used_cpu_sys')]]);
  };

export async function cpuSnapshot(sources: CpuSource[]): Promise<CpuSnapshot> {
  const all: CpuSnapshot = new Map();
  for (const s of sources) for (const [k, v] of await s()) if (Number.isFinite(v)) all.set(k, v);
  return all;
}

/** CPU seconds spent between two snapshots by the keys starting with `prefix` (all by default). */
export function cpuSpent(before: CpuSnapshot, after: CpuSnapshot, prefix = ''): number {
  let sum = 0;
  for (const [k, v] of after) if (k.startsWith(prefix)) sum += v - (before.get(k) ?? 0);
  return sum;
}
