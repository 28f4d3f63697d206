/**
 * The contact reads and inserts that intake makes for every batch of sends (the send service's
 * look-up of each recipient, then the insert of the new ones), outside Kysely's query builder:
 *
 * - PostgreSQL: the look-up is one constant text with the addresses as an array, probing a
 *   unique index once per address (PG_LOOKUP says why); the insert is one named statement, its
 *   rows one JSON document (pg-direct.ts). Reads that lock keep their Kysely form.
 * - SQLite: one prepared statement per address or row, in one transaction (sqlite-direct.ts): at
 *   intake's batch lengths a prepared probe of the unique index costs less than compiling an
 *   `IN (…)` list of a new length.
 *
 * Every column is named (CONTACT_COLUMNS) rather than `*`: a prepared statement's result
 * columns are fixed when it is prepared (see pg-direct.ts).
 */
import { CompiledQuery, type Kysely } from 'kysely';
import { directPg, jsonRows, type NamedStatement } from './pg-direct';
import type { ContactsTable, Database } from './schema';
import { directSqlite } from './sqlite-direct';

type Column = keyof ContactsTable;

/** Every column of contacts, once: the compiler refuses a column missing from this map. */
const COLUMN_MAP: Record<Column, true> = {
  id: true,
  account_id: true,
  wa_id: true,
  phone_e164: true,
  name: true,
  last_inbound_at: true,
  last_user_message_at: true,
  opted_out: true,
  attributes: true,
  created_at: true,
  updated_at: true,
  bsuid: true,
  language: true,
  time_zone: true,
  time_zone_inferred: true,
  tags: true,
  marketing_consent: true,
  all_consent: true,
  consent_updated_at: true,
  last_marketing_at: true,
  name_locked: true,
  erased_at: true,
};
export const CONTACT_COLUMNS = Object.keys(COLUMN_MAP) as readonly Column[];
const LIST = CONTACT_COLUMNS.join(', ');

/**
 * PostgreSQL's look-up: one probe per address by a unique index. Written as `wa_id IN (…)`, a
 * plan made before the table's first ANALYZE (a new database's first minute, before autovacuum
 * gets to it) read every contact of the account through contacts_account_inbound and filtered
 * them: 9,400,000 index entries read for 22,000 sends to 10,000 new contacts. Here each address
 * is an equality on all the columns of a unique index, which the planner knows returns one row
 * at most, and the LIMIT keeps the loop a loop. It stays an unnamed statement, planned at each
 * run with the table's size as it is then: a named one keeps a plan made while the table was
 * empty, where every index looked alike (see contacts-direct.test.ts).
 */
const byAddress = (column: 'wa_id' | 'bsuid', param: string) =>
  `SELECT ${LIST} FROM unnest(${param}::text[]) AS a(address)
     CROSS JOIN LATERAL (SELECT ${LIST} FROM contacts
                          WHERE account_id = $1 AND ${column} = a.address LIMIT 1) c`;
export const PG_LOOKUP = {
  byWaId: byAddress('wa_id', '$2'),
  byWaIdOrBsuid: `${byAddress('wa_id', '$2')} UNION ALL ${byAddress('bsuid', '$3')}`,
};

const PG = {
  // No conflict target: a row may lose on (account_id, wa_id) or on (account_id, bsuid).
  insert: {
    name: 'contacts_insert',
    text: `INSERT INTO contacts (${LIST})
           SELECT ${LIST} FROM json_populate_recordset(NULL::contacts, $1::json)
           ON CONFLICT DO NOTHING RETURNING id`,
  },
} as const satisfies Record<string, NamedStatement>;

const SQLITE = {
  byWaId: `SELECT ${LIST} FROM contacts WHERE account_id = ? AND wa_id = ?`,
  byBsuid: `SELECT ${LIST} FROM contacts WHERE account_id = ? AND bsuid = ?`,
  insert: `INSERT INTO contacts (${LIST}) VALUES (${CONTACT_COLUMNS.map(() => '?').join(', ')})
           ON CONFLICT DO NOTHING`,
};

/**
 * The contacts of one account at these wa_ids or BSUIDs (`bsuids`, a subset of `waIds`), in no
 * order and possibly twice (found by both); undefined where the store has no direct form (the
 * caller then takes its Kysely path).
 */
export function findContactsDirect<R>(
  db: Kysely<Database>,
  accountId: string,
  waIds: readonly string[],
  bsuids: readonly string[],
): Promise<R[]> | undefined {
  // The store's own instance or its transactions only (directPg): another instance over the
  // same pool (a plugin's, a schema's) keeps the Kysely form, which its plugins transform.
  if (directPg(db)) {
    const query = bsuids.length
      ? CompiledQuery.raw(PG_LOOKUP.byWaIdOrBsuid, [accountId, waIds, bsuids])
      : CompiledQuery.raw(PG_LOOKUP.byWaId, [accountId, waIds]);
    return db.executeQuery<R>(query).then((r) => r.rows);
  }
  const sqlite = directSqlite(db);
  if (!sqlite) return undefined;
  return sqlite((prepare) => {
    const out: R[] = [];
    const probe = (text: string, addresses: readonly string[]) => {
      const statement = prepare(text);
      for (const a of addresses) {
        const row = statement.get(accountId, a) as R | undefined;
        if (row !== undefined) out.push(row);
      }
    };
    probe(SQLITE.byWaId, waIds);
    if (bsuids.length) probe(SQLITE.byBsuid, bsuids);
    return out;
  });
}

/**
 * Inserts whole contact rows in the order given, leaving out any that conflicts with a contact
 * already there; resolves with the ids that went in. Undefined where there is no direct form.
 */
export function insertContactsDirect(
  db: Kysely<Database>,
  rows: readonly Record<Column, unknown>[],
): Promise<string[]> | undefined {
  const pg = directPg(db);
  if (pg) {
    return pg<{ id: string }>(PG.insert, [jsonRows(rows, CONTACT_COLUMNS)]).then((r) => r.map((x) => x.id));
  }
  const sqlite = directSqlite(db);
  if (!sqlite) return undefined;
  return sqlite((prepare) => {
    const insert = prepare(SQLITE.insert);
    const ids: string[] = [];
    for (const r of rows) {
      if (insert.run(CONTACT_COLUMNS.map((c) => r[c])).changes === 1) ids.push(r.id as string);
    }
    return ids;
  });
}
