/**
 * Address changes on both databases: a number change relabels the contact (same id), or merges
 * the contact that already had the new number into it; a BSUID change follows the person, also
 * when they wrote under the new BSUID before the notice; a change about a stranger changes
 * nothing. Address changes are applied in Meta's order whatever order they arrive in.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import type { IdentityChangeItem } from '../../channels/channel';
import { createIdGenerator } from '../../domain/ids';
import { ensureContact } from '../../store/contacts-repo';
import { insertInbound } from '../../store/inbound-repo';
import { insertMessages } from '../../store/messages-repo';
import type { EngineContext } from '../context';
import { applyIdentityChanges } from './identity-applier';

const ACCOUNTS = { byExternalId: (id: string) => (id === 'pn_1' ? { id: 'acc_1' } : undefined) };
const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('identity applier on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    const gen = createIdGenerator((n) => randomBytes(n));
    ctx = { store, clock: () => T0, id: (p) => gen(p, T0), log: pino({ level: 'silent' }) };
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    for (const t of ['contacts', 'inbound_messages', 'contact_tags', 'consent_events', 'messages'] as const)
      await store.db.deleteFrom(t).execute();
  });

  const apply = (items: IdentityChangeItem[]) =>
    store.db.transaction().execute((trx) => applyIdentityChanges(ctx, ACCOUNTS, trx, items));
  const change = (over: Partial<IdentityChangeItem>): IdentityChangeItem => ({
    kind: 'identity_change',
    externalId: 'pn_1',
    change: 'number',
    timestamp: T0,
    raw: {},
    ...over,
  });
  const all = () => store.db.selectFrom('contacts').selectAll().orderBy('id').execute();
  const add = (id: string, waId: string, bsuid: string | null = null) =>
    ensureContact(
      store.db,
      { id, accountId: 'acc_1', waId, phoneE164: /^\d+$/.test(waId) ? `+${waId}` : null, bsuid },
      T0 - 1000,
    );

  it('user_changed_number: the same contact, relabelled to the new phone, keeping its BSUID', async () => {
    await add('ctc_a', '5491155550001', 'AR.1');
    await apply([
      change({ waId: '5491155550001', newWaId: '5491155550009', previousUserId: 'AR.1', userId: 'AR.1' }),
    ]);
    expect(await all()).toMatchObject([
      { id: 'ctc_a', wa_id: '5491155550009', phone_e164: '+5491155550009', bsuid: 'AR.1' },
    ]);
  });

  it('queued messages follow the new number; a message already posted keeps its address', async () => {
    await add('ctc_a', '5491155550001');
    const message = (id: string) => ({
      id,
      accountId: 'acc_1',
      contactId: 'ctc_a',
      to: '5491155550001',
      content: { kind: 'text' as const },
      template: null,
      metadata: null,
      idempotencyKey: null,
      requestHash: null,
      replyToProviderId: null,
      queuedAt: T0 - 100,
    });
    await insertMessages(store.db, [message('msg_q'), message('msg_s')]);
    await store.db.updateTable('messages').set({ status: 'sent' }).where('id', '=', 'msg_s').execute();
    await apply([change({ waId: '5491155550001', newWaId: '5491155550009' })]);
    const rows = await store.db.selectFrom('messages').select(['id', 'to_wa']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: 'msg_q', to_wa: '5491155550009' },
      { id: 'msg_s', to_wa: '5491155550001' },
    ]);
  });

  it('user_changed_number onto a number that already has a contact: merged into the older one', async () => {
    await add('ctc_a', '5491155550001');
    await add('ctc_b', '5491155550009');
    await insertInbound(
      store.db,
      [
        {
          id: 'inb_b',
          accountId: 'acc_1',
          contactId: 'ctc_b',
          providerMessageId: 'wamid.B',
          type: 'text',
          text: 'desde el número nuevo',
          payload: null,
          contextProviderId: null,
          receivedAt: T0 - 500,
        },
      ],
      T0,
    );
    await apply([
      change({ waId: '5491155550001', newWaId: '5491155550009', previousUserId: 'AR.2', userId: 'AR.3' }),
    ]);
    expect(await all()).toMatchObject([{ id: 'ctc_a', wa_id: '5491155550009', bsuid: 'AR.3' }]);
    const inb = await store.db.selectFrom('inbound_messages').select('contact_id').executeTakeFirstOrThrow();
    expect(inb.contact_id).toBe('ctc_a');
  });

  it('a username-only contact (found by its BSUID) learns its new phone', async () => {
    await add('ctc_u', 'AR.7', 'AR.7');
    await apply([change({ newWaId: '5491155550010', previousUserId: 'AR.7', userId: 'AR.7' })]);
    expect(await all()).toMatchObject([{ id: 'ctc_u', wa_id: '5491155550010', bsuid: 'AR.7' }]);
  });

  it('user_changed_user_id: the BSUID follows; a contact made under the new BSUID first merges in', async () => {
    await add('ctc_p', '5491155550002', 'AR.40');
    await add('ctc_n', 'AR.41', 'AR.41');
    await apply([change({ change: 'user_id', previousUserId: 'AR.40', userId: 'AR.41' })]);
    expect(await all()).toMatchObject([{ id: 'ctc_p', wa_id: '5491155550002', bsuid: 'AR.41' }]);
  });

  it('user_changed_user_id for a BSUID-only contact moves its address too', async () => {
    await add('ctc_u', 'AR.50', 'AR.50');
    await apply([change({ change: 'user_id', previousUserId: 'AR.50', userId: 'AR.51' })]);
    expect(await all()).toMatchObject([{ id: 'ctc_u', wa_id: 'AR.51', bsuid: 'AR.51' }]);
  });

  it('two number changes arriving out of order end at the last one', async () => {
    await add('ctc_a', '5491155550001');
    await apply([
      change({ waId: '5491155550002', newWaId: '5491155550003', timestamp: T0 + 2000 }),
      change({ waId: '5491155550001', newWaId: '5491155550002', timestamp: T0 + 1000 }),
    ]);
    expect(await all()).toMatchObject([{ id: 'ctc_a', wa_id: '5491155550003' }]);
  });

  it('a change about someone we never knew, or for another number, changes nothing', async () => {
    await add('ctc_a', '5491155550001');
    await apply([
      change({ waId: '5491100000000', newWaId: '5491100000001' }),
      change({ change: 'user_id', previousUserId: 'AR.8', userId: 'AR.9' }),
      change({ externalId: 'pn_other', waId: '5491155550001', newWaId: '5491155550005' }),
    ]);
    expect(await all()).toMatchObject([{ id: 'ctc_a', wa_id: '5491155550001', bsuid: null }]);
  });
});
