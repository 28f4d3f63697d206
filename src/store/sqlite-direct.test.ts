/**
 * The per-row statements share Recontact's one SQLite connection with Kysely. Taken through the
 * store's own Kysely instance they wait for a Kysely transaction in progress, never run inside it
 * (its rollback would undo them); taken through a transaction they are part of it, committed and
 * rolled back with it. Another store's transaction, or PostgreSQL, keeps the Kysely path.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { messageRow, T0 } from '../../test/support/message-rows';
import { signal } from '../../test/support/signal';
import { openTestStore, type TestStore } from '../../test/support/stores';
import { markPosting } from './dispatch-repo';
import { directSqlite } from './sqlite-direct';

describe('per-row statements on the SQLite connection', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('messages').execute();
    await store.db
      .insertInto('messages')
      .values([messageRow('a'), messageRow('b')])
      .execute();
  });

  const statusOf = async (id: string) =>
    (await store.db.selectFrom('messages').select('status').where('id', '=', id).executeTakeFirstOrThrow())
      .status;

  it('wait for a Kysely transaction in progress and survive its rollback', async () => {
    const mayRollBack = signal();
    const inside = signal();
    const rolledBack = store.db
      .transaction()
      .execute(async (trx) => {
        await trx.updateTable('messages').set({ status: 'cancelled' }).where('id', '=', 'b').execute();
        inside.fire();
        await mayRollBack.reached;
        throw new Error('roll it back');
      })
      .catch((e: Error) => e.message);
    await inside.reached;
    let marked: string[] | undefined;
    const marking = markPosting(store.db, 'w1', ['a'], T0 + 1, 60_000).then((ids) => {
      marked = ids;
    });
    // The transaction still holds the connection: nothing was marked yet.
    await new Promise((r) => setImmediate(r));
    expect(marked).toBeUndefined();
    mayRollBack.fire();
    expect(await rolledBack).toBe('roll it back');
    await marking;
    expect(marked).toEqual(['a']);
    expect(await statusOf('a')).toBe('sending');
    expect(await statusOf('b')).toBe('queued');
  });

  it('are taken through a store’s own Kysely instance or a transaction on it, nothing else', async () => {
    expect(directSqlite(store.db)).toBeTypeOf('function');
    expect(directSqlite(store.db.withSchema('main'))).toBeUndefined();
    const other = await openTestStore('sqlite');
    try {
      await other.db.transaction().execute(async (trx) => {
        const run = directSqlite(trx)!;
        // The other store's connection, not this one's: its row changes, this store's does not.
        await run((prepare) => prepare(`UPDATE messages SET status = 'sending' WHERE id = ?`).run('a'));
      });
    } finally {
      await other.destroy();
    }
    expect(await statusOf('a')).toBe('queued');
  });

  it('inside a transaction, run at once in it and roll back with it', async () => {
    const err = await store.db
      .transaction()
      .execute(async (trx) => {
        const run = directSqlite(trx)!;
        expect(await run(() => 1)).toBe(1);
        await run((prepare) => prepare(`UPDATE messages SET status = 'sending' WHERE id = ?`).run('a'));
        // Kysely reads it on the same connection, in the same transaction.
        expect(
          (await trx.selectFrom('messages').select('status').where('id', '=', 'a').executeTakeFirstOrThrow())
            .status,
        ).toBe('sending');
        throw new Error('roll it back');
      })
      .catch((e: Error) => e.message);
    expect(err).toBe('roll it back');
    expect(await statusOf('a')).toBe('queued');
    await store.db.transaction().execute(async (trx) => {
      await markPosting(trx, 'w1', ['b'], T0 + 1, 60_000);
    });
    expect(await statusOf('b')).toBe('sending');
  });

  it('refuse to run outside the transaction they were taken from', async () => {
    let run: ReturnType<typeof directSqlite>;
    await store.db.transaction().execute(async (trx) => {
      run = directSqlite(trx);
    });
    await expect(
      run!((prepare) => prepare(`UPDATE messages SET status = 'sending' WHERE id = ?`).run('a')),
    ).rejects.toThrow(/ended/);
    expect(await statusOf('a')).toBe('queued');
  });

  it('roll back together when one row fails', async () => {
    const run = directSqlite(store.db)!;
    await expect(
      run((prepare) => {
        prepare(`UPDATE messages SET status = 'sending' WHERE id = ?`).run('a');
        prepare(`UPDATE messages SET status = NULL WHERE id = ?`).run('b');
      }),
    ).rejects.toThrow(/NOT NULL/);
    expect(await statusOf('a')).toBe('queued');
  });
});
