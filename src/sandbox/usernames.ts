/**
 * Simulated users with WhatsApp usernames (2026): each may have a business-scoped user id
 * (BSUID, "AR.1349…"), and may be "username-only", hiding their phone from businesses.
 *
 * What changes for such a user, as at Meta:
 * - webhooks carry `contacts[].user_id`, `messages[].from_user_id`, `statuses[].recipient_user_id`;
 *   for a username-only user `wa_id`, `from` and `recipient_id` are omitted (applyIdentity);
 * - a send may use `"recipient": "<BSUID>"` instead of `to` (send-validation.ts); its answer's
 *   `contacts[]` then has `user_id` and no `wa_id`;
 * - a change of number or of BSUID reaches the business as a `system` message
 *   (`user_changed_number`, `user_changed_user_id`).
 *
 * The sandbox still keeps each user under their phone number (its own bookkeeping); the
 * registry maps both ways. One registry per SandboxState.
 */
import { createHash } from 'node:crypto';
import { makeWamid } from './ids';
import type { SandboxState } from './state';
import type { WebhookEmitter, WebhookItem } from './webhook-emitter';

export interface SandboxIdentity {
  bsuid: string;
  /** Webhooks omit the phone (wa_id, from, recipient_id). */
  usernameOnly: boolean;
}

const BSUID = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;

/** Country of a few calling codes, for BSUIDs that look like Meta's; others get "ZZ". */
const COUNTRIES: ReadonlyArray<[string, string]> = [
  ['54', 'AR'],
  ['55', 'BR'],
  ['52', 'MX'],
  ['57', 'CO'],
  ['56', 'CL'],
  ['34', 'ES'],
  ['351', 'PT'],
  ['1', 'US'],
];

/** A stable BSUID for a phone: its country, a dot, 20 digits derived from the number. */
export function bsuidFor(waId: string, salt = ''): string {
  const country = COUNTRIES.find(([code]) => waId.startsWith(code))?.[1] ?? 'ZZ';
  const digest = createHash('sha256').update(`${salt}${waId}`).digest();
  return `${country}.${digest.readBigUInt64BE(0).toString().padStart(20, '1').slice(0, 20)}`;
}

export class Usernames {
  private readonly byWaId = new Map<string, SandboxIdentity>();
  private readonly byBsuid = new Map<string, string>();

  of(waId: string): SandboxIdentity | undefined {
    return this.byWaId.get(waId);
  }

  /** The phone behind a BSUID (the sandbox knows it even when the business does not). */
  waIdOf(bsuid: string): string | undefined {
    return this.byBsuid.get(bsuid);
  }

  /** Gives a user a BSUID (a given one, or a generated one) and says whether the phone is hidden. */
  set(waId: string, opts: { bsuid?: string; usernameOnly?: boolean } = {}): SandboxIdentity {
    const bsuid = opts.bsuid ?? this.byWaId.get(waId)?.bsuid ?? bsuidFor(waId);
    if (!BSUID.test(bsuid)) {
      throw new Error(
        `bsuid must be a two-letter country code, a dot and 1 to 128 letters or digits, got ${bsuid}`,
      );
    }
    const owner = this.byBsuid.get(bsuid);
    if (owner !== undefined && owner !== waId) throw new Error(`bsuid ${bsuid} already belongs to ${owner}`);
    const before = this.byWaId.get(waId);
    if (before) this.byBsuid.delete(before.bsuid);
    const identity = { bsuid, usernameOnly: opts.usernameOnly ?? before?.usernameOnly ?? false };
    this.byWaId.set(waId, identity);
    this.byBsuid.set(bsuid, waId);
    return identity;
  }

  /** The user now has another phone number; their BSUID goes with them. */
  move(waId: string, newWaId: string): void {
    const identity = this.byWaId.get(waId);
    if (!identity) return;
    this.byWaId.delete(waId);
    this.byWaId.set(newWaId, identity);
    this.byBsuid.set(identity.bsuid, newWaId);
  }
}

const registries = new WeakMap<SandboxState, Usernames>();

export function usernames(state: SandboxState): Usernames {
  let u = registries.get(state);
  if (!u) {
    u = new Usernames();
    registries.set(state, u);
  }
  return u;
}

type Obj = Record<string, unknown>;

/**
 * The webhook item as Meta would send it for this user: the BSUID added beside the phone, and
 * the phone removed for a username-only user. System messages carry their own fields.
 */
export function applyIdentity(item: WebhookItem, names: Usernames): WebhookItem {
  const p = item.payload;
  const waId = (item.kind === 'messages' ? p.from : p.recipient_id) as string | undefined;
  if (waId === undefined || p.type === 'system') return item;
  const identity = names.of(waId);
  if (!identity) return item;
  const payload: Obj = { ...p };
  if (item.kind === 'messages') {
    payload.from_user_id = identity.bsuid;
    if (identity.usernameOnly) delete payload.from;
  } else {
    payload.recipient_user_id = identity.bsuid;
    if (identity.usernameOnly) delete payload.recipient_id;
  }
  const out: WebhookItem = { ...item, payload };
  if (item.contact) {
    const contact: WebhookItem['contact'] & Obj = { ...item.contact, user_id: identity.bsuid };
    if (identity.usernameOnly) delete (contact as Obj).wa_id;
    out.contact = contact;
  }
  return out;
}

export interface IdentityChangeDeps {
  state: SandboxState;
  emitter: WebhookEmitter;
  now: () => number;
}

/**
 * The user moves to another phone number: the business gets `user_changed_number` from the old
 * number (with the BSUID fields of Aug 2026), and the user, inbox and windows move with it.
 */
export function changeNumber(
  d: IdentityChangeDeps,
  phoneNumberId: string,
  waId: string,
  newWaId: string,
): string {
  const account = d.state.accounts.get(phoneNumberId);
  if (!account) throw new Error(`unknown phone number id ${phoneNumberId}`);
  if (!/^[1-9]\d{6,14}$/.test(newWaId)) throw new Error(`new_wa_id must be 7 to 15 digits, got ${newWaId}`);
  if (d.state.users.has(newWaId)) throw new Error(`${newWaId} is already another sandbox user`);
  const names = usernames(d.state);
  const identity = names.of(waId);
  const user = d.state.user(waId);
  d.state.users.delete(waId);
  user.waId = newWaId;
  d.state.users.set(newWaId, user);
  for (const [key, at] of [...d.state.lastInbound]) {
    const [pn, who] = key.split(':');
    if (who !== waId) continue;
    d.state.lastInbound.delete(key);
    d.state.lastInbound.set(`${pn}:${newWaId}`, at);
  }
  names.move(waId, newWaId);
  const system: Obj = {
    body: `User ${user.name} changed from ${waId} to ${newWaId}`,
    new_wa_id: newWaId,
    type: 'user_changed_number',
  };
  const message: Obj = {
    from: waId,
    id: makeWamid(waId, 'inbound'),
    timestamp: seconds(d.now),
    type: 'system',
    system,
  };
  if (identity) {
    message.from_user_id = identity.bsuid;
    system.user_id = identity.bsuid;
  }
  emit(d, account, message);
  return message.id as string;
}

/** The user's BSUID changes (their phone does not): the business gets `user_changed_user_id`. */
export function changeUserId(
  d: IdentityChangeDeps,
  phoneNumberId: string,
  waId: string,
  bsuid?: string,
): string {
  const account = d.state.accounts.get(phoneNumberId);
  if (!account) throw new Error(`unknown phone number id ${phoneNumberId}`);
  const names = usernames(d.state);
  const before = names.of(waId);
  if (!before) throw new Error(`${waId} has no BSUID yet; give them one first`);
  const after = names.set(waId, { bsuid: bsuid ?? bsuidFor(waId, before.bsuid) });
  const message: Obj = {
    from_user_id: after.bsuid,
    id: makeWamid(waId, 'inbound'),
    timestamp: seconds(d.now),
    type: 'system',
    system: {
      body: "User's business-scoped user ID changed",
      type: 'user_changed_user_id',
      previous_user_id: before.bsuid,
      user_id: after.bsuid,
    },
  };
  if (!after.usernameOnly) message.from = waId;
  emit(d, account, message);
  return message.id as string;
}

function seconds(now: () => number): string {
  return String(Math.floor(now() / 1000));
}

function emit(
  d: IdentityChangeDeps,
  account: NonNullable<ReturnType<SandboxState['accounts']['get']>>,
  message: Obj,
) {
  // System messages come without a contacts[] entry, unlike a user's messages.
  if (account.webhookUrl)
    d.emitter.push(account.webhookUrl, { source: account, kind: 'messages', payload: message });
}
