/**
 * Group commit for the send path (group-commit.ts): each accepted request waits until its
 * message row is committed, and requests that arrive together share one commit. A batch that
 * fails (typically two requests racing on one Idempotency-Key) is written again row by row, so
 * one bad row only fails its own request.
 */
import type { Kysely } from 'kysely';
import { markMarketingQueued } from '../../store/consent-repo';
import { contactKey, ensureContacts, type NewContact } from '../../store/contacts-repo';
import {
  insertMessages,
  MESSAGES_PER_STATEMENT,
  type MessageRow,
  type NewMessage,
} from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import { GroupCommit } from '../group-commit';

export interface IntakeItem {
  message: NewMessage;
  /** A contact first seen by this request; created in the same transaction as its message. */
  newContact?: NewContact;
  /** A marketing template: the contact's last_marketing_at moves (audiences' frequency cap). */
  marketing?: boolean;
}

export class IntakeWriter {
  private readonly batches: GroupCommit<IntakeItem, MessageRow>;

  constructor(
    private readonly ctx: EngineContext,
    maxBatch = 400,
  ) {
    this.batches = new GroupCommit(
      (batch) => this.commit(batch),
      (err) => ctx.store.fault(err) !== undefined,
      maxBatch,
    );
  }

  /** Resolves, once the message (and its contact) are committed, with the stored row. */
  write(item: IntakeItem): Promise<MessageRow> {
    return this.batches.add(item);
  }

  /**
   * A batch of known contacts and no marketing mark is one insert statement, atomic by itself:
   * no BEGIN and COMMIT around it (two round trips fewer on PostgreSQL). Anything more is one
   * transaction.
   */
  private commit(batch: IntakeItem[]): Promise<MessageRow[]> {
    const { db } = this.ctx.store;
    const oneStatement =
      batch.length <= MESSAGES_PER_STATEMENT && batch.every((p) => !p.newContact && !p.marketing);
    return oneStatement ? this.insert(db, batch) : db.transaction().execute((trx) => this.insert(trx, batch));
  }

  private async insert(trx: Kysely<Database>, batch: IntakeItem[]): Promise<MessageRow[]> {
    const fresh = batch.flatMap((p) => (p.newContact ? [p.newContact] : []));
    if (fresh.length) {
      // Another request (or process) may have created the contact first: use the id that won.
      // The send service looked each of them up a moment ago and found none: insert at once.
      const contacts = await ensureContacts(trx, fresh, this.ctx.clock(), undefined, false);
      for (const p of batch) {
        const c = p.newContact;
        if (c) p.message.contactId = contacts.get(contactKey(c.accountId, c.waId))?.id ?? c.id;
      }
    }
    // No 'queued' timeline rows: a message's creation is that entry (message-queries.ts).
    const rows = await insertMessages(
      trx,
      batch.map((p) => p.message),
    );
    const marketing = batch.filter((p) => p.marketing);
    if (marketing.length) {
      // The cap counts in hours: the batch's latest queue time stands for all of it.
      await markMarketingQueued(
        trx,
        marketing.map((p) => p.message.contactId),
        Math.max(...marketing.map((p) => p.message.queuedAt)),
      );
    }
    return rows;
  }
}
