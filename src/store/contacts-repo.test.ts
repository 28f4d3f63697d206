/**
 * The contacts repository's own guarantees, on both databases: a window never moves back, and
 * contacts created at the same moment by concurrent transactions end up as one row with one id.
 * On PostgreSQL the interleavings are forced (a transaction is held open until the other one is
 * seen waiting for its lock), not hoped for.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { contactKey, ensureContact, ensureContacts, findContactById, moveWindows } from './contacts-repo';
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
      let releaseA!: () => void;
      const aMayCommit = new Promise<void>((r) => {
        releaseA = r;
      });
      let aInserted!: () => void;
      const aHasInserted = new Promise<void>((r) => {
        aInserted = r;
      });
      const a = store.db.transaction().execute(async (trx) => {
        const rows = await ensureContacts(trx, [contact(waId, 'ctc_a')], T0);
        aInserted();
        await aMayCommit;
        return rows;
      });
      await aHasInserted;
      let bPid = 0;
      const b = store.db.transaction().execute(async (trx) => {
        bPid = await backendPid(trx);
        return ensureContacts(trx, [contact(waId, 'ctc_b')], T0);
      });
      await waitUntilWaitingForLock(store.db, () => bPid);
      releaseA();
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.get(contactKey('acc_1', waId))?.id).toBe('ctc_a');
      expect(rb.get(contactKey('acc_1', waId))?.id).toBe('ctc_a');
    },
  );

  it.runIf(dialect === 'postgres')(
    'an older move that waits on a newer one’s lock leaves the newer window in place',
    async () => {
      const c = await ensureContact(store.db, contact('5491130000002'), T0);
      let releaseA!: () => void;
      const aMayCommit = new Promise<void>((r) => {
        releaseA = r;
      });
      let aMoved!: () => void;
      const aHasMoved = new Promise<void>((r) => {
        aMoved = r;
      });
      const a = store.db.transaction().execute(async (trx) => {
        await moveWindows(trx, [{ contactId: c.id, at: T0 + 2 * HOUR }], T0);
        aMoved();
        await aMayCommit;
      });
      await aHasMoved;
      let bPid = 0;
      const b = store.db.transaction().execute(async (trx) => {
        bPid = await backendPid(trx);
        // B read nothing yet: its comparison must see A's committed row, not a stale one.
        await moveWindows(trx, [{ contactId: c.id, at: T0 + HOUR }], T0);
      });
      await waitUntilWaitingForLock(store.db, () => bPid);
      releaseA();
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
