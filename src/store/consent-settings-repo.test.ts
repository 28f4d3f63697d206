import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import { checkConsentSettings, DEFAULT_CONSENT_SETTINGS } from '../domain/contacts/consent-settings';
import { readConsentSettings, writeConsentSettings } from './consent-settings-repo';

describe.each(DIALECTS)('consent settings on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    await store.db.deleteFrom('consent_settings').execute();
  });

  it('gives the defaults to an account without a row, and what was written to one with', async () => {
    const check = checkConsentSettings({
      keywords: { opt_out: { all: ['Chau'] } },
      confirmations: { opt_out: 'Listo 👋' },
      marketing_frequency_cap_hours: 48,
    });
    if (!check.ok) throw new Error('settings should be valid');
    await writeConsentSettings(store.db, 'acc_1', check.value, 1);
    // Written twice: the second replaces the first.
    await writeConsentSettings(store.db, 'acc_1', { ...check.value, marketing_frequency_cap_hours: 12 }, 2);
    const read = await readConsentSettings(store.db, ['acc_1', 'acc_2', 'acc_1']);
    expect(read.get('acc_1')).toEqual({ ...check.value, marketing_frequency_cap_hours: 12 });
    expect(read.get('acc_2')).toEqual(DEFAULT_CONSENT_SETTINGS);
    expect(read.size).toBe(2);
  });
});
