/**
 * A campaign's funnel as people read one: each stage counts everyone who got at least that far
 * (sent → delivered → read), then the replies by the button tapped (a text answer is "text"),
 * then the failures by Meta's reason. Read from the campaign view, whose counts put each
 * recipient in exactly one state.
 */
import type { components } from '../../api/schema';

export type Campaign = components['schemas']['Campaign'];

export interface FunnelRow {
  key: string;
  /** What the row is: a stage, a reply's button, a failure's code. */
  kind: 'sent' | 'delivered' | 'read' | 'replied' | 'failed';
  /** The button's payload or text, or Meta's code. */
  detail?: string;
  /** Replies typed rather than tapped (beside replies by button). */
  typed?: boolean;
  /** Meta's reason in words, for a failure. */
  reason?: string;
  count: number;
}

export function funnelRows(c: Pick<Campaign, 'counts' | 'replies_by_payload' | 'failures'>): FunnelRow[] {
  const n = c.counts;
  const rows: FunnelRow[] = [
    { key: 'sent', kind: 'sent', count: n.accepted + n.sent + n.delivered + n.read },
    { key: 'delivered', kind: 'delivered', count: n.delivered + n.read },
    { key: 'read', kind: 'read', count: n.read },
  ];
  const byButton = Object.entries(c.replies_by_payload).sort((a, b) => b[1] - a[1]);
  let buttons = 0;
  for (const [payload, count] of byButton) {
    buttons += count;
    rows.push({ key: `replied:${payload}`, kind: 'replied', detail: payload, count });
  }
  // Replies without a button (typed answers) are the rest of `replied`.
  const typed = n.replied - buttons;
  if (typed > 0 || byButton.length === 0)
    rows.push({ key: 'replied', kind: 'replied', count: Math.max(typed, 0) });
  for (const f of c.failures)
    rows.push({
      key: `failed:${f.code ?? f.reason}`,
      kind: 'failed',
      detail: f.code === null ? f.reason : String(f.code),
      reason: f.reason,
      count: f.count,
    });
  if (c.failures.length === 0) rows.push({ key: 'failed', kind: 'failed', count: n.failed });
  return rows;
}

/** Recipients the message is for: everyone materialised but those excluded at launch. */
export const targeted = (c: Pick<Campaign, 'counts'>) => c.counts.recipients - c.counts.excluded;
