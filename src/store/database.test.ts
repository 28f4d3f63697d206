import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageRow } from '../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
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
