import { describe, expect, it } from 'vitest';
import { jsonDepthExceeded, valueDepth } from './json-depth';
import { METADATA_LIMITS, metadataProblems } from './metadata-limits';

const nest = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = { k: v };
  return v;
};

describe('metadata limits', () => {
  it('accepts ordinary metadata', () => {
    expect(metadataProblems({ appointment_id: 'appt-123', tags: ['a', 'b'], n: 1 })).toEqual([]);
  });

  it('accepts exactly the limits', () => {
    expect(metadataProblems(nest(METADATA_LIMITS.maxDepth))).toEqual([]);
    const keys = Object.fromEntries(Array.from({ length: METADATA_LIMITS.maxKeys }, (_, i) => [`k${i}`, i]));
    expect(metadataProblems(keys)).toEqual([]);
  });

  it('refuses too deep, naming the limit', () => {
    const p = metadataProblems(nest(METADATA_LIMITS.maxDepth + 1));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ path: 'metadata', message: expect.stringContaining('8 levels') });
  });

  it('refuses 5,000 levels without recursing', () => {
    expect(metadataProblems(nest(5_000))[0]?.message).toContain('levels');
  });

  it('counts keys over all levels', () => {
    const wide = {
      a: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`x${i}`, i])),
      b: Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`y${i}`, i])),
    };
    expect(metadataProblems(wide)[0]?.message).toContain('62 keys');
  });

  it('measures bytes as UTF-8 JSON', () => {
    expect(metadataProblems({ note: 'a'.repeat(4_000) })).toEqual([]);
    const p = metadataProblems({ note: 'ñ'.repeat(2_100) });
    expect(p[0]?.message).toMatch(/^is \d+ bytes as JSON; at most 4096/);
  });
});

describe('json depth', () => {
  it.each<[string, number, number]>([
    ['{}', 1, -1],
    ['{"a":[1,{"b":2}]}', 3, -1],
    ['{"a":[1,{"b":2}]}', 2, 8],
    ['"[[[[[["', 1, -1],
    ['{"a":"\\"[[[["}', 1, -1],
    ['[[[[', 3, 3],
  ])('%s with max %i → %i', (text, max, at) => {
    expect(jsonDepthExceeded(text, max)).toBe(at);
  });

  it('scans a million brackets in one pass', () => {
    expect(jsonDepthExceeded('['.repeat(1_000_000), 32)).toBe(32);
  });

  it('measures parsed values', () => {
    expect(valueDepth('x')).toBe(0);
    expect(valueDepth({ a: [1, { b: [] }] })).toBe(4);
    expect(valueDepth(nest(10_000), 8)).toBe(9);
  });
});
