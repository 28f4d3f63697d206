import { describe, expect, it } from 'vitest';
import { RecontactError } from '../domain/errors';
import { assertNoControlCharacters, findControlCharacter } from './input-guards';

describe('findControlCharacter', () => {
  it.each<[string, unknown, string | undefined]>([
    ['clean text', { to: '+54 9 11', text: { body: 'hola\tqué\r\ntal' } }, undefined],
    ['NUL in a value', { to: 'a\u0000b' }, 'body.to'],
    ['ESC deep in an array', { a: [{ b: ['ok', 'x\u001by'] }] }, 'body.a[0].b[1]'],
    ['NUL in a key', { metadata: { 'k\u0000': 1 } }, 'body.metadata["k?"]'],
    ['a key that is not an identifier', { metadata: { 'my key': '\u0007' } }, 'body.metadata["my key"]'],
    ['DEL and C1 are not C0', { a: '\u007f\u0085' }, undefined],
    ['numbers and booleans', { a: 1, b: true, c: null }, undefined],
  ])('%s', (_what, value, path) => {
    expect(findControlCharacter(value, 'body')?.path).toBe(path);
  });

  it('names the character and its position', () => {
    expect(findControlCharacter('ab\u0000', 'params.id')).toEqual({
      path: 'params.id',
      char: 'U+0000',
      index: 2,
      inKey: false,
    });
  });

  it('walks 100,000 levels without recursion', () => {
    let v: unknown = 'x\u0000';
    for (let i = 0; i < 100_000; i++) v = [v];
    expect(findControlCharacter(v, 'body')?.char).toBe('U+0000');
  });

  it('skips raw bodies (webhooks are checked by signature, not here)', () => {
    expect(findControlCharacter(Buffer.from([0, 1, 2]), 'body')).toBeUndefined();
  });
});

describe('assertNoControlCharacters', () => {
  it('throws INPUT_INVALID naming the part and field', () => {
    try {
      assertNoControlCharacters({ params: {}, query: { account_id: 'acc\u0000' }, body: undefined });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RecontactError);
      const err = e as RecontactError;
      expect(err.code).toBe('INPUT_INVALID');
      expect(err.message).toBe('query.account_id contains the control character U+0000 at position 3');
      expect(err.details[0]?.path).toBe('query.account_id');
    }
  });
});
