/**
 * Marking a conversation as waiting, and clearing it: the API (POST/DELETE
 * /v1/contacts/{contact}/waiting) and reply routing's "wait" and "clear_waiting" actions.
 *
 * Both run in the caller's transaction and return the events to emit with it. One active mark
 * per contact: marking a contact that has one is refused (WAITING_ACTIVE, 409) rather than
 * replacing it, because a replaced mark would silently drop a question an agent still owes an
 * answer to, or a resume template already on its way. The rule in force is fixed when marked:
 * `resume` given → that rule (checked now, its template must be APPROVED); absent → a copy of
 * the account's rule, if any; null → none. A later change of the account's rule applies to
 * marks made after it.
 */
import type { Kysely } from 'kysely';
import type { ResumeInForce } from '../../domain/conversations/resume';
import { resumeDueAt } from '../../domain/conversations/resume';
import type { ErrorDetail } from '../../domain/errors';
import { RecontactError } from '../../domain/errors';
import { metadataProblems } from '../../domain/metadata-limits';
import { findLiveContact } from '../../store/contact-book-repo';
import type { ContactRow } from '../../store/contacts-repo';
import type { Database } from '../../store/schema';
import { activeWaiting, getResumeRule, insertWaiting, moveWaiting } from '../../store/waiting-repo';
import { parseContactRef } from '../contacts/contact-book';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/schemas';
import { conversationClearedEvent, conversationWaitingEvent, waitingView } from './conversation-events';
import { checkResumeRule, type ResumeInput } from './resume-rules';

export type { ResumeInput };
export type WaitingView = ReturnType<typeof waitingView>;

export const WAITING_LIMITS = Object.freeze({ reasonMax: 64, questionMax: 4096 });

export interface MarkWaiting {
  accountId: string;
  contactId: string;
  reason: string;
  question: string | null;
  metadata: Record<string, unknown> | null;
  /** Absent: the account's rule; null: none. */
  resume?: ResumeInput | null;
}

export async function markWaiting(
  ctx: EngineContext,
  db: Kysely<Database>,
  p: MarkWaiting,
): Promise<{ waiting: WaitingView; events: PendingEvent[] }> {
  checkMark(p);
  return inTransaction(db, async (trx) => {
    const contact = await findLiveContact(trx, p.accountId, { kind: 'id', id: p.contactId });
    if (!contact) throw contactNotFound(p.contactId);
    const resume = await resumeInForce(trx, p);
    const now = ctx.clock();
    const lastInbound = contact.last_inbound_at === null ? null : Number(contact.last_inbound_at);
    const row = await insertWaiting(trx, {
      id: ctx.id('wait'),
      accountId: p.accountId,
      contactId: contact.id,
      reason: p.reason.trim(),
      question: p.question,
      metadata: p.metadata,
      resume,
      resumeDueAt: resume === null ? null : resumeDueAt(lastInbound, resume.before_close_minutes, now),
      now,
    });
    if (!row) {
      const active = await activeWaiting(trx, contact.id);
      throw new RecontactError(
        'WAITING_ACTIVE',
        `Contact ${contact.id} is already waiting (${active?.reason ?? '?'})`,
        {
          hint: 'Clear the mark first (DELETE /v1/contacts/{contact}/waiting), then mark the new wait.',
          data: { waiting: active ? waitingView(active) : null },
        },
      );
    }
    return { waiting: waitingView(row), events: [conversationWaitingEvent(p.accountId, contact, row)] };
  });
}

export async function clearWaiting(
  ctx: EngineContext,
  db: Kysely<Database>,
  p: { contactId: string; by: 'api' | 'routing' },
): Promise<{ cleared: boolean; waiting: WaitingView | null; events: PendingEvent[] }> {
  return inTransaction(db, async (trx) => {
    const active = await activeWaiting(trx, p.contactId, { forUpdate: true });
    if (!active) return { cleared: false, waiting: null, events: [] };
    const now = ctx.clock();
    const row = await moveWaiting(trx, {
      id: active.id,
      from: ['waiting', 'resume_sent', 'resumed'],
      to: 'cleared',
      now,
      set: { cleared_at: now, cleared_by: p.by },
    });
    if (!row) return { cleared: false, waiting: null, events: [] };
    const contact = await findLiveContact(trx, row.account_id, { kind: 'id', id: row.contact_id });
    const who: Pick<ContactRow, 'id' | 'wa_id' | 'bsuid' | 'name'> = contact ?? {
      id: row.contact_id,
      wa_id: '',
      bsuid: null,
      name: null,
    };
    return {
      cleared: true,
      waiting: waitingView(row),
      events: [conversationClearedEvent(row.account_id, who, row, p.by)],
    };
  });
}

/** The contact's active mark as the contact view shows it, or null. */
export async function currentWaiting(db: Kysely<Database>, contactId: string): Promise<WaitingView | null> {
  const row = await activeWaiting(db, contactId);
  return row ? waitingView(row) : null;
}

/** A path's `{contact}` (id, phone or BSUID, as the contacts routes take it) to the live contact. */
export async function resolveContact(
  db: Kysely<Database>,
  accountId: string,
  ref: string,
): Promise<ContactRow> {
  const row = await findLiveContact(db, accountId, parseContactRef(ref));
  if (!row) throw contactNotFound(ref);
  return row;
}

async function resumeInForce(db: Kysely<Database>, p: MarkWaiting): Promise<ResumeInForce | null> {
  if (p.resume === null) return null;
  if (p.resume !== undefined) {
    return { ...(await checkResumeRule(db, p.accountId, p.resume, 'resume')), source: 'mark' };
  }
  const rule = await getResumeRule(db, p.accountId);
  return rule ? { ...(rule.rule as Omit<ResumeInForce, 'source'>), source: 'account' } : null;
}

function checkMark(p: MarkWaiting): void {
  const details: ErrorDetail[] = [];
  if (typeof p.reason !== 'string' || p.reason.trim() === '' || p.reason.length > WAITING_LIMITS.reasonMax) {
    details.push({
      path: 'reason',
      message: `must be a short text (1 to ${WAITING_LIMITS.reasonMax} characters) such as "agent", "callback" or "document"`,
    });
  }
  if (
    p.question !== null &&
    (typeof p.question !== 'string' || p.question.length > WAITING_LIMITS.questionMax)
  ) {
    details.push({
      path: 'question',
      message: `must be a text of at most ${WAITING_LIMITS.questionMax} characters, or null`,
    });
  }
  if (p.metadata !== null) {
    if (typeof p.metadata !== 'object' || Array.isArray(p.metadata)) {
      details.push({ path: 'metadata', message: 'must be an object, or null' });
    } else details.push(...metadataProblems(p.metadata));
  }
  if (details.length) {
    throw new RecontactError('INPUT_INVALID', 'The waiting mark is not valid', { details });
  }
}

function contactNotFound(ref: string): RecontactError {
  return new RecontactError('CONTACT_NOT_FOUND', `No contact "${ref}" on this account`, {
    hint: 'A contact is named by its id (ctc_…), phone or BSUID; an erased contact is gone for good.',
  });
}

/** Runs in the caller's transaction when given one, else in a new one. */
function inTransaction<T>(db: Kysely<Database>, f: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? f(db) : db.transaction().execute(f);
}
