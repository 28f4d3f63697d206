import type { MessageRow } from '../../store/messages-repo';
import type { PendingEvent } from './event-bus';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The public view of a message, shared by the API and event payloads. */
export function messageView(m: MessageRow) {
  return {
    id: m.id,
    account_id: m.account_id,
    contact_id: m.contact_id,
    to: m.to_wa,
    kind: m.kind,
    template: m.template_name ? { name: m.template_name, language: m.template_language } : null,
    status: m.status,
    provider_message_id: m.provider_message_id,
    metadata: m.metadata === null ? null : (JSON.parse(m.metadata) as unknown),
    attempts: m.attempts,
    error:
      m.error_class === null ? null : { code: m.error_code, class: m.error_class, message: m.error_message },
    created_at: iso(m.created_at),
    accepted_at: iso(m.accepted_at),
    sent_at: iso(m.sent_at),
    delivered_at: iso(m.delivered_at),
    read_at: iso(m.read_at),
    failed_at: iso(m.failed_at),
    replied_at: iso(m.replied_at),
  };
}

export function messageStatusEvent(m: MessageRow, previous: string): PendingEvent {
  return { type: 'message.status', data: { ...messageView(m), previous_status: previous } };
}
