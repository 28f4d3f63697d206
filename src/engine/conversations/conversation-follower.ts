/**
 * The conversations' part of each webhook batch (an InboundFollower, run in the batch's
 * transaction after held messages were released):
 *
 *   - a contact whose window is open now gets the timers of that window (an older window's
 *     timers are replaced, never fired for the new one);
 *   - a `waiting` mark with a resume rule is due again by the new window (a reply while
 *     waiting resumes nothing: the person is here, the agent still owes the answer);
 *   - a `resume_sent` mark is answered: → resumed, with conversation.resumed (the original
 *     question and metadata, the reply, the resume template, the held messages this reply
 *     released) and, when the rule says so, handoff.requested.
 */
import type { Kysely } from 'kysely';
import { resumeDueAt } from '../../domain/conversations/resume';
import { windowTimers } from '../../domain/conversations/timers';
import { releasedByInbound } from '../../store/held-messages-repo';
import type { Database } from '../../store/schema';
import { activeWaitingOf, moveWaiting, rescheduleResume } from '../../store/waiting-repo';
import { upsertWindowTimers } from '../../store/window-timers-repo';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/schemas';
import type { AppliedInbound, FollowUp, InboundFollower } from '../inbound/inbound-followers';
import { resumedEvent, resumeHandoffEvent, resumeOf } from './conversation-events';

export class ConversationFollower implements InboundFollower {
  constructor(
    private readonly ctx: EngineContext,
    private readonly leadMs: number,
    /** Work for the timer worker may now be due sooner: wake it after the commit. */
    private readonly onChanged: () => void = () => {},
  ) {}

  async afterInbound(db: Kysely<Database>, applied: readonly AppliedInbound[]): Promise<FollowUp> {
    if (applied.length === 0) return { events: [] };
    const now = this.ctx.clock();
    // Per contact: its first message of the batch (the reply) and its window after the batch.
    const byContact = new Map<string, { first: AppliedInbound; last: AppliedInbound }>();
    for (const a of applied) {
      const seen = byContact.get(a.contact.id);
      if (!seen) byContact.set(a.contact.id, { first: a, last: a });
      else {
        if (a.item.timestamp < seen.first.item.timestamp) seen.first = a;
        seen.last = a;
      }
    }
    const open = [...byContact.values()].filter(
      ({ last }) => last.window.open && last.window.lastInboundAt !== null,
    );
    await upsertWindowTimers(
      db,
      open.map(({ last }) => ({
        accountId: last.accountId,
        contactId: last.contact.id,
        lastInboundAt: last.window.lastInboundAt!,
        timers: windowTimers(last.window.lastInboundAt!, this.leadMs),
      })),
    );

    const marks = await activeWaitingOf(db, [...byContact.keys()], { forUpdate: true });
    const events: PendingEvent[] = [];
    const answered = [...marks.values()].filter((m) => m.state === 'resume_sent');
    const released =
      answered.length === 0
        ? new Map<string, string[]>()
        : await releasedByInbound(
            db,
            applied.filter((a) => marks.get(a.contact.id)?.state === 'resume_sent').map((a) => a.inboundId),
          );
    for (const mark of marks.values()) {
      const { first, last } = byContact.get(mark.contact_id)!;
      const rule = resumeOf(mark);
      if (mark.state === 'waiting' && rule !== null && last.window.open) {
        const due = resumeDueAt(last.window.lastInboundAt, rule.before_close_minutes, now);
        if (due !== mark.resume_due_at) await rescheduleResume(db, mark.id, due, now);
        continue;
      }
      if (mark.state !== 'resume_sent') continue;
      const moved = await moveWaiting(db, {
        id: mark.id,
        from: ['resume_sent'],
        to: 'resumed',
        now,
        set: { resumed_at: now },
      });
      if (!moved) continue;
      const contact = first.contact;
      const base = {
        accountId: mark.account_id,
        contact,
        waiting: moved,
        reply: first.reply,
        window: last.window,
      };
      const releasedIds = applied
        .filter((a) => a.contact.id === mark.contact_id)
        .flatMap((a) => released.get(a.inboundId) ?? []);
      events.push(resumedEvent({ ...base, releasedMessageIds: releasedIds }));
      if (rule?.handoff) events.push(resumeHandoffEvent(base));
    }
    if (open.length > 0 || marks.size > 0) queueMicrotask(this.onChanged);
    return { events };
  }
}
