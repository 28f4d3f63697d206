/**
 * The ledger is the truth and the contact's columns follow it, on both databases: whatever order
 * entries arrive in (a late webhook), the cached state is the newest entry's.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { appendConsentEvents, consentHistory, type NewConsentEvent } from './consent-repo';
import { ensureContact, findContactById } from './contacts-repo';

const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('consent ledger on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('contacts').execute();
    await store.db.deleteFrom('consent_events').execute();
  });

  let seq = 0;
  const entry = (contactId: string, e: Partial<NewConsentEvent>): NewConsentEvent => ({
    id: `cns_${++seq}`,
    accountId: 'acc_1',
    contactId,
    channel: 'whatsapp',
    scope: 'marketing',
    state: 'opted_out',
    source: 'keyword',
    evidence: { keyword: 'STOP' },
    at: T0,
    ...e,
  });

  it('derives the state from the newest entry, even when an older one arrives last', async () => {
    const c = await ensureContact(
      store.db,
      { id: 'ctc_1', accountId: 'acc_1', waId: '5491100000001', phoneE164: null },
      T0,
    );
    await appendConsentEvents(
      store.db,
      [entry(c.id, { scope: 'all', state: 'opted_out', at: T0 + 2000 })],
      T0,
    );
    let row = await findContactById(store.db, c.id);
    expect([row?.marketing_consent, row?.all_consent]).toEqual(['opted_out', 'opted_out']);
    // A late resume of marketing from before the STOP changes nothing.
    await appendConsentEvents(
      store.db,
      [entry(c.id, { state: 'opted_in', source: 'meta_user_preferences', at: T0 + 1000 })],
      T0,
    );
    row = await findContactById(store.db, c.id);
    expect([row?.marketing_consent, row?.all_consent]).toEqual(['opted_out', 'opted_out']);
    // A later START of everything resumes marketing too.
    await appendConsentEvents(
      store.db,
      [entry(c.id, { scope: 'all', state: 'opted_in', at: T0 + 3000 })],
      T0,
    );
    row = await findContactById(store.db, c.id);
    expect([row?.marketing_consent, row?.all_consent]).toEqual(['opted_in', 'opted_in']);
    const history = await consentHistory(store.db, c.id);
    expect(history.map((h) => h.at)).toEqual([T0 + 1000, T0 + 2000, T0 + 3000]);
    expect(history[1]?.evidence).toEqual({ keyword: 'STOP' });
  });

  it('updates many contacts that end in the same state together', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 700; i++) {
      const c = await ensureContact(
        store.db,
        {
          id: `ctc_m${i}`,
          accountId: 'acc_1',
          waId: `54911000${String(i).padStart(5, '0')}`,
          phoneE164: null,
        },
        T0,
      );
      ids.push(c.id);
    }
    await appendConsentEvents(
      store.db,
      ids.map((id) => entry(id, { source: 'import', at: T0 })),
      T0,
    );
    const rows = await store.db
      .selectFrom('contacts')
      .select(['marketing_consent'])
      .where('marketing_consent', '=', 'opted_out')
      .execute();
    expect(rows).toHaveLength(700);
  });
});
