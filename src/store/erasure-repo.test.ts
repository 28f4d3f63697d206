/**
 * Erasure reaches events that still wait for their position (event_backlog) as well as those in
 * the log, on both databases: nothing the sequencer moves afterwards carries the person's data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { ensureContact } from './contacts-repo';
import { eraseContact } from './erasure-repo';
import { insertEvents, sequencePending } from './events-repo';

const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('erasure of events on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());

  it('redacts an event waiting in the backlog, and the log it is moved into holds it redacted', async () => {
    const contact = await ensureContact(
      store.db,
      { id: 'ctc_erase', accountId: 'acc_1', waId: '5491155550123', phoneE164: '+5491155550123' },
      T0,
    );
    // An event naming the person, as message.received does.
    const emit = (id: string, at: number) =>
      insertEvents(
        store.db,
        [
          {
            id,
            type: 'message.received',
            payload: JSON.stringify({
              contact: { id: contact.id, wa_id: contact.wa_id, name: 'Emilia' },
              id,
            }),
            orderingKey: `contact:${contact.id}`,
          },
        ],
        at,
      );
    await emit('evt_logged', T0);
    await sequencePending(store.db, { now: T0, limit: 100, newDeliveryId: () => 'dlv_1' });
    await emit('evt_waiting', T0 + 1);

    const counts = await store.db.transaction().execute((trx) => eraseContact(trx, contact, T0 + 2));
    expect(counts.events).toBe(2);
    const waiting = await store.db.selectFrom('event_backlog').select('payload').execute();
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.payload).not.toContain('5491155550123');
    expect(waiting[0]!.payload).not.toContain('Emilia');

    await sequencePending(store.db, { now: T0 + 3, limit: 100, newDeliveryId: () => 'dlv_2' });
    const logged = await store.db
      .selectFrom('events')
      .select(['id', 'payload', 'position'])
      .orderBy('position')
      .execute();
    expect(logged.map((e) => e.id)).toEqual(['evt_logged', 'evt_waiting']);
    for (const e of logged) {
      expect(e.payload).not.toContain('5491155550123');
      expect(e.payload).not.toContain('Emilia');
    }
  });
});
