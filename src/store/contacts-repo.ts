/**
 * Contacts: one person per account and wa_id. The window is derived from last_inbound_at, which
 * only ever moves forward: a late, reordered webhook for an older message must not shorten it.
 *
 * Addresses. `wa_id` is the unique channel address: the phone's digits, or the business-scoped
 * user id (BSUID, "US.1349…") of a user known only by it. `bsuid` holds the BSUID whenever it is
 * known (unique per account). Every lookup by address here accepts either form: a BSUID finds
 * the contact whose wa_id or bsuid it is. The two shapes cannot collide (digits vs "CC.…"), so a
 * phone lookup never pays for the second column.
 *
 * Linking and merging. When the same person turns out to have two rows (a BSUID-only contact,
 * then a webhook carrying both their phone and their BSUID; or a number change onto a number
 * that already had a contact) they become one: the survivor takes the other's messages,
 * inbound messages, consent ledger and tags, in the caller's transaction, and the other row is
 * deleted. Nothing the person did is lost; only the second id disappears.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { isBsuid } from '../domain/bsuid';
import { waIdToE164 } from '../domain/phone';
import { chunks } from './chunks';
import { rederiveConsent } from './consent-repo';
import { storedAttributes } from './contact-columns';
import { findContactsDirect, insertContactsDirect } from './contacts-direct';
import { type RowLock, takesRowLocks, withRowLock } from './row-locks';
import type { ContactsTable, Database } from './schema';

export type ContactRow = Selectable<ContactsTable>;

export interface NewContact {
  id: string;
  accountId: string;
  waId: string;
  phoneE164: string | null;
  name?: string | null;
  /** The BSUID, when known; for a user known only by it, equal to waId. */
  bsuid?: string | null;
}

/** Identifies a contact within a batch: one person per account and wa_id. */
export function contactKey(accountId: string, waId: string): string {
  return `${accountId}\u0000${waId}`;
}

/** The contact at an address: a wa_id, or a BSUID (its wa_id or its bsuid). */
export async function findContact(db: Kysely<Database>, accountId: string, waId: string) {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', accountId)
    .where((eb) =>
      isBsuid(waId) ? eb.or([eb('wa_id', '=', waId), eb('bsuid', '=', waId)]) : eb('wa_id', '=', waId),
    )
    .executeTakeFirst();
}

export async function findContactById(db: Kysely<Database>, id: string): Promise<ContactRow | undefined> {
  return db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The known contacts among `waIds` (wa_ids or BSUIDs, see above) of one account. With
 * `forUpdate` they stay locked until the caller's transaction ends, taken in id order so that
 * concurrent batches cannot deadlock.
 */
export async function findContacts(
  db: Kysely<Database>,
  accountId: string,
  waIds: readonly string[],
  lock?: RowLock,
): Promise<ContactRow[]> {
  const out: ContactRow[] = [];
  const seen = new Set<string>();
  // SQLite (no row locks) searches the unique index once for the wa_ids and once for the
  // BSUIDs, unordered: given an ORDER BY id, or an OR of the two, its planner may walk every
  // contact of the account instead (contacts_account_id), a cost that grew with the contact
  // book. PostgreSQL keeps one read, in id order when it locks: the order its row locks are taken.
  const pg = takesRowLocks(db);
  const locking = pg && lock?.forUpdate === true;
  for (const part of chunks([...new Set(waIds)].sort(), 300)) {
    const bsuids = part.filter(isBsuid);
    const direct = locking ? undefined : findContactsDirect<ContactRow>(db, accountId, part, bsuids);
    if (direct) {
      for (const r of await direct) {
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(r);
      }
      continue;
    }
    const base = db.selectFrom('contacts').selectAll().where('account_id', '=', accountId);
    const queries = pg
      ? [
          base.where((eb) =>
            bsuids.length
              ? eb.or([eb('wa_id', 'in', part), eb('bsuid', 'in', bsuids)])
              : eb('wa_id', 'in', part),
          ),
        ]
      : [base.where('wa_id', 'in', part), ...(bsuids.length ? [base.where('bsuid', 'in', bsuids)] : [])];
    for (const query of queries) {
      for (const r of await withRowLock(db, locking ? query.orderBy('id') : query, lock).execute()) {
        // A contact found by its wa_id and by its bsuid is listed once.
        if (seen.has(r.id)) continue;
        seen.add(r.id);
        out.push(r);
      }
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The keys (contactKey) under which a row answers: its wa_id, and its bsuid when it has one. */
function keysOf(r: ContactRow): string[] {
  const keys = [contactKey(r.account_id, r.wa_id)];
  if (r.bsuid !== null && r.bsuid !== r.wa_id) keys.push(contactKey(r.account_id, r.bsuid));
  return keys;
}

/**
 * Returns the contact of each (account, wa_id), keyed by contactKey, creating the missing ones.
 * Most batches are about people we already know, so it reads first and inserts only what is
 * missing. Another transaction may create the same contact at the same moment: the insert then
 * does nothing and the row that won is read, so both callers end up with one contact, one id.
 * With `forUpdate`, the contacts that existed are locked (see findContacts); new ones are the
 * caller's own until it commits. `readFirst: false` is for a caller that has just looked them up
 * and found none (intake): it inserts at once, and reads only the ones whose insert lost.
 */
export async function ensureContacts(
  db: Kysely<Database>,
  contacts: readonly NewContact[],
  now: number,
  lock?: RowLock,
  readFirst = true,
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
        // The BSUID too: the person may already be a contact under it (see `split` below).
        group.flatMap((c) => (c.bsuid && c.bsuid !== c.waId ? [c.waId, c.bsuid] : [c.waId])),
        lock,
      );
      for (const r of rows) for (const k of keysOf(r)) found.set(k, r);
    }
  };
  const insert = async (list: NewContact[]) => {
    // In key order: two transactions inserting the same new people wait for each other in the
    // same order on PostgreSQL's unique index, instead of each holding what the other needs.
    const ordered = [...list].sort((a, b) =>
      compareKeys(contactKey(a.accountId, a.waId), contactKey(b.accountId, b.waId)),
    );
    for (const part of chunks(ordered, 300)) {
      const rows = new Map(part.map((c) => [c.id, newContactRow(c, now)]));
      const inserted = await insertedIds(db, [...rows.values()]);
      for (const id of inserted) {
        const r = rows.get(id)!;
        for (const k of keysOf(r)) found.set(k, r);
      }
    }
  };
  const missingOf = (list: NewContact[]) => list.filter((c) => !found.has(contactKey(c.accountId, c.waId)));
  if (readFirst) await readInto([...wanted.values()]);
  const missing = missingOf([...wanted.values()]);
  await insert(missing);
  const raced = missingOf(missing);
  if (raced.length) await readInto(raced);
  // A phone whose BSUID another transaction just gave to a new BSUID-only contact: the insert
  // lost on the bsuid, not the wa_id. Same person: link them, and the phone finds that contact.
  const split = missingOf(raced).filter(
    (c) => c.bsuid && c.bsuid !== c.waId && found.has(contactKey(c.accountId, c.bsuid)),
  );
  if (split.length) {
    await linkAddresses(
      db,
      split.map((c) => ({ accountId: c.accountId, waId: c.waId, bsuid: c.bsuid! })),
      now,
    );
    await readInto(split);
    // The BSUID was another phone's (it loses it in the link): this phone is a new contact.
    const fresh = missingOf(split);
    await insert(fresh);
    if (missingOf(fresh).length) await readInto(missingOf(fresh));
  }
  for (const key of wanted.keys()) {
    if (!found.has(key)) throw new Error(`contact ${key.replace('\u0000', '/')} vanished after insert`);
  }
  return found;
}

/**
 * Inserts whole rows, leaving out those that conflict with a contact already there (no conflict
 * target: a row may lose on (account_id, wa_id) or on (account_id, bsuid), to a concurrent
 * transaction that created the same person); the ids that went in.
 */
async function insertedIds(db: Kysely<Database>, rows: ContactRow[]): Promise<string[]> {
  const direct = insertContactsDirect(db, rows);
  if (direct) return direct;
  const inserted = await db
    .insertInto('contacts')
    .values(rows)
    .onConflict((oc) => oc.doNothing())
    // Only which rows went in: the rest of each row is known here (newContactRow), and reading
    // every column back cost SQLite more than the insert.
    .returning('id')
    .execute();
  return inserted.map((r) => r.id);
}

/** A contact's whole row as its insert leaves it: what was given, every other column as it starts. */
function newContactRow(c: NewContact, now: number): ContactRow {
  return {
    id: c.id,
    account_id: c.accountId,
    wa_id: c.waId,
    phone_e164: c.phoneE164,
    name: c.name ?? null,
    last_inbound_at: null,
    last_user_message_at: null,
    opted_out: 0,
    attributes: '{}',
    created_at: now,
    updated_at: now,
    bsuid: c.bsuid ?? null,
    language: null,
    time_zone: null,
    time_zone_inferred: 0,
    tags: '[]',
    marketing_consent: 'unknown',
    all_consent: 'unknown',
    consent_updated_at: null,
    last_marketing_at: null,
    name_locked: 0,
    erased_at: null,
  };
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
  /**
   * False for an action that reopens the window without being a message (a Messenger reaction,
   * postback or referral): last_user_message_at, from which HUMAN_AGENT's 7 days count, stays.
   */
  userMessage?: boolean;
}

/**
 * Records that contacts wrote to us, moving each window forward in one statement per chunk.
 * The comparison happens inside the UPDATE, under the row's write lock, so neither a reordered
 * webhook nor two concurrent batches can move last_inbound_at backwards. Several moves of one
 * contact fold into one: the latest time, and the name of the last move that carried one (unless
 * the business set the contact's name: name_locked).
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
  const folded = new Map<
    string,
    { at: number; name: string | null; nameAt: number; userAt: number | null }
  >();
  for (const m of moves) {
    const prev = folded.get(m.contactId);
    const takesName = !!m.name && (prev === undefined || m.at >= prev.nameAt);
    const userAt = prev?.userAt ?? null;
    folded.set(m.contactId, {
      at: Math.max(prev?.at ?? m.at, m.at),
      name: takesName ? (m.name ?? null) : (prev?.name ?? null),
      nameAt: takesName ? m.at : (prev?.nameAt ?? Number.NEGATIVE_INFINITY),
      userAt: m.userMessage === false ? userAt : Math.max(userAt ?? m.at, m.at),
    });
  }
  for (const part of chunks([...folded], 300)) {
    const values = sql.join(
      part.map(
        ([id, m]) => sql`(${id}, ${m.at}, ${m.name}, ${m.name === null ? m.at : m.nameAt}, ${m.userAt})`,
      ),
    );
    // VALUES columns arrive untyped on PostgreSQL, hence the casts; the SQL is the same on both.
    await sql`
      UPDATE contacts
         SET last_inbound_at = CASE
               WHEN contacts.last_inbound_at IS NULL OR contacts.last_inbound_at < CAST(v.column2 AS BIGINT)
               THEN CAST(v.column2 AS BIGINT)
               ELSE contacts.last_inbound_at
             END,
             last_user_message_at = CASE
               WHEN v.column5 IS NOT NULL AND (contacts.last_user_message_at IS NULL
                     OR contacts.last_user_message_at < CAST(v.column5 AS BIGINT))
               THEN CAST(v.column5 AS BIGINT)
               ELSE contacts.last_user_message_at
             END,
             name = CASE
               WHEN v.column3 IS NOT NULL
                AND contacts.name_locked = 0
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

/** A phone and a BSUID seen together in one webhook: the same person. */
export interface AddressPair {
  accountId: string;
  /** The phone's wa_id (digits). */
  waId: string;
  bsuid: string;
}

/**
 * Records that each phone and BSUID of `pairs` are one person, before the caller resolves its
 * contacts (ensureContacts):
 * - the phone's contact already carries the BSUID → nothing to do (the common case, one read);
 * - a contact known only by the BSUID exists → merged into the phone's contact, or, when the
 *   phone has none yet, relabelled to the phone;
 * - another phone's contact carries the BSUID → it loses it (the BSUID now belongs to this
 *   phone: Meta keeps one BSUID per person, so the number changed);
 * - otherwise the phone's contact takes the BSUID; a phone without a contact gets it when
 *   ensureContacts creates the contact.
 * The rows involved are locked (PostgreSQL) in id order for the caller's transaction. Returns
 * how many pairs changed something.
 */
export async function linkAddresses(
  db: Kysely<Database>,
  pairs: readonly AddressPair[],
  now: number,
): Promise<number> {
  const latest = new Map<string, AddressPair>();
  for (const p of pairs) {
    if (isBsuid(p.bsuid) && !isBsuid(p.waId)) latest.set(contactKey(p.accountId, p.waId), p);
  }
  let changed = 0;
  for (const [accountId, group] of groupBy([...latest.values()], (p) => p.accountId)) {
    const addresses = group.flatMap((p) => [p.waId, p.bsuid]);
    // Meta sends the BSUID with every message and status: almost always it is linked already,
    // and one plain read says so without locking anything.
    const seen = await findContacts(db, accountId, addresses);
    if (group.every((p) => seen.some((r) => r.wa_id === p.waId && r.bsuid === p.bsuid))) continue;
    const rows = await findContacts(db, accountId, addresses, { forUpdate: true });
    const at = new Map<string, ContactRow>();
    const index = (r: ContactRow) => {
      for (const k of keysOf(r)) at.set(k, r);
    };
    const unindex = (r: ContactRow) => {
      for (const k of keysOf(r)) if (at.get(k)?.id === r.id) at.delete(k);
    };
    rows.forEach(index);
    for (const p of group) {
      const phone = at.get(contactKey(accountId, p.waId));
      const holder = at.get(contactKey(accountId, p.bsuid));
      if (phone !== undefined && holder?.id === phone.id) continue;
      changed++;
      if (holder !== undefined) {
        unindex(holder);
        if (holder.wa_id !== p.bsuid) {
          // Another phone's contact: it keeps its history, not the BSUID.
          index(await updateAddress(db, holder.id, { bsuid: null }, now));
        } else if (phone !== undefined) {
          unindex(phone);
          index(await mergeContacts(db, phone, holder, now, { bsuid: p.bsuid }));
          await readdressQueued(db, phone.id, p.bsuid, p.waId, now);
          continue;
        } else {
          index(await updateAddress(db, holder.id, { waId: p.waId, phoneE164: e164OrNull(p.waId) }, now));
          await readdressQueued(db, holder.id, p.bsuid, p.waId, now);
          continue;
        }
      }
      if (phone !== undefined) {
        unindex(phone);
        index(await updateAddress(db, phone.id, { bsuid: p.bsuid }, now));
      }
    }
  }
  return changed;
}

export interface AddressChange {
  waId?: string;
  phoneE164?: string | null;
  bsuid?: string | null;
}

/** Rewrites a contact's addresses (a relabel: same person, same id, new wa_id and/or BSUID). */
export async function updateAddress(
  db: Kysely<Database>,
  contactId: string,
  change: AddressChange,
  now: number,
): Promise<ContactRow> {
  const set: { wa_id?: string; phone_e164?: string | null; bsuid?: string | null; updated_at: number } = {
    updated_at: now,
  };
  if (change.waId !== undefined) set.wa_id = change.waId;
  if (change.phoneE164 !== undefined) set.phone_e164 = change.phoneE164;
  if (change.bsuid !== undefined) set.bsuid = change.bsuid;
  return db
    .updateTable('contacts')
    .set(set)
    .where('id', '=', contactId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Makes `loser` part of `survivor`, in the caller's transaction: its messages, inbound
 * messages, consent ledger entries and tags move over, the loser's row is deleted, and the
 * survivor keeps its own profile fields, filling the ones it lacks from the loser (name,
 * language, time zone, phone); attributes are merged (the survivor's value wins a clash), the
 * window is the later of the two, consent is derived again from the joined ledger. `set`
 * applies address changes after the loser is gone (its wa_id or bsuid may be the one taken).
 * Both rows should be locked by the caller (findContacts with forUpdate).
 */
export async function mergeContacts(
  db: Kysely<Database>,
  survivor: ContactRow,
  loser: ContactRow,
  now: number,
  set: AddressChange = {},
): Promise<ContactRow> {
  if (survivor.id === loser.id) throw new Error(`cannot merge contact ${survivor.id} into itself`);
  if (survivor.account_id !== loser.account_id) {
    throw new Error(`cannot merge contacts of two accounts (${survivor.id}, ${loser.id})`);
  }
  const to = survivor.id;
  const from = loser.id;
  await db.updateTable('messages').set({ contact_id: to }).where('contact_id', '=', from).execute();
  await db.updateTable('inbound_messages').set({ contact_id: to }).where('contact_id', '=', from).execute();
  const moved = await db
    .updateTable('consent_events')
    .set({ contact_id: to })
    .where('contact_id', '=', from)
    .executeTakeFirst();
  await db
    .insertInto('contact_tags')
    .columns(['account_id', 'tag', 'contact_id'])
    .expression((eb) =>
      eb
        .selectFrom('contact_tags')
        .select(['account_id', 'tag', eb.val(to).as('contact_id')])
        .where('contact_id', '=', from),
    )
    .onConflict((oc) => oc.doNothing())
    .execute();
  await db.deleteFrom('contact_tags').where('contact_id', '=', from).execute();
  await mergeConversations(db, survivor, loser, now);
  await db.deleteFrom('contacts').where('id', '=', from).execute();

  const tags = [...new Set([...parseList(survivor.tags), ...parseList(loser.tags)])].sort();
  const attributes = storedAttributes({
    ...parseObject(loser.attributes),
    ...parseObject(survivor.attributes),
  });
  const zoneFromLoser = survivor.time_zone === null && loser.time_zone !== null;
  await db
    .updateTable('contacts')
    .set({
      name: survivor.name ?? loser.name,
      phone_e164: survivor.phone_e164 ?? loser.phone_e164,
      language: survivor.language ?? loser.language,
      time_zone: zoneFromLoser ? loser.time_zone : survivor.time_zone,
      time_zone_inferred: zoneFromLoser ? loser.time_zone_inferred : survivor.time_zone_inferred,
      tags: JSON.stringify(tags),
      attributes,
      last_inbound_at: maxOrNull(survivor.last_inbound_at, loser.last_inbound_at),
      last_marketing_at: maxOrNull(survivor.last_marketing_at, loser.last_marketing_at),
      created_at: Math.min(Number(survivor.created_at), Number(loser.created_at)),
      bsuid: survivor.bsuid ?? (loser.bsuid !== loser.wa_id ? loser.bsuid : null),
      updated_at: now,
    })
    .where('id', '=', to)
    .execute();
  if (Number(moved.numUpdatedRows) > 0) await rederiveConsent(db, [to], now);
  return updateAddress(db, to, set, now);
}

/**
 * Conversations follow the merge: routing records and waiting marks move to the survivor (one
 * mark may be active per contact: the survivor's own wins, the loser's is cleared), and the
 * window timers are those of the later window, so the merged window is announced once.
 */
async function mergeConversations(
  db: Kysely<Database>,
  survivor: ContactRow,
  loser: ContactRow,
  now: number,
) {
  const to = survivor.id;
  const from = loser.id;
  await db.updateTable('reply_actions').set({ contact_id: to }).where('contact_id', '=', from).execute();
  const active = await db
    .selectFrom('waiting_marks')
    .select('id')
    .where('contact_id', '=', to)
    .where('state', '!=', 'cleared')
    .executeTakeFirst();
  if (active) {
    await db
      .updateTable('waiting_marks')
      .set({ state: 'cleared', cleared_at: now, cleared_by: 'merge', resume_due_at: null, updated_at: now })
      .where('contact_id', '=', from)
      .where('state', '!=', 'cleared')
      .execute();
  }
  await db.updateTable('waiting_marks').set({ contact_id: to }).where('contact_id', '=', from).execute();
  const loserLater = (loser.last_inbound_at ?? -1) > (survivor.last_inbound_at ?? -1);
  if (loserLater) {
    await db.deleteFrom('window_timers').where('contact_id', '=', to).execute();
    for (const kind of ['expiring', 'expired'] as const) {
      await db
        .updateTable('window_timers')
        .set({ id: `${to}:${kind}`, contact_id: to })
        .where('id', '=', `${from}:${kind}`)
        .execute();
    }
  }
  await db.deleteFrom('window_timers').where('contact_id', '=', from).execute();
}

/**
 * Messages of a contact still waiting to leave (queued, or held for the contact to write) follow
 * its new address: after a number change the old number may soon be someone else's, and a
 * phone, once known, is preferred to the BSUID. Messages already posted keep the address they
 * were posted to.
 */
export async function readdressQueued(
  db: Kysely<Database>,
  contactId: string,
  from: string,
  to: string,
  now: number,
): Promise<number> {
  if (from === to) return 0;
  const r = await db
    .updateTable('messages')
    .set({ to_wa: to, updated_at: now })
    .where('contact_id', '=', contactId)
    .where('status', 'in', ['queued', 'held'])
    .where('to_wa', '=', from)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

function e164OrNull(waId: string): string | null {
  try {
    return waIdToE164(waId);
  } catch {
    return null;
  }
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b === null ? null : Number(b);
  return b === null ? Number(a) : Math.max(Number(a), Number(b));
}

function parseList(json: string): string[] {
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

function parseObject(json: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(json);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
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

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
