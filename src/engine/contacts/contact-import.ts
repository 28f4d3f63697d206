/**
 * Contacts known from elsewhere (a CRM, a previous system, the demo's back story), brought in
 * with the time of their last message when it is known. An import never moves a window back:
 * a message Recontact itself received later wins.
 */
import { ensureContact, moveWindows } from '../../store/contacts-repo';
import type { EngineContext } from '../context';

export interface ImportedContact {
  accountId: string;
  /** Meta's digits-only form of the number. */
  waId: string;
  phoneE164: string | null;
  name?: string | null;
  /** When the person last wrote to this number, if known (milliseconds since the epoch). */
  lastInboundAt?: number;
}

/** Returns the contact's id (an existing contact keeps its own). */
export async function importContact(ctx: EngineContext, c: ImportedContact): Promise<string> {
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    const contact = await ensureContact(
      trx,
      {
        id: ctx.id('ctc'),
        accountId: c.accountId,
        waId: c.waId,
        phoneE164: c.phoneE164,
        name: c.name ?? null,
      },
      now,
    );
    if (c.lastInboundAt !== undefined) {
      await moveWindows(trx, [{ contactId: contact.id, at: c.lastInboundAt, name: c.name }], now);
    }
    return contact.id;
  });
}
