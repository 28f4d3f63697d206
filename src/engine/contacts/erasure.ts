/**
 * A data-protection request: the person's data is erased everywhere in one transaction (see
 * store/erasure-repo.ts for what each table keeps), and the contact is gone for every lookup.
 * A second request for the same contact finds nobody (404): after erasure there is nothing
 * left that could be matched to the person, which is the point.
 */
import { RecontactError } from '../../domain/errors';
import { findLiveContact } from '../../store/contact-book-repo';
import { type ErasureCounts, eraseContact as eraseRows } from '../../store/erasure-repo';
import type { EngineContext } from '../context';
import { parseContactRef } from './contact-book';

export interface Erasure {
  contactId: string;
  erasedAt: number;
  counts: ErasureCounts;
}

export async function eraseContact(ctx: EngineContext, accountId: string, refText: string): Promise<Erasure> {
  const ref = parseContactRef(refText);
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    const contact = await findLiveContact(trx, accountId, ref, { forUpdate: true });
    if (!contact) {
      throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${refText}" on this account`, {
        hint: 'An erased contact cannot be found again, by id or by number: erasing twice answers 404.',
      });
    }
    const counts = await eraseRows(trx, contact, now);
    ctx.log.info({ contact_id: contact.id, counts }, 'contact erased');
    return { contactId: contact.id, erasedAt: now, counts };
  });
}
