/**
 * Group commit for the webhook inbox (group-commit.ts). Each body is answered 200 only once its
 * row is committed (webhook-ingest.ts), but bodies that arrive together share one commit: under
 * load Meta posts dozens at once. A batch that fails for anything but the database being away is
 * written again body by body, so one bad row (an id taken twice, say) fails only its own request.
 */
import { insertWebhooks } from '../../store/inbox-repo';
import type { EngineContext } from '../context';
import { GroupCommit } from '../group-commit';

export interface InboxBody {
  id: string;
  channel: string;
  body: string;
}

export class InboxWriter {
  private readonly batches: GroupCommit<InboxBody, void>;

  constructor(ctx: EngineContext, maxBatch = 200) {
    this.batches = new GroupCommit(
      async (batch) => {
        await insertWebhooks(ctx.store.db, batch, ctx.clock());
        return batch.map(() => undefined);
      },
      (err) => ctx.store.fault(err) !== undefined,
      maxBatch,
    );
  }

  /** Resolves once the body is committed to the inbox. */
  write(body: InboxBody): Promise<void> {
    return this.batches.add(body);
  }
}
