/**
 * Reloads what a page shows about one contact (or about any, with no id) when the event stream
 * says something happened to it: a message in or out, a status, the window, a waiting mark.
 * Bursts (a delivery, then a read) come to one reload.
 */
import { type StreamEvent, useEventStream } from '../events/use-event-stream';
import { useDebounced } from './use-api-data';

export const CONVERSATION_EVENTS = [
  'message.received',
  'message.status',
  'window.opened',
  'window.expiring',
  'window.expired',
  'conversation.waiting',
  'conversation.resume_sent',
  'conversation.resumed',
  'conversation.cleared',
  'contact.opted_out',
  'contact.opted_in',
];

export function useContactEvents(contactId: string | undefined, onChange: () => void): void {
  const later = useDebounced(onChange, 250);
  useEventStream(CONVERSATION_EVENTS, (e: StreamEvent) => {
    const about = (e.data as { contact_id?: string | null } | null)?.contact_id;
    if (contactId === undefined || about === contactId) later();
  });
}
