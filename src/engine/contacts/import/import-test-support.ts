/**
 * What the import tests share: an engine context on a test store, and a way to run one CSV
 * text through a job to its end (the same path an upload takes after its 202).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ImportOptions } from '../../../domain/contacts/csv-columns';
import { createIdGenerator } from '../../../domain/ids';
import type { Store } from '../../../store/database';
import { findImportById, insertImport, listRejects } from '../../../store/imports-repo';
import type { EngineContext } from '../../context';
import { DEFAULT_IMPORT_TUNING, type ImportRunner, type ImportTuning } from './import-runner';

export function testContext(store: Store, clock: () => number = Date.now): EngineContext {
  const gen = createIdGenerator((n) => randomBytes(n));
  return { store, clock, id: (p) => gen(p, clock()), log: pino({ level: 'silent' }) };
}

export const NO_OPTIONS: ImportOptions = {
  phoneColumn: 'phone',
  map: {},
  tags: [],
  consent: undefined,
  defaultCountry: undefined,
};

export const TEST_TUNING: ImportTuning = { ...DEFAULT_IMPORT_TUNING, batchSize: 500, maxRecordChars: 4_096 };

const dir = mkdtempSync(join(tmpdir(), 'recontact-import-test-'));

/** Records a job for `csv` (text or bytes) as an upload would; returns its id. */
export async function queueImport(
  ctx: EngineContext,
  runner: ImportRunner,
  csv: string | Uint8Array,
  options: Partial<ImportOptions> = {},
  accountId = 'acc_default',
): Promise<string> {
  const id = ctx.id('imp');
  const file = join(dir, `${id}.csv`);
  writeFileSync(file, csv);
  await insertImport(
    ctx.store.db,
    {
      id,
      accountId,
      sourceName: 'contacts.csv',
      options: {
        ...NO_OPTIONS,
        ...options,
        file,
        size: typeof csv === 'string' ? Buffer.byteLength(csv) : csv.length,
      },
      holder: runner.holder,
    },
    ctx.clock(),
  );
  return id;
}

/** Runs `csv` to the end of its job; the job row and every stored reject. */
export async function importCsv(
  ctx: EngineContext,
  runner: ImportRunner,
  csv: string | Uint8Array,
  options: Partial<ImportOptions> = {},
) {
  const id = await queueImport(ctx, runner, csv, options);
  const end = await runner.run(id);
  const job = (await findImportById(ctx.store.db, id))!;
  const rejects = await listRejects(ctx.store.db, id, 0, 10_000);
  return {
    id,
    end,
    job,
    counts: {
      created: Number(job.created),
      updated: Number(job.updated),
      unchanged: Number(job.unchanged),
      rejected: Number(job.rejected),
    },
    rejects: rejects.map((r) => ({ line: r.line, column: r.column, reason: r.reason })),
  };
}
