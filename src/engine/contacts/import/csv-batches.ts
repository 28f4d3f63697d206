/**
 * The reading half of an import: a file's bytes → batches of checked rows and rejects. The
 * first KiB decides whether the file is a CSV at all and how it is delimited; the header is
 * planned once; then every record becomes a row or a reject, never an end of reading. The
 * writing half (import-job.ts) commits each batch with the job's progress.
 *
 * Memory stays flat whatever the file: one chunk of text, one batch, the reader's cap on a
 * record, and one number per distinct phone (to reject duplicates naming the first line).
 */

import { type ColumnPlan, type ImportOptions, planColumns } from '../../../domain/contacts/csv-columns';
import { type CsvEvent, CsvReader } from '../../../domain/contacts/csv-reader';
import {
  duplicateReject,
  type ImportReject,
  type ImportRow,
  readRow,
  tooLongReject,
} from '../../../domain/contacts/csv-row';
import { SNIFF_BYTES, sniffCsv } from '../../../domain/contacts/csv-sniff';
import { RecontactError } from '../../../domain/errors';

export interface CsvBatch {
  rows: ImportRow[];
  rejects: ImportReject[];
  /** Records read so far in the file (rows + rejects), this batch included. */
  recordsRead: number;
  /** Bytes of the file consumed so far. */
  bytesRead: number;
}

export interface CsvBatchOptions {
  options: ImportOptions;
  batchSize: number;
  maxRecordChars: number;
  /** Records already committed by an earlier run of this job: read (for duplicates), not yielded. */
  skipRecords?: number;
}

/** A whole-file problem: nothing of the file can be imported. */
export function csvInvalid(problem: string): RecontactError {
  return new RecontactError('CSV_INVALID', `The file ${problem}`, {
    hint: 'Fix the file and import it again: nothing of it was written, and importing is idempotent.',
  });
}

export async function* csvBatches(
  source: AsyncIterable<Uint8Array>,
  o: CsvBatchOptions,
): AsyncGenerator<CsvBatch> {
  const skip = o.skipRecords ?? 0;
  const decoder = new TextDecoder('utf-8');
  let reader: CsvReader | undefined;
  let plan: ColumnPlan | undefined;
  let head: Uint8Array = new Uint8Array(0);
  let bytesRead = 0;
  let records = 0;
  let rows: ImportRow[] = [];
  let rejects: ImportReject[] = [];
  const firstLine = new FirstLines();
  const events: CsvEvent[] = [];
  const phoneHeader = () => plan!.header[plan!.phone]!;

  const take = (e: CsvEvent) => {
    if (!plan) {
      if (e.kind === 'too_long')
        throw csvInvalid(`has a header row longer than ${o.maxRecordChars} characters`);
      if (e.record.malformed) throw csvInvalid(`has a header row that ${e.record.malformed}`);
      const planned = planColumns(e.record.fields, o.options);
      if (!planned.ok) throw csvInvalid(`cannot be imported: ${planned.problem}`);
      plan = planned.value;
      return;
    }
    records++;
    const replay = records <= skip;
    if (e.kind === 'too_long') {
      if (!replay) rejects.push(tooLongReject(e.line, e.chars, o.maxRecordChars));
      return;
    }
    const r = readRow(e.record, plan, o.options);
    if (!r.ok) {
      if (!replay) rejects.push(r.reject);
      return;
    }
    const key = Number(r.row.waId);
    const first = firstLine.get(key);
    if (first !== undefined) {
      if (!replay) rejects.push(duplicateReject(r.row, first, phoneHeader()));
      return;
    }
    firstLine.set(key, r.row.line);
    if (!replay) rows.push(r.row);
  };

  const flush = (): CsvBatch => {
    const batch = { rows, rejects, recordsRead: records, bytesRead };
    rows = [];
    rejects = [];
    return batch;
  };

  const start = (bytes: Uint8Array) => {
    const shape = sniffCsv(bytes);
    if (!shape.ok) throw csvInvalid(shape.problem);
    reader = new CsvReader(shape.value.delimiter, o.maxRecordChars);
  };

  for await (const chunk of source) {
    bytesRead += chunk.length;
    let bytes = chunk;
    if (!reader) {
      // The sniff needs its KiB (or the whole file, when smaller).
      head = concat(head, chunk);
      if (head.length < SNIFF_BYTES) continue;
      start(head);
      bytes = head;
    }
    reader!.push(decoder.decode(bytes, { stream: true }), events);
    for (const e of events) {
      take(e);
      if (rows.length + rejects.length >= o.batchSize) yield flush();
    }
    events.length = 0;
  }
  if (!reader) {
    // A file smaller than the sniff: all of it is the head.
    start(head);
    reader!.push(decoder.decode(head, { stream: true }), events);
  }
  const tail = decoder.decode();
  if (tail) reader!.push(tail, events);
  reader!.end(events);
  for (const e of events) {
    take(e);
    if (rows.length + rejects.length >= o.batchSize) yield flush();
  }
  if (!plan) throw csvInvalid('has no header row: the first line must name the columns (e.g. phone,name)');
  yield flush();
}

/**
 * wa_id (digits, at most 15: exact as a double) → the line it was first seen on. An open-addressing
 * table in two typed arrays: 12 bytes a number instead of the ≈ 64 a Map entry costs, which is
 * 40 MB less for a file of a million numbers.
 */
export class FirstLines {
  private keys = new Float64Array(1 << 16);
  private lines = new Uint32Array(1 << 16);
  private size = 0;

  get(key: number): number | undefined {
    const mask = this.keys.length - 1;
    for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i]!;
      if (k === 0) return undefined;
      if (k === key) return this.lines[i];
    }
  }

  set(key: number, line: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    this.put(key, Math.min(line, 0xffffffff));
    this.size++;
  }

  private put(key: number, line: number): void {
    const mask = this.keys.length - 1;
    let i = hash(key) & mask;
    while (this.keys[i] !== 0) i = (i + 1) & mask;
    this.keys[i] = key;
    this.lines[i] = line;
  }

  private grow(): void {
    const keys = this.keys;
    const lines = this.lines;
    this.keys = new Float64Array(keys.length * 2);
    this.lines = new Uint32Array(keys.length * 2);
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.put(keys[i]!, lines[i]!);
  }
}

/** Mixes the low and high parts of a number up to 2^53 into 32 bits. */
function hash(key: number): number {
  const lo = key >>> 0;
  const hi = (key / 4294967296) >>> 0;
  return Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) ^ (lo >>> 15);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
