/**
 * Opt-out and opt-in keywords: a user who texts STOP, BAJA or SAIR is asking us to stop, and a
 * keyword counts only when it is the whole message. "stop" is a request; "please don't stop"
 * and "cancelar mi turno" are conversation.
 *
 * Matching compares normalised forms: letters without accents, upper case, inner whitespace
 * collapsed to one space, surrounding whitespace and punctuation ("STOP.", "¡Baja!", "«sair»")
 * dropped, invisible format characters (zero-width spaces) removed. Emoji are not punctuation:
 * "STOP 🙏" is not the keyword, because the same rule would make "🛑" or "👍" keywords.
 *
 * Each keyword means one consent change: opt out or in, of `all` (every message we start) or of
 * `marketing` only. The defaults cover Spanish, Portuguese and English; an account replaces or
 * extends them (consent-settings.ts).
 */
import type { ConsentChange, ConsentScope } from './consent';

/** A keyword with the change it asks for. */
export interface KeywordMeaning {
  /** The keyword as configured (what the ledger's evidence names), e.g. "CANCELAR SUSCRIPCIÓN". */
  keyword: string;
  scope: ConsentScope;
  state: ConsentChange;
}

export type KeywordLists = Record<'opt_out' | 'opt_in', Record<ConsentScope, readonly string[]>>;

/** Longest keyword, once normalised; a longer message is never a keyword, whatever it says. */
export const MAX_KEYWORD_LENGTH = 64;

// biome-ignore format: word lists
export const DEFAULT_KEYWORDS: KeywordLists = {
  opt_out: {
    all: [
      // en
      'STOP', 'STOPALL', 'STOP ALL', 'UNSUBSCRIBE', 'OPT OUT', 'OPTOUT', 'OPT-OUT', 'END', 'QUIT',
      // es
      'BAJA', 'DAR DE BAJA', 'DARME DE BAJA', 'PARAR', 'CANCELAR', 'CANCELAR SUSCRIPCIÓN', 'DESUSCRIBIR',
      'DESUSCRIBIRME', 'NO MÁS MENSAJES',
      // pt
      'SAIR', 'PARE', 'CANCELAR INSCRIÇÃO', 'DESCADASTRAR', 'DESINSCREVER', 'NÃO QUERO MAIS MENSAGENS',
    ],
    marketing: [
      'STOP PROMOS', 'STOP PROMOTIONS', 'NO PROMOS',
      'NO QUIERO PROMOCIONES', 'BAJA PROMOCIONES', 'STOP PROMOCIONES',
      'NÃO QUERO PROMOÇÕES', 'SAIR PROMOÇÕES',
    ],
  },
  opt_in: {
    all: [
      'START', 'UNSTOP', 'SUBSCRIBE', 'OPT IN', 'OPTIN', 'OPT-IN',
      'ALTA', 'SUSCRIBIR', 'SUSCRIBIRME', 'VOLVER', 'INICIAR',
      'VOLTAR', 'INSCREVER', 'RETOMAR',
    ],
    marketing: ['START PROMOS', 'QUIERO PROMOCIONES', 'QUERO PROMOÇÕES'],
  },
};

/** Surrounding punctuation and whitespace (Unicode classes: ¡¿«» and fullwidth marks included). */
const EDGES = /^[\p{P}\p{Z}\s]+|[\p{P}\p{Z}\s]+$/gu;
const INNER_SPACE = /[\p{Z}\s]+/gu;
/** Combining marks left by NFD (accents) and invisible format characters (ZWSP, ZWJ, BOM). */
const MARKS = /[\p{M}\p{Cf}]/gu;

/**
 * The comparable form of a message or keyword: "  ¡Cancelar suscripción!  " → "CANCELAR SUSCRIPCION".
 * Returns "" for text that holds nothing but punctuation and whitespace.
 */
export function normalizeKeyword(text: string): string {
  return text.normalize('NFD').replace(MARKS, '').replace(EDGES, '').replace(INNER_SPACE, ' ').toUpperCase();
}

/** Finds the keyword a whole message is, if any. Built once per account's settings. */
export class KeywordMatcher {
  private readonly byForm = new Map<string, KeywordMeaning>();

  /**
   * Later lists do not override earlier ones: settings validation refuses a keyword that means
   * two things, so order only matters for the defaults, where opt-out is listed first.
   */
  constructor(lists: KeywordLists) {
    for (const state of ['opt_out', 'opt_in'] as const) {
      for (const scope of ['all', 'marketing'] as const) {
        for (const keyword of lists[state][scope]) {
          const form = normalizeKeyword(keyword);
          if (form === '' || this.byForm.has(form)) continue;
          this.byForm.set(form, {
            keyword,
            scope,
            state: state === 'opt_out' ? 'opted_out' : 'opted_in',
          });
        }
      }
    }
  }

  /** What the message asks for, when the whole message is a keyword. */
  match(message: string): KeywordMeaning | undefined {
    // A message far longer than any keyword is conversation: no need to normalise it.
    if (message.length > MAX_KEYWORD_LENGTH * 4) return undefined;
    const form = normalizeKeyword(message);
    if (form.length === 0 || form.length > MAX_KEYWORD_LENGTH) return undefined;
    return this.byForm.get(form);
  }
}

/** The default matcher (accounts without settings). */
export const DEFAULT_MATCHER = new KeywordMatcher(DEFAULT_KEYWORDS);
