import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonMayHoldUnstorable, makeStorable, storableText } from './storable-text';

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what must not remain
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Strings rich in what is being replaced: NUL, lone and paired surrogates, astral characters. */
const hostileString = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\u0000', '\ud83d', '\ude00', '\ud83d\ude00', 'a', '\u00ed', '\uFFFD'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  ),
  maxLength: 20,
});

describe('storableText', () => {
  it('replaces NUL and lone surrogates with U+FFFD and keeps pairs', () => {
    expect(storableText('ho\u0000la')).toBe('ho\uFFFDla');
    expect(storableText('a\ud83d')).toBe('a\uFFFD');
    expect(storableText('\ude00b')).toBe('\uFFFDb');
    expect(storableText('\ude00\ud83d')).toBe('\uFFFD\uFFFD');
    expect(storableText('\ud83d\ude00')).toBe('\ud83d\ude00');
    expect(storableText('tab\tand\nnewline')).toBe('tab\tand\nnewline');
  });

  it('leaves nothing unstorable, keeps the length and every other character, and is idempotent', () => {
    fc.assert(
      fc.property(hostileString, (s) => {
        const out = storableText(s);
        if (UNSTORABLE.test(out) || out.length !== s.length || storableText(out) !== out) return false;
        for (let i = 0; i < s.length; i++) if (out[i] !== s[i] && out[i] !== '\uFFFD') return false;
        return UNSTORABLE.test(s) || out === s;
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('makeStorable and its pre-check', () => {
  it('cleans every string of a parsed body; the pre-check never skips one that needs it', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), hostileString, (value, s) => {
        const text = JSON.stringify([value, s, { [s]: s }]);
        const parsed = JSON.parse(text);
        const needs = JSON.stringify(parsed) !== JSON.stringify(makeStorable(JSON.parse(text)));
        if (needs && !jsonMayHoldUnstorable(text)) return false;
        const cleaned = makeStorable(parsed);
        const strings: string[] = [];
        JSON.stringify(cleaned, (_k, v) => {
          if (typeof v === 'string') strings.push(v);
          return v;
        });
        return strings.every((x) => !UNSTORABLE.test(x));
      }),
      { numRuns: 1_000 },
    );
  });

  it('walks a body nested 100,000 deep without recursion', () => {
    const text = `${'['.repeat(100_000)}"\\u0000"${']'.repeat(100_000)}`;
    let v: unknown = makeStorable(JSON.parse(text));
    while (Array.isArray(v)) v = v[0];
    expect(v).toBe('\uFFFD');
  });
});
