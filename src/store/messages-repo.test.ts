/**
 * The messages repository's webhook-side guarantees, on both databases: a queued message comes
 * back as the database holds it, batched status writes change exactly the rows and fields given
 * (nulls and millisecond times intact), the first reply recorded on a message wins, and reply
 * candidates of many contacts come from one query.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newMessage } from '../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import {
  findMessageStatesByIds,
  findMessagesByIds,
  findReplyCandidates,
  insertMessages,
  markReplied,
  type NewMessage,
  type StatusState,
  writeStatusStates,
} from './messages-repo';

const T0 = 1_764_000_000_123;
const DAY = 24 * 3600_000;

describe.each(DIALECTS)('messages repository on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('messages').execute();
  });

  const queued = (id: string, over: Partial<NewMessage> = {}): NewMessage =>
    newMessage(id, { queuedAt: T0, ...over });

  it('queues messages and returns each row as stored, in the order given', async () => {
    const rows = await insertMessages(store.db, [
      queued('msg_b', {
        content: { kind: 'template' },
        template: { name: 'appointment_reminder', language: 'es_AR' },
        metadata: { appointment_id: 'appt-123', n: 1 },
        idempotencyKey: 'k1',
      }),
      queued('msg_a'),
      // Every column a request can set, so each is compared with what the database stored.
      queued('msg_c', {
        content: { kind: 'template' },
        template: { name: 'promo', language: 'en', category: 'MARKETING' },
        requestHash: 'h',
        replyToProviderId: 'wamid.in',
        dueAt: T0 + 60_000,
        campaignId: 'cmp_1',
        routing: { on_reply: [] },
      }),
    ]);
    expect(rows.map((r) => r.id)).toEqual(['msg_b', 'msg_a', 'msg_c']);
    expect(rows[0]).toMatchObject({
      kind: 'template',
      status: 'queued',
      attempts: 0,
      template_name: 'appointment_reminder',
      template_language: 'es_AR',
      idempotency_key: 'k1',
      next_attempt_at: T0,
      created_at: T0,
      provider_message_id: null,
      replied_at: null,
    });
    expect(JSON.parse(rows[0]!.metadata!)).toEqual({ appointment_id: 'appt-123', n: 1 });
    expect(JSON.parse(rows[0]!.content)).toEqual({ kind: 'template' });
    expect(rows[2]).toMatchObject({ next_attempt_at: T0 + 60_000, created_at: T0, campaign_id: 'cmp_1' });
    // The rows handed back are the stored rows, column for column (none read back: see insertMessages).
    expect(await findMessagesByIds(store.db, ['msg_a', 'msg_b', 'msg_c'])).toStrictEqual([
      rows[1],
      rows[0],
      rows[2],
    ]);
  });

  it('inside a transaction, inserts with it: seen by its reads, undone by its rollback, all or none', async () => {
    const rolledBack = await store.db
      .transaction()
      .execute(async (trx) => {
        await insertMessages(trx, [queued('msg_1'), queued('msg_2')]);
        expect((await findMessagesByIds(trx, ['msg_1', 'msg_2'])).map((r) => r.id).sort()).toEqual([
          'msg_1',
          'msg_2',
        ]);
        throw new Error('roll it back');
      })
      .catch((e: Error) => e.message);
    expect(rolledBack).toBe('roll it back');
    expect(await findMessagesByIds(store.db, ['msg_1', 'msg_2'])).toEqual([]);
    // A key already taken fails the statement, and the transaction with everything it wrote.
    await insertMessages(store.db, [queued('msg_3')]);
    await expect(
      store.db.transaction().execute((trx) => insertMessages(trx, [queued('msg_4'), queued('msg_3')])),
    ).rejects.toThrow(/unique|UNIQUE|duplicate/);
    expect((await findMessagesByIds(store.db, ['msg_3', 'msg_4'])).map((r) => r.id)).toEqual(['msg_3']);
  });

  it('writes the delivery state of many rows at once, exactly as given', async () => {
    const ids = Array.from({ length: 320 }, (_, i) => `msg_${String(i).padStart(4, '0')}`);
    await insertMessages(
      store.db,
      ids.map((id) => queued(id)),
    );
    const untouched = 'msg_0007';
    const states: StatusState[] = ids
      .filter((id) => id !== untouched)
      .map((id, i) => ({
        id,
        status: i % 3 === 0 ? 'failed' : 'delivered',
        provider_message_id: `wamid.${id}`,
        sent_at: T0 + 1_000,
        delivered_at: i % 3 === 0 ? null : T0 + 2_000 + i,
        read_at: null,
        failed_at: i % 3 === 0 ? T0 + 3_000 : null,
        error_code: i % 3 === 0 ? 131047 : null,
        error_class: i % 3 === 0 ? 'retry_after_window' : null,
        error_message: i % 3 === 0 ? 'More than 24 hours have passed' : null,
        locked_by: null,
        locked_until: null,
        // Meta's billing facts ride with the state (one update of the row).
        pricing_category: i % 3 === 0 ? null : 'utility',
        billable: i % 3 === 0 ? null : i % 2,
      }));
    await writeStatusStates(store.db, states, T0 + 5_000);
    const rows = new Map((await findMessagesByIds(store.db, ids)).map((r) => [r.id, r]));
    for (const s of states) expect(rows.get(s.id)).toMatchObject({ ...s, updated_at: T0 + 5_000 });
    // The status applier's read: the same rows without their content.
    const read = await findMessageStatesByIds(store.db, ['msg_0001', untouched]);
    expect(read.map((r) => r.id)).toEqual(['msg_0001', untouched]);
    expect(read[0]).toMatchObject({ status: 'delivered', pricing_category: 'utility', billable: 1 });
    expect(read[0]).not.toHaveProperty('content');
    expect(rows.get(untouched)).toMatchObject({
      status: 'queued',
      provider_message_id: null,
      updated_at: T0,
    });
    expect(typeof rows.get('msg_0001')!.delivered_at).toBe('number');
  });

  it('records the first reply on a message; a later one leaves its time', async () => {
    await insertMessages(store.db, [queued('msg_1'), queued('msg_2')]);
    expect(await markReplied(store.db, [{ id: 'msg_1', at: T0 + 10 }], T0 + 11)).toEqual(new Set(['msg_1']));
    expect(
      await markReplied(
        store.db,
        [
          { id: 'msg_1', at: T0 + 20 },
          { id: 'msg_2', at: T0 + 30 },
        ],
        T0 + 31,
      ),
    ).toEqual(new Set(['msg_2']));
    const [m1, m2] = await findMessagesByIds(store.db, ['msg_1', 'msg_2']);
    expect(m1).toMatchObject({ replied_at: T0 + 10, updated_at: T0 + 11 });
    expect(m2).toMatchObject({ replied_at: T0 + 30 });
  });

  it('finds, in one call, quoted messages and recent answerable ones of many contacts', async () => {
    await insertMessages(store.db, [
      queued('msg_old_quoted', { contactId: 'ctc_a', queuedAt: T0 - 30 * DAY }),
      queued('msg_a1', { contactId: 'ctc_a', queuedAt: T0 - DAY }),
      queued('msg_a_queued', { contactId: 'ctc_a', queuedAt: T0 - DAY }),
      queued('msg_b1', { contactId: 'ctc_b', queuedAt: T0 - 2 * DAY }),
      queued('msg_b_late', { contactId: 'ctc_b', queuedAt: T0 + DAY }),
      queued('msg_c1', { contactId: 'ctc_c', queuedAt: T0 - DAY }),
    ]);
    await store.db
      .updateTable('messages')
      .set({ status: 'delivered' })
      .where('id', '!=', 'msg_a_queued')
      .execute();
    await store.db
      .updateTable('messages')
      .set({ provider_message_id: 'wamid.QUOTED' })
      .where('id', '=', 'msg_old_quoted')
      .execute();
    const rows = await findReplyCandidates(store.db, {
      contactIds: ['ctc_a', 'ctc_b'],
      quotedProviderIds: ['wamid.QUOTED'],
      statuses: ['accepted', 'sent', 'delivered', 'read'],
      since: T0 - 7 * DAY,
      until: T0,
    });
    expect(rows.map((r) => r.id)).toEqual(['msg_old_quoted', 'msg_a1', 'msg_b1']);
  });
});
