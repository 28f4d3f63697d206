/**
 * The consent ledger and the state derived from it. Entries are only ever added; the contact's
 * `marketing_consent` / `all_consent` columns are a cache of deriveConsent over its entries,
 * written in the same transaction as the entries that change them.
 */
import type { Kysely } from 'kysely';
import {
  type ConsentChange,
  type ConsentEntry,
  type ConsentScope,
  type ConsentSource,
  type ConsentState,
  deriveConsent,
} from '../domain/contacts/consent';
import { chunks } from './chunks';
import type { Database } from './schema';
import { directSqlite } from './sqlite-direct';

export interface NewConsentEvent {
  id: string;
  accountId: string;
  contactId: string;
  channel: string;
  scope: ConsentScope;
  state: ConsentChange;
  source: ConsentSource;
  /** What proves it: { message_id, keyword } / { file, line } / { payload }… stored as JSON. */
  evidence: Record<string, unknown> | null;
  at: number;
}

export interface ConsentEventRow {
  id: string;
  contactId: string;
  channel: string;
  scope: ConsentScope;
  state: ConsentChange;
  source: ConsentSource;
  evidence: Record<string, unknown> | null;
  at: number;
  createdAt: number;
}

/**
 * Appends ledger entries and brings each touched contact's derived state up to date. Call it
 * inside the caller's transaction, with the contacts already locked when several writers may
 * touch them (PostgreSQL). An entry older than the contact's last change (a webhook that arrived
 * late) cannot simply overwrite the cache, so those contacts are derived again from the ledger.
 */
export async function appendConsentEvents(
  db: Kysely<Database>,
  events: readonly NewConsentEvent[],
  now: number,
): Promise<void> {
  if (events.length === 0) return;
  for (const part of chunks(events, 500)) {
    await db
      .insertInto('consent_events')
      .values(
        part.map((e) => ({
          id: e.id,
          account_id: e.accountId,
          contact_id: e.contactId,
          channel: e.channel,
          scope: e.scope,
          state: e.state,
          source: e.source,
          evidence: e.evidence === null ? null : JSON.stringify(e.evidence),
          at: e.at,
          created_at: now,
        })),
      )
      .execute();
  }
  const contactIds = [...new Set(events.map((e) => e.contactId))];
  for (const part of chunks(contactIds, 500)) await rederive(db, part, now);
}

/** Recomputes the cached state of `contactIds` from their ledger entries. */
async function rederive(db: Kysely<Database>, contactIds: readonly string[], now: number): Promise<void> {
  const rows = await db
    .selectFrom('consent_events')
    .select(['contact_id', 'scope', 'state', 'source', 'at'])
    .where('contact_id', 'in', contactIds)
    .orderBy('contact_id')
    .orderBy('at')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const byContact = new Map<string, ConsentEntry[]>();
  for (const r of rows) {
    const list = byContact.get(r.contact_id) ?? [];
    list.push({ scope: r.scope, state: r.state, source: r.source, at: Number(r.at) });
    byContact.set(r.contact_id, list);
  }
  // Contacts that end in the same state share one UPDATE: an import that opts out 10,000 people
  // writes a handful of statements, not 10,000.
  const groups = new Map<string, { set: ConsentColumns & { consent_updated_at: number }; ids: string[] }>();
  for (const [contactId, entries] of byContact) {
    const snapshot = deriveConsent(entries);
    const last = entries.reduce((max, e) => Math.max(max, e.at), Number.NEGATIVE_INFINITY);
    const key = `${snapshot.marketing}/${snapshot.all}/${last}`;
    const group = groups.get(key) ?? {
      set: { marketing_consent: snapshot.marketing, all_consent: snapshot.all, consent_updated_at: last },
      ids: [],
    };
    group.ids.push(contactId);
    groups.set(key, group);
  }
  for (const { set, ids } of groups.values()) {
    await db
      .updateTable('contacts')
      .set({ ...set, updated_at: now })
      .where('id', 'in', ids)
      .execute();
  }
}

/**
 * Recomputes the cached state of `contactIds` from their ledger, for callers that moved ledger
 * entries between contacts (contacts-repo's merge of two rows of one person).
 */
export async function rederiveConsent(
  db: Kysely<Database>,
  contactIds: readonly string[],
  now: number,
): Promise<void> {
  for (const part of chunks([...contactIds], 500)) await rederive(db, part, now);
}

/** A contact's ledger, oldest first. */
export async function consentHistory(db: Kysely<Database>, contactId: string): Promise<ConsentEventRow[]> {
  const rows = await db
    .selectFrom('consent_events')
    .selectAll()
    .where('contact_id', '=', contactId)
    .orderBy('at')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    contactId: r.contact_id,
    channel: r.channel,
    scope: r.scope,
    state: r.state,
    source: r.source,
    evidence: r.evidence === null ? null : (JSON.parse(r.evidence) as Record<string, unknown>),
    at: Number(r.at),
    createdAt: Number(r.created_at),
  }));
}

/** The derived state columns, as a send or an audience reads them. */
export interface ConsentColumns {
  marketing_consent: ConsentState;
  all_consent: ConsentState;
}

/**
 * Which of `ids` the ledger already holds. Entries for a provider's signal (a keyword message, a
 * 131050 status, a user_preferences change) get ids derived from it, so a webhook Meta delivers
 * twice finds its entry here instead of adding a second.
 */
export async function knownConsentEventIds(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...new Set(ids)], 500)) {
    const rows = await db.selectFrom('consent_events').select('id').where('id', 'in', part).execute();
    for (const r of rows) out.add(r.id);
  }
  return out;
}

export const MARKETING_SQL = `UPDATE contacts SET last_marketing_at = ?
                         WHERE id = ? AND (last_marketing_at IS NULL OR last_marketing_at < ?)`;

/** Records that a marketing template was queued to these contacts (the audiences' frequency cap). */
export async function markMarketingQueued(
  db: Kysely<Database>,
  contactIds: readonly string[],
  at: number,
): Promise<void> {
  const direct = directSqlite(db);
  if (direct) {
    // SQLite: one prepared statement per contact (sqlite-direct.ts); a repeated id changes nothing twice.
    await direct((prepare) => {
      const mark = prepare(MARKETING_SQL);
      for (const id of contactIds) mark.run(at, id, at);
    });
    return;
  }
  for (const part of chunks([...new Set(contactIds)], 500)) {
    await db
      .updateTable('contacts')
      .set({ last_marketing_at: at })
      .where('id', 'in', part)
      .where((eb) => eb.or([eb('last_marketing_at', 'is', null), eb('last_marketing_at', '<', at)]))
      .execute();
  }
}
