/**
 * Held messages' side of the messages table (send when allowed; lifecycle in domain/message.ts
 * and engine/conversations/held-messages.ts). A held message is a `held` row; the contact's next
 * inbound message stamps `released_by` on every held message of theirs at once, and the release
 * loop moves them to `queued` one at a time, in created order, each only after the one before it
 * left the outbox. Every write is guarded by the status it expects, so two processes doing the
 * same step change a row once.
 */
import { type Kysely, sql } from 'kysely';
import { chunks } from './chunks';
import { notIndexed } from './index-literal';
import type { MessageRow } from './messages-repo';
import { withRowLock } from './row-locks';
import type { Database } from './schema';

/** A literal, not a parameter: SQLite uses a partial index only when it can see the condition. */
const HELD = sql.lit('held' as const);
/**
 * Statuses of a released message still in the outbox: the next one waits for it. Not in_doubt:
 * that one waits for a person, possibly for days, and the answers behind it would expire.
 */
const IN_OUTBOX = sql.join(['queued', 'sending', 'unconfirmed'].map((s) => sql.lit(s)));

/** Marks freshly inserted (queued) rows held, in the transaction that inserted them. */
export async function holdMessages(
  db: Kysely<Database>,
  rows: ReadonlyArray<{ id: string; holdUntil: number; fallbackMessageId: string }>,
): Promise<MessageRow[]> {
  const out: MessageRow[] = [];
  for (const r of rows) {
    const row = await db
      .updateTable('messages')
      .set({ status: 'held', hold_until: r.holdUntil, fallback_message_id: r.fallbackMessageId })
      .where('id', '=', r.id)
      .where(notIndexed('status'), '=', 'queued')
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new Error(`message ${r.id} was not queued when it was to be held`);
    out.push(row);
  }
  return out;
}

/**
 * The contact's window as it stands, read with the contact's row locked (PostgreSQL): a webhook
 * batch moving the window locks the same row, so it either committed before this read (and the
 * caller sees its message) or waits for the caller's commit (and then finds the held row).
 */
export async function lockContactWindow(
  db: Kysely<Database>,
  contactId: string,
): Promise<{ lastInboundAt: number | null; lastInboundId: string | null }> {
  const contact = await withRowLock(
    db,
    db.selectFrom('contacts').select('last_inbound_at').where('id', '=', contactId),
    { forUpdate: true },
  ).executeTakeFirst();
  const last = await db
    .selectFrom('inbound_messages')
    .select('id')
    .where('contact_id', '=', contactId)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const at = contact?.last_inbound_at;
  return { lastInboundAt: at == null ? null : Number(at), lastInboundId: last?.id ?? null };
}

/**
 * What is held for a contact, in release order (created order): those still waiting for the
 * contact to write (`released_by` null) and those already released but waiting their turn.
 */
export async function listHeld(db: Kysely<Database>, contactId: string): Promise<MessageRow[]> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('contact_id', '=', contactId)
    .where('status', '=', HELD)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/**
 * The messages each inbound message released, per inbound id, in release order; those still
 * waiting their turn (`held`) are included. An inbound id that released nothing is absent.
 */
export async function releasedByInbound(
  db: Kysely<Database>,
  inboundIds: readonly string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const part of chunks([...new Set(inboundIds)], 400)) {
    const rows = await db
      .selectFrom('messages')
      .select(['id', 'released_by'])
      .where('released_by', 'in', part)
      .orderBy('released_by')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const list = out.get(r.released_by!) ?? [];
      list.push(r.id);
      out.set(r.released_by!, list);
    }
  }
  return out;
}

/**
 * Stamps the inbound message that releases each contact's held messages (those not yet
 * released and not expired at `now`). Returns the stamped rows, by contact then created order.
 */
export async function markReleased(
  db: Kysely<Database>,
  releases: ReadonlyArray<{ contactId: string; inboundId: string }>,
  now: number,
): Promise<MessageRow[]> {
  const out: MessageRow[] = [];
  for (const r of releases) {
    const rows = await db
      .updateTable('messages')
      .set({ released_by: r.inboundId, updated_at: now })
      .where('contact_id', '=', r.contactId)
      .where('status', '=', HELD)
      .where('released_by', 'is', null)
      .where('hold_until', '>', now)
      .returningAll()
      .execute();
    out.push(...rows.sort(byCreated));
  }
  return out;
}

/**
 * The released messages whose turn has come: per contact, the first one still held, when no
 * message released before it, nor the template sent in its place, is still in the outbox
 * (queued, sending or unconfirmed): the template goes first, then each answer in turn. Only
 * the contacts given, when given (a webhook batch releases its own contacts).
 */
export async function findReleasable(
  db: Kysely<Database>,
  limit: number,
  contactIds?: readonly string[],
): Promise<MessageRow[]> {
  if (contactIds?.length === 0) return [];
  const only = contactIds ? sql`AND m.contact_id IN (${sql.join([...contactIds])})` : sql``;
  const res = await sql<MessageRow>`
    SELECT m.* FROM messages m
     WHERE m.status = ${HELD} AND m.released_by IS NOT NULL ${only}
       AND NOT EXISTS (
         SELECT 1 FROM messages e
          WHERE e.contact_id = m.contact_id AND e.status = ${HELD} AND e.released_by IS NOT NULL
            AND (e.created_at < m.created_at OR (e.created_at = m.created_at AND e.id < m.id)))
       AND NOT EXISTS (
         SELECT 1 FROM messages o
          WHERE o.contact_id = m.contact_id
            AND (o.released_at IS NOT NULL OR o.id = m.fallback_message_id)
            AND o.status IN (${IN_OUTBOX}))
     ORDER BY m.created_at, m.id
     LIMIT ${limit}`.execute(db);
  return res.rows;
}

/** held → queued, due now. Returns the rows that moved (another process may have moved one first). */
export async function moveToQueue(
  db: Kysely<Database>,
  ids: readonly string[],
  now: number,
): Promise<MessageRow[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('messages')
    .set({ status: 'queued', released_at: now, next_attempt_at: now, updated_at: now })
    .where('id', 'in', [...ids])
    .where('status', '=', HELD)
    .where('released_by', 'is not', null)
    .returningAll()
    .execute();
  return rows.sort(byCreated);
}

/** held → expired for those past their hold and not released; returns them. */
export async function expireHeld(db: Kysely<Database>, now: number, limit: number): Promise<MessageRow[]> {
  const due = await db
    .selectFrom('messages')
    .select('id')
    .where('status', '=', HELD)
    .where('hold_until', '<=', now)
    .where('released_by', 'is', null)
    .orderBy('hold_until')
    .limit(limit)
    .execute();
  if (due.length === 0) return [];
  const rows = await db
    .updateTable('messages')
    .set({ status: 'expired', updated_at: now })
    .where(
      'id',
      'in',
      due.map((d) => d.id),
    )
    .where('status', '=', HELD)
    .where('released_by', 'is', null)
    .returningAll()
    .execute();
  return rows.sort(byCreated);
}

/** held → cancelled; undefined when the message was not held (the caller says what it was). */
export async function cancelHeld(
  db: Kysely<Database>,
  id: string,
  now: number,
): Promise<MessageRow | undefined> {
  return db
    .updateTable('messages')
    .set({ status: 'cancelled', updated_at: now })
    .where('id', '=', id)
    .where('status', '=', HELD)
    .returningAll()
    .executeTakeFirst();
}

const byCreated = (a: MessageRow, b: MessageRow) =>
  a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Statuses of a template the contact may still answer: on its way, or taken by Meta. */
const INVITING = ['queued', 'sending', 'unconfirmed', 'accepted', 'sent', 'delivered', 'read'] as const;

/**
 * The contact's open invitation (domain/conversations/held.ts): the newest template created at
 * or after `since` that is still on its way or delivered, and not answered.
 */
export async function findOpenInvitation(
  db: Kysely<Database>,
  p: { contactId: string; since: number },
): Promise<MessageRow | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('contact_id', '=', p.contactId)
    .where('kind', '=', 'template')
    .where('created_at', '>=', p.since)
    .where('status', 'in', INVITING)
    .where('replied_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
