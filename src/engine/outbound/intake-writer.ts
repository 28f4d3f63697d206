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
import { insertMessageEvents, type NewMessage, type NewMessageEvent } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';

export interface IntakeItem {
  message: NewMessage;
  event: NewMessageEvent;
  /** A contact first seen by this request; created in the same transaction as its message. */
  newContact?: { id: string; accountId: string; waId: string; phoneE164: string | null };
}

interface Pending extends IntakeItem {
  resolve(): void;
  reject(err: unknown): void;
}

export class IntakeWriter {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(
    private readonly ctx: EngineContext,
    private readonly maxBatch = 400,
  ) {}

  /** Resolves once the message (and its contact) are committed. */
  write(item: IntakeItem): Promise<void> {
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
      await this.ctx.store.db.transaction().execute((trx) => this.insert(trx, batch));
      for (const p of batch) p.resolve();
    } catch {
      for (const p of batch) {
        try {
          await this.ctx.store.db.transaction().execute((trx) => this.insert(trx, [p]));
          p.resolve();
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  private async insert(trx: Kysely<Database>, batch: Pending[]): Promise<void> {
    const now = this.ctx.clock();
    const fresh = batch.flatMap((p) => (p.newContact ? [p] : []));
    if (fresh.length) {
      const seen = new Set<string>();
      const rows = [];
      for (const p of fresh) {
        const c = p.newContact!;
        const key = `${c.accountId}\u0000${c.waId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        rows.push({
          id: c.id,
          account_id: c.accountId,
          wa_id: c.waId,
          phone_e164: c.phoneE164,
          name: null,
          last_inbound_at: null,
          created_at: now,
          updated_at: now,
        });
      }
      for (let i = 0; i < rows.length; i += 300) {
        await trx
          .insertInto('contacts')
          .values(rows.slice(i, i + 300))
          .onConflict((oc) => oc.columns(['account_id', 'wa_id']).doNothing())
          .execute();
      }
      // Another request (or process) may have created the contact first: use the id that won.
      const byAccount = new Map<string, string[]>();
      for (const p of fresh) {
        const c = p.newContact!;
        byAccount.set(c.accountId, [...(byAccount.get(c.accountId) ?? []), c.waId]);
      }
      const ids = new Map<string, string>();
      for (const [accountId, waIds] of byAccount) {
        for (let i = 0; i < waIds.length; i += 300) {
          const found = await trx
            .selectFrom('contacts')
            .select(['id', 'wa_id'])
            .where('account_id', '=', accountId)
            .where('wa_id', 'in', waIds.slice(i, i + 300))
            .execute();
          for (const f of found) ids.set(`${accountId}\u0000${f.wa_id}`, f.id);
        }
      }
      for (const p of fresh) {
        const c = p.newContact!;
        p.message.contact_id = ids.get(`${c.accountId}\u0000${c.waId}`) ?? c.id;
      }
    }
    const messages = batch.map((p) => p.message);
    for (let i = 0; i < messages.length; i += 200) {
      await trx
        .insertInto('messages')
        .values(messages.slice(i, i + 200))
        .execute();
    }
    await insertMessageEvents(
      trx,
      batch.map((p) => p.event),
    );
  }
}
