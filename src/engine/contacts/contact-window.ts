/**
 * A contact's customer-service window, looked up by our contact id (ctc_…) or by phone number.
 * A number that never wrote is not an error: it is unknown, and its window is closed.
 */
import { RecontactError } from '../../domain/errors';
import { normalizePhone } from '../../domain/phone';
import { type WindowState, windowState } from '../../domain/window';
import { type ContactRow, findContact, findContactById } from '../../store/contacts-repo';
import type { EngineContext } from '../context';

export interface ContactWindow {
  contact: ContactRow | undefined;
  /** The number asked about, in Meta's digits-only form. */
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
  const contact = ref.startsWith('ctc_')
    ? await findContactById(ctx.store.db, ref)
    : await findContact(ctx.store.db, accountId, normalizePhone(ref).waId);
  if (!contact && ref.startsWith('ctc_')) {
    throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${ref}"`, {
      hint: 'Contact ids (ctc_…) come from events; a phone number that never wrote answers known: false instead.',
    });
  }
  return {
    contact,
    waId: contact?.wa_id ?? normalizePhone(ref).waId,
    window: windowState(contact?.last_inbound_at ?? null, now),
    now,
  };
}
