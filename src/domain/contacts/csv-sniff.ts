/**
 * What kind of file an upload is, from its first bytes: UTF-8 text (with or without a BOM),
 * its delimiter (`,` or `;`, whichever the header line has more of outside quotes), or not a
 * CSV at all (a spreadsheet, an image, a zip, UTF-16): then the whole file fails with a reason
 * saying what was seen and what to do, before any row is read.
 */
import type { Checked } from './contact-fields';

export interface CsvShape {
  delimiter: ',' | ';';
  /** Whether the file starts with a UTF-8 byte order mark (skipped). */
  bom: boolean;
}

/** How many leading bytes decide: the first KiB. */
export const SNIFF_BYTES = 1024;

const SIGNATURES: Array<[number[], string]> = [
  [[0x50, 0x4b, 0x03, 0x04], 'a zip archive (an .xlsx spreadsheet is one): export the sheet as CSV'],
  [[0x89, 0x50, 0x4e, 0x47], 'a PNG image'],
  [[0xff, 0xd8, 0xff], 'a JPEG image'],
  [[0x25, 0x50, 0x44, 0x46], 'a PDF document'],
  [[0x1f, 0x8b], 'a gzip archive: decompress it first'],
  [[0xd0, 0xcf, 0x11, 0xe0], 'an old Excel (.xls) file: export the sheet as CSV'],
  [[0xff, 0xfe], 'UTF-16 text: save it as UTF-8'],
  [[0xfe, 0xff], 'UTF-16 text: save it as UTF-8'],
];

/** `head` is the first bytes of the file (at most SNIFF_BYTES are looked at). */
export function sniffCsv(head: Uint8Array): Checked<CsvShape> {
  const bytes = head.subarray(0, SNIFF_BYTES);
  if (bytes.length === 0)
    return bad('is empty (0 bytes): a CSV needs at least a header row naming its columns');
  for (const [sig, what] of SIGNATURES) {
    if (sig.every((b, i) => bytes[i] === b)) return bad(`is not a CSV text file: it looks like ${what}`);
  }
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    return bad(`is not a CSV text file: byte ${nul + 1} is a NUL (0x00), which text never contains`);
  }
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = utf8Prefix(bytes.subarray(bom ? 3 : 0), head.length > SNIFF_BYTES);
  if (text === undefined) {
    return bad(
      'is not UTF-8 text (its first KiB has bytes that are not UTF-8, e.g. Latin-1 or Windows-1252): save it as "CSV UTF-8"',
    );
  }
  return { ok: true, value: { delimiter: sniffDelimiter(text), bom } };
}

/** The header line decides: the delimiter it has more of outside quotes (`,` on a tie). */
export function sniffDelimiter(text: string): ',' | ';' {
  let commas = 0;
  let semicolons = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && c === ',') commas++;
    else if (!quoted && c === ';') semicolons++;
  }
  return semicolons > commas ? ';' : ',';
}

/** Decodes strictly; a multi-byte character cut by the end of the sample is not an error. */
function utf8Prefix(bytes: Uint8Array, cut: boolean): string | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return cut ? decoder.decode(bytes, { stream: true }) : decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function bad<T>(problem: string): Checked<T> {
  return { ok: false, problem };
}
