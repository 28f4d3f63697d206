/**
 * The order of a message's timeline. Its entries carry times from two clocks: ours, in
 * milliseconds, and Meta's, in whole seconds (webhook timestamps). By time alone, a "sent" that
 * Meta stamped 09:23:30 lists before the "accepted" we recorded at 09:23:30.619, although Meta
 * cannot send what it has not accepted. The lifecycle knows the real order, so entries sort by
 * the rank of their state first and by time second.
 *
 * Within our own clock, time is exact and the lifecycle may loop (a retry goes back to the
 * queue), so each of our entries ranks at least as high as the one before it: our entries keep
 * their time order, and only Meta's are placed by rank among them.
 */
import type { MessageStatus } from './message';
import { STATUS_RANK } from './status-merge';

/** Steps a timeline lists beside the statuses the message itself went through. */
export const TIMELINE_NOTES = ['retry_scheduled', 'resent', 'replied'] as const;
/** What one timeline entry records: a status the message reached, or one of the notes. */
export type TimelineStatus = MessageStatus | (typeof TIMELINE_NOTES)[number];

export type TimelineClock = 'recontact' | 'meta';

export interface TimelineEntry {
  /** Time-ordered id: breaks ties in the order the entries were written. */
  id: string;
  status: string;
  at: number;
  /** Who wrote it: "webhook" entries carry Meta's time; every other writer ("api", "dispatcher", …) ours. */
  source: string;
}

/** Timeline entries that are not message statuses, placed where they happen in the lifecycle. */
const EXTRA_RANK: Readonly<Record<string, number>> = {
  // Between two attempts: the message is back in the queue, not yet accepted.
  retry_scheduled: STATUS_RANK.sending,
  // A refusal comes at the latest after "sent" (Meta reports 131xxx failures after sending) and
  // before "delivered", which Meta has been seen to report after a failure (status-merge.ts).
  failed: STATUS_RANK.sent + 0.5,
  // Reading comes before answering, though the two webhooks may arrive in either order.
  replied: STATUS_RANK.read + 1,
};

function rankOf(status: string): number | undefined {
  return (STATUS_RANK as Readonly<Record<string, number>>)[status] ?? EXTRA_RANK[status];
}

export function clockOf(source: string): TimelineClock {
  return source === 'webhook' ? 'meta' : 'recontact';
}

const byTime = (a: TimelineEntry, b: TimelineEntry) =>
  a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The entries in the order things happened, each with the clock its time comes from. */
export function orderTimeline<E extends TimelineEntry>(
  entries: readonly E[],
): Array<E & { clock: TimelineClock }> {
  const ranked: Array<{ entry: E & { clock: TimelineClock }; rank: number }> = [];
  // One running rank per clock: a status we do not know (added later) stays where its own
  // clock put it, right after the entry before it.
  const last: Record<TimelineClock, number> = { recontact: 0, meta: 0 };
  for (const entry of [...entries].sort(byTime)) {
    const clock = clockOf(entry.source);
    const own = rankOf(entry.status);
    const rank = clock === 'recontact' ? Math.max(last.recontact, own ?? 0) : (own ?? last.meta);
    last[clock] = Math.max(last[clock], rank);
    ranked.push({ entry: { ...entry, clock }, rank });
  }
  return ranked.sort((a, b) => a.rank - b.rank || byTime(a.entry, b.entry)).map((r) => r.entry);
}
