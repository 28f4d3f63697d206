/**
 * A campaign's live counts: each recipient in exactly one state. Stored states (pending,
 * excluded, opted out, expired, cancelled, failed before a send) come from the recipient rows;
 * a queued recipient's state is its message's status (lifecycle.ts), read from the messages by
 * their campaign index, so the counts follow Meta's webhooks with nothing copied.
 */

import type { Kysely } from 'kysely';
import { recipientStateOf } from '../../domain/campaigns/lifecycle';
import { messageCounts, replyStats, storedCounts } from '../../store/campaign-recipients-repo';
import type { CampaignRecord } from '../../store/campaigns-repo';
import type { Database } from '../../store/schema';
import type { EventData } from '../events/schemas';

export type CampaignCounts = EventData<'campaign.progress'>['counts'];

export interface CampaignTally {
  counts: CampaignCounts;
  /** Replies by the button payload tapped; "(text)" for a reply that was not a button. */
  repliesByPayload: Record<string, number>;
  /** Failed recipients by Meta's error code ("none": failed without a code). */
  failedByCode: Record<string, number>;
  /** Excluded recipients by reason. */
  excludedByReason: Record<string, number>;
}

export const NOT_A_BUTTON = '(text)';

export function emptyCounts(): CampaignCounts {
  return {
    recipients: 0,
    excluded: 0,
    pending: 0,
    queued: 0,
    accepted: 0,
    sent: 0,
    delivered: 0,
    read: 0,
    replied: 0,
    failed: 0,
    opted_out: 0,
    expired: 0,
    cancelled: 0,
  };
}

/** `db`: the caller's transaction when there is one. */
export async function campaignTally(db: Kysely<Database>, record: CampaignRecord): Promise<CampaignTally> {
  const counts = emptyCounts();
  const failedByCode: Record<string, number> = {};
  const excludedByReason: Record<string, number> = {};
  const repliesByPayload: Record<string, number> = {};
  if (record.materialisedAt === null) {
    return {
      counts: { ...counts, recipients: record.recipients },
      repliesByPayload,
      failedByCode,
      excludedByReason,
    };
  }
  const stored = await storedCounts(db, record.id);
  const messages = await messageCounts(db, record.id);
  const replies = await replyStats(db, record.id);
  for (const s of stored) {
    if (s.state === 'queued') continue; // counted by their messages
    counts[s.state] += s.n;
    if (s.state === 'excluded' && s.reason !== null)
      excludedByReason[s.reason] = (excludedByReason[s.reason] ?? 0) + s.n;
    if (s.state === 'failed') {
      const key = s.reason ?? 'none';
      failedByCode[key] = (failedByCode[key] ?? 0) + s.n;
    }
  }
  let repliedMessages = 0;
  for (const m of messages) {
    const state = recipientStateOf(m.status);
    counts[state] += m.n;
    repliedMessages += m.replied;
    if (state === 'failed') {
      const key = m.error_code === null ? 'none' : String(m.error_code);
      failedByCode[key] = (failedByCode[key] ?? 0) + m.n;
    }
  }
  let repliedRecipients = 0;
  for (const r of replies) {
    const key = r.payload ?? NOT_A_BUTTON;
    repliesByPayload[key] = (repliesByPayload[key] ?? 0) + r.n;
    repliedRecipients += r.n;
  }
  counts.replied = Math.max(repliedMessages, repliedRecipients);
  counts.recipients = Object.entries(counts)
    .filter(([k]) => k !== 'recipients' && k !== 'replied')
    .reduce((sum, [, n]) => sum + n, 0);
  return { counts, repliesByPayload, failedByCode, excludedByReason };
}

/** Whether a recipient count is still open: waiting for its send, or for Meta's answer. */
export function openRecipients(c: CampaignCounts): number {
  return c.pending + c.queued;
}
