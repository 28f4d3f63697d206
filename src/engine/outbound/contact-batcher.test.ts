import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { ensureContact, findContact } from '../../store/contacts-repo';
import { ContactBatcher } from './contact-batcher';

const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('contact look-ups batched across requests on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    for (let i = 0; i < 50; i++) {
      await ensureContact(
        store.db,
        { id: `ctc_a${i}`, accountId: 'acc_a', waId: `1650555${1000 + i}`, phoneE164: `+1650555${1000 + i}` },
        T0,
      );
    }
    await ensureContact(
      store.db,
      { id: 'ctc_b0', accountId: 'acc_b', waId: '16505551000', phoneE164: '+16505551000', bsuid: 'US.42' },
      T0,
    );
    await ensureContact(
      store.db,
      { id: 'ctc_u', accountId: 'acc_b', waId: 'US.77', phoneE164: null, bsuid: 'US.77' },
      T0,
    );
  });
  afterAll(() => store.destroy());

  it('answers each request as its own look-up would, whatever else was asked in the same turn', async () => {
    const batcher = new ContactBatcher(store.db);
    const asks: Array<[string, string]> = [
      ...Array.from({ length: 60 }, (_, i) => ['acc_a', `1650555${1000 + i}`] as [string, string]),
      // The same phone on another account is another person; BSUIDs answer by either column.
      ['acc_b', '16505551000'],
      ['acc_b', 'US.42'],
      ['acc_b', 'US.77'],
      ['acc_b', 'US.99'],
      ['acc_a', '16505551000'],
    ];
    const got = await Promise.all(asks.map(([a, w]) => batcher.find(a, w)));
    const one = await Promise.all(asks.map(([a, w]) => findContact(store.db, a, w)));
    expect(got.map((c) => c?.id ?? null)).toEqual(one.map((c) => c?.id ?? null));
    expect(got.filter(Boolean)).toHaveLength(50 + 3 + 1);
    expect(got[61]?.id).toBe('ctc_b0');
  });

  it('fails every request of a batch whose query fails, and keeps working after', async () => {
    const broken = new ContactBatcher(store.db.withSchema('no_such_schema'));
    const results = await Promise.allSettled([
      broken.find('acc_a', '16505551000'),
      broken.find('acc_a', 'x'),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const batcher = new ContactBatcher(store.db);
    expect((await batcher.find('acc_a', '16505551001'))?.id).toBe('ctc_a1');
  });
});
