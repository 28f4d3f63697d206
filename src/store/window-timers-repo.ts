/**
 * Window timers (migration 0014; domain/conversations/timers.ts says when they are due). The
 * table is a queue: due rows are claimed by one UPDATE that sets `fired_at` only where it is
 * still null, so a timer is claimed once whatever the number of workers (PostgreSQL skips the
 * rows another worker holds; SQLite has one writer). The caller writes the events in the same
 * transaction: a crash before the commit leaves the timer unclaimed, one after it leaves it fired.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { TimerDue } from '../domain/conversations/timers';
import { chunks } from './chunks';
import type { ContactRow } from './contacts-repo';
import { withRowLock } from './row-locks';
import type { Database, WindowTimersTable } from './schema';

export type WindowTimerRow = Selectable<WindowTimersTable>;

export interface TimersOfWindow {
  accountId: string;
  contactId: string;
  lastInboundAt: number;
  timers: readonly TimerDue[];
}

/**
 * Sets each contact's timers for its window. A row of an older window is replaced (and armed
 * again); a row of the same or a newer window is left as it is, fired or not.
 */
export async function upsertWindowTimers(
  db: Kysely<Database>,
  windows: readonly TimersOfWindow[],
): Promise<void> {
  const rows = windows.flatMap((w) =>
    w.timers.map((t) => ({
      id: `${w.contactId}:${t.kind}`,
      account_id: w.accountId,
      contact_id: w.contactId,
      kind: t.kind,
      last_inbound_at: w.lastInboundAt,
      due_at: t.dueAt,
      fired_at: null,
      outcome: null,
    })),
  );
  // One row per id: the newest window of a contact seen twice in one call.
  const byId = new Map<string, (typeof rows)[number]>();
  for (const r of rows) {
    const prev = byId.get(r.id);
    if (!prev || prev.last_inbound_at < r.last_inbound_at) byId.set(r.id, r);
  }
  // In id order: two transactions upserting the same contacts lock them in the same order.
  const ordered = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const part of chunks(ordered, 300)) {
    await db
      .insertInto('window_timers')
      .values(part)
      .onConflict((oc) =>
        oc
          .column('id')
          .doUpdateSet((eb) => ({
            last_inbound_at: eb.ref('excluded.last_inbound_at'),
            due_at: eb.ref('excluded.due_at'),
            fired_at: null,
            outcome: null,
          }))
          .where('window_timers.last_inbound_at', '<', (eb) => eb.ref('excluded.last_inbound_at')),
      )
      .execute();
  }
}

/** Claims up to `limit` due timers, oldest first, marking them fired at `now`. */
export async function claimDueTimers(
  db: Kysely<Database>,
  now: number,
  limit: number,
): Promise<WindowTimerRow[]> {
  const due = withRowLock(
    db,
    db
      .selectFrom('window_timers')
      .select('id')
      .where('fired_at', 'is', null)
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .limit(limit),
    { forUpdate: true, skipLocked: true },
  );
  const rows = await db
    .updateTable('window_timers')
    .set({ fired_at: now, outcome: 'fired' })
    .where('id', 'in', due)
    .where('fired_at', 'is', null)
    .returningAll()
    .execute();
  return rows.sort((a, b) => a.due_at - b.due_at || (a.id < b.id ? -1 : 1));
}

/** Records what a claimed timer did instead of firing: skipped, or gone. */
export async function setTimerOutcome(
  db: Kysely<Database>,
  ids: readonly string[],
  outcome: string,
): Promise<void> {
  for (const part of chunks([...ids], 300)) {
    await db.updateTable('window_timers').set({ outcome }).where('id', 'in', part).execute();
  }
}

/** The earliest time a timer is due, or null when none is armed. */
export async function nextTimerDue(db: Kysely<Database>): Promise<number | null> {
  const r = await db
    .selectFrom('window_timers')
    .select((eb) => eb.fn.min('due_at').as('at'))
    .where('fired_at', 'is', null)
    .executeTakeFirst();
  return r?.at === null || r?.at === undefined ? null : Number(r.at);
}

/** A contact's timers (for the contact view: when window.expiring is due). */
export async function timersOf(db: Kysely<Database>, contactId: string): Promise<WindowTimerRow[]> {
  return db
    .selectFrom('window_timers')
    .selectAll()
    .where('id', 'in', [`${contactId}:expiring`, `${contactId}:expired`])
    .execute();
}

/**
 * The contacts of one account whose window is open at `now` and whose timers belong to an older
 * window or do not exist: the windows a first start after the upgrade (or a timer lost to a
 * contact merge) must arm. Keyset-paged by contact id.
 */
export async function windowsWithoutTimers(
  db: Kysely<Database>,
  p: { accountId: string; openSince: number; after: string | null; limit: number },
): Promise<Array<{ id: string; last_inbound_at: number }>> {
  let q = db
    .selectFrom('contacts')
    .leftJoin('window_timers', (j) =>
      j.on('window_timers.id', '=', sql<string>`${sql.ref('contacts.id')} || ':expired'`),
    )
    .select(['contacts.id', 'contacts.last_inbound_at'])
    .where('contacts.account_id', '=', p.accountId)
    .where('contacts.last_inbound_at', '>', p.openSince)
    .where('contacts.erased_at', 'is', null)
    .where((eb) =>
      eb.or([
        eb('window_timers.id', 'is', null),
        eb('window_timers.last_inbound_at', '<', eb.ref('contacts.last_inbound_at')),
      ]),
    )
    .orderBy('contacts.id')
    .limit(p.limit);
  if (p.after !== null) q = q.where('contacts.id', '>', p.after);
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, last_inbound_at: Number(r.last_inbound_at) }));
}

/** The contacts a batch of timers or marks is about (erased ones included: the caller decides). */
export async function contactsByIds(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<Map<string, ContactRow>> {
  const out = new Map<string, ContactRow>();
  for (const part of chunks([...new Set(ids)], 300)) {
    for (const r of await db.selectFrom('contacts').selectAll().where('id', 'in', part).execute())
      out.set(r.id, r);
  }
  return out;
}
