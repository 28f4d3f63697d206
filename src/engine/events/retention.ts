/**
 * Retention: events older than EVENT_RETENTION (P30D by default) are deleted with their
 * delivered or failed deliveries and the attempt logs. An event with a delivery still pending is
 * kept until that delivery settles. The per-key sequence counters are kept, so numbers never
 * restart. Run by the deliverer's loop (retention-pruner.ts: every 10 s, up to 50,000 events).
 */
import { pruneEvents } from '../../store/events-repo';
import type { EngineContext } from '../context';
import { RetentionPruner } from '../retention-pruner';

export const DEFAULT_EVENT_RETENTION_MS = 30 * 86_400_000;

export class EventPruner extends RetentionPruner {
  constructor(ctx: EngineContext, retentionMs: number) {
    super(ctx, retentionMs, {
      prune: pruneEvents,
      logKey: 'events',
      logMessage: 'old events pruned (EVENT_RETENTION)',
    });
  }
}
