/**
 * Named statements on PostgreSQL: only our prefix turns a query into pg's named form; the runner
 * exists for a store's own instance and its transactions (where a statement commits or rolls
 * back with the rest), not for another instance over the same pool nor for SQLite; and a named
 * statement is prepared once per connection, then only bound.
 */
import type { KyselyPlugin } from 'kysely';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { directPg, namedQuery } from './pg-direct';

describe('namedQuery', () => {
  it('names only a text that starts with our prefix and a plain name', () => {
    expect(namedQuery('/*statement:dispatch_posting*/ UPDATE messages SET …', [1, 'w'])).toEqual({
      name: 'dispatch_posting',
      text: '/*statement:dispatch_posting*/ UPDATE messages SET …',
      values: [1, 'w'],
    });
    expect(namedQuery('SELECT 1 /*statement:x*/', [])).toBeUndefined();
    expect(namedQuery(' /*statement:x*/ SELECT 1', [])).toBeUndefined();
    expect(namedQuery('/*statement:Bad-Name*/ SELECT 1', [])).toBeUndefined();
    expect(namedQuery('/*statement:*/ SELECT 1', [])).toBeUndefined();
    expect(namedQuery({ text: '/*statement:x*/ SELECT 1' }, [])).toBeUndefined();
  });
});

describe('a runner for SQLite', () => {
  it('is never given', async () => {
    const store = await openTestStore('sqlite');
    try {
      expect(directPg(store.db)).toBeUndefined();
      await store.db.transaction().execute(async (trx) => expect(directPg(trx)).toBeUndefined());
    } finally {
      await store.destroy();
    }
  });
});

describe.runIf(DIALECTS.includes('postgres'))('named statements on PostgreSQL', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore('postgres');
    await sql`CREATE TABLE named_probe (id text PRIMARY KEY)`.execute(store.db);
  });
  afterAll(() => store.destroy());

  const insert = {
    name: 'named_probe_insert',
    text: 'INSERT INTO named_probe (id) SELECT unnest($1::text[])',
  };
  const count = async () =>
    Number((await sql<{ n: string }>`SELECT count(*) AS n FROM named_probe`.execute(store.db)).rows[0]?.n);

  it('runs in a transaction, rolled back with it', async () => {
    const before = await count();
    await expect(
      store.db.transaction().execute(async (trx) => {
        const run = directPg(trx);
        expect(run).toBeDefined();
        await run!(insert, [['t1', 't2']]);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await count()).toBe(before);
    await directPg(store.db)!(insert, [['t3']]);
    expect(await count()).toBe(before + 1);
  });

  it('refuses a statement that reads every column, whose result a migration could change', async () => {
    const run = directPg(store.db)!;
    for (const text of [
      'SELECT * FROM named_probe',
      'INSERT INTO named_probe (id) VALUES ($1) RETURNING named_probe.*',
    ])
      await expect(run({ name: 'named_probe_star', text }, ['s1'])).rejects.toThrow(
        'named statement named_probe_star reads "*"',
      );
    expect(
      await run<{ id: string }>(
        { name: 'named_probe_ids', text: 'SELECT id FROM named_probe WHERE id = $1' },
        ['none'],
      ),
    ).toEqual([]);
  });

  it('is not given to another Kysely instance over the same pool', () => {
    const passThrough: KyselyPlugin = {
      transformQuery: ({ node }) => node,
      transformResult: async ({ result }) => result,
    };
    expect(directPg(store.db.withPlugin(passThrough))).toBeUndefined();
  });

  it('is prepared on the server under its name, and then only bound', async () => {
    // pg_prepared_statements is per connection: a transaction keeps to one.
    await store.db.transaction().execute(async (trx) => {
      const run = directPg(trx)!;
      for (let i = 0; i < 3; i++) await run(insert, [[`p${i}`]]);
      const held = await sql<{ name: string; statement: string }>`
        SELECT name, statement FROM pg_prepared_statements WHERE name = ${insert.name}`.execute(trx);
      expect(held.rows).toEqual([
        { name: insert.name, statement: `/*statement:${insert.name}*/ ${insert.text}` },
      ]);
    });
    expect(await count()).toBeGreaterThanOrEqual(4);
  });
});
