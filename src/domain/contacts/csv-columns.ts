/**
 * The header row of a contact CSV, read once into a plan: which column is the phone, which are
 * the contact's own fields, and which become attributes (every other column, after the
 * `--map col=attr` renames). A header that cannot be planned fails the whole file before any row
 * is written, with the column named: a typo in a header would otherwise silently become an
 * attribute of a million contacts, or lose their phones.
 */
import type { CountryCode } from '../phone';
import { type Checked, CONTACT_LIMITS, checkAttributeName, checkTag } from './contact-fields';

/** What the person importing asked for (query parameters or CLI flags). */
export interface ImportOptions {
  /** The header of the phone column; "phone" by default. */
  phoneColumn: string;
  /** Header → attribute (or contact field) renames. */
  map: Record<string, string>;
  /** Tags added to every imported contact. */
  tags: string[];
  /** `opted-in`: rows without an opted_out value record a marketing opt-in (new contacts only). */
  consent: 'opted-in' | undefined;
  /** How to read numbers written without a country code. */
  defaultCountry: CountryCode | undefined;
}

export const CONTACT_COLUMNS = ['phone', 'name', 'language', 'time_zone', 'tags', 'opted_out'] as const;
export type ContactColumn = (typeof CONTACT_COLUMNS)[number];

export interface ColumnPlan {
  /** The header as written (trimmed), for naming columns in rejects. */
  header: string[];
  phone: number;
  name: number;
  language: number;
  timeZone: number;
  tags: number;
  optedOut: number;
  /** Attribute columns: index in the record, attribute name. */
  attributes: Array<{ index: number; name: string }>;
}

/** Plans the columns of `header`; the problem names the column at fault and how to fix it. */
export function planColumns(rawHeader: readonly string[], options: ImportOptions): Checked<ColumnPlan> {
  const header = rawHeader.map((h) => h.trim());
  const seen = new Map<string, number>();
  for (const [i, h] of header.entries()) {
    if (h === '') {
      if (header.length === 1) return bad('the header row is empty: the first line must name the columns');
      return bad(`column ${i + 1} of the header has no name: name it, or remove the column`);
    }
    const key = h.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) {
      return bad(
        `column "${h}" appears twice in the header (columns ${first + 1} and ${i + 1}): each column needs its own name`,
      );
    }
    seen.set(key, i);
  }
  for (const from of Object.keys(options.map)) {
    if (!seen.has(from.trim().toLowerCase())) {
      return bad(`--map names column "${from}", which the header does not have (it has: ${list(header)})`);
    }
  }
  const phoneKey = options.phoneColumn.trim().toLowerCase();
  const plan: ColumnPlan = {
    header,
    phone: -1,
    name: -1,
    language: -1,
    timeZone: -1,
    tags: -1,
    optedOut: -1,
    attributes: [],
  };
  const mapped = new Map(Object.entries(options.map).map(([k, v]) => [k.trim().toLowerCase(), v.trim()]));
  const targets = new Map<string, string>();
  for (const [i, h] of header.entries()) {
    const key = h.toLowerCase();
    const renamed = mapped.get(key);
    const target = key === phoneKey ? 'phone' : (renamed ?? h);
    const field = fieldOf(target);
    const taken = targets.get(field ?? target);
    if (taken !== undefined) {
      return bad(`columns "${taken}" and "${h}" both become "${target}": rename one with --map col=attr`);
    }
    targets.set(field ?? target, h);
    switch (field) {
      case 'phone':
        // Another column literally named "phone" when phone_column names a different one.
        if (plan.phone !== -1)
          return bad(`columns "${header[plan.phone]}" and "${h}" are both a phone column`);
        plan.phone = i;
        continue;
      case 'name':
        plan.name = i;
        continue;
      case 'language':
        plan.language = i;
        continue;
      case 'time_zone':
        plan.timeZone = i;
        continue;
      case 'tags':
        plan.tags = i;
        continue;
      case 'opted_out':
        plan.optedOut = i;
        continue;
    }
    const named = checkAttributeName(target);
    if (!named.ok) {
      return bad(
        `column "${h}" cannot be an attribute: ${named.problem}; rename it in the file or with --map "${h}=new_name"`,
      );
    }
    plan.attributes.push({ index: i, name: named.value });
  }
  if (plan.phone === -1) {
    return bad(
      `the header has no "${options.phoneColumn}" column (it has: ${list(header)}); name the phone column "phone" or pass phone_column= (--phone-column)`,
    );
  }
  if (plan.attributes.length > CONTACT_LIMITS.attributesPerContact) {
    return bad(
      `the file has ${plan.attributes.length} attribute columns; a contact has at most ${CONTACT_LIMITS.attributesPerContact} attributes`,
    );
  }
  for (const tag of options.tags) {
    const t = checkTag(tag);
    if (!t.ok) return bad(`the tag given for the whole file ${t.problem}`);
  }
  return { ok: true, value: plan };
}

function fieldOf(name: string): ContactColumn | undefined {
  const key = name.toLowerCase();
  return (CONTACT_COLUMNS as readonly string[]).includes(key) ? (key as ContactColumn) : undefined;
}

function list(header: readonly string[]): string {
  const shown = header.slice(0, 10).map((h) => `"${h.length > 40 ? `${h.slice(0, 40)}…` : h}"`);
  return `${shown.join(', ')}${header.length > 10 ? `, and ${header.length - 10} more` : ''}`;
}

function bad<T>(problem: string): Checked<T> {
  return { ok: false, problem };
}
