/** A message row as a store test inserts it: queued, due at T0, every column set; `over` changes some. */
import type { Insertable } from 'kysely';
import type { NewMessage } from '../../src/store/messages-repo';
import type { MessagesTable } from '../../src/store/schema';

export const T0 = 1_764_000_000_000;

export function messageRow(
  id: string,
  over: Partial<Insertable<MessagesTable>> = {},
): Insertable<MessagesTable> {
  return {
    id,
    account_id: 'acc',
    contact_id: 'ctc',
    to_wa: '15550001',
    kind: 'text',
    content: '{"kind":"text","body":"hi"}',
    template_name: null,
    template_language: null,
    metadata: null,
    idempotency_key: null,
    request_hash: null,
    reply_to_provider_id: null,
    status: 'queued',
    provider_message_id: null,
    attempts: 0,
    next_attempt_at: T0,
    locked_by: null,
    locked_until: null,
    error_code: null,
    error_class: null,
    error_message: null,
    created_at: T0,
    updated_at: T0,
    accepted_at: null,
    sent_at: null,
    delivered_at: null,
    read_at: null,
    failed_at: null,
    replied_at: null,
    posted_at: null,
    doubt_until: null,
    ...over,
  };
}

/** A send as the send path hands it to insertMessages: a text to one contact, queued at T0. */
export function newMessage(id: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    id,
    accountId: 'acc_1',
    contactId: 'ctc_1',
    to: '5491155551234',
    content: { kind: 'text' },
    template: null,
    metadata: null,
    idempotencyKey: null,
    requestHash: null,
    replyToProviderId: null,
    queuedAt: T0,
    ...over,
  };
}
