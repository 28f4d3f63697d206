/**
 * Contacts: one person per account and wa_id. The window is derived from last_inbound_at, which
 * only ever moves forward: a late, reordered webhook for an older message must not shorten it.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { chunks } from './chunks';
import { type RowLock, withRowLock } from './row-locks';
import type { ContactsTable, Database } from './schema';

export type ContactRow = Selectable<ContactsTable>;

export interface NewContact {
  id: string;
  accountId: string;
  waId: string;
  phoneE164: string | null;
  name?: string | null;
}

/** Identifies a contact within a batch: one person per account and wa_id. */
export function contactKey(accountId: string, waId: string): string {
  return `${accountId}\u0000${waId}`;
}

export async function findContact(db: Kysely<Database>, accountId: string, waId: string) {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('wa_id', '=', waId)
    .executeTakeFirst();
}

export async function findContactById(db: Kysely<Database>, id: string): Promise<ContactRow | undefined> {
  return db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The known contacts among `waIds` of one account. With `forUpdate` they stay locked until the
 * caller's transaction ends, taken in id order so that concurrent batches cannot deadlock.
 */
export async function findContacts(
  db: Kysely<Database>,
  accountId: string,
  waIds: readonly string[],
  lock?: RowLock,
): Promise<ContactRow[]> {
  const out: ContactRow[] = [];
  for (const part of chunks([...new Set(waIds)].sort(), 300)) {
    const query = db
      .selectFrom('contacts')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('wa_id', 'in', part)
      .orderBy('id');
    out.push(...(await withRowLock(db, query, lock).execute()));
  }
  return out;
}

/**
 * Returns the contact of each (account, wa_id), keyed by contactKey, creating the missing ones.
 * Most batches are about people we already know, so it reads first and inserts only what is
 * missing. Another transaction may create the same contact at the same moment: the insert then
 * does nothing and the row that won is read, so both callers end up with one contact, one id.
 * With `forUpdate`, the contacts that existed are locked (see findContacts); new ones are the
 * caller's own until it commits.
 */
export async function ensureContacts(
  db: Kysely<Database>,
  contacts: readonly NewContact[],
  now: number,
  lock?: RowLock,
): Promise<Map<string, ContactRow>> {
  const wanted = new Map<string, NewContact>();
  for (const c of contacts) {
    const key = contactKey(c.accountId, c.waId);
    if (!wanted.has(key)) wanted.set(key, c);
  }
  const found = new Map<string, ContactRow>();
  const readInto = async (list: NewContact[]) => {
    for (const [accountId, group] of groupBy(list, (c) => c.accountId)) {
      const rows = await findContacts(
        db,
        accountId,
        group.map((c) => c.waId),
        lock,
      );
      for (const r of rows) found.set(contactKey(r.account_id, r.wa_id), r);
    }
  };
  await readInto([...wanted.values()]);
  const missing = [...wanted.values()].filter((c) => !found.has(contactKey(c.accountId, c.waId)));
  for (const part of chunks(missing, 300)) {
    const inserted = await db
      .insertInto('contacts')
      .values(
        part.map((c) => ({
          id: c.id,
          account_id: c.accountId,
          wa_id: c.waId,
          phone_e164: c.phoneE164,
          name: c.name ?? null,
          last_inbound_at: null,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['account_id', 'wa_id']).doNothing())
      .returningAll()
      .execute();
    for (const r of inserted) found.set(contactKey(r.account_id, r.wa_id), r);
  }
  const raced = missing.filter((c) => !found.has(contactKey(c.accountId, c.waId)));
  if (raced.length) await readInto(raced);
  for (const key of wanted.keys()) {
    if (!found.has(key)) throw new Error(`contact ${key.replace('\u0000', '/')} vanished after insert`);
  }
  return found;
}

/** Returns the contact for (account, wa_id), creating it when first seen. */
export async function ensureContact(db: Kysely<Database>, c: NewContact, now: number): Promise<ContactRow> {
  const rows = await ensureContacts(db, [c], now);
  return rows.get(contactKey(c.accountId, c.waId))!;
}

export interface InboundMove {
  contactId: string;
  /** When the user wrote (Meta's timestamp). */
  at: number;
  /** The WhatsApp profile name the message came with, if any. */
  name?: string | null | undefined;
}

/**
 * Records that contacts wrote to us, moving each window forward in one statement per chunk.
 * The comparison happens inside the UPDATE, under the row's write lock, so neither a reordered
 * webhook nor two concurrent batches can move last_inbound_at backwards. Several moves of one
 * contact fold into one: the latest time, and the name of the last move that carried one.
 * Callers that move many windows at once lock the contacts first (ensureContacts with
 * forUpdate): an UPDATE … FROM takes its row locks in whatever order the plan visits them.
 */
export async function moveWindows(
  db: Kysely<Database>,
  moves: readonly InboundMove[],
  now: number,
): Promise<void> {
  // Per contact: the newest time, and the name carried by the newest message that had one —
  // so the profile name shown is the latest the user had, whatever order webhooks arrive in.
  const folded = new Map<string, { at: number; name: string | null; nameAt: number }>();
  for (const m of moves) {
    const prev = folded.get(m.contactId);
    const takesName = !!m.name && (prev === undefined || m.at >= prev.nameAt);
    folded.set(m.contactId, {
      at: Math.max(prev?.at ?? m.at, m.at),
      name: takesName ? (m.name ?? null) : (prev?.name ?? null),
      nameAt: takesName ? m.at : (prev?.nameAt ?? Number.NEGATIVE_INFINITY),
    });
  }
  for (const part of chunks([...folded], 300)) {
    const values = sql.join(
      part.map(([id, m]) => sql`(${id}, ${m.at}, ${m.name}, ${m.name === null ? m.at : m.nameAt})`),
    );
    // VALUES columns arrive untyped on PostgreSQL, hence the casts; the SQL is the same on both.
    await sql`
      UPDATE contacts
         SET last_inbound_at = CASE
               WHEN contacts.last_inbound_at IS NULL OR contacts.last_inbound_at < CAST(v.column2 AS BIGINT)
               THEN CAST(v.column2 AS BIGINT)
               ELSE contacts.last_inbound_at
             END,
             name = CASE
               WHEN v.column3 IS NOT NULL
                AND (contacts.name IS NULL OR contacts.last_inbound_at IS NULL
                     OR contacts.last_inbound_at <= CAST(v.column4 AS BIGINT))
               THEN CAST(v.column3 AS TEXT)
               ELSE contacts.name
             END,
             updated_at = ${now}
        FROM (VALUES ${values}) AS v
       WHERE contacts.id = v.column1`.execute(db);
  }
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = out.get(k);
    if (list) list.push(i);
    else out.set(k, [i]);
  }
  return out;
}
