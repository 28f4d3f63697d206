import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CsvEvent, CsvReader } from './csv-reader';

/** Reads `text` cut into the given chunk sizes; returns the events as short strings. */
function read(text: string, chunk = text.length || 1, max = 1_000, delimiter = ','): string[] {
  const reader = new CsvReader(delimiter, max);
  const out: CsvEvent[] = [];
  for (let i = 0; i < text.length; i += chunk) reader.push(text.slice(i, i + chunk), out);
  reader.end(out);
  return out.map((e) =>
    e.kind === 'too_long'
      ? `${e.line}: too long (${e.chars})`
      : `${e.record.line}: ${JSON.stringify(e.record.fields)}${e.record.malformed ? ` ! ${e.record.malformed}` : ''}`,
  );
}

describe('CsvReader', () => {
  it('numbers records by the line they start on, quoted newlines and empty lines included', () => {
    const text = 'phone,name\r\n+1,"Ana\nMaría"\r\n\r\n+2,"He said ""hi"""\n+3,\n';
    expect(read(text)).toEqual([
      '1: ["phone","name"]',
      '2: ["+1","Ana\\nMaría"]',
      '5: ["+2","He said \\"hi\\""]',
      '6: ["+3",""]',
    ]);
  });

  it('reads the last record without a final newline, and a lone field', () => {
    expect(read('a,b\n1,2')).toEqual(['1: ["a","b"]', '2: ["1","2"]']);
    expect(read('"x"')).toEqual(['1: ["x"]']);
    expect(read('')).toEqual([]);
    expect(read('\n\n')).toEqual([]);
  });

  it('uses the delimiter it is given: ";" leaves commas inside fields', () => {
    expect(read('phone;name\n+1;Pérez, Ana\n', undefined, 1_000, ';')).toEqual([
      '1: ["phone","name"]',
      '2: ["+1","Pérez, Ana"]',
    ]);
  });

  it('marks stray text after a closing quote and an unclosed quote, and goes on', () => {
    expect(read('a,b\n"x"y,1\n2,3\n"open,4\n5,6')).toEqual([
      '1: ["a","b"]',
      '2: ["xy","1"] ! has text after a closing quote: "y"',
      '3: ["2","3"]',
      '4: ["open,4\\n5,6"] ! has a quoted field that is not closed before the end of the file',
    ]);
  });

  it('rejects a record over the cap without keeping it, and reads the next ones', () => {
    const long = 'x'.repeat(50);
    const quoted = `"${'y'.repeat(30)}\n${'z'.repeat(30)}"`;
    const text = `a,b\n1,${long}\n2,ok\n3,${quoted}\n4,ok\n`;
    expect(read(text, undefined, 40)).toEqual([
      '1: ["a","b"]',
      '2: too long (53)',
      '3: ["2","ok"]',
      '4: too long (66)',
      '6: ["4","ok"]',
    ]);
  });

  it('gives the same records whatever the chunk sizes (property)', () => {
    const cell = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom('', '"', '""', 'a"b', '\n', '\r\n', ',', ';', 'é', '😀'),
    );
    const field = fc.oneof(
      cell.filter((c) => !/[",\r\n]/.test(c)),
      cell.map((c) => `"${c.replaceAll('"', '""')}"`),
    );
    const record = fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(','));
    const file = fc
      .tuple(fc.array(record, { maxLength: 8 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
      .map(([rs, nl, last]) => rs.join(nl) + (last ? nl : ''));
    fc.assert(
      fc.property(
        file,
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 4, max: 60 }),
        (text, chunk, max) => {
          expect(read(text, chunk, max)).toEqual(read(text, text.length || 1, max));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
