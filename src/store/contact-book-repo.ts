/**
 * The contact book's rows: one contact's profile written as a whole (PUT) or merged (PATCH),
 * found by id, phone or business-scoped user id, and listed with filters page by page.
 *
 * - Erased contacts are rows kept for counts, never people: every read here leaves them out.
 * - Tags are written twice, in one transaction: `contacts.tags` (sorted JSON, what is shown) and
 *   `contact_tags` (one row per tag, what filters seek); only the difference is written.
 * - Attributes are stored with their keys sorted, so "unchanged" is a string comparison.
 * - Pages are keyset on (account_id, id): ids grow with time, so a contact created while a
 *   client pages appears at the end instead of shifting the pages, and no OFFSET is ever read.
 */
import { CompiledQuery, type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { AudienceFilter } from '../domain/contacts/audience';
import type { Attributes } from '../domain/contacts/contact-fields';
import { filterCondition } from './audience-query';
import { chunks } from './chunks';
import { storedAttributes } from './contact-columns';
import type { ContactRow } from './contacts-repo';
import { type RowLock, takesRowLocks, withRowLock } from './row-locks';
import type { Database } from './schema';

export type ContactRef =
  | { kind: 'id'; id: string }
  /** `psid`: named as a Messenger user (psid:…), whose PSID is its wa_id; never created from a path. */
  | { kind: 'wa'; waId: string; psid?: true }
  | { kind: 'bsuid'; bsuid: string };

/** A live (not erased) contact of the account, by id, wa_id or BSUID; locked with `lock`. */
export async function findLiveContact(
  db: Kysely<Database>,
  accountId: string,
  ref: ContactRef,
  lock?: RowLock,
): Promise<ContactRow | undefined> {
  let query = db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('erased_at', 'is', null);
  if (ref.kind === 'id') query = query.where('id', '=', ref.id);
  else if (ref.kind === 'wa') query = query.where('wa_id', '=', ref.waId);
  else query = query.where((eb) => eb.or([eb('bsuid', '=', ref.bsuid), eb('wa_id', '=', ref.bsuid)]));
  return withRowLock(db, query.orderBy('id').limit(1), lock).executeTakeFirst();
}

/** What PUT and PATCH write: the profile a person or a CRM controls. */
export interface ContactProfile {
  name: string | null;
  language: string | null;
  timeZone: string | null;
  timeZoneInferred: boolean;
  /** Sorted, deduplicated. */
  tags: string[];
  attributes: Attributes;
}

export interface NewContactAddress {
  id: string;
  accountId: string;
  waId: string;
  phoneE164: string | null;
  bsuid: string | null;
}

/** The stored form of attributes: keys sorted, so equal sets are equal strings. */

export function readTags(row: Pick<ContactRow, 'tags'>): string[] {
  return JSON.parse(row.tags) as string[];
}

export function readAttributes(row: Pick<ContactRow, 'attributes'>): Attributes {
  return JSON.parse(row.attributes) as Attributes;
}

/**
 * Creates a contact with its profile. Returns undefined when another writer created the same
 * address first (the caller then updates that one instead).
 */
export async function insertContactProfile(
  db: Kysely<Database>,
  address: NewContactAddress,
  profile: ContactProfile,
  now: number,
): Promise<ContactRow | undefined> {
  const row = await db
    .insertInto('contacts')
    .values({
      id: address.id,
      account_id: address.accountId,
      wa_id: address.waId,
      phone_e164: address.phoneE164,
      bsuid: address.bsuid,
      last_inbound_at: null,
      created_at: now,
      updated_at: now,
      ...profileColumns(profile),
    })
    .onConflict((oc) => oc.columns(['account_id', 'wa_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (row) await writeTagRows(db, row.account_id, row.id, [], profile.tags);
  return row;
}

/** Whether writing `profile` over `row` would change anything. */
export function profileChanges(row: ContactRow, profile: ContactProfile): boolean {
  const next = profileColumns(profile);
  return (
    row.name !== next.name ||
    Number(row.name_locked) !== next.name_locked ||
    row.language !== next.language ||
    row.time_zone !== next.time_zone ||
    Number(row.time_zone_inferred) !== next.time_zone_inferred ||
    row.tags !== next.tags ||
    row.attributes !== next.attributes
  );
}

/** Writes the profile over a contact read (and locked) in the same transaction. */
export async function updateContactProfile(
  db: Kysely<Database>,
  row: ContactRow,
  profile: ContactProfile,
  now: number,
): Promise<ContactRow> {
  const updated = await db
    .updateTable('contacts')
    .set({ ...profileColumns(profile), updated_at: now })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await writeTagRows(db, row.account_id, row.id, readTags(row), profile.tags);
  return updated;
}

/**
 * Writes only tags and attributes over a contact read (and locked) in the same transaction: a
 * reply routing rule labels the person without touching the name, whose lock says who set it.
 */
export async function updateContactLabels(
  db: Kysely<Database>,
  row: ContactRow,
  labels: { tags: string[]; attributes: Attributes },
  now: number,
): Promise<ContactRow> {
  const updated = await db
    .updateTable('contacts')
    .set({
      tags: JSON.stringify(labels.tags),
      attributes: storedAttributes(labels.attributes),
      updated_at: now,
    })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await writeTagRows(db, row.account_id, row.id, readTags(row), labels.tags);
  return updated;
}

function profileColumns(p: ContactProfile) {
  return {
    name: p.name,
    // A name the business gives stays; clearing it lets WhatsApp's profile name in again.
    name_locked: p.name === null ? 0 : 1,
    language: p.language,
    time_zone: p.timeZone,
    time_zone_inferred: p.timeZoneInferred ? 1 : 0,
    tags: JSON.stringify(p.tags),
    attributes: storedAttributes(p.attributes),
  };
}

/** Brings contact_tags from `before` to `after`: only the tags that differ are written. */
async function writeTagRows(
  db: Kysely<Database>,
  accountId: string,
  contactId: string,
  before: readonly string[],
  after: readonly string[],
): Promise<void> {
  const removed = before.filter((t) => !after.includes(t));
  const added = after.filter((t) => !before.includes(t));
  if (removed.length) {
    await db
      .deleteFrom('contact_tags')
      .where('account_id', '=', accountId)
      .where('contact_id', '=', contactId)
      .where('tag', 'in', removed)
      .execute();
  }
  if (added.length) {
    await db
      .insertInto('contact_tags')
      .values(added.map((tag) => ({ account_id: accountId, tag, contact_id: contactId })))
      .onConflict((oc) => oc.columns(['account_id', 'tag', 'contact_id']).doNothing())
      .execute();
  }
}

export interface ContactListQuery {
  accountId: string;
  filter: AudienceFilter;
  /** true: opted out of marketing or of everything; false: neither. */
  optedOut?: boolean;
  /** A substring of the name (any case) or the start of the phone number. */
  q?: string;
  /** The last id of the previous page. */
  after?: string;
  limit: number;
  now: number;
}

/** One page, in id (creation) order; ask for one more than shown to know whether more follow. */
export async function listContactPage(db: Kysely<Database>, q: ContactListQuery): Promise<ContactRow[]> {
  return (await contactPageQuery(db, q)).execute();
}

/** The database's plan for one page (tests check that a window filter reads an index). */
export async function explainContactPage(db: Kysely<Database>, q: ContactListQuery): Promise<string> {
  const query = (await contactPageQuery(db, q)).compile();
  const pg = takesRowLocks(db);
  const result = await db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw((pg ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN ') + query.sql, [...query.parameters]),
  );
  return result.rows.map((r) => String(pg ? r['QUERY PLAN'] : r.detail)).join('\n');
}

async function contactPageQuery(db: Kysely<Database>, q: ContactListQuery) {
  let query = db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', q.accountId)
    .where('erased_at', 'is', null)
    .where((await filterCondition(db, q.accountId, q.filter, q.now)) as Expression<SqlBool>);
  if (q.after !== undefined) query = query.where('id', '>', q.after);
  if (q.optedOut !== undefined) {
    const out = sql<SqlBool>`(contacts.marketing_consent = 'opted_out' OR contacts.all_consent = 'opted_out')`;
    query = query.where(q.optedOut ? out : sql<SqlBool>`NOT ${out}`);
  }
  if (q.q !== undefined) {
    const text = q.q.trim().toLowerCase();
    const like = `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const byName = sql<SqlBool>`lower(contacts.name) LIKE ${like} ESCAPE '\\'`;
    const digits = /^\+?[\d\s\-().]+$/.test(text) ? text.replace(/\D/g, '') : '';
    query = query.where(digits ? sql<SqlBool>`(${byName} OR contacts.wa_id LIKE ${`${digits}%`})` : byName);
  }
  return query.orderBy('id').limit(q.limit);
}

export interface RecentOutbound {
  id: string;
  status: string;
  kind: string;
  templateName: string | null;
  content: Record<string, unknown>;
  createdAt: number;
}

export interface RecentInbound {
  id: string;
  type: string;
  text: string | null;
  payload: string | null;
  receivedAt: number;
}

/** The newest messages both ways, `limit` of each (the caller merges them). */
export async function recentMessages(
  db: Kysely<Database>,
  contactId: string,
  limit: number,
): Promise<{ outbound: RecentOutbound[]; inbound: RecentInbound[] }> {
  const out = await db
    .selectFrom('messages')
    .select(['id', 'status', 'kind', 'template_name', 'content', 'created_at'])
    .where('contact_id', '=', contactId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const inb = await db
    .selectFrom('inbound_messages')
    .select(['id', 'type', 'text', 'payload', 'received_at'])
    .where('contact_id', '=', contactId)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return {
    outbound: out.map((m) => ({
      id: m.id,
      status: m.status,
      kind: m.kind,
      templateName: m.template_name,
      content: safeJson(m.content),
      createdAt: Number(m.created_at),
    })),
    inbound: inb.map((m) => ({
      id: m.id,
      type: m.type,
      text: m.text,
      payload: m.payload,
      receivedAt: Number(m.received_at),
    })),
  };
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A generated contact for benchmarks and tests that need many: written without checks. */
export interface BulkContact {
  id: string;
  accountId: string;
  waId: string;
  phoneE164: string;
  name: string | null;
  tags: string[];
  attributes: Attributes;
  lastInboundAt: number | null;
  lastMarketingAt: number | null;
  marketingConsent: 'unknown' | 'opted_in' | 'opted_out';
  createdAt: number;
}

/** Inserts many contacts with their tag rows, a few hundred per statement, in one transaction. */
export async function bulkInsertContacts(
  db: Kysely<Database>,
  contacts: readonly BulkContact[],
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const part of chunks(contacts, 500)) {
      await trx
        .insertInto('contacts')
        .values(
          part.map((c) => ({
            id: c.id,
            account_id: c.accountId,
            wa_id: c.waId,
            phone_e164: c.phoneE164,
            name: c.name,
            last_inbound_at: c.lastInboundAt,
            last_marketing_at: c.lastMarketingAt,
            marketing_consent: c.marketingConsent,
            tags: JSON.stringify([...new Set(c.tags)].sort()),
            attributes: storedAttributes(c.attributes),
            created_at: c.createdAt,
            updated_at: c.createdAt,
          })),
        )
        .execute();
      const tagRows = part.flatMap((c) =>
        [...new Set(c.tags)].map((tag) => ({ account_id: c.accountId, tag, contact_id: c.id })),
      );
      for (const rows of chunks(tagRows, 2000)) await trx.insertInto('contact_tags').values(rows).execute();
    }
  });
}

/** The contacts a list names, by id, wa_id or BSUID (erased ones included, by id only). */
export async function findListedContacts(
  db: Kysely<Database>,
  accountId: string,
  refs: { ids: readonly string[]; waIds: readonly string[]; bsuids: readonly string[] },
): Promise<Array<Pick<ContactRow, 'id' | 'wa_id' | 'bsuid'>>> {
  const out: Array<Pick<ContactRow, 'id' | 'wa_id' | 'bsuid'>> = [];
  const read = async (column: 'id' | 'wa_id' | 'bsuid', values: readonly string[]) => {
    for (const part of chunks([...new Set(values)], 500)) {
      out.push(
        ...(await db
          .selectFrom('contacts')
          .select(['id', 'wa_id', 'bsuid'])
          .where('account_id', '=', accountId)
          .where(column, 'in', part)
          .execute()),
      );
    }
  };
  await read('id', refs.ids);
  await read('wa_id', [...refs.waIds, ...refs.bsuids]);
  await read('bsuid', refs.bsuids);
  return out;
}
