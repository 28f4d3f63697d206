/**
 * The campaign plan's grouped reads on both databases: recipients (the audience count's, no
 * more, no fewer) grouped by number prefix — long enough to tell the countries of a shared
 * calling code apart — and time zone, with open windows and messaging-limit slots; the users
 * reached lately and the one ranked reach the limit needs; one contact's verdict.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { idFloor } from '../domain/ids';
import { countryOfPhone } from '../domain/phone';
import { type AudienceScan, countAudience } from './audience-query';
import { contactVerdict, countReached, planGroups, reachAtRank } from './campaign-plan-query';
import { type BulkContact, bulkInsertContacts } from './contact-book-repo';
import { insertMessages } from './messages-repo';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const ACCOUNT = 'acc_test';
const SHARED = ['1', '7', '44'];

const PEOPLE: Array<{ n: number; phone: string; zone: string | null; over?: Partial<BulkContact> }> = [
  { n: 1, phone: '+5491155551234', zone: 'America/Argentina/Buenos_Aires' },
  {
    n: 2,
    phone: '+5493415551234',
    zone: 'America/Argentina/Buenos_Aires',
    over: { lastInboundAt: NOW - HOUR },
  },
  { n: 3, phone: '+16505550001', zone: 'America/Los_Angeles' },
  { n: 4, phone: '+14165550001', zone: 'America/Toronto' },
  { n: 5, phone: '+77011234567', zone: 'Asia/Almaty' },
  { n: 6, phone: '+79161234567', zone: 'Europe/Moscow' },
  { n: 7, phone: '+447400123456', zone: null },
  { n: 8, phone: '+447911123456', zone: null },
  { n: 9, phone: '+5491155559999', zone: null, over: { marketingConsent: 'opted_out' } },
  { n: 10, phone: '+5491155558888', zone: null, over: { tags: ['elsewhere'] } },
];

function contact(p: (typeof PEOPLE)[number]): BulkContact {
  return {
    id: `ctc_01JD000000000000000000${String(p.n).padStart(4, '0')}`,
    accountId: ACCOUNT,
    waId: p.phone.slice(1),
    phoneE164: p.phone,
    name: `Person ${p.n}`,
    tags: ['patient'],
    attributes: {},
    lastInboundAt: null,
    lastMarketingAt: null,
    marketingConsent: 'unknown',
    createdAt: NOW - 100 * HOUR,
    ...p.over,
  };
}

const id = (n: number) => contact(PEOPLE.find((p) => p.n === n)!).id;

describe.each(DIALECTS)('campaign plan reads on %s', (dialect) => {
  let store: TestStore;
  const scan: Omit<AudienceScan, 'sampleSize'> = {
    accountId: ACCOUNT,
    match: {
      kind: 'filter',
      filter: { tags: { all: ['patient'], any: [], none: ['elsewhere'] }, attributes: [] },
    },
    purpose: 'marketing',
    needs: [],
    frequencyCapMs: 0,
    now: NOW,
  };
  const query = {
    ...scan,
    sharedCallingCodes: SHARED,
    windowOpenAfter: NOW - 24 * HOUR + 5 * 60_000,
    reachedAfter: NOW - 24 * HOUR - 5 * 60_000,
  };

  beforeAll(async () => {
    store = await openTestStore(dialect);
    await bulkInsertContacts(store.db, PEOPLE.map(contact));
    for (const p of PEOPLE.filter((p) => p.zone)) {
      await store.db.updateTable('contacts').set({ time_zone: p.zone }).where('id', '=', id(p.n)).execute();
    }
    // A BSUID-only contact: no number, so no country.
    await store.db
      .insertInto('contacts')
      .values({
        id: 'ctc_01JD0000000000000000000099',
        account_id: ACCOUNT,
        wa_id: 'AR.1349000000000001',
        bsuid: 'AR.1349000000000001',
        phone_e164: null,
        name: 'No number',
        tags: '["patient"]',
        created_at: NOW,
        updated_at: NOW,
      })
      .execute();
    await store.db
      .insertInto('contact_tags')
      .values({ account_id: ACCOUNT, tag: 'patient', contact_id: 'ctc_01JD0000000000000000000099' })
      .execute();
    // Templates: to 3 (2 h ago and 20 h ago), 4 (10 h ago), 5 (failed), 6 (30 h ago: out of the
    // window); a text to 7 (not a template).
    const sends: Array<[number, number, 'template' | 'text']> = [
      [3, 2, 'template'],
      [3, 20, 'template'],
      [4, 10, 'template'],
      [5, 1, 'template'],
      [6, 30, 'template'],
      [7, 1, 'text'],
    ];
    await insertMessages(
      store.db,
      sends.map(([n, hoursAgo, kind], i) => ({
        // As the send path makes them: the id carries the time the message was queued.
        id: `${idFloor('msg', NOW - hoursAgo * HOUR)}${String(i).padStart(16, '0')}`,
        accountId: ACCOUNT,
        contactId: id(n),
        to: contact(PEOPLE.find((p) => p.n === n)!).waId,
        content: { kind },
        template: kind === 'template' ? { name: 't', language: 'es' } : null,
        metadata: null,
        idempotencyKey: null,
        requestHash: null,
        replyToProviderId: null,
        queuedAt: NOW - hoursAgo * HOUR,
      })),
    );
    await store.db
      .updateTable('messages')
      .set({ status: 'failed' })
      .where('contact_id', '=', id(5))
      .execute();
  });
  afterAll(() => store.destroy());

  it('groups exactly the recipients the audience count gives, by a prefix that tells countries apart', async () => {
    const groups = await planGroups(store.db, query);
    const counted = await countAudience(store.db, { ...scan, sampleSize: 0 });
    expect(groups.reduce((s, g) => s + g.n, 0)).toBe(counted.count);
    expect(counted.count).toBe(9);

    const byPrefix = new Map<string | null, number>();
    for (const g of groups) byPrefix.set(g.prefix, (byPrefix.get(g.prefix) ?? 0) + g.n);
    expect(Object.fromEntries(byPrefix)).toEqual({
      '+549': 2,
      '+1650': 1,
      '+1416': 1,
      '+7701': 1,
      '+7916': 1,
      '+44740': 1,
      '+44791': 1,
      null: 1,
    });
    const countries = groups.map((g) => (g.samplePhone ? countryOfPhone(g.samplePhone) : null));
    expect(new Set(countries)).toEqual(new Set(['AR', 'US', 'CA', 'KZ', 'RU', 'GB', 'GG', null]));
  });

  it('groups by time zone too, and counts open windows and messaging-limit slots', async () => {
    const groups = await planGroups(store.db, query);
    const ar = groups.find((g) => g.prefix === '+549')!;
    expect(ar).toMatchObject({ timeZone: 'America/Argentina/Buenos_Aires', n: 2, open: 1, needSlot: 1 });
    // Reached lately (3, 4): no new slot; failed (5) and out of the window (6): a slot each.
    const slot = (prefix: string) => groups.find((g) => g.prefix === prefix)!.needSlot;
    expect([slot('+1650'), slot('+1416'), slot('+7701'), slot('+7916')]).toEqual([0, 0, 1, 1]);
    expect(groups.reduce((s, g) => s + g.needSlot, 0)).toBe(6);
    expect(groups.filter((g) => g.timeZone === null).reduce((s, g) => s + g.n, 0)).toBe(3);
  });

  it('counts the users reached with templates lately, and ranks their latest reaches', async () => {
    expect(await countReached(store.db, ACCOUNT, query.reachedAfter)).toBe(2);
    // Oldest latest reach first: contact 4 (10 h ago), then 3 (latest 2 h ago, not 20 h).
    expect(await reachAtRank(store.db, ACCOUNT, query.reachedAfter, 1)).toBe(NOW - 10 * HOUR);
    expect(await reachAtRank(store.db, ACCOUNT, query.reachedAfter, 2)).toBe(NOW - 2 * HOUR);
    expect(await reachAtRank(store.db, ACCOUNT, query.reachedAfter, 3)).toBeNull();
    expect(await countReached(store.db, 'acc_other', query.reachedAfter)).toBe(0);
  });

  it("gives one contact's verdict: would receive, left out and why, or not in the audience", async () => {
    expect(await contactVerdict(store.db, scan, id(1))).toEqual({ reason: null });
    expect(await contactVerdict(store.db, scan, id(9))).toEqual({ reason: 'opted_out' });
    expect(await contactVerdict(store.db, scan, id(10))).toBeUndefined();
    expect(await contactVerdict(store.db, scan, 'ctc_nobody')).toBeUndefined();
  });
});
