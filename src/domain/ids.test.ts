import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createIdGenerator, idTime } from './ids';

const T0 = Date.UTC(2026, 2, 3, 10, 0, 0);
const ID = /^msg_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Deterministic bytes, so a failure can be replayed. */
function fixedBytes(fill: number) {
  return (n: number) => new Uint8Array(n).fill(fill);
}

function seededBytes(seed: number) {
  let s = seed;
  return (n: number) =>
    Uint8Array.from({ length: n }, () => {
      s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
      return s & 0xff;
    });
}

describe('createIdGenerator', () => {
  it('writes prefix, 10 characters of time and 16 of randomness in Crockford base32', () => {
    const id = createIdGenerator(randomBytes)('msg', T0);
    expect(id).toMatch(ID);
    expect(idTime(id)).toBe(T0);
  });

  it('encodes known values exactly', () => {
    const next = createIdGenerator(fixedBytes(0));
    expect(next('evt', 0)).toBe('evt_00000000000000000000000000');
    const ones = createIdGenerator(fixedBytes(0xff));
    expect(ones('evt', 2 ** 48 - 1)).toBe('evt_7ZZZZZZZZZZZZZZZZZZZZZZZZZ');
  });

  it('sorts by creation time across milliseconds, whatever the random part', () => {
    const next = createIdGenerator(seededBytes(7));
    const ids = Array.from({ length: 500 }, (_, i) => next('msg', T0 + i * 3));
    expect([...ids].sort()).toEqual(ids);
  });

  it('stays in creation order within one millisecond by incrementing the random part', () => {
    const next = createIdGenerator(seededBytes(11));
    const ids = Array.from({ length: 1_000 }, () => next('msg', T0));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => idTime(id) === T0)).toBe(true);
  });

  it('carries the increment across bytes', () => {
    const bytes = new Uint8Array(10);
    bytes[9] = 0xff;
    const next = createIdGenerator(() => bytes.slice());
    const a = next('msg', T0);
    const b = next('msg', T0);
    expect(a.slice(-4)).toBe('007Z');
    expect(b > a).toBe(true);
    expect(b.slice(-4)).toBe('0080');
  });

  it('borrows the next millisecond when the random part is exhausted', () => {
    const next = createIdGenerator(fixedBytes(0xff));
    const a = next('msg', T0);
    const b = next('msg', T0);
    expect(b > a).toBe(true);
    expect(idTime(b)).toBe(T0 + 1);
  });

  it('keeps order when the clock steps back', () => {
    const next = createIdGenerator(seededBytes(3));
    const a = next('msg', T0);
    const b = next('msg', T0 - 5_000);
    expect(b > a).toBe(true);
    expect(idTime(b)).toBe(T0);
  });

  it('shares one sequence across prefixes', () => {
    const next = createIdGenerator(seededBytes(5));
    const msg = next('msg', T0);
    const evt = next('evt', T0);
    expect(evt.slice(4) > msg.slice(4)).toBe(true);
  });

  it.each(['', 'm', 'MSG', 'msg_x', 'toolongprefix'])('rejects the prefix %j', (prefix) => {
    expect(() => createIdGenerator(randomBytes)(prefix, T0)).toThrow(/prefix/);
  });

  it.each([-1, 1.5, Number.NaN, 2 ** 48])('rejects the time %s', (now) => {
    expect(() => createIdGenerator(randomBytes)('msg', now)).toThrow(/time/);
  });

  it('rejects a random source that returns too few bytes', () => {
    expect(() => createIdGenerator(() => new Uint8Array(4))('msg', T0)).toThrow(/only 4 bytes/);
  });
});

describe('idTime', () => {
  it('rejects what is not one of our ids', () => {
    expect(() => idTime('msg_hello')).toThrow(/not a Recontact id/);
    expect(() => idTime('msg_')).toThrow(/not a Recontact id/);
    expect(() => idTime('msg_01JDIIIIII0000000000000000')).toThrow(/not a Recontact id/);
  });
});
