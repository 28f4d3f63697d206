/**
 * Consent settings, one JSON row per account (domain/contacts/consent-settings.ts decides what
 * it holds). An account without a row has the defaults.
 */
import type { Kysely } from 'kysely';
import {
  type ConsentSettings,
  DEFAULT_CONSENT_SETTINGS,
  settingsFromStored,
} from '../domain/contacts/consent-settings';
import type { Database } from './schema';

export async function readConsentSettings(
  db: Kysely<Database>,
  accountIds: readonly string[],
): Promise<Map<string, ConsentSettings>> {
  const out = new Map<string, ConsentSettings>();
  const ids = [...new Set(accountIds)];
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('consent_settings')
    .select(['account_id', 'settings'])
    .where('account_id', 'in', ids)
    .execute();
  for (const r of rows) out.set(r.account_id, settingsFromStored(r.settings));
  for (const id of ids) if (!out.has(id)) out.set(id, structuredClone(DEFAULT_CONSENT_SETTINGS));
  return out;
}

export async function writeConsentSettings(
  db: Kysely<Database>,
  accountId: string,
  settings: ConsentSettings,
  now: number,
): Promise<void> {
  const json = JSON.stringify(settings);
  await db
    .insertInto('consent_settings')
    .values({ account_id: accountId, settings: json, updated_at: now })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ settings: json, updated_at: now }))
    .execute();
}
