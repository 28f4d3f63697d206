import { describe, expect, it } from 'vitest';
import { asciiEscape, toAsciiJson } from './json-ascii';

describe('toAsciiJson', () => {
  it('escapes every character above 0x7E with lowercase hex, astral ones as surrogate pairs', () => {
    const out = toAsciiJson({ a: 'äöå', b: '¿Sí? 👍', c: '\u007f', d: 'plain ~' });
    expect(out).toBe(
      '{"a":"\\u00e4\\u00f6\\u00e5","b":"\\u00bfS\\u00ed? \\ud83d\\udc4d","c":"\\u007f","d":"plain ~"}',
    );
    expect(JSON.parse(out)).toEqual({ a: 'äöå', b: '¿Sí? 👍', c: '\u007f', d: 'plain ~' });
  });

  it('leaves ASCII untouched and keeps lone surrogates escaped', () => {
    expect(asciiEscape('{"x":1}')).toBe('{"x":1}');
    expect(toAsciiJson('\ud800')).toBe('"\\ud800"');
  });
});
