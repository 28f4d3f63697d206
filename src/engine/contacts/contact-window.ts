/**
 * A contact's customer-service window, looked up as the contact routes name a contact: our id
 * (ctc_…), a phone number, a BSUID or a Messenger user (psid:…), on the account asked about.
 * An address that never wrote is not an error: it is unknown, and its window is closed. An id
 * is ours, so an unknown one is.
 */
import { RecontactError } from '../../domain/errors';
import { type WindowState, windowState } from '../../domain/window';
import { findLiveContact } from '../../store/contact-book-repo';
import type { ContactRow } from '../../store/contacts-repo';
import type { EngineContext } from '../context';
import { parseContactRef } from './contact-book';

export interface ContactWindow {
  contact: ContactRow | undefined;
  /** The address asked about: Meta's digits-only phone form, a BSUID or a PSID. */
  waId: string;
  window: WindowState;
  now: number;
}

export async function contactWindow(
  ctx: EngineContext,
  accountId: string,
  ref: string,
): Promise<ContactWindow> {
  const now = ctx.clock();
  const parsed = parseContactRef(ref);
  const contact = await findLiveContact(ctx.store.db, accountId, parsed);
  if (!contact && parsed.kind === 'id') {
    throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${parsed.id}" on this account`, {
      hint: 'Contact ids (ctc_…) come from events; a phone number that never wrote answers known: false instead.',
    });
  }
  const asked = parsed.kind === 'wa' ? parsed.waId : parsed.kind === 'bsuid' ? parsed.bsuid : parsed.id;
  return {
    contact,
    waId: contact?.wa_id ?? asked,
    window: windowState(contact?.last_inbound_at ?? null, now),
    now,
  };
}
