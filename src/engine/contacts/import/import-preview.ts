/**
 * What an import would make of a file, from its first bytes and nothing written: its shape
 * (delimiter, BOM), what each column becomes under the options given (the phone, a contact field,
 * an attribute), and the first rows as the import would read them, each with the reason it would
 * be rejected. It runs the import's own sniffing, header planning and row reading, so the page
 * that maps columns shows exactly what the import will do. Rules that need the contact book (an
 * opt-out the person gave, the limits once merged with a contact) are judged by the import only.
 */
import {
  CONTACT_COLUMNS,
  type ColumnPlan,
  type ContactColumn,
  type ImportOptions,
  planColumns,
} from '../../../domain/contacts/csv-columns';
import { type CsvEvent, CsvReader } from '../../../domain/contacts/csv-reader';
import { readRow, tooLongReject } from '../../../domain/contacts/csv-row';
import { sniffCsv } from '../../../domain/contacts/csv-sniff';
import { csvInvalid } from './csv-batches';
import { DEFAULT_IMPORT_TUNING } from './import-runner';

/** The most of a file a preview reads: enough for the header and its first rows. */
export const PREVIEW_MAX_BYTES = 64 * 1024;
export const PREVIEW_MAX_ROWS = 50;

export type ColumnTarget = ContactColumn | 'attribute';

export interface PreviewColumn {
  index: number;
  header: string;
  /** What the column becomes; null when the header cannot be planned (see `problem`). */
  becomes: ColumnTarget | null;
  /** The attribute's name, for an attribute column. */
  attribute: string | null;
}

export interface PreviewRow {
  line: number;
  fields: string[];
  /** Why the import would reject this row; null when it would be imported. */
  reject: { column: string | null; reason: string } | null;
}

export interface ImportPreview {
  delimiter: ',' | ';';
  bom: boolean;
  columns: PreviewColumn[];
  /** Why the header cannot be imported as mapped (the 422 the import would answer); null when it can. */
  problem: string | null;
  rows: PreviewRow[];
  /** Records after the header in what was read (complete ones only unless `complete`). */
  rows_read: number;
}

/**
 * `head` is the file's beginning; `complete` says it is the whole file (a last line without a
 * newline is then a record, not a cut one). Throws CSV_INVALID for a file no mapping can import.
 */
export function previewImport(
  head: Uint8Array,
  options: ImportOptions,
  opts: { complete: boolean; rows: number },
): ImportPreview {
  const shape = sniffCsv(head);
  if (!shape.ok) throw csvInvalid(shape.problem);
  const max = DEFAULT_IMPORT_TUNING.maxRecordChars;
  const reader = new CsvReader(shape.value.delimiter, max);
  const events: CsvEvent[] = [];
  const start = shape.value.bom ? 3 : 0;
  reader.push(new TextDecoder('utf-8').decode(head.subarray(start), { stream: !opts.complete }), events);
  if (opts.complete) reader.end(events);
  const first = events[0];
  if (!first) {
    throw csvInvalid(
      opts.complete
        ? 'has no header row: the first line must name the columns'
        : `has no complete header row in its first ${head.length} bytes`,
    );
  }
  if (first.kind === 'too_long') throw csvInvalid(`has a header row longer than ${max} characters`);
  if (first.record.malformed) throw csvInvalid(`has a header row that ${first.record.malformed}`);
  const header = first.record.fields;
  const planned = planColumns(header, options);
  const plan = planned.ok ? planned.value : undefined;
  const rows: PreviewRow[] = [];
  for (const e of events.slice(1, 1 + opts.rows)) {
    if (e.kind === 'too_long') {
      const r = tooLongReject(e.line, e.chars, max);
      rows.push({ line: e.line, fields: [], reject: { column: null, reason: r.reason } });
      continue;
    }
    const read = plan ? readRow(e.record, plan, options) : undefined;
    rows.push({
      line: e.record.line,
      fields: e.record.fields,
      reject: read && !read.ok ? { column: read.reject.column, reason: read.reject.reason } : null,
    });
  }
  return {
    delimiter: shape.value.delimiter,
    bom: shape.value.bom,
    columns: header.map((h, index) => ({ index, header: h.trim(), ...targetOf(plan, index) })),
    problem: planned.ok ? null : planned.problem,
    rows,
    rows_read: events.length - 1,
  };
}

function targetOf(plan: ColumnPlan | undefined, index: number): Pick<PreviewColumn, 'becomes' | 'attribute'> {
  if (!plan) return { becomes: null, attribute: null };
  const fields: Record<ContactColumn, number> = {
    phone: plan.phone,
    name: plan.name,
    language: plan.language,
    time_zone: plan.timeZone,
    tags: plan.tags,
    opted_out: plan.optedOut,
  };
  const field = CONTACT_COLUMNS.find((c) => fields[c] === index);
  if (field) return { becomes: field, attribute: null };
  const attribute = plan.attributes.find((a) => a.index === index);
  return { becomes: 'attribute', attribute: attribute?.name ?? null };
}
