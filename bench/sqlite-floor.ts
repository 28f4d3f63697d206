/**
 * What SQLite alone costs for the rows a contact import writes, on this machine: no CSV, no
 * checks, no Kysely — rows built before the clock starts, bound to one prepared multi-row
 * INSERT, committed 4,000 at a time into the real, migrated schema. It is the ceiling any import
 * design reaches on SQLite, printed beside the import itself (part of `npm run bench`, or
 * alone: `node --import tsx bench/sqlite-floor.ts`).
 *
 * Four cases, each into an empty book: contacts in file order and sorted by wa_id, without and
 * with their tag rows (contact_tags, three per contact as in the generated file). File order is
 * what a streaming import meets; sorted is the best case, only reachable by sorting the whole
 * file before writing.
 *
 * Env: BENCH_FLOOR_ROWS (1,000,000).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { createIdGenerator } from '../src/domain/ids';
import { openStore } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';

const ROWS = Number(process.env.BENCH_FLOOR_ROWS ?? process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const PER_STATEMENT = 50;
const PER_TRANSACTION = 4_000;
const CONTACT_COLUMNS =
  'id,account_id,wa_id,phone_e164,name,name_locked,language,time_zone,time_zone_inferred,tags,attributes,created_at,updated_at';

/** A new SQLite file with Recontact's schema, opened bare (WAL, synchronous NORMAL, as the app). */
export async function migratedSqlite(path: string): Promise<SQLite.Database> {
  const store = await openStore({ url: path });
  await migrateToLatest(store.db);
  await store.close();
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

export interface FloorFigures {
  rows: number;
  cases: Array<{ order: 'file' | 'sorted'; tags: boolean; rate: number; usPerRow: number }>;
}

async function oneCase(dir: string, order: 'file' | 'sorted', tags: boolean, rows: number) {
  const path = join(dir, `floor-${order}-${tags}.db`);
  const db = await migratedSqlite(path);
  // As the app runs it during an import (database.ts, setImportCache).
  db.pragma('wal_autocheckpoint = 2000');
  db.pragma('cache_size = -32768');
  const gen = createIdGenerator((n) => randomBytes(n));
  const now = Date.now();
  // The generated file's numbers (contact-import.ts): distinct, in no particular order.
  const was = Array.from({ length: rows }, (_, i) => `54911${20_000_000 + ((i * 7919) % 70_000_000)}`);
  if (order === 'sorted') was.sort();
  // Ids are made in write order, so the id indexes are appended to in both cases.
  const ids = was.map(() => gen('ctc', now));
  const insert = db.prepare(
    `insert into contacts (${CONTACT_COLUMNS}) values ${Array(PER_STATEMENT)
      .fill(`(${Array(13).fill('?').join(',')})`)
      .join(',')} on conflict (account_id, wa_id) do nothing`,
  );
  const tagInsert = db.prepare(
    `insert into contact_tags (account_id, tag, contact_id) values ${Array(PER_STATEMENT * 3)
      .fill('(?,?,?)')
      .join(',')} on conflict do nothing`,
  );
  const write = db.transaction((from: number, to: number) => {
    const params: unknown[] = [];
    const tagParams: unknown[] = [];
    for (let i = from; i < to; i++) {
      const plan = i % 3 === 0 ? 'gold' : 'silver';
      params.push(
        ids[i],
        'acc_bench',
        was[i],
        `+${was[i]}`,
        `Persona ${i}`,
        1,
        'es-AR',
        'America/Argentina/Buenos_Aires',
        1,
        `["bench","cliente","${plan}"]`,
        `{"plan":"${plan}","since":"2026-01-10","visits":${i % 50}}`,
        now,
        now,
      );
      if (tags)
        tagParams.push(
          'acc_bench',
          'bench',
          ids[i],
          'acc_bench',
          'cliente',
          ids[i],
          'acc_bench',
          plan,
          ids[i],
        );
      if (params.length === 13 * PER_STATEMENT) {
        insert.run(params);
        params.length = 0;
        if (tags) {
          tagInsert.run(tagParams);
          tagParams.length = 0;
        }
      }
    }
    if (params.length > 0) throw new Error('rows per transaction must be a multiple of rows per statement');
  });
  const started = performance.now();
  for (let i = 0; i < rows; i += PER_TRANSACTION) write(i, Math.min(rows, i + PER_TRANSACTION));
  const seconds = (performance.now() - started) / 1000;
  db.close();
  rmSync(path, { force: true });
  rmSync(`${path}-wal`, { force: true });
  rmSync(`${path}-shm`, { force: true });
  return { order, tags, rate: rows / seconds, usPerRow: (seconds * 1e6) / rows };
}

export async function benchSqliteFloor(rows = ROWS): Promise<FloorFigures> {
  const whole = Math.floor(rows / PER_TRANSACTION) * PER_TRANSACTION;
  const dir = mkdtempSync(join(tmpdir(), 'recontact-floor-'));
  try {
    const cases: FloorFigures['cases'] = [];
    for (const tags of [false, true]) {
      for (const order of ['file', 'sorted'] as const) cases.push(await oneCase(dir, order, tags, whole));
    }
    return { rows: whole, cases };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function printFloorFigures(f: FloorFigures, write = (s: string) => process.stdout.write(s)): void {
  write(
    `\nSQLite alone, the ceiling of any import: ${fmt(f.rows)} prebuilt contacts bound to prepared multi-row INSERTs (no CSV, no checks), 4,000 per transaction, into the migrated schema\n\n`,
  );
  write('| rows written | file order | sorted by wa_id (whole file) |\n|---|---|---|\n');
  for (const tags of [false, true]) {
    const file = f.cases.find((c) => c.tags === tags && c.order === 'file')!;
    const sorted = f.cases.find((c) => c.tags === tags && c.order === 'sorted')!;
    write(
      `| ${tags ? 'contact + its 3 tag rows' : 'contact only'} | ${fmt(file.rate)} rows/s (${file.usPerRow.toFixed(1)} µs a row) | ${fmt(sorted.rate)} rows/s (${sorted.usPerRow.toFixed(1)} µs a row) |\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printFloorFigures(await benchSqliteFloor());
}
