/**
 * The contact list's window filters on both databases: `expiring_within` takes exactly the
 * contacts whose window is open now and closes within the duration (both edges), beside open
 * and closed, and it reads the (account_id, last_inbound_at) index rather than every contact.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { type AudienceFilter, emptyFilter, parseWindowQuery } from '../domain/contacts/audience';
import {
  type BulkContact,
  bulkInsertContacts,
  explainContactPage,
  listContactPage,
} from './contact-book-repo';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ACCOUNT = 'acc_window';

function contact(n: number, lastInboundAt: number | null, accountId = ACCOUNT): BulkContact {
  const digits = `1650556${String(n).padStart(4, '0')}`;
  return {
    id: `ctc_01JD000000000000000001${String(n).padStart(4, '0')}`,
    accountId,
    waId: digits,
    phoneE164: `+${digits}`,
    name: `Person ${n}`,
    tags: [],
    attributes: {},
    lastInboundAt,
    lastMarketingAt: null,
    marketingConsent: 'unknown',
    createdAt: NOW - 100 * HOUR,
  };
}

/** The filter the list builds from `window=<text>`. */
function windowFilter(text: string): AudienceFilter {
  const w = parseWindowQuery(text);
  if (!w.ok) throw new Error(w.problem);
  return { ...emptyFilter(), ...w.value };
}

describe.each(DIALECTS)('contact list window filters on %s', (dialect) => {
  let store: TestStore;
  const list = async (text: string) =>
    (
      await listContactPage(store.db, {
        accountId: ACCOUNT,
        filter: windowFilter(text),
        limit: 100,
        now: NOW,
      })
    ).map((r) => Number(r.id.slice(-4)));

  beforeAll(async () => {
    store = await openTestStore(dialect);
    await bulkInsertContacts(store.db, [
      contact(1, NOW - DAY + MIN), // closes in 1 min
      contact(2, NOW - DAY + HOUR), // closes in exactly 1 h: inside PT1H
      contact(3, NOW - DAY + HOUR + 1), // 1 h and 1 ms: outside PT1H
      contact(4, NOW - DAY), // closed this very millisecond
      contact(5, NOW - 2 * DAY), // closed long ago
      contact(6, NOW - 5 * MIN), // just wrote
      contact(7, null), // never wrote
      contact(8, NOW - DAY + 30 * MIN, 'acc_other'), // another account's
      contact(9, NOW - DAY + 90 * 1000), // closes in 90 s
    ]);
  });
  afterAll(() => store?.close());

  it('lists the windows closing within the duration, edges included, and keeps open and closed', async () => {
    expect(await list('expiring_within=PT1H')).toEqual([1, 2, 9]);
    expect(await list('expiring_within=PT90S')).toEqual([1, 9]);
    expect(await list('expiring_within=PT30M')).toEqual([1, 9]);
    expect(await list('expiring_within=P1D')).toEqual([1, 2, 3, 6, 9]);
    expect(await list('open')).toEqual([1, 2, 3, 6, 9]);
    expect(await list('closed')).toEqual([4, 5, 7]);
  });

  it('reads the (account_id, last_inbound_at) index for expiring_within', async () => {
    await sql`ANALYZE`.execute(store.db);
    let plan = '';
    // A handful of rows: the planner is asked whether it can use the index at all, with the
    // keyset index on (account_id, id) out of the way (dropped in a transaction rolled back).
    await store.db
      .transaction()
      .execute(async (trx) => {
        if (dialect === 'postgres') await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        await sql`DROP INDEX contacts_account_id`.execute(trx);
        plan = await explainContactPage(trx, {
          accountId: ACCOUNT,
          filter: windowFilter('expiring_within=PT1H'),
          limit: 51,
          now: NOW,
        });
        throw new Error('roll back');
      })
      .catch((e: Error) => {
        if (e.message !== 'roll back') throw e;
      });
    expect(plan, plan).toContain('contacts_account_inbound');
    if (dialect === 'sqlite') expect(plan, plan).toMatch(/last_inbound_at>\? AND last_inbound_at<\?/);
  });
});

describe('window= on the contact list', () => {
  it('takes open, closed and expiring_within=<ISO 8601 duration> up to the 24-hour window', () => {
    expect(parseWindowQuery('expiring_within=PT1H')).toEqual({
      ok: true,
      value: { window: 'open', windowClosesWithinMs: HOUR },
    });
    expect(parseWindowQuery('expiring_within=pt30m')).toMatchObject({
      value: { windowClosesWithinMs: 30 * MIN },
    });
    expect(parseWindowQuery('expiring_within=P1D')).toMatchObject({ value: { windowClosesWithinMs: DAY } });
    expect(parseWindowQuery('expiring_within=PT24H')).toMatchObject({ ok: true });
    expect(parseWindowQuery('closed')).toEqual({ ok: true, value: { window: 'closed' } });
  });

  it('names what was wrong and the forms it takes', () => {
    const problem = (text: string) => {
      const r = parseWindowQuery(text);
      return r.ok ? '' : r.problem;
    };
    expect(problem('expiring')).toMatch(
      /^must be "open", "closed" or "expiring_within=<ISO 8601 duration>".*got "expiring"$/,
    );
    expect(problem('expiring_within=1h')).toMatch(
      /ISO 8601 duration above zero .*\(PT1H, PT30M, PT90S, P1D\); got "1h"/,
    );
    expect(problem('expiring_within=PT0S')).toMatch(/above zero/);
    expect(problem('expiring_within=P1M')).toMatch(/got "P1M"/);
    expect(problem('expiring_within=PT25H')).toMatch(
      /at most the 24-hour window \(PT24H or P1D\); got PT25H \(25 h\)/,
    );
    expect(problem('expiring_within=P2D')).toMatch(/at most the 24-hour window/);
  });
});
