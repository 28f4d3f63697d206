/**
 * Retention of the webhook inbox: a body Meta sent is kept WEBHOOK_INBOX_RETENTION (P7D by
 * default) after it arrived, then deleted once it has been applied. What it said lives on in
 * the rows it changed (statuses, inbound messages, the timeline, events); the stored body is
 * the evidence of what arrived, for a person tracing a problem, and at Meta's ~3 webhooks per
 * message it was the table that grew fastest. Bodies not applied yet and parked bodies are kept
 * whatever their age. Run by the webhook processor's loop (retention-pruner.ts: every 10 s, up
 * to 50,000 bodies).
 */
import { pruneProcessedWebhooks } from '../../store/inbox-repo';
import type { EngineContext } from '../context';
import { RetentionPruner } from '../retention-pruner';

export const DEFAULT_INBOX_RETENTION_MS = 7 * 86_400_000;

export class InboxPruner extends RetentionPruner {
  /** `retentionMs` null: bodies are kept for good (WEBHOOK_INBOX_RETENTION=forever). */
  constructor(ctx: EngineContext, retentionMs: number | null) {
    super(ctx, retentionMs, {
      prune: pruneProcessedWebhooks,
      logKey: 'bodies',
      logMessage: 'old webhook bodies pruned (WEBHOOK_INBOX_RETENTION)',
    });
  }
}
