/**
 * The held messages' repository on both databases: held rows listed in created order, one
 * inbound stamps every held message of its contact, releases happen one at a time (the next only
 * once the one before it and the fallback template left the outbox), expiry spares released
 * messages, and every move is guarded by the status it expects.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { readdressQueued } from './contacts-repo';
import {
  cancelHeld,
  expireHeld,
  findReleasable,
  holdMessages,
  listHeld,
  markReleased,
  moveToQueue,
  releasedByInbound,
} from './held-messages-repo';
import { insertMessages, type NewMessage } from './messages-repo';

const T0 = 1_764_000_000_123;
const HOUR = 3600_000;

describe.each(DIALECTS)('held messages repository on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('messages').execute();
  });

  const message = (id: string, contactId: string, at: number, kind: 'text' | 'template'): NewMessage => ({
    id,
    accountId: 'acc_1',
    contactId,
    to: '5491155551234',
    content: { kind },
    template: kind === 'template' ? { name: 'resume', language: 'es' } : null,
    metadata: null,
    idempotencyKey: null,
    requestHash: null,
    replyToProviderId: null,
    queuedAt: at,
  });

  /** A template queued and a free-form message held beside it, for `contactId` at `at`. */
  async function held(id: string, contactId: string, at: number, holdFor = 7 * 24 * HOUR) {
    await insertMessages(store.db, [
      message(`${id}_tpl`, contactId, at, 'template'),
      message(id, contactId, at, 'text'),
    ]);
    const [row] = await holdMessages(store.db, [
      { id, holdUntil: at + holdFor, fallbackMessageId: `${id}_tpl` },
    ]);
    return row!;
  }

  const setStatus = (id: string, status: 'accepted' | 'failed' | 'sending') =>
    store.db.updateTable('messages').set({ status }).where('id', '=', id).execute();

  it('lists what is held for a contact in created order, with its hold and fallback', async () => {
    await held('msg_2', 'ctc_a', T0 + 2);
    const first = await held('msg_1', 'ctc_a', T0 + 1);
    await held('msg_x', 'ctc_b', T0);
    expect(first).toMatchObject({
      status: 'held',
      hold_until: T0 + 1 + 7 * 24 * HOUR,
      fallback_message_id: 'msg_1_tpl',
    });
    expect((await listHeld(store.db, 'ctc_a')).map((m) => m.id)).toEqual(['msg_1', 'msg_2']);
    expect(await listHeld(store.db, 'ctc_none')).toEqual([]);
  });

  it('an inbound stamps every held message of its contact; they go to the queue one at a time', async () => {
    for (const [i, id] of ['msg_1', 'msg_2', 'msg_3'].entries()) await held(id, 'ctc_a', T0 + i);
    await held('msg_b', 'ctc_b', T0);
    // The templates left the outbox (Meta accepted them) before the contact wrote.
    for (const id of ['msg_1_tpl', 'msg_2_tpl', 'msg_3_tpl', 'msg_b_tpl']) await setStatus(id, 'accepted');
    expect(await findReleasable(store.db, 10)).toEqual([]);

    const stamped = await markReleased(store.db, [{ contactId: 'ctc_a', inboundId: 'inb_1' }], T0 + HOUR);
    expect(stamped.map((m) => m.id)).toEqual(['msg_1', 'msg_2', 'msg_3']);
    // A second inbound before their turn releases nothing more.
    expect(await markReleased(store.db, [{ contactId: 'ctc_a', inboundId: 'inb_2' }], T0 + HOUR)).toEqual([]);
    expect(await releasedByInbound(store.db, ['inb_1', 'inb_2', 'inb_9'])).toEqual(
      new Map([['inb_1', ['msg_1', 'msg_2', 'msg_3']]]),
    );

    const order: string[] = [];
    for (let turn = 0; turn < 3; turn++) {
      const next = await findReleasable(store.db, 10);
      expect(next.map((m) => m.id)).toHaveLength(1);
      const moved = await moveToQueue(store.db, [next[0]!.id], T0 + HOUR + turn);
      expect(moved[0]).toMatchObject({
        status: 'queued',
        released_by: 'inb_1',
        released_at: T0 + HOUR + turn,
      });
      // A second mover (another process) changes nothing.
      expect(await moveToQueue(store.db, [next[0]!.id], T0 + HOUR + turn)).toEqual([]);
      // While it is in the outbox (queued, then sending), the next one waits.
      expect(await findReleasable(store.db, 10)).toEqual([]);
      await setStatus(next[0]!.id, 'sending');
      expect(await findReleasable(store.db, 10)).toEqual([]);
      await setStatus(next[0]!.id, turn === 1 ? 'failed' : 'accepted');
      order.push(next[0]!.id);
    }
    expect(order).toEqual(['msg_1', 'msg_2', 'msg_3']);
    expect(await findReleasable(store.db, 10)).toEqual([]);
    expect((await listHeld(store.db, 'ctc_b')).map((m) => m.id)).toEqual(['msg_b']);
  });

  it('a released message waits for its template to leave the outbox', async () => {
    await held('msg_1', 'ctc_a', T0);
    await markReleased(store.db, [{ contactId: 'ctc_a', inboundId: 'inb_1' }], T0 + 1);
    expect(await findReleasable(store.db, 10)).toEqual([]);
    await setStatus('msg_1_tpl', 'accepted');
    expect((await findReleasable(store.db, 10)).map((m) => m.id)).toEqual(['msg_1']);
    // A webhook batch looks at its own contacts only.
    expect((await findReleasable(store.db, 10, ['ctc_a', 'ctc_b'])).map((m) => m.id)).toEqual(['msg_1']);
    expect(await findReleasable(store.db, 10, ['ctc_b'])).toEqual([]);
    expect(await findReleasable(store.db, 10, [])).toEqual([]);
  });

  it('expires unreleased held messages past their hold, not released ones', async () => {
    await held('msg_1', 'ctc_a', T0, HOUR);
    await held('msg_2', 'ctc_b', T0, HOUR);
    await held('msg_3', 'ctc_c', T0, 2 * HOUR);
    await markReleased(store.db, [{ contactId: 'ctc_b', inboundId: 'inb_1' }], T0 + 1);
    expect(await expireHeld(store.db, T0 + HOUR - 1, 10)).toEqual([]);
    const expired = await expireHeld(store.db, T0 + HOUR, 10);
    expect(expired.map((m) => [m.id, m.status])).toEqual([['msg_1', 'expired']]);
    // Past its hold, a contact's message is no longer released by their inbound.
    expect(await markReleased(store.db, [{ contactId: 'ctc_c', inboundId: 'inb_2' }], T0 + 2 * HOUR)).toEqual(
      [],
    );
  });

  it('a held message follows its contact to a new address, as a queued one does', async () => {
    await held('msg_1', 'ctc_a', T0);
    expect(await readdressQueued(store.db, 'ctc_a', '5491155551234', '5491166660000', T0 + 1)).toBe(2);
    expect((await listHeld(store.db, 'ctc_a'))[0]).toMatchObject({ id: 'msg_1', to_wa: '5491166660000' });
  });

  it('two processes releasing and expiring at once move each message once', async () => {
    for (const [i, id] of ['msg_1', 'msg_2'].entries()) await held(id, 'ctc_a', T0 + i);
    await held('msg_e', 'ctc_e', T0, HOUR);
    await setStatus('msg_1_tpl', 'accepted');
    await setStatus('msg_2_tpl', 'accepted');
    await markReleased(store.db, [{ contactId: 'ctc_a', inboundId: 'inb_1' }], T0 + 1);
    const worker = () =>
      store.db.transaction().execute(async (trx) => {
        const expired = await expireHeld(trx, T0 + HOUR, 10);
        const due = await findReleasable(trx, 10);
        const moved = await moveToQueue(
          trx,
          due.map((m) => m.id),
          T0 + 2,
        );
        return [...expired, ...moved].map((m) => m.id);
      });
    const results = await Promise.all([worker(), worker(), worker()]);
    expect(results.flat().sort()).toEqual(['msg_1', 'msg_e']);
    const rows = await store.db.selectFrom('messages').select(['id', 'status']).orderBy('id').execute();
    expect(rows.filter((r) => !r.id.endsWith('_tpl'))).toEqual([
      { id: 'msg_1', status: 'queued' },
      { id: 'msg_2', status: 'held' },
      { id: 'msg_e', status: 'expired' },
    ]);
  });

  it('cancels only a held message', async () => {
    await held('msg_1', 'ctc_a', T0);
    expect(await cancelHeld(store.db, 'msg_1_tpl', T0 + 1)).toBeUndefined();
    expect(await cancelHeld(store.db, 'msg_1', T0 + 1)).toMatchObject({ status: 'cancelled' });
    expect(await cancelHeld(store.db, 'msg_1', T0 + 2)).toBeUndefined();
    expect(await listHeld(store.db, 'ctc_a')).toEqual([]);
  });
});
