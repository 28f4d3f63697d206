import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageRow } from '../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { openStore } from './database';
import { migrateToLatest } from './migrate';

describe.each(DIALECTS)('store on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());

  it('migrates once and is a no-op the second time', async () => {
    expect(await migrateToLatest(store.db, store.schema)).toEqual([]);
  });

  it('round-trips millisecond timestamps as numbers', async () => {
    const at = 1_764_000_000_123;
    await store.db
      .insertInto('events')
      .values({ id: 'evt_1', type: 't', payload: '{}', created_at: at })
      .execute();
    const row = await store.db
      .selectFrom('events')
      .selectAll()
      .where('id', '=', 'evt_1')
      .executeTakeFirstOrThrow();
    expect(row.created_at).toBe(at);
    expect(typeof row.created_at).toBe('number');
  });

  it('enforces one message per account and idempotency key', async () => {
    const base = (id: string, key: string | null) => messageRow(id, { idempotency_key: key });
    await store.db.insertInto('messages').values(base('m1', 'k')).execute();
    await expect(store.db.insertInto('messages').values(base('m2', 'k')).execute()).rejects.toThrow();
    // Messages without a key never collide.
    await store.db.insertInto('messages').values(base('m3', null)).execute();
    await store.db.insertInto('messages').values(base('m4', null)).execute();
  });
});

describe("SQLite's page cache", () => {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cacheOf = async (sqliteCacheMb?: number) => {
    const store = await openStore({
      url: join(dir, `cache-${sqliteCacheMb ?? 'default'}.db`),
      ...(sqliteCacheMb === undefined ? {} : { sqliteCacheMb }),
    });
    try {
      return (await sql<{ cache_size: number }>`pragma cache_size`.execute(store.db)).rows[0]?.cache_size;
    } finally {
      await store.close();
    }
  };

  it("is 4 MB unless set, not the driver's 16 MB, and takes the size given (KiB, negative)", async () => {
    expect(await cacheOf()).toBe(-4096);
    expect(await cacheOf(64)).toBe(-65_536);
  });
});
