/**
 * An account's consent settings: which texts are keywords and what each means, which button
 * payloads opt out, the confirmation texts, and the marketing frequency cap of audiences.
 *
 * Stored as the account wrote them (plus `mode`), and turned into effective lists here, so that
 * a later release's new default keywords reach every account that chose `extend`.
 * Validation collects every problem with its path, so one answer says all that must change.
 */
import type { ConsentScope } from './consent';
import {
  DEFAULT_KEYWORDS,
  type KeywordLists,
  KeywordMatcher,
  MAX_KEYWORD_LENGTH,
  normalizeKeyword,
} from './keywords';

export type KeywordMode = 'extend' | 'replace';

export interface ConsentSettings {
  keywords: {
    /** extend: the defaults plus these; replace: these only (empty lists turn keywords off). */
    mode: KeywordMode;
    opt_out: Record<ConsentScope, string[]>;
    opt_in: Record<ConsentScope, string[]>;
  };
  /** Quick-reply payloads or interactive reply ids that opt out, on any message (exact match). */
  opt_out_payloads: Record<ConsentScope, string[]>;
  /** Free-form texts sent back, only while the window is open; null sends nothing. */
  confirmations: { opt_out: string | null; opt_in: string | null };
  /** Audiences leave out contacts sent a marketing template this recently; 0 turns the cap off. */
  marketing_frequency_cap_hours: number;
}

/** What a PUT may hold: every part optional, missing parts take their defaults. */
export interface ConsentSettingsInput {
  keywords?: {
    mode?: KeywordMode;
    opt_out?: Partial<Record<ConsentScope, string[]>>;
    opt_in?: Partial<Record<ConsentScope, string[]>>;
  };
  opt_out_payloads?: Partial<Record<ConsentScope, string[]>>;
  confirmations?: { opt_out?: string | null; opt_in?: string | null };
  marketing_frequency_cap_hours?: number;
}

export const DEFAULT_CONSENT_SETTINGS: ConsentSettings = {
  keywords: { mode: 'extend', opt_out: { all: [], marketing: [] }, opt_in: { all: [], marketing: [] } },
  opt_out_payloads: { all: [], marketing: [] },
  confirmations: { opt_out: null, opt_in: null },
  marketing_frequency_cap_hours: 24,
};

export const SETTINGS_LIMITS = {
  /** Keywords or payloads in one list. */
  listItems: 200,
  payloadLength: 256,
  /** Meta's limit for a text message body. */
  confirmationLength: 4096,
  /** 30 days. */
  capHours: 720,
} as const;

export interface SettingsProblem {
  path: string;
  message: string;
}

export type SettingsCheck = { ok: true; value: ConsentSettings } | { ok: false; problems: SettingsProblem[] };

const SCOPES: readonly ConsentScope[] = ['all', 'marketing'];

/** Half an emoji: a UTF-16 surrogate without its pair has no UTF-8 form and reaches no phone. */
const LONE_SURROGATE = /\p{Cs}/u;
const BROKEN_TEXT =
  'holds half of a character (a lone UTF-16 surrogate, e.g. a cut emoji); send whole characters';

/** Checks a PUT body and fills in defaults; every problem is reported, with its path. */
export function checkConsentSettings(input: ConsentSettingsInput): SettingsCheck {
  const problems: SettingsProblem[] = [];
  const value = structuredClone(DEFAULT_CONSENT_SETTINGS);

  const mode = input.keywords?.mode ?? 'extend';
  value.keywords.mode = mode;
  /** normalised form → where it was first given, to catch one keyword with two meanings. */
  const seen = new Map<string, string>();
  for (const direction of ['opt_out', 'opt_in'] as const) {
    for (const scope of SCOPES) {
      const path = `keywords.${direction}.${scope}`;
      const list = input.keywords?.[direction]?.[scope] ?? [];
      if (list.length > SETTINGS_LIMITS.listItems) {
        problems.push({ path, message: `at most ${SETTINGS_LIMITS.listItems} keywords, got ${list.length}` });
        continue;
      }
      const kept: string[] = [];
      for (const [i, raw] of list.entries()) {
        const at = `${path}[${i}]`;
        if (LONE_SURROGATE.test(raw)) {
          problems.push({ path: at, message: BROKEN_TEXT });
          continue;
        }
        const form = normalizeKeyword(raw);
        if (form === '') {
          problems.push({
            path: at,
            message: 'a keyword needs a letter or digit; punctuation alone is ignored',
          });
          continue;
        }
        if (form.length > MAX_KEYWORD_LENGTH) {
          problems.push({
            path: at,
            message: `at most ${MAX_KEYWORD_LENGTH} characters (a keyword is the whole message), got ${form.length}`,
          });
          continue;
        }
        const first = seen.get(form);
        if (first !== undefined) {
          // The same list twice is harmless; two meanings for one text is a mistake to name.
          if (first.startsWith(`${path}[`)) continue;
          problems.push({
            path: at,
            message: `"${raw}" is also ${first}: a keyword can mean only one thing (compared without case and accents)`,
          });
          continue;
        }
        seen.set(form, at);
        kept.push(raw.trim());
      }
      value.keywords[direction][scope] = kept;
    }
  }
  if (mode === 'extend') {
    // A default keyword given with another meaning must be replaced, not silently shadowed.
    for (const direction of ['opt_out', 'opt_in'] as const) {
      for (const scope of SCOPES) {
        for (const keyword of DEFAULT_KEYWORDS[direction][scope]) {
          const at = seen.get(normalizeKeyword(keyword));
          if (at !== undefined && !at.startsWith(`keywords.${direction}.${scope}[`)) {
            problems.push({
              path: at,
              message: `"${keyword}" is a default ${direction.replace('_', '-')} keyword of scope ${scope}; use keywords.mode "replace" to give it another meaning`,
            });
          }
        }
      }
    }
  }

  const payloadSeen = new Map<string, string>();
  for (const scope of SCOPES) {
    const path = `opt_out_payloads.${scope}`;
    const list = input.opt_out_payloads?.[scope] ?? [];
    if (list.length > SETTINGS_LIMITS.listItems) {
      problems.push({ path, message: `at most ${SETTINGS_LIMITS.listItems} payloads, got ${list.length}` });
      continue;
    }
    const kept: string[] = [];
    for (const [i, p] of list.entries()) {
      const at = `${path}[${i}]`;
      if (LONE_SURROGATE.test(p)) {
        problems.push({ path: at, message: BROKEN_TEXT });
        continue;
      }
      if (p.length === 0 || p.length > SETTINGS_LIMITS.payloadLength) {
        problems.push({
          path: at,
          message: `1 to ${SETTINGS_LIMITS.payloadLength} characters, got ${p.length}`,
        });
        continue;
      }
      const first = payloadSeen.get(p);
      if (first !== undefined && !first.startsWith(`${path}[`)) {
        problems.push({ path: at, message: `"${p}" is also ${first}: a payload opts out of one scope` });
        continue;
      }
      if (first === undefined) kept.push(p);
      payloadSeen.set(p, first ?? at);
    }
    value.opt_out_payloads[scope] = kept;
  }

  for (const direction of ['opt_out', 'opt_in'] as const) {
    const text = input.confirmations?.[direction];
    if (text === undefined || text === null) continue;
    const trimmed = text.trim();
    if (LONE_SURROGATE.test(trimmed)) {
      problems.push({ path: `confirmations.${direction}`, message: BROKEN_TEXT });
      continue;
    }
    if (trimmed.length === 0 || trimmed.length > SETTINGS_LIMITS.confirmationLength) {
      problems.push({
        path: `confirmations.${direction}`,
        message: `1 to ${SETTINGS_LIMITS.confirmationLength} characters (WhatsApp's text limit), or null for none; got ${trimmed.length}`,
      });
      continue;
    }
    value.confirmations[direction] = trimmed;
  }

  const cap = input.marketing_frequency_cap_hours;
  if (cap !== undefined) {
    if (!Number.isInteger(cap) || cap < 0 || cap > SETTINGS_LIMITS.capHours) {
      problems.push({
        path: 'marketing_frequency_cap_hours',
        message: `a whole number of hours from 0 (no cap) to ${SETTINGS_LIMITS.capHours}, got ${cap}`,
      });
    } else value.marketing_frequency_cap_hours = cap;
  }

  return problems.length ? { ok: false, problems } : { ok: true, value };
}

/** The keyword lists in force: the account's alone (replace) or after the defaults (extend). */
export function effectiveKeywords(s: ConsentSettings): KeywordLists {
  if (s.keywords.mode === 'replace') return { opt_out: s.keywords.opt_out, opt_in: s.keywords.opt_in };
  const join = (d: 'opt_out' | 'opt_in', scope: ConsentScope) => [
    ...s.keywords[d][scope],
    ...DEFAULT_KEYWORDS[d][scope],
  ];
  return {
    opt_out: { all: join('opt_out', 'all'), marketing: join('opt_out', 'marketing') },
    opt_in: { all: join('opt_in', 'all'), marketing: join('opt_in', 'marketing') },
  };
}

/** Settings with their matchers built once (an account's settings are read once per batch). */
export interface ConsentRules {
  settings: ConsentSettings;
  keywords: KeywordMatcher;
  /** payload → scope it opts out of. */
  optOutPayloads: Map<string, ConsentScope>;
}

export function consentRules(settings: ConsentSettings): ConsentRules {
  const optOutPayloads = new Map<string, ConsentScope>();
  for (const scope of SCOPES) for (const p of settings.opt_out_payloads[scope]) optOutPayloads.set(p, scope);
  return { settings, keywords: new KeywordMatcher(effectiveKeywords(settings)), optOutPayloads };
}

/**
 * Reads stored settings leniently: a row written by an older version (a missing part) takes the
 * defaults for what it lacks rather than failing every inbound message of the account.
 */
export function settingsFromStored(json: string): ConsentSettings {
  const parsed = JSON.parse(json) as ConsentSettingsInput;
  const check = checkConsentSettings(parsed);
  return check.ok ? check.value : structuredClone(DEFAULT_CONSENT_SETTINGS);
}
