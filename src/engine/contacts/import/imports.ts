/**
 * The import use cases the API and the CLI reach: accept an upload (spool it, check that it is
 * a CSV with a usable header, record the job, start it), show a job, page through its rejects.
 * A file that cannot be imported at all is refused here, before the 202, so the person sees
 * "no phone column" at once instead of in a failed job later.
 */
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { type ImportOptions, planColumns } from '../../../domain/contacts/csv-columns';
import { type CsvEvent, CsvReader } from '../../../domain/contacts/csv-reader';
import { sniffCsv } from '../../../domain/contacts/csv-sniff';
import { RecontactError } from '../../../domain/errors';
import {
  findImport,
  type ImportRejectRow,
  type ImportRow,
  insertImport,
  listRejects,
} from '../../../store/imports-repo';
import type { EngineContext } from '../../context';
import { csvInvalid } from './csv-batches';
import type { ImportRunner, StoredImportOptions } from './import-runner';
import { readHead, spoolUpload } from './spool';

export interface ImportLimits {
  /** Largest upload accepted, in bytes. */
  maxBytes: number;
  /** Where uploads are kept until their job is done. */
  spoolDir: string;
}

export interface ImportService {
  ctx: EngineContext;
  runner: ImportRunner;
  limits: ImportLimits;
}

/** How much of the file start is read to check the header before answering. */
const HEAD_BYTES = 1024 * 1024;

export async function acceptImport(
  s: ImportService,
  req: { accountId: string; body: Readable; sourceName: string | null; options: ImportOptions },
): Promise<{ id: string }> {
  const { ctx } = s;
  const id = ctx.id('imp');
  const spooled = await spoolUpload(req.body, s.limits.spoolDir, id, s.limits.maxBytes);
  try {
    checkHeader(
      await readHead(spooled.path, HEAD_BYTES),
      spooled.bytes,
      req.options,
      s.runner.tuning.maxRecordChars,
    );
    const options: StoredImportOptions = { ...req.options, file: spooled.path, size: spooled.bytes };
    await insertImport(
      ctx.store.db,
      {
        id,
        accountId: req.accountId,
        sourceName: req.sourceName,
        options: { ...options },
        holder: s.runner.holder,
      },
      ctx.clock(),
    );
  } catch (err) {
    await rm(spooled.path, { force: true });
    throw err;
  }
  void s.runner.run(id);
  return { id };
}

/** Sniffs the start of the file and plans its header, or throws CSV_INVALID saying why. */
function checkHeader(head: Buffer, size: number, options: ImportOptions, maxRecordChars: number): void {
  const shape = sniffCsv(head);
  if (!shape.ok) throw csvInvalid(shape.problem);
  const reader = new CsvReader(shape.value.delimiter, maxRecordChars);
  const events: CsvEvent[] = [];
  const text = new TextDecoder('utf-8').decode(head, { stream: size > head.length });
  reader.push(text, events);
  if (size <= head.length) reader.end(events);
  const first = events[0];
  if (!first) {
    if (size > head.length) throw csvInvalid(`has a header row longer than ${HEAD_BYTES} bytes`);
    throw csvInvalid('has no header row: the first line must name the columns (e.g. phone,name)');
  }
  if (first.kind === 'too_long')
    throw csvInvalid(`has a header row longer than ${maxRecordChars} characters`);
  if (first.record.malformed) throw csvInvalid(`has a header row that ${first.record.malformed}`);
  const plan = planColumns(first.record.fields, options);
  if (!plan.ok) throw csvInvalid(`cannot be imported: ${plan.problem}`);
}

export interface ImportView {
  job: ImportRow;
  options: StoredImportOptions;
  rejects: ImportRejectRow[];
  /** The seq to continue the rejects after, when more are stored. */
  next: number | null;
}

export async function importView(
  ctx: EngineContext,
  accountId: string,
  id: string,
  rejectsLimit: number,
): Promise<ImportView> {
  const job = await findImport(ctx.store.db, accountId, id);
  if (!job) throw notFound(id);
  const page = await importRejects(ctx, accountId, id, 0, rejectsLimit, job);
  return { job, options: JSON.parse(job.options) as StoredImportOptions, ...page };
}

export async function importRejects(
  ctx: EngineContext,
  accountId: string,
  id: string,
  after: number,
  limit: number,
  known?: ImportRow,
): Promise<{ rejects: ImportRejectRow[]; next: number | null }> {
  const job = known ?? (await findImport(ctx.store.db, accountId, id));
  if (!job) throw notFound(id);
  const rows = await listRejects(ctx.store.db, id, after, limit + 1);
  const more = rows.length > limit;
  const rejects = more ? rows.slice(0, limit) : rows;
  return { rejects, next: more ? rejects[rejects.length - 1]!.seq : null };
}

function notFound(id: string): RecontactError {
  return new RecontactError('IMPORT_NOT_FOUND', `No import ${id} on this account`, {
    hint: 'Use the id that POST /v1/contacts/import answered, with the same account_id.',
  });
}
