import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { createIdGenerator } from '../domain/ids';
import { listMessages } from './messages-repo';

describe.each(DIALECTS)('listMessages on %s', (dialect) => {
  let store: TestStore;
  const ids: string[] = [];
  const T = 1_764_000_000_000;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    const gen = createIdGenerator((n) => randomBytes(n));
    await store.db
      .insertInto('contacts')
      .values([
        { id: 'ctc_emilia', account_id: 'acc_a', wa_id: '5491155551234', created_at: T, updated_at: T },
        { id: 'ctc_bruno', account_id: 'acc_a', wa_id: '5491155550000', created_at: T, updated_at: T },
        { id: 'ctc_emilia_b', account_id: 'acc_b', wa_id: '5491155551234', created_at: T, updated_at: T },
      ])
      .execute();
    // 12 messages, one per second: Emilia gets the even ones, Bruno the odd ones.
    const statuses = ['queued', 'sent', 'delivered', 'failed'] as const;
    for (let i = 0; i < 12; i++) {
      const at = T + i * 1000;
      const id = gen('msg', at);
      ids.push(id);
      const emilia = i % 2 === 0;
      await store.db
        .insertInto('messages')
        .values({
          id,
          account_id: i === 10 ? 'acc_b' : 'acc_a',
          contact_id: i === 10 ? 'ctc_emilia_b' : emilia ? 'ctc_emilia' : 'ctc_bruno',
          to_wa: emilia ? '5491155551234' : '5491155550000',
          kind: 'template',
          content: '{}',
          template_name: i % 3 === 0 ? 'appointment_reminder' : 'taxi_discount',
          template_language: 'es_AR',
          status: statuses[i % 4]!,
          next_attempt_at: at,
          created_at: at,
          updated_at: at,
        })
        .execute();
    }
  });
  afterAll(() => store.destroy());

  const idsOf = (rows: Array<{ id: string }>) => rows.map((r) => r.id);
  const newestFirst = (indexes: number[]) => indexes.sort((a, b) => b - a).map((i) => ids[i]!);

  it('lists newest first, in pages that join up without gaps or repeats', async () => {
    const pages: string[][] = [];
    let beforeId: string | undefined;
    for (;;) {
      const rows = await listMessages(store.db, { limit: 5, ...(beforeId ? { beforeId } : {}) });
      if (rows.length === 0) break;
      pages.push(idsOf(rows));
      beforeId = rows.at(-1)!.id;
    }
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(pages.flat()).toEqual([...ids].reverse());
  });

  it('filters by status, several at once', async () => {
    expect(idsOf(await listMessages(store.db, { limit: 50, statuses: ['failed'] }))).toEqual(
      newestFirst([3, 7, 11]),
    );
    expect(idsOf(await listMessages(store.db, { limit: 50, statuses: ['queued', 'failed'] }))).toEqual(
      newestFirst([0, 3, 4, 7, 8, 11]),
    );
  });

  it("filters by the recipient's wa_id, within an account or across accounts", async () => {
    expect(
      idsOf(await listMessages(store.db, { limit: 50, waId: '5491155551234', accountId: 'acc_a' })),
    ).toEqual(newestFirst([0, 2, 4, 6, 8]));
    expect(idsOf(await listMessages(store.db, { limit: 50, waId: '5491155551234' }))).toEqual(
      newestFirst([0, 2, 4, 6, 8, 10]),
    );
    expect(await listMessages(store.db, { limit: 50, waId: '15550000000' })).toEqual([]);
  });

  it('filters by contact id and template name, combined with a page boundary', async () => {
    expect(
      idsOf(
        await listMessages(store.db, {
          limit: 50,
          contactId: 'ctc_bruno',
          templateName: 'taxi_discount',
          beforeId: ids[9]!,
        }),
      ),
    ).toEqual(newestFirst([1, 5, 7]));
  });
});
