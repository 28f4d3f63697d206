/**
 * Runs import jobs in the background of the process that accepted them, and takes over the
 * jobs a stopped or dead process left running. A job is read from its spooled file and written
 * batch by batch (contact-import-repo.ts): each commit carries rows_read, so a job taken over
 * skips exactly the records already committed — nothing accepted is lost, nothing counted twice.
 *
 * Who may take a running job: the process that holds it; anyone once the holder released it
 * (a graceful stop) or died (same host, its pid gone), or once its heartbeat is older than
 * `staleMs` (another host, or a process that hangs).
 */
import { createReadStream, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { ImportOptions } from '../../../domain/contacts/csv-columns';
import { RecontactError } from '../../../domain/errors';
import {
  applyImportBatch,
  ImportBatchConflict,
  refreshImportStats,
  restoreCache,
  setImportCache,
} from '../../../store/contact-import-repo';
import {
  countStoredRejects,
  findImportById,
  finishImport,
  type ImportRow,
  releaseImport,
  runningImports,
  takeImport,
} from '../../../store/imports-repo';
import type { EngineContext } from '../../context';
import { csvBatches } from './csv-batches';
import { csvBatchesInWorker } from './csv-worker';

/** What a job row's `options` holds: the request, and where its bytes are. */
export interface StoredImportOptions extends ImportOptions {
  file: string;
  size: number;
}

export interface ImportTuning {
  /** Records per transaction. */
  batchSize: number;
  /** Longest record kept; longer ones are rejected unread. */
  maxRecordChars: number;
  /** Rejects stored per job (all are counted). */
  rejectCap: number;
  /** A holder silent this long has lost its jobs. */
  staleMs: number;
  /** How often orphaned jobs are looked for. */
  sweepMs: number;
  /**
   * Read and check rows on a worker thread while this one writes. Off by default: measured on
   * the 2-core machine it cost ≈ 90 MB of RSS (a second isolate, and tsx's loader thread in it)
   * and gained nothing while the machine was busy, since writing, not reading, is the bulk of an
   * import (see the README's Performance section).
   */
  worker: boolean;
  /** SQLite page cache while imports run, in KiB (see setImportCache). */
  cacheKib: number;
}

export const DEFAULT_IMPORT_TUNING: ImportTuning = {
  batchSize: 4_000,
  maxRecordChars: 131_072,
  rejectCap: 100_000,
  staleMs: 60_000,
  sweepMs: 15_000,
  worker: false,
  cacheKib: 32 * 1024,
};

export type JobEnd = 'done' | 'failed' | 'stopped';

/** Statistics are refreshed once an import created this many contacts, then at each doubling. */
const STATS_EVERY = 20_000;

export class ImportRunner {
  readonly holder: string;
  private readonly active = new Map<string, { stop: AbortController; done: Promise<JobEnd> }>();
  /** The SQLite cache size the first running import replaced, put back when the last one ends. */
  private cacheBefore: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly ctx: EngineContext,
    readonly tuning: ImportTuning = DEFAULT_IMPORT_TUNING,
    holder?: string,
  ) {
    this.holder = holder ?? `${hostname()}:${process.pid}:${ctx.id('imp').slice(-6)}`;
  }

  /** Starts the job just accepted by this process. */
  run(id: string): Promise<JobEnd> {
    const running = this.active.get(id);
    if (running) return running.done;
    const stop = new AbortController();
    const db = this.ctx.store.db;
    const dialect = this.ctx.store.dialect;
    const first = this.active.size === 0;
    const done = (async () => {
      if (first) this.cacheBefore = await setImportCache(db, dialect, this.tuning.cacheKib);
      return this.runJob(id, stop.signal);
    })().finally(async () => {
      this.active.delete(id);
      if (this.active.size === 0) await restoreCache(db, this.cacheBefore).catch(() => undefined);
    });
    this.active.set(id, { stop, done });
    return done;
  }

  /** Looks for orphaned jobs now and every sweepMs. */
  start(): void {
    this.stopped = false;
    const tick = () => {
      if (this.stopped) return;
      void this.sweep()
        .catch((err) => this.ctx.log.warn({ err }, 'import sweep failed'))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.tuning.sweepMs);
        });
    };
    tick();
  }

  /** Stops every job after its current batch and releases it for whoever starts next. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const a of this.active.values()) a.stop.abort();
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
  }

  /** Takes and runs the jobs nobody is running; returns their ids. */
  async sweep(): Promise<string[]> {
    const now = this.ctx.clock();
    const jobs = await runningImports(this.ctx.store.db);
    const taken: string[] = [];
    for (const job of jobs) {
      if (this.active.has(job.id)) continue;
      const isMine = job.holder === this.holder;
      if (
        !isMine &&
        job.holder !== null &&
        !holderGone(job.holder) &&
        Number(job.heartbeat_at) >= now - this.tuning.staleMs
      ) {
        continue;
      }
      const options = JSON.parse(job.options) as StoredImportOptions;
      if (!existsSync(options.file)) {
        // Another machine's upload, unless its holder was here: then the bytes are gone.
        if (isMine || job.holder === null || sameHost(job.holder)) {
          await finishImport(
            this.ctx.store.db,
            job.id,
            {
              state: 'failed',
              errorCode: 'IMPORT_FILE_LOST',
              errorMessage: `The uploaded file ${options.file} is gone; the ${Number(job.rows_read)} records counted were written. Import the file again: rows already written are unchanged.`,
            },
            now,
          );
        }
        continue;
      }
      if (!(await takeImport(this.ctx.store.db, job, this.holder, now))) continue;
      this.ctx.log.info({ import_id: job.id, rows_read: Number(job.rows_read) }, 'import resumed');
      taken.push(job.id);
      void this.run(job.id);
    }
    return taken;
  }

  private async runJob(id: string, signal: AbortSignal): Promise<JobEnd> {
    const { ctx } = this;
    const db = ctx.store.db;
    const job = await findImportById(db, id);
    if (job?.state !== 'running') return 'stopped';
    const options = JSON.parse(job.options) as StoredImportOptions;
    let rowsRead = Number(job.rows_read);
    let storedRejects = await countStoredRejects(db, id);
    let created = 0;
    let analyzedAt = STATS_EVERY / 2;
    const reading = {
      options,
      batchSize: this.tuning.batchSize,
      maxRecordChars: this.tuning.maxRecordChars,
      skipRecords: rowsRead,
    };
    const batches = this.tuning.worker
      ? csvBatchesInWorker(options.file, reading)
      : csvBatches(createReadStream(options.file, { highWaterMark: 256 * 1024 }), reading);
    try {
      for await (const batch of batches) {
        if (signal.aborted) return await this.release(job);
        if (batch.recordsRead === rowsRead && batch.rows.length === 0 && batch.rejects.length === 0) continue;
        const result = await applyImportBatch(db, ctx.store.dialect, {
          importId: id,
          accountId: job.account_id,
          channel: 'whatsapp',
          holder: this.holder,
          file: job.source_name,
          rows: batch.rows,
          rejects: batch.rejects,
          rowsReadBefore: rowsRead,
          rowsReadAfter: batch.recordsRead,
          bytesRead: batch.bytesRead,
          consentOptIn: options.consent === 'opted-in',
          storedRejects,
          rejectCap: this.tuning.rejectCap,
          newId: ctx.id,
          now: ctx.clock(),
        });
        rowsRead = batch.recordsRead;
        storedRejects = result.storedRejects;
        // The book grew by a good part of itself: the planner must know (PostgreSQL).
        created += result.created;
        if (created >= analyzedAt * 2 && created >= STATS_EVERY) {
          analyzedAt = created;
          await refreshImportStats(db, ctx.store.dialect);
        }
        // Let requests and webhooks in between two batches.
        await new Promise((r) => setImmediate(r));
      }
      await finishImport(db, id, { state: 'done' }, ctx.clock());
      await rm(options.file, { force: true });
      ctx.log.info({ import_id: id, records: rowsRead }, 'import done');
      return 'done';
    } catch (err) {
      if (err instanceof ImportBatchConflict) return 'stopped';
      if (err instanceof RecontactError && err.code === 'CSV_INVALID') {
        await finishImport(
          db,
          id,
          { state: 'failed', errorCode: err.code, errorMessage: err.message },
          ctx.clock(),
        );
        await rm(options.file, { force: true });
        return 'failed';
      }
      // A database outage or a bug: the job stays running, held by us; the sweep retries it.
      ctx.log.warn({ err, import_id: id }, 'import interrupted; it resumes from its last batch');
      return 'stopped';
    } finally {
      await batches.return(undefined);
    }
  }

  private async release(job: ImportRow): Promise<JobEnd> {
    await releaseImport(this.ctx.store.db, job.id, this.holder);
    return 'stopped';
  }
}

function sameHost(holder: string): boolean {
  return holder.split(':')[0] === hostname();
}

/** Whether the holder was a process on this host that no longer runs. */
function holderGone(holder: string): boolean {
  const [host, pid] = holder.split(':');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  if (Number(pid) === process.pid) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
