import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    const base = {
      account_id: 'acc',
      contact_id: 'c',
      to_wa: '1',
      kind: 'text' as const,
      content: '{}',
      status: 'queued' as const,
      next_attempt_at: 0,
      created_at: 0,
      updated_at: 0,
      template_name: null,
      template_language: null,
      metadata: null,
      request_hash: null,
      reply_to_provider_id: null,
      provider_message_id: null,
      locked_by: null,
      locked_until: null,
      error_code: null,
      error_class: null,
      error_message: null,
      accepted_at: null,
      sent_at: null,
      delivered_at: null,
      read_at: null,
      failed_at: null,
      replied_at: null,
    };
    await store.db
      .insertInto('messages')
      .values({ ...base, id: 'm1', idempotency_key: 'k' })
      .execute();
    await expect(
      store.db
        .insertInto('messages')
        .values({ ...base, id: 'm2', idempotency_key: 'k' })
        .execute(),
    ).rejects.toThrow();
    // Messages without a key never collide.
    await store.db
      .insertInto('messages')
      .values({ ...base, id: 'm3', idempotency_key: null })
      .execute();
    await store.db
      .insertInto('messages')
      .values({ ...base, id: 'm4', idempotency_key: null })
      .execute();
  });
});
