/**
 * Import jobs and their rejects. A job row is the import's durable progress: rows_read and the
 * counters move only in the transaction that writes the rows they count (see
 * contact-import-repo.ts), so a job taken over after a crash resumes exactly after the last
 * committed batch. The job's lifecycle is in src/domain/contacts/import-job.ts.
 */
import type { Kysely, Selectable } from 'kysely';
import type { ImportState } from '../domain/contacts/import-job';
import { storableText } from '../domain/storable-text';
import { chunks } from './chunks';
import type { Database, ImportsTable } from './schema';

export type ImportRow = Selectable<ImportsTable>;

export interface NewImport {
  id: string;
  accountId: string;
  sourceName: string | null;
  /** What was asked (tags, map, consent, phone column…) and where the spooled file is. */
  options: Record<string, unknown>;
  holder: string;
}

export interface ImportRejectRow {
  seq: number;
  line: number;
  column: string | null;
  reason: string;
  value: string | null;
}

export async function insertImport(db: Kysely<Database>, job: NewImport, now: number): Promise<void> {
  await db
    .insertInto('imports')
    .values({
      id: job.id,
      account_id: job.accountId,
      state: 'running',
      source_name: job.sourceName,
      options: JSON.stringify(job.options),
      error_code: null,
      error_message: null,
      holder: job.holder,
      heartbeat_at: now,
      created_at: now,
      updated_at: now,
      finished_at: null,
    })
    .execute();
}

export async function findImport(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<ImportRow | undefined> {
  return db
    .selectFrom('imports')
    .selectAll()
    .where('id', '=', id)
    .where('account_id', '=', accountId)
    .executeTakeFirst();
}

export async function findImportById(db: Kysely<Database>, id: string): Promise<ImportRow | undefined> {
  return db.selectFrom('imports').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Rejects in file order, after `afterSeq`, at most `limit`. */
export async function listRejects(
  db: Kysely<Database>,
  importId: string,
  afterSeq: number,
  limit: number,
): Promise<ImportRejectRow[]> {
  const rows = await db
    .selectFrom('import_rejects')
    .select(['seq', 'line', 'column', 'reason', 'value'])
    .where('import_id', '=', importId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ ...r, seq: Number(r.seq), line: Number(r.line) }));
}

/** Appends rejects; `firstSeq` is the seq of the first (the job's stored count + 1). */
export async function insertRejects(
  db: Kysely<Database>,
  importId: string,
  firstSeq: number,
  rejects: ReadonlyArray<Omit<ImportRejectRow, 'seq'>>,
): Promise<void> {
  let seq = firstSeq;
  for (const part of chunks(rejects, 500)) {
    await db
      .insertInto('import_rejects')
      .values(
        part.map((r) => ({
          import_id: importId,
          seq: seq++,
          line: r.line,
          // A reject quotes what was wrong, NUL and lone surrogates included: stored as U+FFFD.
          column: r.column === null ? null : storableText(r.column),
          reason: storableText(r.reason),
          value: r.value === null ? null : storableText(r.value),
        })),
      )
      .execute();
  }
}

/** How many rejects are stored (may be fewer than counted: the list is capped). */
export async function countStoredRejects(db: Kysely<Database>, importId: string): Promise<number> {
  const row = await db
    .selectFrom('import_rejects')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('import_id', '=', importId)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Ends a running job; a job already ended stays as it is. */
export async function finishImport(
  db: Kysely<Database>,
  id: string,
  end: { state: Exclude<ImportState, 'running'>; errorCode?: string; errorMessage?: string },
  now: number,
): Promise<boolean> {
  const r = await db
    .updateTable('imports')
    .set({
      state: end.state,
      error_code: end.errorCode ?? null,
      error_message: end.errorMessage ?? null,
      holder: null,
      finished_at: now,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function heartbeatImport(db: Kysely<Database>, id: string, holder: string, now: number) {
  await db
    .updateTable('imports')
    .set({ heartbeat_at: now })
    .where('id', '=', id)
    .where('holder', '=', holder)
    .where('state', '=', 'running')
    .execute();
}

/**
 * Running jobs, oldest first, with what decides who may take one (holder, heartbeat): the runner
 * takes its own, released ones, those of a dead process and stale ones. Taking one is a
 * compare-and-set on the holder (takeImport), so two processes cannot both resume it.
 */
export async function runningImports(db: Kysely<Database>, limit = 100): Promise<ImportRow[]> {
  return db
    .selectFrom('imports')
    .selectAll()
    .where('state', '=', 'running')
    .orderBy('created_at')
    .limit(limit)
    .execute();
}

export async function takeImport(
  db: Kysely<Database>,
  job: Pick<ImportRow, 'id' | 'holder' | 'heartbeat_at'>,
  holder: string,
  now: number,
): Promise<boolean> {
  let q = db
    .updateTable('imports')
    .set({ holder, heartbeat_at: now, updated_at: now })
    .where('id', '=', job.id)
    .where('state', '=', 'running');
  q = job.holder === null ? q.where('holder', 'is', null) : q.where('holder', '=', job.holder);
  q =
    job.heartbeat_at === null
      ? q.where('heartbeat_at', 'is', null)
      : q.where('heartbeat_at', '=', job.heartbeat_at);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** A graceful stop: the job stays running, free for the next process to take at once. */
export async function releaseImport(db: Kysely<Database>, id: string, holder: string): Promise<void> {
  await db
    .updateTable('imports')
    .set({ holder: null })
    .where('id', '=', id)
    .where('holder', '=', holder)
    .where('state', '=', 'running')
    .execute();
}
