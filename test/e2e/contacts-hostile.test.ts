/**
 * Generated hostile input on the contact book and audience routes, over real HTTP, on both
 * databases (fast-check): mutated PUT, PATCH, preview and audience bodies, odd path segments and
 * query strings for the list. Each answer: never a 5xx, errors in the documented shape, and a
 * refused PUT or POST stores nothing (no contact, no audience). A failure prints the seed and
 * the shrunk input.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const ODD = [
  '\u0000',
  '\u001b',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\u202e',
  '😀',
  'é',
  '%',
  '%00',
  '"',
  "'",
  '\\',
  '|',
  ';',
  ',',
  ':',
  '.',
  '__proto__',
  'constructor',
  '$.x',
  "') OR 1=1 --",
  'ctc_',
  '+',
];
const text = fc.oneof(
  { weight: 8, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...ODD), { maxLength: 4 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.integer({ min: 65, max: 3000 }).map((n) => 'x'.repeat(n)) },
);
const value: fc.Arbitrary<Json> = fc.letrec<{ v: Json }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.oneof(fc.integer(), fc.double(), fc.constantFrom(1e308, -0, 2 ** 53 + 1)),
    text,
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(text, tie('v'), { maxKeys: 3 }),
  ),
})).v;

/** Lone surrogates become U+FFFD (encodeURIComponent refuses them). */
const wellFormed = (s: string) =>
  s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/**
 * Sets an own property even for keys like `__proto__`: fast-check's strings favour them, and a
 * plain `o[k] = v` would then write to Object.prototype and poison every later test in the worker.
 */
const setOwn = (o: Record<string, Json>, k: string, v: Json) =>
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });

/** A valid body with a few of its values replaced, keys dropped or added. */
function mutated(base: Record<string, Json>): fc.Arbitrary<Json> {
  const keys = Object.keys(base);
  return fc
    .array(
      fc.record({
        key: fc.oneof(fc.constantFrom(...keys), text),
        inner: text,
        kind: fc.constantFrom('replace', 'replace', 'delete', 'inner'),
        v: value,
      }),
      { minLength: 1, maxLength: 3 },
    )
    .map((edits) => {
      const out: Record<string, Json> = structuredClone(base);
      for (const e of edits) {
        const current = Object.hasOwn(out, e.key) ? out[e.key] : undefined;
        if (e.kind === 'delete') delete out[e.key];
        else if (e.kind === 'inner' && current && typeof current === 'object' && !Array.isArray(current)) {
          setOwn(current, e.inner, e.v);
        } else setOwn(out, e.key, e.v);
      }
      return out;
    });
}

const PUT_BODY = {
  name: 'Ana',
  language: 'es-AR',
  time_zone: 'UTC',
  tags: ['vip'],
  attributes: { city: 'Rosario', n: 1 },
};
const PATCH_BODY = {
  name: 'Ana',
  attributes: { n: 2 },
  remove_attributes: ['city'],
  add_tags: ['a'],
  remove_tags: ['vip'],
};
const PREVIEW_BODY = {
  filter: {
    tags: { all: ['vip'], none: ['x'] },
    attributes: [{ name: 'n', op: '>', value: 1 }],
    window: 'open',
  },
  needs: ['name'],
  purpose: 'marketing',
} as Record<string, Json>;

describe.each(DIALECTS)('hostile input on contacts and audiences, %s', (dialect) => {
  let h: Harness;
  let contactId: string;
  const count = async (table: 'contacts' | 'audiences') =>
    Number(
      (
        await h.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const inShape = (res: { status: number; json: any }, what: string) => {
    expect(res.status, `${what} → ${res.status} ${JSON.stringify(res.json)}`).toBeLessThan(500);
    if (res.status >= 400) {
      expect(res.json?.error?.code, what).toMatch(/^[A-Z_]+$/);
      expect(typeof res.json.error.message, what).toBe('string');
    }
  };

  beforeAll(async () => {
    h = await startHarness(dialect);
    contactId = (await h.api('PUT', '/v1/contacts/%2B5493415550001', PUT_BODY)).json.id;
  });
  afterAll(() => h.close());

  it('PUT bodies: no 5xx, a refused one stores nothing', { timeout: 120_000 }, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(mutated(PUT_BODY), async (body) => {
        const before = await count('contacts');
        const phone = `%2B54934155${String(10_000 + n++).padStart(5, '0')}`;
        const res = await h.api('PUT', `/v1/contacts/${phone}`, body);
        inShape(res, `PUT ${JSON.stringify(body)}`);
        if (res.status >= 400) expect(await count('contacts')).toBe(before);
        else expect(res.status).toBe(201);
      }),
      { numRuns: 120 },
    );
  });

  it('PATCH bodies: no 5xx, a refused one changes nothing', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(mutated(PATCH_BODY), async (body) => {
        const before = (await h.api('GET', `/v1/contacts/${contactId}`)).json;
        const res = await h.api('PATCH', `/v1/contacts/${contactId}`, body);
        inShape(res, `PATCH ${JSON.stringify(body)}`);
        if (res.status >= 400) {
          const after = (await h.api('GET', `/v1/contacts/${contactId}`)).json;
          expect(after.updated_at).toBe(before.updated_at);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('preview and audience bodies: no 5xx, a refused audience is not saved', {
    timeout: 120_000,
  }, async () => {
    await fc.assert(
      fc.asyncProperty(mutated(PREVIEW_BODY), fc.boolean(), async (body, save) => {
        if (!save)
          return inShape(
            await h.api('POST', '/v1/audiences/preview', body),
            `preview ${JSON.stringify(body)}`,
          );
        const before = await count('audiences');
        const { needs: _n, purpose: _p, ...definition } = body as Record<string, Json>;
        const res = await h.api('POST', '/v1/audiences', { name: `a${before}-${Math.random()}`, definition });
        inShape(res, `audience ${JSON.stringify(definition)}`);
        if (res.status >= 400) expect(await count('audiences')).toBe(before);
      }),
      { numRuns: 150 },
    );
  });

  it('path segments and list query strings: no 5xx', { timeout: 120_000 }, async () => {
    const segment = fc.oneof(
      text,
      fc.constantFrom('ctc_', 'ctc_01JD2Q0000000000000000000Z', 'US.1', 'AR.x', 'import'),
    );
    await fc.assert(
      fc.asyncProperty(segment, fc.constantFrom('GET', 'DELETE', 'PATCH'), async (s, method) => {
        // Lone surrogates cannot be percent-encoded as UTF-8: sent as the raw bytes they would be.
        const path = `/v1/contacts/${encodeURIComponent(wellFormed(s)).replaceAll('%EF%BF%BD', '%ED%A0%80') || '%20'}`;
        inShape(
          await h.api(method, path, method === 'PATCH' ? { name: 'x' } : undefined),
          `${method} ${path}`,
        );
      }),
      { numRuns: 120 },
    );
    const param = fc.constantFrom(
      'tag',
      'tag_any',
      'tag_none',
      'attr',
      'q',
      'cursor',
      'limit',
      'window',
      'opted_out',
      'x',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(param, text), { minLength: 1, maxLength: 4 }), async (pairs) => {
        const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(wellFormed(v))}`).join('&');
        inShape(await h.api('GET', `/v1/contacts?${query}`), `GET ?${query}`);
      }),
      { numRuns: 150 },
    );
    expect((await h.api('GET', '/healthz')).status).toBe(200);
  });
});
