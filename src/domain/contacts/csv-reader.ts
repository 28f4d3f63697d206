/**
 * An incremental RFC 4180 reader: text goes in chunk by chunk, records come out with the line
 * each one starts on (the header being line 1; a quoted field with newlines spans several lines
 * and is reported at its first). Written here rather than taken from csv-parse because an import
 * needs three things csv-parse 6 does not give together: the start line of every record without
 * its `info` option (which halves its speed), a record-size cap that rejects one record and goes
 * on (csv-parse's max_record_size with skip_records_with_error stops at that record, losing the
 * rest), and a malformed record reported as a row problem rather than an end of parsing.
 *
 * Rules: fields are separated by `delimiter`, records by "\n" or "\r\n" outside quotes; a field
 * that starts with `"` is quoted until a `"` not doubled; a `"` inside an unquoted field is
 * text. Empty lines are skipped (they still count as lines). A record longer than
 * `maxRecordChars` is not kept: its text is scanned to its end and reported as too long.
 */

export interface CsvRecord {
  fields: string[];
  /** The line the record starts on (1-based, counting every line of the file). */
  line: number;
  /** Text after a closing quote, e.g. `"a"b`: the record is malformed. */
  malformed?: string;
}

export type CsvEvent =
  | { kind: 'record'; record: CsvRecord }
  | { kind: 'too_long'; line: number; chars: number };

const QUOTE = 34;
const LF = 10;
const CR = 13;

export class CsvReader {
  private buf = '';
  /** The line `buf` starts on. */
  private line = 1;
  /** Set while the text of a too-long record is being skipped to its end. */
  private skip: { line: number; chars: number; state: SkipState } | undefined;
  private readonly sep: number;

  constructor(
    delimiter: string,
    private readonly maxRecordChars: number,
  ) {
    this.sep = delimiter.charCodeAt(0);
  }

  /** Reads what `text` completes; a record cut at the end waits for the next chunk. */
  push(text: string, out: CsvEvent[]): void {
    this.feed(text, out, false);
  }

  /** The end of the input: a last record without a final newline is read. */
  end(out: CsvEvent[]): void {
    this.feed('', out, true);
    if (this.skip) {
      out.push({ kind: 'too_long', line: this.skip.line, chars: this.skip.chars });
      this.skip = undefined;
    }
    this.buf = '';
  }

  private feed(text: string, out: CsvEvent[], final: boolean): void {
    let rest: string | undefined = text;
    for (;;) {
      if (this.skip) {
        rest = this.skipText(rest, out);
        if (rest === undefined) return;
      }
      this.buf = this.buf === '' ? rest : this.buf + rest;
      if (this.read(out, final) === undefined) return;
      // The record at the start of the rest grew past the cap: skip its text, then read on.
      this.skip = {
        line: this.line,
        chars: 0,
        state: { inQuotes: false, fieldStart: true, quotePending: false, lines: 0 },
      };
      rest = this.buf;
      this.buf = '';
    }
  }

  /**
   * Emits the complete records of `buf` and keeps the incomplete rest; 'cut' when that rest is
   * already longer than the cap.
   */
  private read(out: CsvEvent[], final: boolean): 'cut' | undefined {
    const s = this.buf;
    const n = s.length;
    const sep = this.sep;
    let i = 0;
    let line = this.line;
    records: while (i < n) {
      const start = i;
      const startLine = line;
      // An empty line: skipped, counted.
      let c = s.charCodeAt(i);
      if (c === LF) {
        i++;
        line++;
        continue;
      }
      if (c === CR && i + 1 < n && s.charCodeAt(i + 1) === LF) {
        i += 2;
        line++;
        continue;
      }
      if (c === CR && i + 1 >= n && !final) break;
      const fields: string[] = [];
      let malformed: string | undefined;
      let extraLines = 0;
      for (;;) {
        c = i < n ? s.charCodeAt(i) : -1;
        let k: number;
        if (c === QUOTE) {
          // Quoted field: up to the first quote that is not doubled.
          let j = i + 1;
          let value = '';
          let from = j;
          let open = false;
          for (;;) {
            const q = s.indexOf('"', j);
            if (q === -1 || (q + 1 >= n && !final)) {
              open = true;
              break;
            }
            if (q + 1 < n && s.charCodeAt(q + 1) === QUOTE) {
              value += s.slice(from, q + 1);
              j = q + 2;
              from = j;
              continue;
            }
            value += s.slice(from, q);
            j = q + 1;
            break;
          }
          if (open) {
            if (!final) {
              i = start;
              line = startLine;
              break records;
            }
            value += s.slice(from);
            j = n;
            malformed = 'has a quoted field that is not closed before the end of the file';
          }
          extraLines += countNewlines(value);
          // After the closing quote: a delimiter, the end of the record, or stray text.
          k = j;
          while (k < n) {
            const d = s.charCodeAt(k);
            if (d === sep || d === LF || (d === CR && (k + 1 >= n || s.charCodeAt(k + 1) === LF))) break;
            k++;
          }
          if (k > j) {
            malformed ??= `has text after a closing quote: "${s.slice(j, Math.min(k, j + 20))}"`;
            value += s.slice(j, k);
          }
          fields.push(value);
        } else {
          // Unquoted field: up to the delimiter or the end of the record.
          k = i;
          while (k < n) {
            const d = s.charCodeAt(k);
            if (d === sep || d === LF) break;
            if (d === CR && (k + 1 >= n || s.charCodeAt(k + 1) === LF)) break;
            k++;
          }
          fields.push(s.slice(i, k));
        }
        // A field cut by the end of the chunk (or by a lone CR at its end) waits for more text.
        if (!final && (k >= n || (s.charCodeAt(k) === CR && k + 1 >= n))) {
          i = start;
          line = startLine;
          break records;
        }
        i = k;
        if (i >= n) {
          line += extraLines;
          out.push(emit(fields, startLine, malformed, i - start, this.maxRecordChars));
          break records;
        }
        c = s.charCodeAt(i);
        if (c === sep) {
          i++;
          continue;
        }
        i += c === CR ? 2 : 1;
        line += extraLines + 1;
        out.push(emit(fields, startLine, malformed, i - start, this.maxRecordChars));
        continue records;
      }
    }
    this.buf = i >= n ? '' : s.slice(i);
    this.line = line;
    return this.buf.length > this.maxRecordChars ? 'cut' : undefined;
  }

  /** Feeds skipped text; returns what follows the skipped record, once its end is seen. */
  private skipText(text: string, out: CsvEvent[]): string | undefined {
    const skip = this.skip!;
    const st = skip.state;
    const sep = this.sep;
    let i = 0;
    const n = text.length;
    while (i < n) {
      if (st.quotePending) {
        st.quotePending = false;
        if (text.charCodeAt(i) === QUOTE) {
          i++;
          continue;
        }
        st.inQuotes = false;
      }
      if (st.inQuotes) {
        const q = text.indexOf('"', i);
        const upTo = q === -1 ? n : q;
        st.lines += countNewlinesIn(text, i, upTo);
        if (q === -1) {
          i = n;
          break;
        }
        i = q + 1;
        st.quotePending = true;
        continue;
      }
      const c = text.charCodeAt(i);
      if (st.fieldStart && c === QUOTE) {
        st.inQuotes = true;
        st.fieldStart = false;
        i++;
        continue;
      }
      // Unquoted: jump to the next delimiter or newline.
      const nl = text.indexOf('\n', i);
      const d = text.indexOf(String.fromCharCode(sep), i);
      if (d !== -1 && (nl === -1 || d < nl)) {
        i = d + 1;
        st.fieldStart = true;
        continue;
      }
      st.fieldStart = false;
      if (nl === -1) {
        i = n;
        break;
      }
      skip.chars += nl + 1;
      out.push({ kind: 'too_long', line: skip.line, chars: skip.chars });
      this.line = skip.line + st.lines + 1;
      this.skip = undefined;
      return text.slice(nl + 1);
    }
    skip.chars += n;
    return undefined;
  }
}

interface SkipState {
  inQuotes: boolean;
  fieldStart: boolean;
  /** A quote was the last character seen inside quotes: doubled (text) or closing. */
  quotePending: boolean;
  lines: number;
}

function emit(
  fields: string[],
  line: number,
  malformed: string | undefined,
  chars: number,
  max: number,
): CsvEvent {
  if (chars > max) return { kind: 'too_long', line, chars };
  return { kind: 'record', record: malformed === undefined ? { fields, line } : { fields, line, malformed } };
}

function countNewlines(text: string): number {
  let count = 0;
  let at = text.indexOf('\n');
  while (at !== -1) {
    count++;
    at = text.indexOf('\n', at + 1);
  }
  return count;
}

function countNewlinesIn(text: string, from: number, to: number): number {
  let count = 0;
  let at = text.indexOf('\n', from);
  while (at !== -1 && at < to) {
    count++;
    at = text.indexOf('\n', at + 1);
  }
  return count;
}
