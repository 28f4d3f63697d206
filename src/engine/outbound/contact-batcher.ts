/**
 * Contact look-ups of concurrent send requests, one query per account per turn of the event
 * loop. Every send reads its contact first; under load, dozens of requests arrive together,
 * and one `wa_id IN (…)` query answers all of them for the price of one (one round trip on
 * PostgreSQL instead of dozens, one statement on SQLite). A lone request waits one turn.
 */
import type { Kysely } from 'kysely';
import { isBsuid } from '../../domain/bsuid';
import { type ContactRow, findContacts } from '../../store/contacts-repo';
import type { Database } from '../../store/schema';

interface Waiter {
  waId: string;
  resolve(row: ContactRow | undefined): void;
  reject(err: unknown): void;
}

export class ContactBatcher {
  private waiting = new Map<string, Waiter[]>();
  private scheduled = false;

  constructor(private readonly db: Kysely<Database>) {}

  /** The contact of `accountId` whose wa_id is `waId` (or whose BSUID is, for a BSUID). */
  find(accountId: string, waId: string): Promise<ContactRow | undefined> {
    return new Promise((resolve, reject) => {
      const list = this.waiting.get(accountId);
      if (list) list.push({ waId, resolve, reject });
      else this.waiting.set(accountId, [{ waId, resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = new Map();
    for (const [accountId, waiters] of batch) void this.answer(accountId, waiters);
  }

  private async answer(accountId: string, waiters: Waiter[]): Promise<void> {
    let rows: ContactRow[];
    try {
      rows = await findContacts(
        this.db,
        accountId,
        waiters.map((w) => w.waId),
      );
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    const byWaId = new Map<string, ContactRow>();
    const byBsuid = new Map<string, ContactRow>();
    for (const r of rows) {
      byWaId.set(r.wa_id, r);
      if (r.bsuid !== null) byBsuid.set(r.bsuid, r);
    }
    for (const w of waiters) {
      w.resolve(byWaId.get(w.waId) ?? (isBsuid(w.waId) ? byBsuid.get(w.waId) : undefined));
    }
  }
}
