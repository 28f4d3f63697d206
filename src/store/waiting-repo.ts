/**
 * Waiting marks and the accounts' resume-contact rules (migration 0014; the lifecycle is in
 * domain/conversations/waiting.ts). Every state move is an UPDATE guarded by the state it
 * moves from, so two processes (an API clear and the worker's resume) cannot both win.
 * `resume_due_at` is non-null only while a mark is `waiting` with its template still to send:
 * it is the worker's queue, claimed like window timers (window-timers-repo.ts).
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import { ACTIVE_WAITING_STATES, type WaitingState } from '../domain/conversations/waiting';
import { chunks } from './chunks';
import { withRowLock } from './row-locks';
import type { Database, WaitingMarksTable } from './schema';

export type WaitingRow = Selectable<WaitingMarksTable>;

export interface NewWaiting {
  id: string;
  accountId: string;
  contactId: string;
  reason: string;
  question: string | null;
  metadata: Record<string, unknown> | null;
  /** The rule in force, as stored (JSON-able), or null. */
  resume: object | null;
  resumeDueAt: number | null;
  now: number;
}

/** Inserts a mark; undefined when the contact already has an active one. */
export async function insertWaiting(db: Kysely<Database>, w: NewWaiting): Promise<WaitingRow | undefined> {
  return (
    db
      .insertInto('waiting_marks')
      .values({
        id: w.id,
        account_id: w.accountId,
        contact_id: w.contactId,
        state: 'waiting',
        reason: w.reason,
        question: w.question,
        metadata: w.metadata === null ? null : JSON.stringify(w.metadata),
        resume: w.resume === null ? null : JSON.stringify(w.resume),
        resume_due_at: w.resumeDueAt,
        resume_message_id: null,
        resume_failure: null,
        created_at: w.now,
        updated_at: w.now,
        resume_sent_at: null,
        resumed_at: null,
        cleared_at: null,
        cleared_by: null,
      })
      // The target repeats the partial index's predicate as written (a literal, not a parameter),
      // or SQLite cannot match it to the index.
      .onConflict((oc) =>
        oc.column('contact_id').where(sql.ref('state'), '<>', sql.lit('cleared')).doNothing(),
      )
      .returningAll()
      .executeTakeFirst()
  );
}

/** The contact's active mark (not cleared), if any; locked with `forUpdate` on PostgreSQL. */
export async function activeWaiting(
  db: Kysely<Database>,
  contactId: string,
  lock?: { forUpdate?: boolean },
): Promise<WaitingRow | undefined> {
  return withRowLock(
    db,
    db
      .selectFrom('waiting_marks')
      .selectAll()
      .where('contact_id', '=', contactId)
      .where('state', 'in', ACTIVE_WAITING_STATES),
    lock,
  ).executeTakeFirst();
}

/** The active marks of many contacts, by contact id. */
export async function activeWaitingOf(
  db: Kysely<Database>,
  contactIds: readonly string[],
  lock?: { forUpdate?: boolean },
): Promise<Map<string, WaitingRow>> {
  const out = new Map<string, WaitingRow>();
  for (const part of chunks([...new Set(contactIds)].sort(), 300)) {
    const rows = await withRowLock(
      db,
      db
        .selectFrom('waiting_marks')
        .selectAll()
        .where('contact_id', 'in', part)
        .where('state', 'in', ACTIVE_WAITING_STATES)
        .orderBy('contact_id'),
      lock,
    ).execute();
    for (const r of rows) out.set(r.contact_id, r);
  }
  return out;
}

/** Moves a mark from one of `from` to `to` with the given columns; undefined when it had moved. */
export async function moveWaiting(
  db: Kysely<Database>,
  p: {
    id: string;
    from: readonly WaitingState[];
    to: WaitingState;
    now: number;
    set?: Partial<
      Pick<WaitingRow, 'resume_message_id' | 'resume_sent_at' | 'resumed_at' | 'cleared_at' | 'cleared_by'>
    >;
  },
): Promise<WaitingRow | undefined> {
  return db
    .updateTable('waiting_marks')
    .set({ ...p.set, state: p.to, updated_at: p.now, resume_due_at: null })
    .where('id', '=', p.id)
    .where('state', 'in', p.from)
    .returningAll()
    .executeTakeFirst();
}

/** Claims up to `limit` marks whose resume template is due: their due time is cleared at once. */
export async function claimDueResumes(
  db: Kysely<Database>,
  now: number,
  limit: number,
): Promise<WaitingRow[]> {
  const due = withRowLock(
    db,
    db
      .selectFrom('waiting_marks')
      .select('id')
      .where('resume_due_at', 'is not', null)
      .where('resume_due_at', '<=', now)
      .orderBy('resume_due_at')
      .limit(limit),
    { forUpdate: true, skipLocked: true },
  );
  const rows = await db
    .updateTable('waiting_marks')
    .set({ resume_due_at: null, updated_at: now })
    .where('id', 'in', due)
    .where('state', '=', 'waiting')
    .where('resume_due_at', 'is not', null)
    .returningAll()
    .execute();
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Records why the resume template was not sent; the mark stays waiting. */
export async function recordResumeFailure(
  db: Kysely<Database>,
  id: string,
  failure: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('waiting_marks')
    .set({ resume_failure: failure, resume_due_at: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** A new window for a waiting mark: its resume is due again at `dueAt`, earlier failures forgotten. */
export async function rescheduleResume(
  db: Kysely<Database>,
  id: string,
  dueAt: number,
  now: number,
): Promise<void> {
  await db
    .updateTable('waiting_marks')
    .set({ resume_due_at: dueAt, resume_failure: null, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'waiting')
    .execute();
}

export async function nextResumeDue(db: Kysely<Database>): Promise<number | null> {
  const r = await db
    .selectFrom('waiting_marks')
    .select((eb) => eb.fn.min('resume_due_at').as('at'))
    .where('resume_due_at', 'is not', null)
    .executeTakeFirst();
  return r?.at === null || r?.at === undefined ? null : Number(r.at);
}

// ─── Per-account resume rules ──────────────────────────────────────────────────────────────

export interface ResumeRuleRecord {
  accountId: string;
  rule: unknown;
  createdAt: number;
  updatedAt: number;
}

export async function getResumeRule(
  db: Kysely<Database>,
  accountId: string,
): Promise<ResumeRuleRecord | undefined> {
  const r = await db
    .selectFrom('resume_rules')
    .selectAll()
    .where('account_id', '=', accountId)
    .executeTakeFirst();
  return (
    r && {
      accountId: r.account_id,
      rule: JSON.parse(r.rule),
      createdAt: Number(r.created_at),
      updatedAt: Number(r.updated_at),
    }
  );
}

export async function putResumeRule(
  db: Kysely<Database>,
  accountId: string,
  rule: object,
  now: number,
): Promise<ResumeRuleRecord> {
  const json = JSON.stringify(rule);
  await db
    .insertInto('resume_rules')
    .values({ account_id: accountId, rule: json, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('account_id').doUpdateSet({ rule: json, updated_at: now }))
    .execute();
  return (await getResumeRule(db, accountId))!;
}

export async function deleteResumeRule(db: Kysely<Database>, accountId: string): Promise<boolean> {
  const r = await db.deleteFrom('resume_rules').where('account_id', '=', accountId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
