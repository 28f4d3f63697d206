/**
 * The events reply routing emits (catalogue: engine/events/schemas.ts): `reply.routed` for
 * every reply a rule matched, and `handoff.requested` (source routing) for a rule's handoff.
 */
import type { WindowState } from '../../domain/window';
import type { MessageRow } from '../../store/messages-repo';
import { contactView, windowView } from '../events/payloads';
import type { EventData, PendingEvent } from '../events/schemas';

type ContactRef = { id: string; wa_id: string; bsuid: string | null; name: string | null };
type InboundView = NonNullable<EventData<'handoff.requested'>['reply']>;
type WaitingView = EventData<'handoff.requested'>['waiting'];

export interface RoutedAction {
  type: string;
  outcome: 'applied' | 'skipped' | 'failed';
  detail: string | null;
}

export function replyRoutedEvent(p: {
  accountId: string;
  contact: ContactRef;
  inboundId: string;
  message: MessageRow;
  rule: { source: 'template' | 'message' | 'campaign'; index: number; match: string };
  actions: RoutedAction[];
}): PendingEvent {
  return {
    type: 'reply.routed',
    data: {
      account_id: p.accountId,
      contact: contactView(p.contact),
      inbound_id: p.inboundId,
      message_id: p.message.id,
      template: p.message.template_name
        ? { name: p.message.template_name, language: p.message.template_language }
        : null,
      rule: p.rule,
      actions: p.actions,
    },
  };
}

/** `handoff.requested`, from a routing rule or a resumed conversation: one shape for both. */
export function handoffRequestedEvent(p: {
  accountId: string;
  contact: ContactRef;
  source: 'routing' | 'resume';
  reason: string | null;
  question: string | null;
  metadata: Record<string, unknown> | null;
  reply: InboundView;
  waiting: WaitingView;
  window: WindowState;
}): PendingEvent {
  return {
    type: 'handoff.requested',
    data: {
      account_id: p.accountId,
      contact: contactView(p.contact),
      source: p.source,
      reason: p.reason,
      question: p.question,
      metadata: p.metadata,
      reply: p.reply,
      waiting: p.waiting,
      window: windowView(p.window),
    },
  };
}
