/**
 * Applies changes of a user's address: Meta's system messages `user_changed_number` (a new
 * phone, sometimes a new BSUID with it) and `user_changed_user_id` (a new BSUID only), and the
 * `user_id_update` change some BSPs forward. The person stays one contact, with one id: the
 * contact known by the old address is relabelled to the new one, and a contact that already
 * exists at the new address (the user wrote from it before this notice arrived) is merged into
 * it (contacts-repo mergeContacts). A change about someone we never knew changes nothing.
 *
 * These are not messages from the user: no inbound row, no window, no reply.
 */
import type { Kysely } from 'kysely';
import type { IdentityChangeItem } from '../../channels/channel';
import { isBsuid } from '../../domain/bsuid';
import {
  type ContactRow,
  findContacts,
  linkAddresses,
  mergeContacts,
  readdressQueued,
  updateAddress,
} from '../../store/contacts-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import type { InboundAccounts } from './inbound-applier';

export async function applyIdentityChanges(
  ctx: EngineContext,
  accounts: InboundAccounts,
  db: Kysely<Database>,
  items: readonly IdentityChangeItem[],
): Promise<void> {
  const now = ctx.clock();
  // In the order Meta says they happened: a number changed twice ends at the last one.
  const ordered = [...items].sort((a, b) => a.timestamp - b.timestamp);
  for (const item of ordered) {
    const account = accounts.byExternalId(item.externalId);
    if (!account) {
      ctx.log.warn({ phone_number_id: item.externalId }, 'address change for an unknown phone number id');
      continue;
    }
    const outcome =
      item.change === 'number'
        ? await numberChanged(db, account.id, item, now)
        : await userIdChanged(db, account.id, item, now);
    ctx.log.info(
      { account: account.id, change: item.change, contact: outcome.contactId, merged: outcome.merged },
      outcome.contactId
        ? 'contact address changed'
        : 'address change for a contact we do not know; nothing to change',
    );
  }
}

interface Outcome {
  contactId: string | null;
  /** The id of a contact merged into it, if any. */
  merged: string | null;
}

/** The rows answering to `addresses`, locked, and a lookup by address (wa_id or bsuid). */
async function lockAddresses(db: Kysely<Database>, accountId: string, addresses: Array<string | undefined>) {
  const wanted = addresses.filter((a): a is string => a !== undefined);
  const rows = await findContacts(db, accountId, wanted, { forUpdate: true });
  return (address: string | undefined): ContactRow | undefined =>
    address === undefined ? undefined : rows.find((r) => r.wa_id === address || r.bsuid === address);
}

async function numberChanged(
  db: Kysely<Database>,
  accountId: string,
  item: IdentityChangeItem,
  now: number,
): Promise<Outcome> {
  const newWaId = item.newWaId!;
  const at = await lockAddresses(db, accountId, [item.waId, item.previousUserId, newWaId, item.userId]);
  let person = at(item.waId) ?? at(item.previousUserId);
  const bsuid = item.userId !== undefined && isBsuid(item.userId) ? item.userId : undefined;
  if (person === undefined) {
    // We never knew the old number: at most, the new number and the BSUID are one person.
    if (bsuid !== undefined) await linkAddresses(db, [{ accountId, waId: newWaId, bsuid }], now);
    return { contactId: at(newWaId)?.id ?? null, merged: null };
  }
  let merged: string | null = null;
  const there = at(newWaId);
  if (there !== undefined && there.id !== person.id) {
    person = await mergeContacts(db, person, there, now);
    merged = there.id;
  }
  const holder = bsuid === undefined ? undefined : at(bsuid);
  if (holder !== undefined && holder.id !== person.id && holder.id !== merged) {
    if (holder.wa_id === bsuid) {
      person = await mergeContacts(db, person, holder, now);
      merged = holder.id;
    } else {
      await updateAddress(db, holder.id, { bsuid: null }, now);
    }
  }
  const oldAddress = person.wa_id;
  const after = await updateAddress(
    db,
    person.id,
    { waId: newWaId, phoneE164: `+${newWaId}`, ...(bsuid !== undefined ? { bsuid } : {}) },
    now,
  );
  // Queued messages must not leave for the old number, which may soon be someone else's.
  await readdressQueued(db, after.id, oldAddress, newWaId, now);
  return { contactId: after.id, merged };
}

async function userIdChanged(
  db: Kysely<Database>,
  accountId: string,
  item: IdentityChangeItem,
  now: number,
): Promise<Outcome> {
  const previous = item.previousUserId!;
  const next = item.userId!;
  const at = await lockAddresses(db, accountId, [previous, next, item.waId]);
  let person = at(previous) ?? at(item.waId);
  if (person === undefined) {
    if (item.waId !== undefined && isBsuid(next)) {
      await linkAddresses(db, [{ accountId, waId: item.waId, bsuid: next }], now);
    }
    return { contactId: at(next)?.id ?? null, merged: null };
  }
  let merged: string | null = null;
  const there = at(next);
  if (there !== undefined && there.id !== person.id) {
    if (there.wa_id === next) {
      // The user wrote under the new id before this notice: that contact is this person.
      person = await mergeContacts(db, person, there, now);
      merged = there.id;
    } else {
      await updateAddress(db, there.id, { bsuid: null }, now);
    }
  }
  const after = await updateAddress(
    db,
    person.id,
    { bsuid: next, ...(person.wa_id === previous ? { waId: next } : {}) },
    now,
  );
  await readdressQueued(db, after.id, previous, next, now);
  return { contactId: after.id, merged };
}
