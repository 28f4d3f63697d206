import { type Kysely, type Migration, type MigrationResultSet, Migrator } from 'kysely';
import * as m0001 from './migrations/0001-initial';
import * as m0002 from './migrations/0002-drop-provider-id-index';
import * as m0003 from './migrations/0003-account-leases';
import * as m0004 from './migrations/0004-event-delivery-log';
import * as m0005 from './migrations/0005-secrets-and-keys';
import * as m0006 from './migrations/0006-dispatch-doubt';
import * as m0007 from './migrations/0007-contact-book';
import * as m0008 from './migrations/0008-audience-indexes';
import * as m0009 from './migrations/0009-message-category';
import * as m0010 from './migrations/0010-contact-name-lock';
import * as m0011 from './migrations/0011-campaigns';
import * as m0012 from './migrations/0012-message-pricing';
import * as m0013 from './migrations/0013-event-order';
import * as m0014 from './migrations/0014-conversations';
import * as m0015 from './migrations/0015-reply-routing';
import * as m0016 from './migrations/0016-held-messages';
import * as m0017 from './migrations/0017-channel-accounts';
import * as m0018 from './migrations/0018-messages-in-doubt';
import * as m0019 from './migrations/0019-users-and-sessions';
import * as m0020 from './migrations/0020-idempotency-partial';
import * as m0021 from './migrations/0021-event-backlog';
import * as m0022 from './migrations/0022-campaign-count-indexes';
import type { Database } from './schema';

// Migrations are imported, not read from disk, so they travel with the code wherever it runs.
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-drop-provider-id-index': m0002,
  '0003-account-leases': m0003,
  '0004-event-delivery-log': m0004,
  '0005-secrets-and-keys': m0005,
  '0006-dispatch-doubt': m0006,
  '0007-contact-book': m0007,
  '0008-audience-indexes': m0008,
  '0009-message-category': m0009,
  '0010-contact-name-lock': m0010,
  '0011-campaigns': m0011,
  '0012-message-pricing': m0012,
  '0013-event-order': m0013,
  '0014-conversations': m0014,
  '0015-reply-routing': m0015,
  '0016-held-messages': m0016,
  '0017-channel-accounts': m0017,
  '0018-messages-in-doubt': m0018,
  '0019-users-and-sessions': m0019,
  '0020-idempotency-partial': m0020,
  '0021-event-backlog': m0021,
  '0022-campaign-count-indexes': m0022,
};

/**
 * Kysely finds its own migration tables by reading the columns of every table in every schema of
 * the database, calling `has_schema_privilege` and `pg_get_serial_sequence` on each. Someone else
 * changing their own tables meanwhile (another application sharing the database; test files
 * migrating and dropping theirs in parallel) makes that read fail for a table that is not ours:
 * 3F000 for a schema dropped, 42P01 for a table, 42703 for a column renamed or dropped (both
 * functions look names up in the catalogue as it is now, not as the scan saw it). Nothing was
 * migrated yet when it fails (Kysely reports no results), so it is read again.
 */
const MIGRATION_ATTEMPTS = 5;

export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    // Numbers were handed out to work done in parallel: 0004 may land after 0005 was applied.
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  for (let attempt = 1; ; attempt++) {
    const result: MigrationResultSet = await migrator.migrateToLatest();
    const nothingRan = result.results === undefined;
    if (nothingRan && isCatalogueRace(result.error) && attempt < MIGRATION_ATTEMPTS) {
      await new Promise((r) => setTimeout(r, 20 * attempt));
      continue;
    }
    if (result.error) {
      const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
      throw new Error(`migration ${failed} failed: ${String(result.error)}`, { cause: result.error });
    }
    return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }
}

/** What a catalogue changed under the scan answers: a schema, table or column gone since. */
const CATALOGUE_RACES = new Set(['3F000', '42P01', '42703']);

function isCatalogueRace(err: unknown): boolean {
  return (
    typeof err === 'object' && err !== null && CATALOGUE_RACES.has(String((err as { code?: unknown }).code))
  );
}
