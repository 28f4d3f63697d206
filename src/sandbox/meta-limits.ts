/**
 * Meta's limits and quality signals that a test needs on command (reference §6), all off until
 * asked for, so a demo or a test of a few thousand recipients is never throttled by surprise:
 *
 * - **Messaging limit** (§6.3): unique users reached with business-initiated templates outside
 *   an open customer-service window, in a moving 24 h. Meta documents no dedicated error code
 *   for going beyond it (third parties: the extra messages are accepted, then fail, and are not
 *   charged), so a send beyond it gets a 200 and a wamid, then a `failed` status with
 *   LIMIT_EXCEEDED_CODE (131026, "Message Undeliverable", Meta's generic refusal), unless the
 *   account configures another code. The sandbox keeps the limit per phone number: each number
 *   is its own portfolio. A user already reached in the window takes no new slot; a failed send
 *   takes none.
 * - **Per-user marketing cap** (§6.4): on command a user, or every user, refuses further
 *   marketing templates sent outside their window: 200, then `failed` with 131049.
 * - **Any error on command**: the next N sends (to one recipient, or to anyone) fail with a given
 *   code, synchronously (Meta's error body and HTTP status) or as a `failed` status webhook.
 * - **Quality changes** (§4.6): a `phone_number_quality_update` webhook for a number.
 */
import { type MetaError, messagingError } from './errors';
import type { AccountState } from './state';
import { WINDOW_MS } from './state';

/** What a send beyond the messaging limit fails with (see the header). */
export const LIMIT_EXCEEDED_CODE = 131026;
const LIMIT_EXCEEDED_DETAILS =
  'Message failed to send because the business reached its messaging limit: the number of unique users it may message outside a customer service window in 24 hours.';

export const FREQUENCY_CAP_CODE = 131049;
const FREQUENCY_CAP_DETAILS = 'This message was not delivered to maintain healthy ecosystem engagement.';

/** Details Meta gives with each code the sandbox can inject (error_data.details). */
const DETAILS: Readonly<Record<number, string>> = {
  4: 'Application request limit reached: the app made too many API calls.',
  80007: 'The WhatsApp Business Account reached its rate limit.',
  130429:
    'Message failed to send because there were too many messages sent from this phone number in a short period of time.',
  131026: 'Message Undeliverable.',
  131048:
    'Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.',
  131049: FREQUENCY_CAP_DETAILS,
  131050:
    'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
  131056:
    'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
  131057: 'Business Account is in maintenance mode: the throughput upgrade is in progress.',
  131064:
    'Message failed to send because the business reached a messaging limit after templates were found in the wrong category.',
};

/** How Meta reports each code when the command does not say (reference §5.2). */
const ASYNC_BY_DEFAULT = new Set([130472, 131026, 131047, 131049, 131050, 131064]);

export type InjectMode = 'sync' | 'async';

export interface InjectedError {
  code: number;
  /** Only sends to this wa_id; every recipient when absent. */
  to?: string;
  /** Only sends from this phone number id; every number when absent. */
  phoneNumberId?: string;
  mode: InjectMode;
  details: string;
  left: number;
}

export interface InjectRequest {
  code: number;
  to?: string;
  phoneNumberId?: string;
  mode?: InjectMode;
  count?: number;
  details?: string;
}

export const QUALITY_EVENTS = ['FLAGGED', 'UNFLAGGED', 'DOWNGRADE', 'UPGRADE'] as const;
export type QualityEvent = (typeof QUALITY_EVENTS)[number];

interface Reach {
  limit: number;
  code: number;
  /** wa_id → latest reach; Map order is the order of latest reach, oldest first. */
  reached: Map<string, number>;
}

export type SendVerdict = { failure: { code: number; details: string } | null };

export class MetaLimits {
  private readonly limits = new Map<string, Reach>();
  /** phone number id → users who refuse further marketing templates ('all': everyone). */
  private readonly capped = new Map<string, { all: boolean; users: Set<string> }>();
  private readonly injected: InjectedError[] = [];

  constructor(private readonly now: () => number) {}

  /** Sets (or with null removes) a number's messaging limit; the users already reached stay counted. */
  setMessagingLimit(phoneNumberId: string, limit: number | null, code = LIMIT_EXCEEDED_CODE): void {
    if (limit === null) {
      this.limits.delete(phoneNumberId);
      return;
    }
    if (!(Number.isInteger(limit) && limit >= 0)) {
      throw new RangeError(`messaging_limit must be a whole number of users (or null), got ${limit}`);
    }
    if (!(Number.isInteger(code) && code > 0))
      throw new RangeError(`code must be an error code, got ${code}`);
    const known = this.limits.get(phoneNumberId);
    this.limits.set(phoneNumberId, { limit, code, reached: known?.reached ?? new Map() });
  }

  /** The limit and the users counted against it now; null when the number has none. */
  messagingLimit(phoneNumberId: string): { limit: number; reached: number; code: number } | null {
    const r = this.limits.get(phoneNumberId);
    if (!r) return null;
    this.forget(r, this.now());
    return { limit: r.limit, reached: r.reached.size, code: r.code };
  }

  /** Caps marketing for these users (or every user with 'all'); on=false lifts it. */
  capMarketing(phoneNumberId: string, who: readonly string[] | 'all', on = true): void {
    let c = this.capped.get(phoneNumberId);
    if (!c) {
      c = { all: false, users: new Set() };
      this.capped.set(phoneNumberId, c);
    }
    if (who === 'all') {
      c.all = on;
      if (!on) c.users.clear();
      return;
    }
    for (const u of who) {
      if (on) c.users.add(u);
      else c.users.delete(u);
    }
  }

  marketingCapped(phoneNumberId: string, waId: string): boolean {
    const c = this.capped.get(phoneNumberId);
    return c !== undefined && (c.all || c.users.has(waId));
  }

  inject(req: InjectRequest): InjectedError {
    const { code } = req;
    if (!(Number.isInteger(code) && code >= 0))
      throw new RangeError(`code must be an error code, got ${code}`);
    const count = req.count ?? 1;
    if (!(Number.isInteger(count) && count >= 1 && count <= 1_000_000)) {
      throw new RangeError(`count must be a whole number from 1 to 1000000, got ${count}`);
    }
    if (req.mode !== undefined && req.mode !== 'sync' && req.mode !== 'async') {
      throw new RangeError(`mode must be "sync" or "async", got ${String(req.mode)}`);
    }
    const e: InjectedError = {
      code,
      mode: req.mode ?? (ASYNC_BY_DEFAULT.has(code) ? 'async' : 'sync'),
      details: req.details ?? DETAILS[code] ?? `Injected error ${code}.`,
      left: count,
    };
    if (req.to !== undefined) e.to = req.to;
    if (req.phoneNumberId !== undefined) e.phoneNumberId = req.phoneNumberId;
    this.injected.push(e);
    return { ...e };
  }

  injectedErrors(): InjectedError[] {
    return this.injected.map((e) => ({ ...e }));
  }

  clearInjected(): void {
    this.injected.length = 0;
  }

  /**
   * Judges one send that passed validation: throws the MetaError of a synchronous injected
   * error, or returns the failure its `failed` status will carry (null: it goes through).
   * Nothing is counted yet: reached() does that once the send is known to be delivered.
   */
  judge(
    account: AccountState,
    send: { waId: string; template: boolean; marketing: boolean; windowOpen: boolean },
  ): SendVerdict {
    const injected = this.takeInjected(account.phoneNumberId, send.waId);
    if (injected) {
      if (injected.mode === 'sync') throw messagingError(injected.code, injected.details) as MetaError;
      return { failure: { code: injected.code, details: injected.details } };
    }
    if (!send.template || send.windowOpen) return { failure: null };
    if (send.marketing && this.marketingCapped(account.phoneNumberId, send.waId)) {
      return { failure: { code: FREQUENCY_CAP_CODE, details: FREQUENCY_CAP_DETAILS } };
    }
    const r = this.limits.get(account.phoneNumberId);
    if (!r) return { failure: null };
    const at = this.now();
    this.forget(r, at);
    if (!r.reached.has(send.waId) && r.reached.size >= r.limit) {
      return { failure: { code: r.code, details: LIMIT_EXCEEDED_DETAILS } };
    }
    return { failure: null };
  }

  /** A business-initiated template outside the window went through: the user counts from now. */
  reached(phoneNumberId: string, waId: string): void {
    const r = this.limits.get(phoneNumberId);
    if (!r) return;
    // Delete then set: the Map's order stays the order of latest reach.
    r.reached.delete(waId);
    r.reached.set(waId, this.now());
  }

  /** A `phone_number_quality_update` envelope (reference §4.6) for one number. */
  qualityEnvelope(
    account: AccountState,
    update: { event: QualityEvent; currentLimit: string; oldLimit?: string },
  ): Record<string, unknown> {
    const value: Record<string, unknown> = {
      display_phone_number: account.displayPhoneNumber,
      event: update.event,
      current_limit: update.currentLimit,
    };
    if (update.oldLimit !== undefined) value.old_limit = update.oldLimit;
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: account.wabaId,
          time: Math.floor(this.now() / 1000),
          changes: [{ field: 'phone_number_quality_update', value }],
        },
      ],
    };
  }

  private takeInjected(phoneNumberId: string, waId: string): InjectedError | undefined {
    if (this.injected.length === 0) return undefined;
    const i = this.injected.findIndex(
      (e) =>
        (e.to === undefined || e.to === waId) &&
        (e.phoneNumberId === undefined || e.phoneNumberId === phoneNumberId),
    );
    if (i < 0) return undefined;
    const e = this.injected[i]!;
    if (--e.left === 0) this.injected.splice(i, 1);
    return e;
  }

  /** Drops the users whose latest reach left the moving 24 h. */
  private forget(r: Reach, at: number): void {
    for (const [waId, reachedAt] of r.reached) {
      if (reachedAt > at - WINDOW_MS) break;
      r.reached.delete(waId);
    }
  }
}
