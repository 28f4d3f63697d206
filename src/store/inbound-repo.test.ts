/**
 * Inbound messages are stored once per Meta id, on both databases: the same webhook delivered
 * twice, within one batch or across batches, leaves one row, and only its first insert reports
 * it as new (so it is applied once).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { insertInbound, linkReplies, type NewInbound } from './inbound-repo';

const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('inbound repository on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('inbound_messages').execute();
  });

  const inbound = (n: number, providerMessageId = `wamid.IN-${n}`): NewInbound => ({
    id: `inb_${n}`,
    accountId: 'acc_1',
    contactId: 'ctc_1',
    providerMessageId,
    type: 'text',
    text: `hola ${n}`,
    payload: null,
    contextProviderId: null,
    receivedAt: T0 + n,
  });
  const rowsOf = (providerMessageId: string) =>
    store.db
      .selectFrom('inbound_messages')
      .selectAll()
      .where('provider_message_id', '=', providerMessageId)
      .execute();

  it('stores a message delivered twice once, and reports it new only the first time', async () => {
    expect(await insertInbound(store.db, [inbound(1)], T0)).toEqual(new Set(['wamid.IN-1']));
    expect(await insertInbound(store.db, [{ ...inbound(2, 'wamid.IN-1'), text: 'again' }], T0)).toEqual(
      new Set(),
    );
    const rows = await rowsOf('wamid.IN-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: 'inb_1', text: 'hola 1', received_at: T0 + 1, created_at: T0 });
  });

  it('inserts a batch larger than one chunk in one call, skipping what was stored before', async () => {
    await insertInbound(store.db, [inbound(7), inbound(300)], T0);
    const batch = Array.from({ length: 450 }, (_, i) => inbound(i));
    const fresh = await insertInbound(store.db, batch, T0);
    expect(fresh.size).toBe(448);
    expect(fresh.has('wamid.IN-7')).toBe(false);
    expect(fresh.has('wamid.IN-300')).toBe(false);
    const count = await store.db
      .selectFrom('inbound_messages')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(450);
  });

  it('concurrent inserts of the same messages leave one row each', async () => {
    const batch = Array.from({ length: 30 }, (_, i) => inbound(i));
    const fresh = await Promise.all(
      Array.from({ length: 4 }, (_, k) =>
        store.db.transaction().execute((trx) =>
          insertInbound(
            trx,
            batch.map((b) => ({ ...b, id: `${b.id}_${k}` })),
            T0,
          ),
        ),
      ),
    );
    // Every message was new for exactly one of the four.
    for (const b of batch) expect(fresh.filter((f) => f.has(b.providerMessageId))).toHaveLength(1);
    const count = await store.db
      .selectFrom('inbound_messages')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(30);
  });

  it('links replies to our messages in one call', async () => {
    await insertInbound(store.db, [inbound(1), inbound(2), inbound(3)], T0);
    await linkReplies(store.db, [
      { inboundId: 'inb_1', messageId: 'msg_a' },
      { inboundId: 'inb_3', messageId: 'msg_b' },
    ]);
    const rows = await store.db
      .selectFrom('inbound_messages')
      .select(['id', 'reply_to_message_id'])
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { id: 'inb_1', reply_to_message_id: 'msg_a' },
      { id: 'inb_2', reply_to_message_id: null },
      { id: 'inb_3', reply_to_message_id: 'msg_b' },
    ]);
  });
});
