/**
 * CSV contact import figures (part of `npm run bench`, or alone:
 * `node --import tsx bench/contact-import.ts`). For a generated file of BENCH_IMPORT_ROWS rows
 * (1,000,000) with 8 columns:
 *   - the limit: a bare csv-parse stream of the file, records counted and dropped;
 *   - Recontact's own reader alone (csv-reader.ts), the same way;
 *   - the import itself, per database, in a child process of its own so that its peak RSS
 *     (VmHWM) is the import's: first into an empty book (all created), then the same file again
 *     (all unchanged, nothing written).
 * Env: BENCH_IMPORT_ROWS, BENCH_DIALECTS (sqlite,postgres), BENCH_PG_URL; BENCH_CPU_PROF=1 writes
 * a CPU profile of each import child to /tmp/prof (where an import spends its time).
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import pg from 'pg';
import { type CsvEvent, CsvReader } from '../src/domain/contacts/csv-reader';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 1_000_000);
const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface ImportFigures {
  rows: number;
  fileMb: number;
  csvParse: number;
  reader: number;
  runs: Array<{ dialect: string; first: RunFigures; again: RunFigures }>;
}

interface RunFigures {
  rate: number;
  seconds: number;
  peakRssMb: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** A realistic contact file: Argentine mobiles (unique), names, a language, tags, three attributes. */
export async function generateContactsCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const write = (s: string) =>
    out.write(s) ? undefined : new Promise<void>((r) => out.once('drain', () => r()));
  await write('phone,name,language,tags,plan,visits,since,opted_out\n');
  let buf = '';
  for (let i = 0; i < rows; i++) {
    // 7919 is prime to 70,000,000: every row gets its own number, in no particular order.
    const local = 20_000_000 + ((i * 7919) % 70_000_000);
    const plan = i % 3 === 0 ? 'gold' : 'silver';
    const optedOut = i % 100 === 0 ? 'true' : '';
    buf += `+54911${local},Persona ${i},es-AR,cliente|${plan},${plan},${i % 50},2026-0${1 + (i % 9)}-1${i % 10},${optedOut}\n`;
    if (buf.length > 65_536) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((r) => out.end(r));
}

async function csvParseRate(path: string): Promise<number> {
  const started = performance.now();
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    const parser = parse({ bom: true, relax_column_count: true });
    parser.on('data', () => n++);
    parser.on('end', resolve);
    parser.on('error', reject);
    createReadStream(path, { highWaterMark: 256 * 1024 }).pipe(parser);
  });
  return (n - 1) / ((performance.now() - started) / 1000);
}

async function readerRate(path: string): Promise<number> {
  const started = performance.now();
  const reader = new CsvReader(',', 131_072);
  const decoder = new TextDecoder();
  const events: CsvEvent[] = [];
  let n = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 256 * 1024 })) {
    reader.push(decoder.decode(chunk as Buffer, { stream: true }), events);
    n += events.length;
    events.length = 0;
  }
  reader.end(events);
  n += events.length;
  return (n - 1) / ((performance.now() - started) / 1000);
}

/** Runs the import in a child process (this file with `child` arguments) and reads its JSON line. */
function importInChild(
  dialect: string,
  file: string,
  dbUrl: string,
  schema: string,
): Promise<{ first: RunFigures; again: RunFigures }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []),
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        'child',
        dialect,
        file,
        dbUrl,
        schema,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('exit', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`import child (${dialect}) exited with ${code}: ${out}`));
      resolve(JSON.parse(line));
    });
  });
}

async function child(_dialect: string, file: string, dbUrl: string, schema: string): Promise<void> {
  const { readFileSync } = await import('node:fs');
  const { statSync } = await import('node:fs');
  const { randomBytes } = await import('node:crypto');
  const pino = (await import('pino')).default;
  const { createIdGenerator } = await import('../src/domain/ids');
  const { openStore } = await import('../src/store/database');
  const { migrateToLatest } = await import('../src/store/migrate');
  const { insertImport, findImportById } = await import('../src/store/imports-repo');
  const { ImportRunner, DEFAULT_IMPORT_TUNING } = await import('../src/engine/contacts/import/import-runner');
  const store = await openStore({ url: dbUrl, ...(schema ? { pgSchema: schema } : {}) });
  await migrateToLatest(store.db, store.schema);
  const gen = createIdGenerator((n) => randomBytes(n));
  const ctx = { store, clock: Date.now, id: (p: string) => gen(p, Date.now()), log: pino({ level: 'warn' }) };
  const runner = new ImportRunner(ctx, DEFAULT_IMPORT_TUNING);
  const size = statSync(file).size;
  const hwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024;
  const once = async (): Promise<RunFigures> => {
    // The runner deletes its file when done: each run imports a copy.
    const { copyFileSync } = await import('node:fs');
    const copy = `${file}.${Date.now()}.csv`;
    copyFileSync(file, copy);
    const id = ctx.id('imp');
    const options = {
      phoneColumn: 'phone',
      map: {},
      tags: ['bench'],
      consent: undefined,
      defaultCountry: undefined,
      file: copy,
      size,
    };
    await insertImport(
      store.db,
      { id, accountId: 'acc_bench', sourceName: 'bench.csv', options, holder: runner.holder },
      Date.now(),
    );
    const started = performance.now();
    const end = await runner.run(id);
    const seconds = (performance.now() - started) / 1000;
    const job = (await findImportById(store.db, id))!;
    if (end !== 'done') throw new Error(`import ended ${end}: ${job.error_message}`);
    return {
      rate: Number(job.rows_read) / seconds,
      seconds,
      peakRssMb: hwm(),
      created: Number(job.created),
      updated: Number(job.updated),
      unchanged: Number(job.unchanged),
      rejected: Number(job.rejected),
    };
  };
  const first = await once();
  const again = await once();
  await store.close();
  process.stdout.write(`${JSON.stringify({ first, again })}\n`);
}

export async function benchContactImport(dialects: readonly string[]): Promise<ImportFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-import-bench-'));
  try {
    const file = join(dir, 'contacts.csv');
    await generateContactsCsv(file, ROWS);
    const { statSync } = await import('node:fs');
    const fileMb = statSync(file).size / 2 ** 20;
    const csvParse = await csvParseRate(file);
    const reader = await readerRate(file);
    const runs: ImportFigures['runs'] = [];
    for (const dialect of dialects) {
      let url = join(dir, `${dialect}.db`);
      let schema = '';
      if (dialect === 'postgres') {
        url = PG_URL;
        schema = `bench_import_${process.pid}`;
      }
      try {
        runs.push({ dialect, ...(await importInChild(dialect, file, url, schema)) });
      } finally {
        if (schema) {
          const c = new pg.Client({ connectionString: PG_URL });
          await c.connect();
          await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
          await c.end();
        }
      }
    }
    return { rows: ROWS, fileMb, csvParse, reader, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function printImportFigures(f: ImportFigures, write = (s: string) => process.stdout.write(s)): void {
  write(
    `\nCSV import: ${fmt(f.rows)} rows, ${f.fileMb.toFixed(0)} MB; the limit, a bare csv-parse stream: ${fmt(f.csvParse)} rows/s; Recontact's reader alone: ${fmt(f.reader)} rows/s\n\n`,
  );
  write('| database | import into an empty book | peak RSS | same file again (all unchanged) | peak RSS |\n');
  write('|---|---|---|---|---|\n');
  for (const r of f.runs) {
    write(
      `| ${r.dialect} | ${fmt(r.first.rate)} rows/s (${r.first.seconds.toFixed(1)} s; ${fmt(r.first.created)} created, ${fmt(r.first.rejected)} rejected) | ${fmt(r.first.peakRssMb)} MB | ${fmt(r.again.rate)} rows/s (${fmt(r.again.unchanged)} unchanged) | ${fmt(r.again.peakRssMb)} MB |\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === 'child') {
    const [, , , dialect, file, url, schema] = process.argv;
    await child(dialect!, file!, url!, schema ?? '');
  } else {
    const dialects = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',');
    printImportFigures(await benchContactImport(dialects));
  }
}
