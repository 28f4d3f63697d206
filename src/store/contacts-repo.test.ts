/**
 * The contacts repository's own guarantees, on both databases: a window never moves back, and
 * contacts created at the same moment by concurrent transactions end up as one row with one id.
 * On PostgreSQL the interleavings are forced (a transaction is held open until the other one is
 * seen waiting for its lock), not hoped for.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newMessage } from '../../test/support/message-rows';
import { signal } from '../../test/support/signal';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { appendConsentEvents, consentHistory } from './consent-repo';
import {
  contactKey,
  ensureContact,
  ensureContacts,
  findContact,
  findContactById,
  findContacts,
  linkAddresses,
  mergeContacts,
  moveWindows,
} from './contacts-repo';
import { insertInbound } from './inbound-repo';
import { insertMessages } from './messages-repo';
import type { Database } from './schema';

const T0 = 1_764_000_000_000;
const HOUR = 3600_000;

describe.each(DIALECTS)('contacts repository on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('contacts').execute();
  });

  const contact = (waId: string, id = `ctc_${waId}`) => ({
    id,
    accountId: 'acc_1',
    waId,
    phoneE164: `+${waId}`,
  });
  const lastInbound = async (id: string) => (await findContactById(store.db, id))?.last_inbound_at;

  it("keeps a name the business set: WhatsApp's profile name does not replace it", async () => {
    const c = await ensureContact(store.db, contact('5491100000019'), T0);
    await store.db
      .updateTable('contacts')
      .set({ name: 'Emilia Gómez', name_locked: 1 })
      .where('id', '=', c.id)
      .execute();
    await moveWindows(store.db, [{ contactId: c.id, at: T0 + HOUR, name: 'Emi 🌸' }], T0);
    const row = await findContactById(store.db, c.id);
    expect(row?.name).toBe('Emilia Gómez');
    expect(Number(row?.last_inbound_at)).toBe(T0 + HOUR);
  });

  it('keeps the profile name of the newest message, whatever order the messages arrive in', async () => {
    const c = await ensureContact(store.db, contact('5491100000009'), T0);
    const name = async () => (await findContactById(store.db, c.id))?.name;
    // Within one batch: the newer message's name wins even when it comes first.
    await moveWindows(
      store.db,
      [
        { contactId: c.id, at: T0 + 2 * HOUR, name: 'Emilia G.' },
        { contactId: c.id, at: T0 + HOUR, name: 'Emi' },
      ],
      T0,
    );
    expect(await name()).toBe('Emilia G.');
    // Across batches: a late webhook for an older message does not rename her back.
    await moveWindows(store.db, [{ contactId: c.id, at: T0 + HOUR / 2, name: 'Old name' }], T0);
    expect(await name()).toBe('Emilia G.');
    await moveWindows(store.db, [{ contactId: c.id, at: T0 + 3 * HOUR, name: 'Emilia' }], T0);
    expect(await name()).toBe('Emilia');
  });

  it('moves a window forward, never back, whatever order the moves arrive in', async () => {
    const c = await ensureContact(store.db, contact('5491100000001'), T0);
    expect(c.last_inbound_at).toBeNull();
    await moveWindows(store.db, [{ contactId: c.id, at: T0 + 2 * HOUR }], T0);
    expect(await lastInbound(c.id)).toBe(T0 + 2 * HOUR);
    // A reordered webhook for an older message: the window stays where it is.
    await moveWindows(store.db, [{ contactId: c.id, at: T0 + HOUR }], T0);
    expect(await lastInbound(c.id)).toBe(T0 + 2 * HOUR);
    await moveWindows(store.db, [{ contactId: c.id, at: T0 + 3 * HOUR }], T0);
    expect(await lastInbound(c.id)).toBe(T0 + 3 * HOUR);
  });

  it('folds several moves of a batch into one per contact, the latest time and the newest name', async () => {
    const a = await ensureContact(store.db, contact('5491100000002'), T0);
    const b = await ensureContact(store.db, contact('5491100000003'), T0);
    await moveWindows(store.db, [{ contactId: b.id, at: T0 + 5 * HOUR }], T0);
    await moveWindows(
      store.db,
      [
        { contactId: a.id, at: T0 + 2 * HOUR, name: 'Ana' },
        { contactId: b.id, at: T0 + HOUR, name: 'Beto' },
        { contactId: a.id, at: T0 + HOUR, name: 'Ana María' },
        { contactId: a.id, at: T0 + 90 * 60_000 },
      ],
      T0 + 1,
    );
    const [ra, rb] = await Promise.all([findContactById(store.db, a.id), findContactById(store.db, b.id)]);
    expect(ra).toMatchObject({ last_inbound_at: T0 + 2 * HOUR, name: 'Ana', updated_at: T0 + 1 });
    // b's newer window stays; an older message still names a contact that had no name.
    expect(rb).toMatchObject({ last_inbound_at: T0 + 5 * HOUR, name: 'Beto' });
  });

  it('creates missing contacts once and returns existing ones as they are', async () => {
    const known = await ensureContact(store.db, { ...contact('5491100000004'), name: 'Known' }, T0);
    const rows = await ensureContacts(
      store.db,
      [
        { ...contact('5491100000004', 'ctc_other'), name: 'Ignored' },
        contact('5491100000005'),
        contact('5491100000005', 'ctc_dup'),
      ],
      T0 + 1,
    );
    expect(rows.size).toBe(2);
    expect(rows.get(contactKey('acc_1', '5491100000004'))).toMatchObject({ id: known.id, name: 'Known' });
    expect(rows.get(contactKey('acc_1', '5491100000005'))).toMatchObject({
      id: 'ctc_5491100000005',
      phone_e164: '+5491100000005',
      last_inbound_at: null,
      created_at: T0 + 1,
    });
    // A created row is handed back as stored, column for column, though it is not read back.
    expect(rows.get(contactKey('acc_1', '5491100000005'))).toStrictEqual(
      await findContactById(store.db, 'ctc_5491100000005'),
    );
    const count = await store.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirst();
    expect(Number(count?.n)).toBe(2);
  });

  it('concurrent upserts of the same people make one row each, and every caller gets its id', async () => {
    const waIds = Array.from({ length: 40 }, (_, i) => `54911200${String(i).padStart(5, '0')}`);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, k) =>
        store.db.transaction().execute((trx) =>
          ensureContacts(
            trx,
            // Each caller proposes its own ids, in its own order.
            (k % 2 ? [...waIds].reverse() : waIds).map((w) => contact(w, `ctc_${k}_${w}`)),
            T0,
          ),
        ),
      ),
    );
    const rows = await store.db.selectFrom('contacts').select(['id', 'wa_id']).execute();
    expect(rows).toHaveLength(waIds.length);
    const winner = new Map(rows.map((r) => [r.wa_id, r.id]));
    for (const got of results) {
      for (const w of waIds) expect(got.get(contactKey('acc_1', w))?.id).toBe(winner.get(w));
    }
  });

  it.runIf(dialect === 'postgres')(
    'an upsert that waits on another transaction’s insert of the same contact returns the row that won',
    async () => {
      const waId = '5491130000001';
      const aMayCommit = signal();
      const aHasInserted = signal();
      const a = store.db.transaction().execute(async (trx) => {
        const rows = await ensureContacts(trx, [contact(waId, 'ctc_a')], T0);
        aHasInserted.fire();
        await aMayCommit.reached;
        return rows;
      });
      await aHasInserted.reached;
      let bPid = 0;
      const b = store.db.transaction().execute(async (trx) => {
        bPid = await backendPid(trx);
        return ensureContacts(trx, [contact(waId, 'ctc_b')], T0);
      });
      await waitUntilWaitingForLock(store.db, () => bPid);
      aMayCommit.fire();
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.get(contactKey('acc_1', waId))?.id).toBe('ctc_a');
      expect(rb.get(contactKey('acc_1', waId))?.id).toBe('ctc_a');
    },
  );

  it.runIf(dialect === 'postgres')(
    'an older move that waits on a newer one’s lock leaves the newer window in place',
    async () => {
      const c = await ensureContact(store.db, contact('5491130000002'), T0);
      const aMayCommit = signal();
      const aHasMoved = signal();
      const a = store.db.transaction().execute(async (trx) => {
        await moveWindows(trx, [{ contactId: c.id, at: T0 + 2 * HOUR }], T0);
        aHasMoved.fire();
        await aMayCommit.reached;
      });
      await aHasMoved.reached;
      let bPid = 0;
      const b = store.db.transaction().execute(async (trx) => {
        bPid = await backendPid(trx);
        // B read nothing yet: its comparison must see A's committed row, not a stale one.
        await moveWindows(trx, [{ contactId: c.id, at: T0 + HOUR }], T0);
      });
      await waitUntilWaitingForLock(store.db, () => bPid);
      aMayCommit.fire();
      await Promise.all([a, b]);
      expect(await lastInbound(c.id)).toBe(T0 + 2 * HOUR);
    },
  );
});

async function backendPid(db: Kysely<Database>): Promise<number> {
  const r = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
  return r.rows[0]!.pid;
}

/** Polls PostgreSQL until the given backend is blocked on a lock (no sleeps in the assertion). */
async function waitUntilWaitingForLock(db: Kysely<Database>, pid: () => number): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (pid() !== 0) {
      const r = await sql<{ waiting: boolean }>`
        SELECT wait_event_type = 'Lock' AS waiting FROM pg_stat_activity WHERE pid = ${pid()}`.execute(db);
      if (r.rows[0]?.waiting) return;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`backend ${pid()} never waited for a lock`);
}

describe.each(DIALECTS)('contacts by BSUID (usernames) on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    for (const t of ['contacts', 'contact_tags', 'consent_events', 'messages', 'inbound_messages'] as const) {
      await store.db.deleteFrom(t).execute();
    }
  });

  const PHONE = '5491155550001';
  const BSUID = 'AR.13491208655302741918';
  const bsuidOnly = (id = 'ctc_alias', bsuid = BSUID) => ({
    id,
    accountId: 'acc_1',
    waId: bsuid,
    phoneE164: null,
    bsuid,
  });
  const phone = (id = 'ctc_phone', waId = PHONE) => ({ id, accountId: 'acc_1', waId, phoneE164: `+${waId}` });
  const all = () => store.db.selectFrom('contacts').selectAll().orderBy('id').execute();

  it('a BSUID-only contact is found by its BSUID, and a phone contact by its phone or its bsuid', async () => {
    await ensureContact(store.db, bsuidOnly(), T0);
    expect((await findContact(store.db, 'acc_1', BSUID))?.id).toBe('ctc_alias');
    await ensureContact(store.db, { ...phone(), bsuid: 'AR.2' }, T0);
    expect((await findContact(store.db, 'acc_1', 'AR.2'))?.id).toBe('ctc_phone');
    expect((await findContact(store.db, 'acc_1', PHONE))?.id).toBe('ctc_phone');
    // Either address of one person answers under both keys, and the row is listed once.
    const rows = await ensureContacts(store.db, [phone('ctc_x'), { ...phone('ctc_y'), waId: 'AR.2' }], T0);
    expect(rows.get(contactKey('acc_1', PHONE))?.id).toBe('ctc_phone');
    expect(rows.get(contactKey('acc_1', 'AR.2'))?.id).toBe('ctc_phone');
    expect(await findContacts(store.db, 'acc_1', [PHONE, 'AR.2', BSUID])).toHaveLength(2);
    expect(await all()).toHaveLength(2);
  });

  it('a BSUID whose person already has a phone contact is never inserted twice', async () => {
    await ensureContact(store.db, { ...phone(), bsuid: BSUID }, T0);
    const rows = await ensureContacts(store.db, [bsuidOnly('ctc_new')], T0);
    expect(rows.get(contactKey('acc_1', BSUID))?.id).toBe('ctc_phone');
    expect(await all()).toHaveLength(1);
  });

  it('a new phone arriving with a BSUID another phone had: a contact of its own, the BSUID moves to it', async () => {
    await ensureContact(store.db, { ...phone('ctc_old', '5491155550009'), bsuid: BSUID }, T0);
    const rows = await ensureContacts(store.db, [{ ...phone('ctc_new'), bsuid: BSUID }], T0 + 1);
    expect(rows.get(contactKey('acc_1', PHONE))?.id).toBe('ctc_new');
    expect(await all()).toMatchObject([
      { id: 'ctc_new', wa_id: PHONE, bsuid: BSUID },
      { id: 'ctc_old', wa_id: '5491155550009', bsuid: null },
    ]);
  });

  it('one batch naming a person by BSUID alone and by phone+BSUID makes one contact', async () => {
    const rows = await ensureContacts(
      store.db,
      [bsuidOnly('ctc_b'), { ...phone('ctc_p'), bsuid: BSUID }],
      T0,
    );
    expect(rows.get(contactKey('acc_1', BSUID))?.id).toBe(rows.get(contactKey('acc_1', PHONE))?.id);
    expect(await all()).toHaveLength(1);
  });

  it('link: the phone contact takes the BSUID; nothing changes the second time', async () => {
    await ensureContact(store.db, phone(), T0);
    expect(await linkAddresses(store.db, [{ accountId: 'acc_1', waId: PHONE, bsuid: BSUID }], T0 + 1)).toBe(
      1,
    );
    expect(await findContactById(store.db, 'ctc_phone')).toMatchObject({ wa_id: PHONE, bsuid: BSUID });
    expect(await linkAddresses(store.db, [{ accountId: 'acc_1', waId: PHONE, bsuid: BSUID }], T0 + 2)).toBe(
      0,
    );
  });

  it('link: a BSUID-only contact and no phone contact yet → the same contact, relabelled to the phone', async () => {
    await ensureContact(store.db, bsuidOnly(), T0);
    await linkAddresses(store.db, [{ accountId: 'acc_1', waId: PHONE, bsuid: BSUID }], T0 + 1);
    expect(await all()).toMatchObject([
      { id: 'ctc_alias', wa_id: PHONE, phone_e164: `+${PHONE}`, bsuid: BSUID },
    ]);
  });

  it('link: a BSUID that moves to another phone leaves the old phone contact without it', async () => {
    await ensureContact(store.db, { ...phone('ctc_old', '5491155550009'), bsuid: BSUID }, T0);
    await ensureContact(store.db, phone(), T0);
    await linkAddresses(store.db, [{ accountId: 'acc_1', waId: PHONE, bsuid: BSUID }], T0 + 1);
    expect(await all()).toMatchObject([
      { id: 'ctc_old', bsuid: null },
      { id: 'ctc_phone', bsuid: BSUID },
    ]);
  });

  it('merge: a BSUID-only contact joins the phone contact with its messages, inbound, ledger and tags', async () => {
    const alias = await ensureContact(store.db, bsuidOnly(), T0);
    const ph = await ensureContact(store.db, { ...phone(), name: 'Lucía' }, T0 - 5);
    await store.db
      .updateTable('contacts')
      .set({
        tags: '["vip","zona-norte"]',
        attributes: '{"plan":"gold","zona":"N"}',
        last_inbound_at: T0 + HOUR,
      })
      .where('id', '=', alias.id)
      .execute();
    await store.db
      .insertInto('contact_tags')
      .values([
        { account_id: 'acc_1', tag: 'vip', contact_id: alias.id },
        { account_id: 'acc_1', tag: 'zona-norte', contact_id: alias.id },
      ])
      .execute();
    await store.db
      .updateTable('contacts')
      .set({ tags: '["vip"]', attributes: '{"plan":"basic"}', last_inbound_at: T0 })
      .where('id', '=', ph.id)
      .execute();
    await store.db
      .insertInto('contact_tags')
      .values({ account_id: 'acc_1', tag: 'vip', contact_id: ph.id })
      .execute();
    await insertMessages(store.db, [newMessage('msg_1', { contactId: alias.id, to: BSUID, queuedAt: T0 })]);
    await insertInbound(
      store.db,
      [
        {
          id: 'inb_1',
          accountId: 'acc_1',
          contactId: alias.id,
          providerMessageId: 'wamid.1',
          type: 'text',
          text: 'STOP',
          payload: null,
          contextProviderId: null,
          receivedAt: T0 + HOUR,
        },
      ],
      T0,
    );
    await appendConsentEvents(
      store.db,
      [
        {
          id: 'cev_1',
          accountId: 'acc_1',
          contactId: alias.id,
          channel: 'whatsapp',
          scope: 'marketing',
          state: 'opted_out',
          source: 'keyword',
          evidence: { keyword: 'STOP' },
          at: T0 + HOUR,
        },
      ],
      T0 + HOUR,
    );

    await store.db
      .transaction()
      .execute((trx) =>
        linkAddresses(trx, [{ accountId: 'acc_1', waId: PHONE, bsuid: BSUID }], T0 + 2 * HOUR),
      );

    const rows = await all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: 'ctc_phone',
      wa_id: PHONE,
      bsuid: BSUID,
      name: 'Lucía',
      tags: '["vip","zona-norte"]',
      // The survivor's value wins a clash; keys stay sorted.
      attributes: '{"plan":"basic","zona":"N"}',
      last_inbound_at: T0 + HOUR,
      created_at: T0 - 5,
      marketing_consent: 'opted_out',
    });
    const tags = await store.db
      .selectFrom('contact_tags')
      .select(['tag', 'contact_id'])
      .orderBy('tag')
      .execute();
    expect(tags).toEqual([
      { tag: 'vip', contact_id: 'ctc_phone' },
      { tag: 'zona-norte', contact_id: 'ctc_phone' },
    ]);
    const msg = await store.db
      .selectFrom('messages')
      .select(['contact_id', 'to_wa'])
      .executeTakeFirstOrThrow();
    // Still queued: it will leave for the phone, now that the phone is known.
    expect(msg).toEqual({ contact_id: 'ctc_phone', to_wa: PHONE });
    const inb = await store.db.selectFrom('inbound_messages').select('contact_id').executeTakeFirstOrThrow();
    expect(inb.contact_id).toBe('ctc_phone');
    expect((await consentHistory(store.db, 'ctc_phone')).map((e) => e.id)).toEqual(['cev_1']);
  });

  it("merge: the later window's timers and the waiting marks follow; the survivor's active mark wins", async () => {
    const alias = await ensureContact(store.db, bsuidOnly(), T0);
    const ph = await ensureContact(store.db, phone(), T0);
    await store.db
      .updateTable('contacts')
      .set({ last_inbound_at: T0 + HOUR })
      .where('id', '=', alias.id)
      .execute();
    await store.db.updateTable('contacts').set({ last_inbound_at: T0 }).where('id', '=', ph.id).execute();
    const timer = (contactId: string, kind: 'expiring' | 'expired', at: number) => ({
      id: `${contactId}:${kind}`,
      account_id: 'acc_1',
      contact_id: contactId,
      kind,
      last_inbound_at: at,
      due_at: at + 24 * HOUR,
      fired_at: null,
      outcome: null,
    });
    await store.db
      .insertInto('window_timers')
      .values([timer(ph.id, 'expired', T0), timer(alias.id, 'expired', T0 + HOUR)])
      .execute();
    const mark = (id: string, contactId: string) => ({
      id,
      account_id: 'acc_1',
      contact_id: contactId,
      state: 'waiting' as const,
      reason: 'agent',
      question: null,
      metadata: null,
      resume: null,
      resume_due_at: null,
      resume_message_id: null,
      resume_failure: null,
      created_at: T0,
      updated_at: T0,
      resume_sent_at: null,
      resumed_at: null,
      cleared_at: null,
      cleared_by: null,
    });
    await store.db
      .insertInto('waiting_marks')
      .values([mark('wait_phone', ph.id), mark('wait_alias', alias.id)])
      .execute();

    const [a, p] = await Promise.all(
      [alias.id, ph.id].map((id) =>
        store.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirstOrThrow(),
      ),
    );
    await store.db.transaction().execute((trx) => mergeContacts(trx, p!, a!, T0 + 2 * HOUR));

    const timers = await store.db.selectFrom('window_timers').select(['id', 'last_inbound_at']).execute();
    expect(timers.map((t) => ({ ...t, last_inbound_at: Number(t.last_inbound_at) }))).toEqual([
      { id: `${ph.id}:expired`, last_inbound_at: T0 + HOUR },
    ]);
    const marks = await store.db
      .selectFrom('waiting_marks')
      .select(['id', 'contact_id', 'state', 'cleared_by'])
      .orderBy('id')
      .execute();
    expect(marks).toEqual([
      { id: 'wait_alias', contact_id: ph.id, state: 'cleared', cleared_by: 'merge' },
      { id: 'wait_phone', contact_id: ph.id, state: 'waiting', cleared_by: null },
    ]);
    await store.db.deleteFrom('waiting_marks').execute();
    await store.db.deleteFrom('window_timers').execute();
  });

  it('merge refuses a contact into itself', async () => {
    const c = await ensureContact(store.db, phone(), T0);
    await expect(mergeContacts(store.db, c, c, T0)).rejects.toThrow(/into itself/);
  });

  it('concurrent webhooks for one person (phone+BSUID and BSUID-only) end as one contact', async () => {
    await ensureContact(store.db, phone(), T0);
    await ensureContact(store.db, bsuidOnly(), T0);
    // Each transaction does what the inbound applier does: link, then resolve its contacts.
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, k) =>
        store.db.transaction().execute(async (trx) => {
          await linkAddresses(trx, [{ accountId: 'acc_1', waId: PHONE, bsuid: BSUID }], T0 + k);
          const rows = await ensureContacts(
            trx,
            [k % 2 ? { ...phone(`ctc_p${k}`), bsuid: BSUID } : bsuidOnly(`ctc_b${k}`)],
            T0 + k,
            { forUpdate: true },
          );
          return rows.get(contactKey('acc_1', k % 2 ? PHONE : BSUID))?.id;
        }),
      ),
    );
    expect(results).toEqual(Array(6).fill('ctc_phone'));
    expect(await all()).toMatchObject([{ id: 'ctc_phone', wa_id: PHONE, bsuid: BSUID }]);
  });

  it.runIf(dialect === 'postgres')(
    'a phone+BSUID insert that loses on the BSUID to a concurrent BSUID-only insert ends as one contact',
    async () => {
      const aMayCommit = signal();
      const aHasInserted = signal();
      const a = store.db.transaction().execute(async (trx) => {
        const rows = await ensureContacts(trx, [bsuidOnly('ctc_a')], T0);
        aHasInserted.fire();
        await aMayCommit.reached;
        return rows;
      });
      await aHasInserted.reached;
      let bPid = 0;
      const b = store.db.transaction().execute(async (trx) => {
        bPid = await backendPid(trx);
        return ensureContacts(trx, [{ ...phone('ctc_b'), bsuid: BSUID }], T0, { forUpdate: true });
      });
      await waitUntilWaitingForLock(store.db, () => bPid);
      aMayCommit.fire();
      const [, rb] = await Promise.all([a, b]);
      expect(rb.get(contactKey('acc_1', PHONE))?.id).toBe('ctc_a');
      expect(await all()).toMatchObject([
        { id: 'ctc_a', wa_id: PHONE, bsuid: BSUID, phone_e164: `+${PHONE}` },
      ]);
    },
  );

  it.runIf(dialect === 'postgres')(
    'a link that waits on another transaction’s merge of the same person sees the merged row',
    async () => {
      await ensureContact(store.db, phone(), T0);
      await ensureContact(store.db, bsuidOnly(), T0);
      const aMayCommit = signal();
      const aHasMerged = signal();
      const pair = [{ accountId: 'acc_1', waId: PHONE, bsuid: BSUID }];
      const a = store.db.transaction().execute(async (trx) => {
        const n = await linkAddresses(trx, pair, T0 + 1);
        aHasMerged.fire();
        await aMayCommit.reached;
        return n;
      });
      await aHasMerged.reached;
      let bPid = 0;
      const b = store.db.transaction().execute(async (trx) => {
        bPid = await backendPid(trx);
        return linkAddresses(trx, pair, T0 + 2);
      });
      await waitUntilWaitingForLock(store.db, () => bPid);
      aMayCommit.fire();
      expect(await Promise.all([a, b])).toEqual([1, 0]);
      expect(await all()).toMatchObject([{ id: 'ctc_phone', bsuid: BSUID }]);
    },
  );
});
