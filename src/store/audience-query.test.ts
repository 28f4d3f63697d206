/**
 * Audience counting on both databases: what a filter matches (tags all/any/none, attribute
 * conditions of each type, window, last inbound), each exclusion reason and its order, the
 * purpose's effect, and an attribute index being used by the very expression filters compile to.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { type AudienceFilter, emptyFilter } from '../domain/contacts/audience';
import {
  type AudienceScan,
  attributeIndexSql,
  COMMON_TAG_ROWS,
  countAudience,
  explainAudienceCount,
} from './audience-query';
import { type BulkContact, bulkInsertContacts } from './contact-book-repo';
import { insertMessages } from './messages-repo';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const ACCOUNT = 'acc_test';

function contact(n: number, over: Partial<BulkContact> = {}): BulkContact {
  const digits = `1650555${String(n).padStart(4, '0')}`;
  return {
    id: `ctc_01JD000000000000000000${String(n).padStart(4, '0')}`,
    accountId: ACCOUNT,
    waId: digits,
    phoneE164: `+${digits}`,
    name: `Person ${n}`,
    tags: [],
    attributes: {},
    lastInboundAt: null,
    lastMarketingAt: null,
    marketingConsent: 'unknown',
    createdAt: NOW - 100 * HOUR,
    ...over,
  };
}

describe.each(DIALECTS)('audience counts on %s', (dialect) => {
  let store: TestStore;
  const scan = (over: Partial<AudienceScan>): AudienceScan => ({
    accountId: ACCOUNT,
    match: { kind: 'all' },
    purpose: 'marketing',
    needs: [],
    frequencyCapMs: 24 * HOUR,
    now: NOW,
    sampleSize: 10,
    ...over,
  });
  const filter = (f: Partial<AudienceFilter>): AudienceScan['match'] => ({
    kind: 'filter',
    filter: { ...emptyFilter(), ...f, tags: { ...emptyFilter().tags, ...f.tags } },
  });
  const ids = async (f: Partial<AudienceFilter>) =>
    (await countAudience(store.db, scan({ match: filter(f), frequencyCapMs: 0 }))).sample.map((s) =>
      Number(s.id.slice(-4)),
    );

  beforeAll(async () => {
    store = await openTestStore(dialect);
    await bulkInsertContacts(store.db, [
      contact(1, {
        tags: ['vip', 'promo'],
        attributes: { city: 'Rosario', age: 31, member: true, since: '2024-01-10' },
      }),
      contact(2, {
        tags: ['vip'],
        attributes: { city: 'Córdoba', age: 25, member: false },
        lastInboundAt: NOW - HOUR,
      }),
      contact(3, {
        tags: ['promo'],
        attributes: { city: 'Rosario', age: '40' },
        lastInboundAt: NOW - 30 * HOUR,
      }),
      contact(4, { attributes: { since: '2025-06-01', 'plan.tier': 'gold' } }),
      // Excluded, one reason each (checked below, in the order they apply).
      contact(5, { tags: ['vip'], marketingConsent: 'opted_out' }),
      contact(6, { name: null, tags: ['vip'] }),
      contact(7, { tags: ['vip'], lastMarketingAt: NOW - 2 * HOUR }),
      contact(8, { tags: ['vip'], lastInboundAt: NOW - 50 * HOUR }),
      contact(9, { tags: ['vip'] }),
      contact(10, { tags: ['vip'], marketingConsent: 'opted_out', name: null }),
      // Another account: never counted.
      { ...contact(11, { tags: ['vip'] }), accountId: 'acc_other' },
    ]);
    const db = store.db;
    await db
      .updateTable('contacts')
      .set({ erased_at: NOW - HOUR, wa_id: 'erased:9', phone_e164: null })
      .where('id', '=', contact(9).id)
      .execute();
    await db
      .updateTable('contacts')
      .set({ all_consent: 'opted_out' })
      .where('id', '=', contact(1).id)
      .execute();
    // Not a WhatsApp user: 8 failed with 131026 after it last wrote; 2 failed before it wrote.
    const messages = await insertMessages(
      db,
      [8, 2].map((n, i) => ({
        id: `msg_01JD00000000000000000000${i}0`,
        accountId: ACCOUNT,
        contactId: contact(n).id,
        to: contact(n).waId,
        content: { kind: 'template' as const },
        template: { name: 't', language: 'es' },
        metadata: null,
        idempotencyKey: null,
        requestHash: null,
        replyToProviderId: null,
        queuedAt: NOW - 40 * HOUR,
      })),
    );
    await db
      .updateTable('messages')
      .set({ status: 'failed', error_code: 131026 })
      .where(
        'id',
        'in',
        messages.map((m) => m.id),
      )
      .execute();
    await db
      .updateTable('messages')
      .set({ created_at: NOW - 2 * HOUR })
      .where('id', '=', messages[1]!.id)
      .execute();
    await db
      .updateTable('contacts')
      .set({ last_inbound_at: NOW - HOUR })
      .where('id', '=', contact(2).id)
      .execute();
  });
  afterAll(() => store.destroy());

  it('counts everyone once, under the first reason that applies', async () => {
    const all = await countAudience(store.db, scan({ needs: [{ field: 'name' }] }));
    expect(all.excluded).toEqual({
      erased: 1,
      opted_out: 3,
      invalid_number: 1,
      missing_value: 1,
      frequency_cap: 1,
    });
    expect(all.count).toBe(3);
    expect(all.sample.map((s) => s.id)).toEqual([contact(2).id, contact(3).id, contact(4).id]);
    expect(all.sample[0]).toEqual({ id: contact(2).id, wa_id: contact(2).waId, name: 'Person 2' });
  });

  it('holds back marketing opt-outs and the frequency cap for marketing only', async () => {
    const utility = await countAudience(store.db, scan({ purpose: 'utility' }));
    // 1 opted out of everything stays out; 5 and 10 (marketing only) and 7 (capped) are in.
    expect(utility.excluded).toEqual({ erased: 1, opted_out: 1, invalid_number: 1 });
    expect(utility.count).toBe(7);
    const noCap = await countAudience(store.db, scan({ frequencyCapMs: 0 }));
    expect(noCap.excluded.frequency_cap).toBeUndefined();
  });

  it('needs an attribute: absent or empty is missing', async () => {
    const r = await countAudience(
      store.db,
      scan({
        purpose: 'utility',
        needs: [{ attribute: 'city' }],
        match: filter({ tags: { all: [], any: ['promo', 'vip'], none: [] } }),
      }),
    );
    // vip/promo: 1 (opted out of all), 2, 3, 5, 6, 7, 8 (131026), 9 (erased), 10 — city on 2 and 3 only.
    expect(r.count).toBe(2);
    expect(r.excluded).toEqual({ erased: 1, opted_out: 1, invalid_number: 1, missing_value: 4 });
  });

  it('filters by tags, attributes of each type, the window and the last inbound time', async () => {
    expect(await ids({ tags: { all: ['vip', 'promo'], any: [], none: [] } })).toEqual([]); // 1 is opted out
    expect(await ids({ tags: { all: ['promo'], any: [], none: ['vip'] } })).toEqual([3]);
    expect(await ids({ attributes: [{ name: 'city', op: '=', value: 'Rosario' }] })).toEqual([3]);
    expect(await ids({ attributes: [{ name: 'age', op: '>', value: 20 }] })).toEqual([2]);
    expect(await ids({ attributes: [{ name: 'age', op: '=', value: '40' }] })).toEqual([3]);
    expect(await ids({ attributes: [{ name: 'age', op: '<', value: '5' }] })).toEqual([3]);
    expect(await ids({ attributes: [{ name: 'member', op: '=', value: false }] })).toEqual([2]);
    expect(await ids({ attributes: [{ name: 'member', op: '!=', value: true }] })).toEqual([2, 3, 4, 6, 7]);
    expect(await ids({ attributes: [{ name: 'city', op: 'in', value: ['Córdoba', 'Rosario', 7] }] })).toEqual(
      [2, 3],
    );
    expect(await ids({ attributes: [{ name: 'since', op: '>', value: '2025-01-01' }] })).toEqual([4]);
    expect(await ids({ attributes: [{ name: 'plan.tier', op: 'exists' }] })).toEqual([4]);
    expect(
      await ids({
        attributes: [{ name: 'city', op: 'exists', value: false }],
        tags: { all: ['vip'], any: [], none: [] },
      }),
    ).toEqual([6, 7]);
    expect(await ids({ window: 'open' })).toEqual([2]);
    expect(await ids({ window: 'closed', tags: { all: [], any: ['promo'], none: [] } })).toEqual([3]);
    expect(await ids({ lastInboundBefore: NOW - 20 * HOUR, lastInboundAfter: NOW - 40 * HOUR })).toEqual([3]);
  });

  it('matches values holding quotes, wildcards and backslashes, and never a key inside a value', async () => {
    const tricky = (n: number, attributes: BulkContact['attributes']) => ({
      ...contact(n, { attributes }),
      accountId: 'acc_tricky',
    });
    await bulkInsertContacts(store.db, [
      tricky(20, { note: '50% off_now \\ "quoted"', xcity: 'Rosario' }),
      tricky(21, { note: '","city":"Rosario', n: 10 }),
      tricky(22, { city: 'Rosario', n: 100, flag: true }),
      tricky(23, { city: 'ROSARIO', n: 1, flag: false }),
    ]);
    const matching = async (c: AudienceFilter['attributes'][number]) =>
      (
        await countAudience(store.db, {
          ...scan({ frequencyCapMs: 0 }),
          accountId: 'acc_tricky',
          match: filter({ attributes: [c] }),
        })
      ).sample.map((r) => Number(r.id.slice(-4)));
    expect(await matching({ name: 'note', op: '=', value: '50% off_now \\ "quoted"' })).toEqual([20]);
    expect(await matching({ name: 'note', op: '=', value: '50_ off%now \\ "quoted"' })).toEqual([]);
    expect(await matching({ name: 'city', op: '=', value: 'Rosario' })).toEqual([22]);
    expect(await matching({ name: 'city', op: 'exists' })).toEqual([22, 23]);
    expect(await matching({ name: 'n', op: '=', value: 10 })).toEqual([21]);
    expect(await matching({ name: 'n', op: 'in', value: [1, 100] })).toEqual([22, 23]);
    expect(await matching({ name: 'flag', op: '=', value: false })).toEqual([23]);
    expect(await matching({ name: 'n', op: '>', value: 5 })).toEqual([21, 22]);
  });

  it('gives the same answer whether a tag is common (tested on the JSON array) or rare (through contact_tags)', async () => {
    const n = COMMON_TAG_ROWS + 1_000;
    const many: BulkContact[] = [];
    for (let i = 0; i < n; i++) {
      const tags = [
        ...(i % 2 === 0 ? ['even'] : []),
        ...(i % 3 === 0 ? ['three'] : []),
        ...(i === 7 || i === 8 ? ['rare'] : []),
        ...(i < COMMON_TAG_ROWS + 10 ? ['say "hi"'] : []),
        ...(i === 9 ? ['hi'] : []),
      ];
      many.push({
        ...contact(10_000 + i, { tags }),
        id: `ctc_01JE${String(i).padStart(22, '0')}`,
        waId: `1650${i}`,
        accountId: 'acc_many',
      });
    }
    await bulkInsertContacts(store.db, many);
    const counted = async (tags: Partial<AudienceFilter['tags']>) =>
      (
        await countAudience(store.db, {
          ...scan({ frequencyCapMs: 0 }),
          accountId: 'acc_many',
          match: filter({ tags: { ...emptyFilter().tags, ...tags } }),
        })
      ).count;
    const expected = (p: (i: number) => boolean) => Array.from({ length: n }, (_, i) => i).filter(p).length;
    expect(await counted({ all: ['even'] })).toBe(expected((i) => i % 2 === 0));
    expect(await counted({ all: ['even', 'three'] })).toBe(expected((i) => i % 6 === 0));
    expect(await counted({ all: ['even', 'rare'] })).toBe(1);
    expect(await counted({ any: ['three', 'rare'] })).toBe(
      expected((i) => i % 3 === 0 || i === 7 || i === 8),
    );
    expect(await counted({ none: ['even'], any: ['rare', 'three'] })).toBe(
      expected((i) => i % 2 === 1 && (i % 3 === 0 || i === 7)),
    );
    expect(await counted({ none: ['rare', 'three'] })).toBe(
      expected((i) => i % 3 !== 0 && i !== 7 && i !== 8),
    );
    expect(await counted({ all: ['say "hi"'] })).toBe(COMMON_TAG_ROWS + 10);
    expect(await counted({ all: ['hi'] })).toBe(1);
    expect(await counted({ all: ['say'] })).toBe(0);
  });

  it('counts a contact without a deliverable address as invalid_number, not one known by its BSUID', async () => {
    await bulkInsertContacts(store.db, [
      { ...contact(30), accountId: 'acc_addr' },
      { ...contact(31), accountId: 'acc_addr', waId: 'US.13491208655302741918' },
      { ...contact(32), accountId: 'acc_addr', waId: 'legacy-0001' },
    ]);
    await store.db
      .updateTable('contacts')
      .set({ phone_e164: null })
      .where('id', 'in', [contact(31).id, contact(32).id])
      .execute();
    const r = await countAudience(store.db, { ...scan({}), accountId: 'acc_addr' });
    expect(r).toMatchObject({ count: 2, excluded: { invalid_number: 1 } });
    expect(r.sample.map((c) => c.wa_id)).toEqual([contact(30).waId, 'US.13491208655302741918']);
  });

  it('counts an explicit set of contacts, and only this account', async () => {
    const r = await countAudience(
      store.db,
      scan({
        match: { kind: 'ids', ids: [contact(3).id, contact(9).id, contact(11).id] },
        frequencyCapMs: 0,
      }),
    );
    expect(r).toMatchObject({ count: 1, excluded: { erased: 1 } });
  });

  it('uses an index built on the attribute expression it filters by', async () => {
    const pg = dialect === 'postgres';
    await sql.raw(attributeIndexSql(pg, 'city')).execute(store.db);
    await sql`ANALYZE`.execute(store.db);
    let plan = '';
    // A few thousand rows: the planner is asked whether it can use the index at all, with the
    // indexes on the account alone out of the way (dropped in a transaction that is rolled back).
    await store.db
      .transaction()
      .execute(async (trx) => {
        if (pg) await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        await sql`DROP INDEX contacts_account_id`.execute(trx);
        await sql`DROP INDEX contacts_account_inbound`.execute(trx);
        plan = await explainAudienceCount(
          trx,
          scan({ match: filter({ attributes: [{ name: 'city', op: '=', value: 'Rosario' }] }) }),
        );
        throw new Error('roll back');
      })
      .catch((e: Error) => {
        if (e.message !== 'roll back') throw e;
      });
    expect(plan, plan).toContain('contacts_attr_city');
  });
});
