/**
 * The two lists an agent works from, across an account's contacts: who is waiting (an active
 * waiting mark), and whose window closes soon. Both are keyset-paged on (time, id):
 * - waiting: read through the partial unique index `waiting_marks_active`, which holds only the
 *   active marks (its predicate is repeated as a literal so SQLite matches it): the cost follows
 *   the people waiting now, not the marks of the past; oldest wait first;
 * - closing: one range of `contacts_account_inbound` (account_id, last_inbound_at), soonest
 *   close first: the cost follows the windows closing in the range, not the contact book.
 * Each row carries what the list shows beside the contact: the contact's latest inbound message
 * (one correlated seek on `inbound_messages_contact`) and how many messages are held for it
 * (the partial index `messages_held`).
 */
import { type Kysely, type Selectable, sql } from 'kysely';

const CLEARED = sql.lit('cleared');
const HELD = sql.lit('held' as const);

import type { ContactRow } from './contacts-repo';
import type { Database, InboundMessagesTable } from './schema';
import type { WaitingRow } from './waiting-repo';

/** Where the previous page ended: the row's list time and id. */
export interface ListPosition {
  at: number;
  id: string;
}

export type LastInboundRow = Pick<Selectable<InboundMessagesTable>, 'id' | 'type' | 'text' | 'received_at'>;

export interface ConversationRow {
  contact: ContactRow;
  waiting: WaitingRow | undefined;
  lastInbound: LastInboundRow | undefined;
  held: number;
}

/** Active waiting marks of the account, oldest first, with their contacts (erased ones left out). */
export async function waitingPage(
  db: Kysely<Database>,
  q: { accountId: string; after?: ListPosition; limit: number },
): Promise<ConversationRow[]> {
  let query = db
    .selectFrom('waiting_marks')
    .selectAll()
    .where(sql.ref('state'), '<>', CLEARED)
    .where('account_id', '=', q.accountId);
  if (q.after) {
    const { at, id } = q.after;
    query = query.where((eb) =>
      eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', id)])]),
    );
  }
  const marks = await query.orderBy('created_at').orderBy('id').limit(q.limit).execute();
  if (marks.length === 0) return [];
  const contacts = await db
    .selectFrom('contacts')
    .selectAll()
    .where(
      'id',
      'in',
      marks.map((m) => m.contact_id),
    )
    .where('erased_at', 'is', null)
    .execute();
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const extras = await contactExtras(
    db,
    contacts.map((c) => c.id),
  );
  return marks.flatMap((m) => {
    const contact = byId.get(m.contact_id);
    if (!contact) return [];
    return [{ contact, waiting: m, ...extrasOf(extras, contact.id) }];
  });
}

/**
 * Contacts whose window is open at `now` and closes by `until`, soonest first, with their active
 * waiting marks. A window closes 24 h after `last_inbound_at`, so this is the range
 * (now − 24 h, until − 24 h] of that column.
 */
export async function closingPage(
  db: Kysely<Database>,
  q: { accountId: string; now: number; until: number; windowMs: number; after?: ListPosition; limit: number },
): Promise<ConversationRow[]> {
  let query = db
    .selectFrom('contacts')
    .selectAll()
    .where('account_id', '=', q.accountId)
    .where('last_inbound_at', '>', q.now - q.windowMs)
    .where('last_inbound_at', '<=', q.until - q.windowMs)
    .where('erased_at', 'is', null);
  if (q.after) {
    const { at, id } = q.after;
    query = query.where((eb) =>
      eb.or([eb('last_inbound_at', '>', at), eb.and([eb('last_inbound_at', '=', at), eb('id', '>', id)])]),
    );
  }
  const contacts = await query.orderBy('last_inbound_at').orderBy('id').limit(q.limit).execute();
  if (contacts.length === 0) return [];
  const ids = contacts.map((c) => c.id);
  const marks = await db
    .selectFrom('waiting_marks')
    .selectAll()
    .where('contact_id', 'in', ids)
    .where(sql.ref('state'), '<>', CLEARED)
    .execute();
  const markOf = new Map(marks.map((m) => [m.contact_id, m]));
  const extras = await contactExtras(db, ids);
  return contacts.map((contact) => ({
    contact,
    waiting: markOf.get(contact.id),
    ...extrasOf(extras, contact.id),
  }));
}

interface Extras {
  lastInbound: Map<string, LastInboundRow>;
  held: Map<string, number>;
}

async function contactExtras(db: Kysely<Database>, contactIds: string[]): Promise<Extras> {
  const out: Extras = { lastInbound: new Map(), held: new Map() };
  if (contactIds.length === 0) return out;
  const latest = await db
    .selectFrom('contacts as c')
    .select((eb) => [
      'c.id as contact_id',
      eb
        .selectFrom('inbound_messages as i')
        .select('i.id')
        .whereRef('i.contact_id', '=', 'c.id')
        .orderBy('i.received_at', 'desc')
        .orderBy('i.id', 'desc')
        .limit(1)
        .as('inbound_id'),
    ])
    .where('c.id', 'in', contactIds)
    .execute();
  const inboundIds = latest.flatMap((r) => (r.inbound_id ? [r.inbound_id] : []));
  if (inboundIds.length > 0) {
    const rows = await db
      .selectFrom('inbound_messages')
      .select(['id', 'contact_id', 'type', 'text', 'received_at'])
      .where('id', 'in', inboundIds)
      .execute();
    for (const { contact_id, ...r } of rows) out.lastInbound.set(contact_id, r);
  }
  const held = await db
    .selectFrom('messages')
    .select((eb) => ['contact_id', eb.fn.countAll<number | string>().as('n')])
    .where('contact_id', 'in', contactIds)
    .where('status', '=', HELD)
    .groupBy('contact_id')
    .execute();
  for (const r of held) out.held.set(r.contact_id, Number(r.n));
  return out;
}

function extrasOf(extras: Extras, contactId: string): Pick<ConversationRow, 'lastInbound' | 'held'> {
  return { lastInbound: extras.lastInbound.get(contactId), held: extras.held.get(contactId) ?? 0 };
}
