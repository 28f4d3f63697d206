/**
 * Consent is a ledger: every change is a row (who, which scope, new state, from where, with what
 * evidence, when), and the current state is derived from it, never written on its own.
 *
 * Two scopes, one nested in the other:
 *   - `marketing`: marketing templates only (Meta's "stop promotions", a STOP_PROMOS button);
 *   - `all`: every message we start (a STOP keyword), except the confirmation of the opt-out.
 *
 * The state of a scope is the newest entry that speaks for it: for `all`, the newest `all` entry;
 * for `marketing`, the newest entry of either scope (a START that resumes everything resumes
 * marketing too; a `user_preferences` resume of marketing does not undo a STOP of everything).
 *
 *   unknown ──opt-in──▶ opted_in ◀──opt-in── opted_out
 *      └──────opt-out──────▶ opted_out ◀──opt-out──┘
 */
export const CONSENT_SCOPES = ['marketing', 'all'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

export const CONSENT_STATES = ['unknown', 'opted_in', 'opted_out'] as const;
export type ConsentState = (typeof CONSENT_STATES)[number];
/** What a ledger entry records: a consent state is only ever set to one of these two. */
export type ConsentChange = Exclude<ConsentState, 'unknown'>;

export const CONSENT_SOURCES = [
  'api',
  'import',
  'keyword',
  'button',
  'meta_user_preferences',
  'meta_131050',
  'agent',
] as const;
export type ConsentSource = (typeof CONSENT_SOURCES)[number];

/** One ledger entry as the domain sees it. */
export interface ConsentEntry {
  scope: ConsentScope;
  state: ConsentChange;
  source: ConsentSource;
  /** When the change happened (the user's message time for keywords, Meta's time for webhooks). */
  at: number;
}

export interface ConsentSnapshot {
  marketing: ConsentState;
  all: ConsentState;
  /** The entry that set the marketing state, if any (for "opted out via keyword on 2026-11-02"). */
  marketingEntry: ConsentEntry | undefined;
  allEntry: ConsentEntry | undefined;
}

/** Folds ledger entries (any order) into the current state. Ties go to the later entry in the list. */
export function deriveConsent(entries: readonly ConsentEntry[]): ConsentSnapshot {
  let marketingEntry: ConsentEntry | undefined;
  let allEntry: ConsentEntry | undefined;
  for (const e of entries) {
    if (!marketingEntry || e.at >= marketingEntry.at) marketingEntry = e;
    if (e.scope === 'all' && (!allEntry || e.at >= allEntry.at)) allEntry = e;
  }
  return {
    marketing: marketingEntry?.state ?? 'unknown',
    all: allEntry?.state ?? 'unknown',
    marketingEntry,
    allEntry,
  };
}

/** Template categories as Meta names them; only MARKETING is held back by a marketing opt-out. */
export type SendCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION' | 'SERVICE';

export interface ConsentRefusal {
  scope: ConsentScope;
  entry: ConsentEntry | undefined;
}

/**
 * Whether a message of `category` may go to a contact in this state; undefined when it may.
 * `confirmsOptOut` marks the one message allowed after an opt-out of everything: its confirmation.
 */
export function consentRefusal(
  consent: Pick<ConsentSnapshot, 'marketing' | 'all' | 'marketingEntry' | 'allEntry'>,
  category: SendCategory,
  confirmsOptOut = false,
): ConsentRefusal | undefined {
  if (consent.all === 'opted_out' && !confirmsOptOut) return { scope: 'all', entry: consent.allEntry };
  if (category === 'MARKETING' && consent.marketing === 'opted_out') {
    return { scope: 'marketing', entry: consent.marketingEntry };
  }
  return undefined;
}
