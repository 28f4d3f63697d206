/**
 * The window timer and conversation events (catalogue: engine/events/schemas.ts), and the
 * waiting mark as events and the contact view show it.
 */
import type { ResumeInForce } from '../../domain/conversations/resume';
import { isoTime, isoTimeOrNull } from '../../domain/iso-time';
import type { WindowState } from '../../domain/window';
import type { MessageRow } from '../../store/messages-repo';
import type { WaitingRow } from '../../store/waiting-repo';
import { contactView, messageView, windowView } from '../events/payloads';
import type { EventData, PendingEvent } from '../events/schemas';
import { handoffRequestedEvent } from '../inbound/reply-events';

type WaitingView = EventData<'conversation.waiting'>['waiting'];
type ContactRef = { id: string; wa_id: string; bsuid: string | null; name: string | null };
type InboundView = EventData<'conversation.resumed'>['reply'];

export function resumeOf(row: WaitingRow): ResumeInForce | null {
  return row.resume === null ? null : (JSON.parse(row.resume) as ResumeInForce);
}

export function waitingView(row: WaitingRow): WaitingView {
  const resume = resumeOf(row);
  return {
    id: row.id,
    state: row.state,
    reason: row.reason,
    question: row.question,
    metadata: row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, unknown>),
    since: isoTime(Number(row.created_at)),
    resume:
      resume === null
        ? null
        : {
            template: { name: resume.template.name, language: resume.template.language },
            before_close_minutes: resume.before_close_minutes,
            handoff: resume.handoff,
            source: resume.source,
          },
    resume_due_at: isoTimeOrNull(row.resume_due_at === null ? null : Number(row.resume_due_at)),
    resume_message_id: row.resume_message_id,
    resume_failure: row.resume_failure,
    resume_sent_at: isoTimeOrNull(row.resume_sent_at === null ? null : Number(row.resume_sent_at)),
    resumed_at: isoTimeOrNull(row.resumed_at === null ? null : Number(row.resumed_at)),
    cleared_at: isoTimeOrNull(row.cleared_at === null ? null : Number(row.cleared_at)),
  };
}

export function windowExpiringEvent(p: {
  accountId: string;
  contact: ContactRef;
  window: WindowState;
  waiting: WaitingRow | undefined;
  now: number;
}): PendingEvent {
  return {
    type: 'window.expiring',
    data: {
      account_id: p.accountId,
      contact: contactView(p.contact),
      window: windowView(p.window),
      waiting: p.waiting ? waitingView(p.waiting) : null,
      remaining_seconds: Math.max(0, Math.floor(((p.window.expiresAt ?? p.now) - p.now) / 1000)),
    },
  };
}

export function windowExpiredEvent(p: {
  accountId: string;
  contact: ContactRef;
  window: WindowState;
  waiting: WaitingRow | undefined;
}): PendingEvent {
  return {
    type: 'window.expired',
    data: {
      account_id: p.accountId,
      contact: contactView(p.contact),
      window: windowView(p.window),
      waiting: p.waiting ? waitingView(p.waiting) : null,
      expired_at: isoTime(p.window.expiresAt ?? 0),
    },
  };
}

export function conversationWaitingEvent(
  accountId: string,
  contact: ContactRef,
  w: WaitingRow,
): PendingEvent {
  return {
    type: 'conversation.waiting',
    data: { account_id: accountId, contact: contactView(contact), waiting: waitingView(w) },
  };
}

export function conversationClearedEvent(
  accountId: string,
  contact: ContactRef,
  w: WaitingRow,
  by: 'api' | 'routing',
): PendingEvent {
  return {
    type: 'conversation.cleared',
    data: { account_id: accountId, contact: contactView(contact), waiting: waitingView(w), by },
  };
}

export function resumeSentEvent(
  accountId: string,
  contact: ContactRef,
  w: WaitingRow,
  message: MessageRow,
): PendingEvent {
  return {
    type: 'conversation.resume_sent',
    data: {
      account_id: accountId,
      contact: contactView(contact),
      waiting: waitingView(w),
      message: messageView(message),
    },
  };
}

export function resumedEvent(p: {
  accountId: string;
  contact: ContactRef;
  waiting: WaitingRow;
  reply: InboundView;
  releasedMessageIds: string[];
  window: WindowState;
}): PendingEvent {
  return {
    type: 'conversation.resumed',
    data: {
      account_id: p.accountId,
      contact: contactView(p.contact),
      waiting: waitingView(p.waiting),
      reply: p.reply,
      resume_message_id: p.waiting.resume_message_id,
      released_message_ids: p.releasedMessageIds,
      window: windowView(p.window),
    },
  };
}

export function resumeHandoffEvent(p: {
  accountId: string;
  contact: ContactRef;
  waiting: WaitingRow;
  reply: InboundView;
  window: WindowState;
}): PendingEvent {
  return handoffRequestedEvent({
    ...p,
    source: 'resume',
    reason: p.waiting.reason,
    question: p.waiting.question,
    metadata:
      p.waiting.metadata === null ? null : (JSON.parse(p.waiting.metadata) as Record<string, unknown>),
    waiting: waitingView(p.waiting),
  });
}
