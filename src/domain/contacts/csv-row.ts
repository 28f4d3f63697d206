/**
 * One CSV record → one contact to write, or one reject saying which line, which column, what
 * was wrong and how it reads. Every check of a contact's fields is the one the API uses
 * (contact-fields.ts, phone.ts); this file only places their problems on a line and a column.
 * A row is whole or rejected: the first problem found rejects it, nothing of it is written.
 */

import { type CountryCode, checkPhone, countryOfPhone } from '../phone';
import {
  type Attributes,
  attributeFromCell,
  CONTACT_LIMITS,
  checkLanguage,
  checkName,
  checkTag,
  checkTimeZone,
  splitTags,
} from './contact-fields';
import { zoneForCountry } from './country-zones';
import type { ColumnPlan, ImportOptions } from './csv-columns';
import type { CsvRecord } from './csv-reader';

export interface ImportRow {
  line: number;
  waId: string;
  e164: string;
  /** null: the file leaves the field as it is. */
  name: string | null;
  language: string | null;
  timeZone: string | null;
  /** The zone of the phone's country, used when neither the row nor the contact has one. */
  inferredZone: string | null;
  /** Tags to add (the file's and the import's), deduplicated and sorted. */
  tags: string[];
  /** Attributes to set (empty cells are left out). */
  attributes: Attributes;
  /** true/false from an opted_out column; undefined when the cell is empty or there is none. */
  optedOut: boolean | undefined;
}

export interface ImportReject {
  line: number;
  /** The column's header as written; null when the record as a whole is at fault. */
  column: string | null;
  reason: string;
  /** The offending text, cut short. */
  value: string | null;
}

export type RowResult = { ok: true; row: ImportRow } | { ok: false; reject: ImportReject };

/** Longest value kept in a reject, so that a hostile file cannot fill the rejects table. */
export const REJECT_VALUE_CHARS = 200;

const TRUE_VALUES = new Set(['true', 'yes', '1', 'y', 'si', 'sí', 'sim']);
const FALSE_VALUES = new Set(['false', 'no', '0', 'n', 'não', 'nao']);

export function readRow(rec: CsvRecord, plan: ColumnPlan, options: ImportOptions): RowResult {
  const { fields, line } = rec;
  const header = plan.header;
  const reject = (column: number | null, reason: string, value?: string): RowResult => ({
    ok: false,
    reject: {
      line,
      column: column === null ? null : (header[column] ?? null),
      reason,
      value: value === undefined ? null : cut(value),
    },
  });
  if (rec.malformed) return reject(null, `the record ${rec.malformed}`, fields.join(','));
  if (fields.length !== header.length) {
    return reject(
      null,
      `has ${fields.length} field${fields.length === 1 ? '' : 's'} where the header has ${header.length} columns (a value with a "${delimiterHint(fields)}" inside must be quoted)`,
      fields.join(','),
    );
  }
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.indexOf('\u0000') !== -1) return reject(i, 'contains a NUL character (0x00)', f);
    if (f.indexOf('\uFFFD') !== -1) {
      return reject(i, 'contains bytes that are not UTF-8 (shown as �): save the file as "CSV UTF-8"', f);
    }
  }

  const phoneText = fields[plan.phone]!;
  if (phoneText.trim() === '')
    return reject(plan.phone, 'is empty: every row needs a phone number', phoneText);
  const phone = checkPhone(phoneText, options.defaultCountry);
  if (!phone.ok) return reject(plan.phone, `"${cut(phoneText, 40)}" ${phone.problem}`, phoneText);

  let name: string | null = null;
  if (plan.name !== -1) {
    const c = checkName(fields[plan.name]);
    if (!c.ok) return reject(plan.name, c.problem, fields[plan.name]);
    name = c.value;
  }
  let language: string | null = null;
  if (plan.language !== -1) {
    const c = checkLanguage(fields[plan.language]);
    if (!c.ok) return reject(plan.language, c.problem, fields[plan.language]);
    language = c.value;
  }
  let timeZone: string | null = null;
  if (plan.timeZone !== -1) {
    const c = checkTimeZone(fields[plan.timeZone]);
    if (!c.ok) return reject(plan.timeZone, c.problem, fields[plan.timeZone]);
    timeZone = c.value;
  }
  let tags = options.tags;
  if (plan.tags !== -1) {
    const cell = fields[plan.tags]!;
    if (cell.trim() !== '') {
      const set = new Set(options.tags);
      for (const t of splitTags(cell)) {
        const c = checkTag(t);
        if (!c.ok) return reject(plan.tags, `tag ${c.problem}`, cell);
        set.add(c.value);
      }
      if (set.size > CONTACT_LIMITS.tagsPerContact) {
        return reject(
          plan.tags,
          `has ${set.size} tags; a contact has at most ${CONTACT_LIMITS.tagsPerContact}`,
          cell,
        );
      }
      tags = [...set].sort();
    }
  }
  let optedOut: boolean | undefined;
  if (plan.optedOut !== -1) {
    const cell = fields[plan.optedOut]!.trim().toLowerCase();
    if (cell !== '') {
      if (TRUE_VALUES.has(cell)) optedOut = true;
      else if (FALSE_VALUES.has(cell)) optedOut = false;
      else {
        return reject(
          plan.optedOut,
          `"${cut(fields[plan.optedOut]!, 40)}" is not true or false (also accepted: yes/no, 1/0; empty leaves consent as it is)`,
          fields[plan.optedOut],
        );
      }
    }
  }
  const attributes: Attributes = {};
  for (const a of plan.attributes) {
    const cell = fields[a.index]!;
    if (cell === '') continue;
    const c = attributeFromCell(cell);
    if (!c.ok) return reject(a.index, c.problem, cell);
    if (c.value !== undefined) attributes[a.name] = c.value;
  }
  const country = timeZone === null ? countryOfPhone(phone.value.e164) : undefined;
  return {
    ok: true,
    row: {
      line,
      waId: phone.value.waId,
      e164: phone.value.e164,
      name,
      language,
      timeZone,
      inferredZone: country ? (zoneForCountry(country) ?? null) : null,
      tags,
      attributes,
      optedOut,
    },
  };
}

/** The reject of a record longer than the cap (its text was never kept). */
export function tooLongReject(line: number, chars: number, max: number): ImportReject {
  return {
    line,
    column: null,
    reason: `the record is longer than ${max.toLocaleString('en-US')} characters (${chars >= 1e6 ? `${Math.round(chars / 1e6).toLocaleString('en-US')} million` : chars.toLocaleString('en-US')}); it was skipped unread`,
    value: null,
  };
}

/** The reject of the second occurrence of a number already read at `firstLine`. */
export function duplicateReject(row: ImportRow, firstLine: number, phoneColumn: string): ImportReject {
  return {
    line: row.line,
    column: phoneColumn,
    reason: `${row.e164} already appears on line ${firstLine} of this file; the first occurrence was kept`,
    value: row.e164,
  };
}

function delimiterHint(fields: readonly string[]): string {
  return fields.some((f) => f.includes(';')) ? ';' : ',';
}

function cut(text: string, max = REJECT_VALUE_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export type { CountryCode };
