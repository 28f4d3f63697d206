/**
 * Which of our messages an inbound message answers. By the quoted id when the user tapped a
 * button or replied in context; otherwise the last message we sent that contact within the
 * attribution window, if nothing answered it yet ("the next message after it"). Pure: the
 * candidates of a whole batch are read in one query and attributed here in memory.
 */
import type { MessageStatus } from '../../domain/message';
import type { MessageRow } from '../../store/messages-repo';

/** Replies later than this are conversation, not an answer to a re-contact message. */
export const ATTRIBUTION_WINDOW_MS = 7 * 24 * 3600_000;

/** Meta's timestamps are whole seconds: a message we sent earlier in the same second still counts. */
export const SAME_SECOND_MS = 999;

/** A message the user can have seen: Meta took it. */
export const ANSWERABLE_STATUSES = [
  'accepted',
  'sent',
  'delivered',
  'read',
] as const satisfies readonly MessageStatus[];

const answerable: ReadonlySet<MessageStatus> = new Set(ANSWERABLE_STATUSES);

/** The time range whose messages may be answered by replies written between `first` and `last`. */
export function candidateRange(first: number, last: number): { since: number; until: number } {
  return { since: first - ATTRIBUTION_WINDOW_MS, until: last + SAME_SECOND_MS };
}

/**
 * `sent` holds the contact's candidate messages ordered by creation time. The caller records a
 * reply on the returned message (replied_at) before attributing the next one, so one message is
 * never "the next message after it" for two replies.
 */
export function attributeReply(
  reply: { at: number; quotedProviderId?: string | undefined },
  sent: readonly MessageRow[],
): MessageRow | undefined {
  if (reply.quotedProviderId !== undefined) {
    const quoted = sent.find((m) => m.provider_message_id === reply.quotedProviderId);
    if (quoted) return quoted;
  }
  const { since, until } = candidateRange(reply.at, reply.at);
  let last: MessageRow | undefined;
  for (const m of sent) {
    if (m.created_at < since || m.created_at > until || !answerable.has(m.status)) continue;
    last = m; // ordered by creation: the last match is the latest message
  }
  return last && last.replied_at === null ? last : undefined;
}
