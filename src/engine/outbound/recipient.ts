/**
 * Who a send goes to, from the `to` of a request: a phone number (any way people write one), a
 * business-scoped user id (BSUID, "US.1349…", a user with a WhatsApp username) or one of our
 * contact ids ("ctc_…"). The three cannot be confused: a contact id has our prefix, a BSUID a
 * two-letter country and a dot, a phone neither.
 *
 * On a Messenger page the person is a page-scoped id (PSID): `psid:<digits>`, the bare digits,
 * or a contact id. Phones and BSUIDs mean nothing to a page and are refused. A PSID exists only
 * once the person has written to the page (Meta issues it then), and that first message creates
 * the contact: a PSID we have no contact for was never written from, or belongs to another
 * page, and Meta would refuse the send (100/2018001), so it is CONTACT_NOT_FOUND here.
 *
 * The address the message is posted to is the contact's phone whenever we know it, else its
 * BSUID, which the adapter posts as `recipient` instead of `to` (payloads.ts). A contact known
 * only by a BSUID cannot receive what WhatsApp refuses to deliver to one (authentication
 * templates, error 131062): that is refused here, before anything is queued.
 */
import type { Kysely } from 'kysely';
import type { ChannelAccount } from '../../channels/channel';
import { bsuidProblem, isBsuid, looksLikeBsuid } from '../../domain/bsuid';
import type { ChannelKind } from '../../domain/channels/channel-kind';
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

/** The prefix that names a Messenger user: `psid:6845719238451234`. */
export const PSID_PREFIX = 'psid:';

/** The account a send goes from, as far as the recipient cares. */
export type SendingAccount = Pick<ChannelAccount, 'id' | 'channel'> & { name: string };

/** The channel `to` names by its form (`psid:…` is Messenger), or undefined when it does not say. */
export function channelNamedBy(to: string): ChannelKind | undefined {
  return hasPsidPrefix(to.trim()) ? 'messenger' : undefined;
}

function hasPsidPrefix(text: string): boolean {
  return text.slice(0, PSID_PREFIX.length).toLowerCase() === PSID_PREFIX;
}

/** How a contact is found by its address; the send path batches these (contact-batcher.ts). */
export type FindContact = (accountId: string, waId: string) => Promise<ContactRow | undefined>;

export async function resolveRecipient(
  db: Kysely<Database>,
  account: SendingAccount,
  to: string,
  newId: () => string,
  find: FindContact = (accountId, waId) => findContact(db, accountId, waId),
): Promise<Recipient> {
  const accountId = account.id;
  const text = to.trim();
  if (text.startsWith('ctc_')) {
    const known = await findContactById(db, text);
    if (!known || known.account_id !== accountId) {
      throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${text}" on this account`, {
        details: [{ path: 'to', message: 'unknown contact id' }],
        hint:
          account.channel === 'messenger'
            ? 'Give `to` as psid:<PSID> or the id of a contact of this page.'
            : 'Give `to` as a phone number, a BSUID, or the id of a contact of this account.',
      });
    }
    return { address: addressOf(known), known };
  }
  if (account.channel === 'messenger') return messengerRecipient(account, text, to, find);
  if (hasPsidPrefix(text)) {
    throw new RecontactError(
      'INPUT_INVALID',
      `to "${to}" is a Messenger user (PSID), but account "${account.name}" is a WhatsApp number`,
      {
        details: [{ path: 'to', message: 'a psid: recipient needs a Messenger account' }],
        hint: 'Send from the Messenger page the person wrote to (account_id: its id or name), or give a phone number or BSUID for a WhatsApp send.',
      },
    );
  }
  if (isBsuid(text)) {
    const known = await find(accountId, text);
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
  const known = await find(accountId, phone.waId);
  if (known) return { address: phone.waId, known };
  return {
    address: phone.waId,
    known,
    newContact: { id: newId(), accountId, waId: phone.waId, phoneE164: phone.e164 },
  };
}

/** A page's recipient: a PSID (prefixed or bare) of a contact who wrote to the page. */
async function messengerRecipient(
  account: SendingAccount,
  text: string,
  to: string,
  find: FindContact,
): Promise<Recipient> {
  const psid = hasPsidPrefix(text) ? text.slice(PSID_PREFIX.length).trim() : text;
  if (!/^\d{1,40}$/.test(psid)) {
    const what = hasPsidPrefix(text)
      ? 'a PSID is the digits Meta sends as sender.id'
      : isBsuid(text) || looksLikeBsuid(text)
        ? 'a BSUID is a WhatsApp address; Messenger has none'
        : 'a phone number cannot be messaged from a Messenger page';
    throw new RecontactError('INPUT_INVALID', `to "${to}" is not a Messenger recipient: ${what}`, {
      details: [{ path: 'to', message: what }],
      hint: `Account "${account.name}" is a Messenger page: give \`to\` as psid:<PSID> (the sender.id of the person's messages) or a contact id (ctc_…). To reach a phone number, send from a WhatsApp account.`,
    });
  }
  const known = await find(account.id, psid);
  if (!known) {
    throw new RecontactError(
      'CONTACT_NOT_FOUND',
      `No one with PSID ${psid} has written to page "${account.name}"`,
      {
        details: [{ path: 'to', message: 'unknown PSID on this page' }],
        hint: 'A page may message only people who wrote to it first (Meta issues the PSID then, one per page): wait for their message, or check that the PSID comes from this page.',
        data: { psid },
      },
    );
  }
  return { address: known.wa_id, known };
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
