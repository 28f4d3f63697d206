/**
 * Group commit for the send path. Each accepted request waits until its message row is
 * committed (nothing is acknowledged before it is durable), but requests that arrive together
 * share one transaction: a commit costs far more than a row (WAL pages and syscalls on SQLite,
 * a round trip and a flush on PostgreSQL), so batching multiplies intake under load while a
 * lone request still commits on the next turn of the event loop.
 *
 * A batch that fails (typically two requests racing on one Idempotency-Key) is retried row by
 * row, so one bad row only fails its own request.
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

export interface IntakeItem {
  message: NewMessage;
  /** A contact first seen by this request; created in the same transaction as its message. */
  newContact?: NewContact;
  /** A marketing template: the contact's last_marketing_at moves (audiences' frequency cap). */
  marketing?: boolean;
}

interface Pending extends IntakeItem {
  resolve(row: MessageRow): void;
  reject(err: unknown): void;
}

export class IntakeWriter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly maxBatch = 400,
  ) {}

  /** Resolves, once the message (and its contact) are committed, with the stored row. */
  write(item: IntakeItem): Promise<MessageRow> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length) this.schedule();
    if (batch.length === 0) return;
    try {
      const rows = await this.commit(batch);
      for (const [i, p] of batch.entries()) p.resolve(rows[i]!);
    } catch (batchErr) {
      // The database is unavailable, not one item at fault: retrying them one by one would only
      // wait on the outage once per item (a SQLite busy timeout blocks the process each time).
      if (this.ctx.store.fault(batchErr)) {
        for (const p of batch) p.reject(batchErr);
        return;
      }
      for (const p of batch) {
        try {
          const [row] = await this.commit([p]);
          p.resolve(row!);
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  /**
   * A batch of known contacts and no marketing mark is one insert statement, atomic by itself:
   * no BEGIN and COMMIT around it (two round trips fewer on PostgreSQL). Anything more is one
   * transaction.
   */
  private commit(batch: Pending[]): Promise<MessageRow[]> {
    const { db } = this.ctx.store;
    const oneStatement =
      batch.length <= MESSAGES_PER_STATEMENT && batch.every((p) => !p.newContact && !p.marketing);
    return oneStatement ? this.insert(db, batch) : db.transaction().execute((trx) => this.insert(trx, batch));
  }

  private async insert(trx: Kysely<Database>, batch: Pending[]): Promise<MessageRow[]> {
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
