/**
 * What a running campaign does about each of Meta's back-off signals (reference §5.2 and §6),
 * and when it pauses itself. provider-errors.ts says what an error means for one message; this
 * file says what it means for the campaign around it: slow the whole account, hold one user,
 * fail one recipient, or stop everything and tell the operator why.
 *
 *   130429  throughput       slow the account to half, recover over a minute (AIMD: halve on
 *                            each signal, climb back linearly), retry the message after ≥ 1 s
 *   131056  pair limit       that user only, ≥ 6 s, doubling while it repeats (pair-limit.ts)
 *   131048  spam rate limit  slow the account to a quarter, recovering over 6 h; retry the
 *                            message after 2 h ("only after slowing down substantially, hours");
 *                            counts as a failure, so the guard pauses a campaign that keeps
 *                            hitting it
 *   131049  per-user cap     fail the recipient with the reason, never retried within 24 h
 *   131050  stopped marketing  fail the recipient and record the marketing opt-out
 *   131064  limit for template-category violations: every send of the account fails, for an
 *                            enforcement period Meta does not publish, until a person fixes the
 *                            templates' categories: pause the campaign with that reason
 *   80007, 4  API call limits  pause the account: 1 min, doubling while it repeats, ≤ 1 h
 *   131057  maintenance (throughput upgrade, about a minute): pause the account a minute
 *   Messenger (context.channel): 613 slows the account as 130429 does; 4, 32, 80001 and 80006
 *                            pause it as 80007 does; see messengerBackoff
 *
 * Errors that every remaining recipient would hit the same way (template paused or missing,
 * token or account problems) pause the campaign instead of failing thousands of recipients one
 * by one; other errors follow the one send path's retry policy (retry.ts) or fail the recipient.
 *
 * `countsAsFailure` tells the AutoPauseGuard what to record: throttling is Recontact's pacing
 * meeting Meta's, not a failed send; a recipient's own choice or Meta's per-person cap says
 * nothing about the campaign; everything else that fails or is refused does.
 */
import type { ChannelKind } from '../channels/channel-kind';
import type { ConsentScope, ConsentSource } from '../contacts/consent';
import { pairBackoffMs } from '../pacing/pair-limit';
import { classifyProviderError } from '../provider-errors';
import type { TemplateStatus } from '../templates/model';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

export interface BackoffContext {
  /** The HTTP status of a synchronous refusal; absent or null for a failed-status webhook. */
  httpStatus?: number | null;
  /** From a Retry-After header (or Meta's estimated_time_to_regain_access), a lower bound. */
  retryAfterSeconds?: number;
  /**
   * How many times in a row this signal came for its scope, this one included (the account for
   * account-wide codes, the user for 131056). Escalates the waits; 1 when absent.
   */
  repeats?: number;
  /** The channel that refused; its codes mean other things (provider-errors.ts). WhatsApp if absent. */
  channel?: ChannelKind;
  /** Meta's error_subcode, when it sent one. */
  subcode?: number | null;
}

interface ActionBase {
  /** Meta's code; null for a transport failure. */
  code: number | null;
  /** Plain language for the operator, with Meta's code (for campaign.paused, failed counts). */
  reason: string;
  /** Whether the AutoPauseGuard records this send as failed (otherwise it records nothing). */
  countsAsFailure: boolean;
}

export type CampaignBackoff = ActionBase &
  (
    | {
        /** Multiply the account's send rate by factor now, climbing back to full over recoverMs. */
        kind: 'slow_account';
        factor: number;
        recoverMs: number;
        /** The refused message is tried again after this. */
        retryAfterMs: number;
      }
    | {
        /** No send on the account for forMs; the refused message goes again after it. */
        kind: 'pause_account';
        forMs: number;
      }
    | {
        /** Only this user waits ms; everyone else goes on. */
        kind: 'retry_user_after';
        ms: number;
      }
    | {
        /** A passing problem: the send path's usual retry policy, waiting at least minDelayMs. */
        kind: 'retry';
        minDelayMs: number;
      }
    | {
        /** The recipient is failed with the reason; the campaign goes on. */
        kind: 'fail_recipient';
        /** Do not send this person another marketing template before this long (131049). */
        noRetryForMs?: number;
        /** Record this opt-out in the consent ledger (131050). */
        optOut?: { scope: ConsentScope; source: ConsentSource };
      }
    | {
        /**
         * Every remaining send would fail the same way: pause the campaign with the reason. The
         * refused recipient is not failed; it is sent after the operator resumes.
         */
        kind: 'pause_campaign';
      }
  );

/** Codes that no recipient of this campaign could get past: the template or its definition. */
const CAMPAIGN_WIDE = new Set([132000, 132001, 132015, 132016, 132068]);
/** Refusals about one person's own situation, which say nothing about the campaign. */
const PERSONAL = new Set([130472, 131049, 131050]);

const REASON_131064 =
  'WhatsApp stopped this account’s messages because templates were found in the wrong category (for ' +
  'example promotions sent as utility); check every template’s category in WhatsApp Manager, then ' +
  'resume (WhatsApp error 131064).';

type Base = { code: number | null; reason: string };

/** Meta says the account sends too fast (WhatsApp 130429, Messenger 613): halve its pace a minute. */
function tooFast(base: Base, minDelayMs: number | undefined, retryAfterMs: number): CampaignBackoff {
  return {
    ...base,
    kind: 'slow_account',
    factor: 0.5,
    recoverMs: MINUTE,
    retryAfterMs: Math.max(minDelayMs ?? SECOND, retryAfterMs),
    countsAsFailure: false,
  };
}

/** A call limit (80007, 4, …): stop the account a minute, doubling while it repeats, up to an hour. */
function callLimited(base: Base, repeats: number, retryAfterMs: number): CampaignBackoff {
  return {
    ...base,
    kind: 'pause_account',
    forMs: Math.max(escalate(MINUTE, repeats, HOUR), retryAfterMs),
    countsAsFailure: false,
  };
}

/** What the classification alone says, once the channel's special codes are handled. */
function byClass(
  base: Base,
  c: { class: string; minDelayMs?: number | undefined },
  retryAfterMs: number,
  personal: boolean,
): CampaignBackoff {
  switch (c.class) {
    case 'account_fatal':
      return { ...base, kind: 'pause_campaign', countsAsFailure: true };
    case 'retry_later':
      return {
        ...base,
        kind: 'retry',
        minDelayMs: Math.max(c.minDelayMs ?? 0, retryAfterMs),
        countsAsFailure: false,
      };
    default:
      return { ...base, kind: 'fail_recipient', countsAsFailure: !personal };
  }
}

export function campaignBackoff(code: number | null, context: BackoffContext = {}): CampaignBackoff {
  const repeats = context.repeats ?? 1;
  if (!(Number.isInteger(repeats) && repeats >= 1)) {
    throw new RangeError(`repeats must be a whole number from 1, got ${repeats}`);
  }
  const retryAfterMs = Math.max(0, context.retryAfterSeconds ?? 0) * SECOND;
  if (context.channel === 'messenger') return messengerBackoff(code, context, repeats, retryAfterMs);
  if (code === 131064) return { kind: 'pause_campaign', code, reason: REASON_131064, countsAsFailure: true };
  const c = classifyProviderError({ code, httpStatus: context.httpStatus ?? null });
  const base = { code, reason: c.reason };
  switch (code) {
    case 130429:
      return tooFast(base, c.minDelayMs, retryAfterMs);
    case 131048:
      return {
        ...base,
        kind: 'slow_account',
        factor: 0.25,
        recoverMs: 6 * HOUR,
        retryAfterMs: Math.max(2 * HOUR, retryAfterMs),
        countsAsFailure: true,
      };
    case 131056:
      return {
        ...base,
        kind: 'retry_user_after',
        ms: Math.max(pairBackoffMs(repeats), retryAfterMs),
        countsAsFailure: false,
      };
    case 131049:
      return { ...base, kind: 'fail_recipient', noRetryForMs: 24 * HOUR, countsAsFailure: false };
    case 131050:
      return {
        ...base,
        kind: 'fail_recipient',
        optOut: { scope: 'marketing', source: 'meta_131050' },
        countsAsFailure: false,
      };
    case 80007:
    case 4:
      return callLimited(base, repeats, retryAfterMs);
    case 131057:
      return {
        ...base,
        kind: 'pause_account',
        forMs: Math.max(escalate(MINUTE, repeats, 10 * MINUTE), retryAfterMs),
        countsAsFailure: false,
      };
  }
  if (code !== null && CAMPAIGN_WIDE.has(code))
    return { ...base, kind: 'pause_campaign', countsAsFailure: true };
  return byClass(base, c, retryAfterMs, code !== null && PERSONAL.has(code));
}

/** Messenger subcodes every remaining recipient would hit the same way (the template, the tag). */
const MESSENGER_CAMPAIGN_WIDE = new Set([1893029, 1893061, 2018276]);
/** Messenger refusals about one person's own situation (blocked the page, unavailable, opted out). */
const MESSENGER_PERSONAL = new Set([551, 1545041, 1893015, 2018108]);

/**
 * Messenger's signals (reference §5.2, §6): 613 (page sending too fast) slows the account like
 * WhatsApp's 130429; 4, 32, 80001 and 80006 (call limits; 80006 with Meta's
 * estimated_time_to_regain_access as Retry-After) pause it like 80007. The rest follows the
 * classification: account-level errors pause the campaign, the others fail the recipient.
 */
function messengerBackoff(
  code: number | null,
  context: BackoffContext,
  repeats: number,
  retryAfterMs: number,
): CampaignBackoff {
  const subcode = context.subcode ?? null;
  const c = classifyProviderError({
    code,
    httpStatus: context.httpStatus ?? null,
    channel: 'messenger',
    subcode,
  });
  const base = { code, reason: c.reason };
  if (c.class === 'retry_later' && (code === 613 || subcode === 2534040)) {
    return tooFast(base, c.minDelayMs, retryAfterMs);
  }
  if (code === 4 || code === 32 || code === 80001 || code === 80006) {
    return callLimited(base, repeats, retryAfterMs);
  }
  if (subcode !== null && MESSENGER_CAMPAIGN_WIDE.has(subcode))
    return { ...base, kind: 'pause_campaign', countsAsFailure: true };
  const personal =
    (code !== null && MESSENGER_PERSONAL.has(code)) || (subcode !== null && MESSENGER_PERSONAL.has(subcode));
  return byClass(base, c, retryAfterMs, personal);
}

function escalate(baseMs: number, repeats: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** (repeats - 1));
}

/**
 * An account slowed by slow_account actions: its rate is base × factorAt(now), which climbs
 * linearly back to 1 over recoverMs. Another signal while slowed multiplies the current factor
 * (additive increase, multiplicative decrease), never below MIN_SLOW_FACTOR so that the account
 * still probes whether Meta lets it go faster.
 */
export interface AccountSlowdown {
  /** The factor right after the last signal. */
  readonly factor: number;
  readonly at: number;
  readonly recoverMs: number;
}

export const MIN_SLOW_FACTOR = 1 / 16;

/** The share of the account's configured rate it may use at now (1: unslowed). */
export function slowFactorAt(slow: AccountSlowdown | null, now: number): number {
  if (slow === null || now >= slow.at + slow.recoverMs) return 1;
  if (now <= slow.at) return slow.factor;
  return slow.factor + ((1 - slow.factor) * (now - slow.at)) / slow.recoverMs;
}

/** The slowdown after one more slow_account action at now. */
export function slowDown(
  slow: AccountSlowdown | null,
  action: { factor: number; recoverMs: number },
  now: number,
): AccountSlowdown {
  if (!(action.factor > 0 && action.factor < 1)) {
    throw new RangeError(`a slowdown factor is between 0 and 1, got ${action.factor}`);
  }
  const factor = Math.max(MIN_SLOW_FACTOR, slowFactorAt(slow, now) * action.factor);
  // A longer recovery already under way (131048's hours) is not cut short by a 130429's minute.
  const remaining = slow === null ? 0 : slow.at + slow.recoverMs - now;
  return { factor, at: now, recoverMs: Math.max(action.recoverMs, remaining) };
}

export interface AutoPauseOptions {
  /** How many of the latest sends are judged; 200 by default. */
  window?: number;
  /** The failure share (0–1) that pauses; 0.2 by default. */
  threshold?: number;
  /**
   * Fewer sends than this are never judged: 3 failures out of the first 5 are not a trend.
   * 20 by default: a campaign that fails everything stops after 20 sends, not 200.
   */
  minSends?: number;
  /** Sends older than this are forgotten (e.g. before an overnight pause); none by default. */
  maxAgeMs?: number | null;
  /** The campaign's channel: the pause reason names an error in that channel's words. */
  channel?: ChannelKind;
}

export const AUTO_PAUSE_DEFAULTS = Object.freeze({
  window: 200,
  threshold: 0.2,
  minSends: 20,
  maxAgeMs: null,
});

/** A failure with no code (a network error) is kept as this. */
const NO_CODE = -1;
/** A send that did not fail. */
const OK = -2;

/**
 * The failure-rate trigger of the auto-pause guard: a ring buffer of the campaign's latest send
 * outcomes. The caller records one outcome per send whose fate is known (delivered or accepted:
 * ok; refused or failed with countsAsFailure: failed) and asks shouldPause; after an operator
 * resumes, reset() forgets the failures that caused the pause.
 */
export class AutoPauseGuard {
  readonly window: number;
  readonly threshold: number;
  readonly minSends: number;
  readonly maxAgeMs: number | null;
  private readonly channel: ChannelKind | undefined;

  private readonly times: Float64Array;
  private readonly codes: Int32Array;
  private next = 0;
  private size = 0;

  constructor(options: AutoPauseOptions = {}) {
    const { window, threshold, minSends, maxAgeMs } = { ...AUTO_PAUSE_DEFAULTS, ...options };
    if (!(Number.isInteger(window) && window >= 1)) {
      throw new RangeError(`window must be a whole number of sends >= 1, got ${window}`);
    }
    if (!(threshold > 0 && threshold <= 1)) {
      throw new RangeError(`threshold must be a share above 0 and at most 1, got ${threshold}`);
    }
    if (!(Number.isInteger(minSends) && minSends >= 1 && minSends <= window)) {
      throw new RangeError(`minSends must be a whole number from 1 to window (${window}), got ${minSends}`);
    }
    if (maxAgeMs !== null && !(Number.isFinite(maxAgeMs) && maxAgeMs > 0)) {
      throw new RangeError(`maxAgeMs must be a positive number of milliseconds or null, got ${maxAgeMs}`);
    }
    this.window = window;
    this.channel = options.channel;
    this.threshold = threshold;
    this.minSends = minSends;
    this.maxAgeMs = maxAgeMs;
    this.times = new Float64Array(window);
    this.codes = new Int32Array(window);
  }

  /** One send's outcome at now; failed sends carry Meta's code (null: transport failure). */
  record(now: number, outcome: { failed: false } | { failed: true; code: number | null }): void {
    this.times[this.next] = now;
    this.codes[this.next] = !outcome.failed ? OK : (outcome.code ?? NO_CODE);
    this.next = (this.next + 1) % this.window;
    this.size = Math.min(this.window, this.size + 1);
  }

  reset(): void {
    this.next = 0;
    this.size = 0;
  }

  /** The sends judged at now and how many of them failed, by code. */
  stats(now: number): { sends: number; failed: number; byCode: Map<number | null, number> } {
    const after = this.maxAgeMs === null ? Number.NEGATIVE_INFINITY : now - this.maxAgeMs;
    let sends = 0;
    let failed = 0;
    const byCode = new Map<number | null, number>();
    for (let i = 0; i < this.size; i++) {
      if (this.times[i]! <= after) continue;
      sends++;
      const code = this.codes[i]!;
      if (code === OK) continue;
      failed++;
      const key = code === NO_CODE ? null : code;
      byCode.set(key, (byCode.get(key) ?? 0) + 1);
    }
    return { sends, failed, byCode };
  }

  /**
   * The reason for campaign.paused when the failure share of the latest sends has reached the
   * threshold, naming the most frequent error; null otherwise.
   */
  shouldPause(now: number): string | null {
    const { sends, failed, byCode } = this.stats(now);
    // ceil(0.2 × 30) must be 6, not 7: 0.2 × 30 is 6.000000000000001 in floating point.
    const enough = Math.ceil(this.threshold * sends - 1e-9);
    if (sends < this.minSends || failed < enough) return null;
    let top: number | null = null;
    let topCount = 0;
    for (const [code, n] of byCode) {
      // Ties go to the lower code, so the reason does not depend on arrival order.
      if (n > topCount || (n === topCount && (code ?? -1) < (top ?? -1))) {
        top = code;
        topCount = n;
      }
    }
    const share = (n: number) => `${Math.round((n * 100) / sends)}%`;
    const cause = classifyProviderError({
      code: top,
      httpStatus: null,
      ...(this.channel ? { channel: this.channel } : {}),
    }).reason;
    return (
      `${failed} of the last ${sends} sends failed (${share(failed)}; the campaign pauses at ` +
      `${Math.round(this.threshold * 100)}%). Most often (${topCount} ${topCount === 1 ? 'time' : 'times'}): ${cause}`
    );
  }
}

/** Template statuses under which Meta still delivers the template. */
const SENDABLE_TEMPLATE = new Set<string>(['APPROVED', 'REINSTATED']);

/**
 * The reason to pause a campaign when its template's status changed, or null while it may
 * still be sent. FLAGGED pauses too: Meta still delivers it, but it flags a template whose
 * recipients complain, and sending more of it is how it becomes PAUSED.
 */
export function templatePauseReason(
  template: { name: string; language: string },
  status: TemplateStatus | string,
): string | null {
  if (SENDABLE_TEMPLATE.has(status)) return null;
  const t = `The template ${template.name} (${template.language})`;
  switch (status) {
    case 'PAUSED':
      return `${t} was paused by WhatsApp because of low quality (recipients blocked or reported it); resume once WhatsApp unpauses it.`;
    case 'DISABLED':
      return `${t} was disabled by WhatsApp after being paused too often; the campaign needs a new template.`;
    case 'FLAGGED':
      return `${t} was flagged by WhatsApp for low quality; sending more of it risks a pause. Check its feedback, then resume.`;
    default:
      return `${t} is no longer approved (status ${status}); WhatsApp would refuse every remaining send.`;
  }
}

/**
 * The reason to pause when the phone_number_quality_update webhook says the number's quality
 * dropped: FLAGGED (quality low, further complaints lower the messaging limit) or DOWNGRADE (the
 * limit was lowered). Null for the events that raise or restore something.
 */
export function qualityPauseReason(update: {
  event: string;
  currentLimit?: string | null;
  oldLimit?: string | null;
}): string | null {
  switch (update.event) {
    case 'FLAGGED':
      return 'WhatsApp flagged the sending number for low quality (recipients blocked or reported messages); further complaints lower its messaging limit. Check the number’s quality in WhatsApp Manager, then resume.';
    case 'DOWNGRADE': {
      const change =
        update.oldLimit && update.currentLimit ? ` from ${update.oldLimit} to ${update.currentLimit}` : '';
      return `WhatsApp lowered the sending number’s messaging limit${change} because of low quality. Check the number’s quality in WhatsApp Manager, then resume.`;
    }
    default:
      return null;
  }
}
