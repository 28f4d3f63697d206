/**
 * Who a send goes to, from the `to` of a request: a phone number (any way people write one), a
 * business-scoped user id (BSUID, "US.1349…", a user with a WhatsApp username) or one of our
 * contact ids ("ctc_…"). The three cannot be confused: a contact id has our prefix, a BSUID a
 * two-letter country and a dot, a phone neither.
 *
 * The address the message is posted to is the contact's phone whenever we know it, else its
 * BSUID, which the adapter posts as `recipient` instead of `to` (payloads.ts). A contact known
 * only by a BSUID cannot receive what WhatsApp refuses to deliver to one (authentication
 * templates, error 131062): that is refused here, before anything is queued.
 */
import type { Kysely } from 'kysely';
import { bsuidProblem, isBsuid, looksLikeBsuid } from '../../domain/bsuid';
import { RecontactError } from '../../domain/errors';
import { normalizePhone } from '../../domain/phone';
import { type ContactRow, findContact, findContactById, type NewContact } from '../../store/contacts-repo';
import type { Database } from '../../store/schema';

export interface Recipient {
  /** What the message is posted to: a wa_id (digits) or a BSUID. */
  address: string;
  /** The contact, when one exists already. */
  known: ContactRow | undefined;
  /** The contact to create with the message, when none exists yet. */
  newContact?: NewContact;
}

export async function resolveRecipient(
  db: Kysely<Database>,
  accountId: string,
  to: string,
  newId: () => string,
): Promise<Recipient> {
  const text = to.trim();
  if (text.startsWith('ctc_')) {
    const known = await findContactById(db, text);
    if (!known || known.account_id !== accountId) {
      throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${text}" on this account`, {
        details: [{ path: 'to', message: 'unknown contact id' }],
        hint: 'Give `to` as a phone number, a BSUID, or the id of a contact of this account.',
      });
    }
    return { address: addressOf(known), known };
  }
  if (isBsuid(text)) {
    const known = await findContact(db, accountId, text);
    if (known) return { address: addressOf(known), known };
    return {
      address: text,
      known,
      newContact: { id: newId(), accountId, waId: text, phoneE164: null, bsuid: text },
    };
  }
  if (looksLikeBsuid(text)) {
    const problem = bsuidProblem(text) ?? 'is not a BSUID';
    throw new RecontactError('BSUID_INVALID', `to "${to}" ${problem}`, {
      details: [{ path: 'to', message: problem }],
      hint: 'Send the BSUID exactly as it came in the webhook (e.g. "US.13491208655302741918"), or give a phone number.',
    });
  }
  const phone = normalizePhone(to);
  const known = await findContact(db, accountId, phone.waId);
  if (known) return { address: phone.waId, known };
  return {
    address: phone.waId,
    known,
    newContact: { id: newId(), accountId, waId: phone.waId, phoneE164: phone.e164 },
  };
}

/** The contact's phone when we know it; its BSUID otherwise. */
function addressOf(c: ContactRow): string {
  return isBsuid(c.wa_id) ? (c.bsuid ?? c.wa_id) : c.wa_id;
}

/**
 * Refuses, before Meta does (131062), what WhatsApp will not deliver to a BSUID: today,
 * authentication templates (one-time codes need the phone).
 */
export function checkBsuidAllowed(r: Recipient, category: string, to: string): void {
  if (!isBsuid(r.address) || category !== 'AUTHENTICATION') return;
  throw new RecontactError(
    'RECIPIENT_BSUID_UNSUPPORTED',
    `${to} is known only by a username id (BSUID ${r.address}), and WhatsApp does not deliver authentication templates to a BSUID (error 131062)`,
    {
      details: [{ path: 'to', message: 'authentication templates need the phone number' }],
      hint: 'Ask the user to write first or to share their number; once a webhook carries their phone, the same contact gets it and this send works.',
      data: { bsuid: r.address, category },
    },
  );
}
