/**
 * Intake's contact look-ups and inserts outside Kysely's query builder (contacts-direct.ts), on
 * both databases: the same rows as the builder's forms, conflicts left out, every column named,
 * and on PostgreSQL a plan by the unique index before the table's first ANALYZE.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { preparedPlan } from '../../test/support/prepared-plan';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { CONTACT_COLUMNS, PG_LOOKUP } from './contacts-direct';
import { contactKey, ensureContacts, findContacts } from './contacts-repo';

const T0 = 1_764_000_000_000;
const BSUID = 'AR.1234567890123456';

describe.each(DIALECTS)('contact statements on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('contacts').execute();
  });

  const contact = (waId: string, extra: { accountId?: string; bsuid?: string } = {}) => ({
    id: `ctc_${extra.accountId ?? 'acc_1'}_${waId}`,
    accountId: extra.accountId ?? 'acc_1',
    waId,
    phoneE164: waId.startsWith('AR.') ? null : `+${waId}`,
    bsuid: extra.bsuid ?? null,
  });

  it('names every column of the table, so a column added by a migration is not silently dropped', async () => {
    const columns =
      dialect === 'sqlite'
        ? (
            await sql<{ name: string }>`SELECT name FROM pragma_table_info('contacts')`.execute(store.db)
          ).rows.map((r) => r.name)
        : (
            await sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
                WHERE table_name = 'contacts' AND table_schema = current_schema()`.execute(store.db)
          ).rows.map((r) => r.name);
    expect([...CONTACT_COLUMNS].sort()).toEqual(columns.sort());
  });

  it('finds contacts by wa_id and by BSUID, once each, within the account only', async () => {
    await ensureContacts(
      store.db,
      [
        contact('5491100000001'),
        contact('5491100000002', { bsuid: BSUID }),
        contact('5491100000003', { accountId: 'acc_2' }),
      ],
      T0,
    );
    const rows = await findContacts(store.db, 'acc_1', [
      '5491100000001',
      '5491100000002',
      BSUID,
      '5491100000003',
    ]);
    expect(rows.map((r) => r.wa_id)).toEqual(['5491100000001', '5491100000002']);
    // The whole row, with the types the builder's reads give.
    expect(rows[1]).toMatchObject({
      bsuid: BSUID,
      created_at: T0,
      attributes: '{}',
      tags: '[]',
      opted_out: 0,
    });
    expect(await findContacts(store.db, 'acc_1', [BSUID])).toHaveLength(1);
    expect(await findContacts(store.db, 'acc_1', [])).toEqual([]);
  });

  it('inserts new contacts and leaves out those that lose on the phone or on the BSUID', async () => {
    await ensureContacts(store.db, [contact('5491100000001'), contact(BSUID, { bsuid: BSUID })], T0);
    // Inside a transaction, as intake inserts them: a new one, a phone taken, a BSUID taken.
    const found = await store.db
      .transaction()
      .execute((trx) =>
        ensureContacts(
          trx,
          [
            contact('5491100000009'),
            { ...contact('5491100000001'), id: 'ctc_dup' },
            { ...contact('5491100000002', { bsuid: BSUID }), id: 'ctc_bsuid_dup' },
          ],
          T0 + 1,
          undefined,
          false,
        ),
      );
    const idOf = (waId: string) => found.get(contactKey('acc_1', waId))?.id;
    expect(idOf('5491100000001')).toBe('ctc_acc_1_5491100000001');
    expect(idOf('5491100000009')).toBe('ctc_acc_1_5491100000009');
    expect(idOf('5491100000002')).toBe(`ctc_acc_1_${BSUID}`);
    const all = await store.db
      .selectFrom('contacts')
      .select(['id', 'wa_id', 'bsuid'])
      .orderBy('wa_id')
      .execute();
    expect(all.map((r) => r.id)).not.toContain('ctc_dup');
    expect(all.filter((r) => r.wa_id === '5491100000009')).toHaveLength(1);
    // The phone whose BSUID belonged to a BSUID-only contact was linked to it (ensureContacts).
    expect(all.find((r) => r.bsuid === BSUID)?.wa_id).toBe('5491100000002');
  });

  it.runIf(dialect === 'postgres')(
    'looks each address up by the unique index before the table was ever analysed',
    async () => {
      // A fresh schema's contacts table has no statistics; the IN-list form was then planned
      // as a scan of every contact of the account (contacts_account_inbound), filtered.
      const many = Array.from({ length: 2_000 }, (_, i) => contact(`54911${String(i).padStart(8, '0')}`));
      await ensureContacts(store.db, many, T0);
      const reltuples = await sql<{ n: number }>`SELECT reltuples AS n FROM pg_class
          WHERE relname = 'contacts' AND relnamespace = current_schema()::regnamespace`.execute(store.db);
      expect(Number(reltuples.rows[0]?.n)).toBeLessThan(0);
      const addresses = many
        .slice(0, 50)
        .map((c) => `'${c.waId}'`)
        .join(', ');
      for (const [text, params] of [
        [PG_LOOKUP.byWaId, `'acc_1', ARRAY[${addresses}]`],
        [PG_LOOKUP.byWaIdOrBsuid, `'acc_1', ARRAY[${addresses}], ARRAY['${BSUID}']`],
      ] as const) {
        const plan = await preparedPlan(store.db, text, params);
        expect(plan).toMatch(/Index Scan using contacts_account_wa_unique/);
        expect(plan).not.toMatch(/contacts_account_inbound|contacts_account_id|Seq Scan on contacts/);
      }
    },
  );
});
