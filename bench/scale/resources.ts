/**
 * What a phase cost outside the sandbox: CPU seconds of a worker process (from /proc), and the
 * rows PostgreSQL wrote per table (pg_stat_user_tables of the phase's own database), so the
 * deployment arithmetic rests on measured writes per message, not only on reading the code.
 */
import { readFileSync } from 'node:fs';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/schema';

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const TICKS_PER_SECOND = 100;

/** User + system CPU time of a live process, in seconds (NaN once it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is the first, utime the 12th.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

export type TableWrites = Record<string, { inserted: number; updated: number; hot: number; deleted: number }>;

export async function tableWrites(db: Kysely<Database>): Promise<TableWrites> {
  const r = await sql<{ relname: string; ins: string; upd: string; hot: string; del: string }>`
    SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot, n_tup_del AS del
      FROM pg_stat_user_tables`.execute(db);
  const out: TableWrites = {};
  for (const row of r.rows)
    out[row.relname] = {
      inserted: Number(row.ins),
      updated: Number(row.upd),
      hot: Number(row.hot),
      deleted: Number(row.del),
    };
  return out;
}

/** Rows written per message between two snapshots, tables that wrote nothing left out. */
export function writesPerMessage(before: TableWrites, after: TableWrites, messages: number): TableWrites {
  const out: TableWrites = {};
  for (const [table, a] of Object.entries(after)) {
    const b = before[table] ?? { inserted: 0, updated: 0, hot: 0, deleted: 0 };
    const d = {
      inserted: (a.inserted - b.inserted) / messages,
      updated: (a.updated - b.updated) / messages,
      hot: (a.hot - b.hot) / messages,
      deleted: (a.deleted - b.deleted) / messages,
    };
    if (d.inserted || d.updated || d.deleted) out[table] = d;
  }
  return out;
}

/** Transactions committed in this database so far (each autocommitted statement is one). */
export async function commits(db: Kysely<Database>): Promise<number> {
  const r = await sql<{ n: string }>`
    SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()`.execute(db);
  return Number(r.rows[0]?.n ?? Number.NaN);
}
