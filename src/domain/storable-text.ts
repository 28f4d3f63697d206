/**
 * Text from outside that we must store, whatever it holds. PostgreSQL `text` refuses NUL
 * (U+0000) outright, and a lone UTF-16 surrogate (JSON allows the escape "\ud83d" alone) has no
 * UTF-8 form, so drivers write it as U+FFFD on one database and not necessarily on another.
 * Both become U+FFFD (the replacement character) here, once, so every database stores the same
 * text and nothing Meta sent can make an acknowledged webhook unstorable.
 */

/** NUL, a high surrogate not followed by a low one, a low surrogate not preceded by a high one. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly the character replaced
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export const REPLACEMENT_CHARACTER = '\uFFFD';

/** `s` with every NUL and lone surrogate replaced by U+FFFD (the same string when there is none). */
export function storableText(s: string): string {
  UNSTORABLE.lastIndex = 0;
  return UNSTORABLE.test(s) ? s.replace(UNSTORABLE, REPLACEMENT_CHARACTER) : s;
}

/**
 * Whether JSON text may hold an unstorable character once parsed: only the escapes \u0000 and
 * \uD800–\uDFFF can produce one (raw NUL is invalid JSON; UTF-8 decoding never yields a lone
 * surrogate). A cheap pre-check so that ordinary bodies skip the walk below.
 */
export function jsonMayHoldUnstorable(text: string): boolean {
  return /\\u(?:0000|[dD][89a-fA-F])/.test(text);
}

/**
 * Replaces, in place, every string in a parsed JSON value (object keys are left alone: nothing
 * stores them) by its storableText. Iterative: a body may nest as deep as JSON.parse allows.
 * Returns the value (a new string when the value itself is a string).
 */
export function makeStorable<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    const o = v as Record<string, unknown>;
    for (const k of Array.isArray(v) ? v.keys() : Object.keys(o)) {
      const c = o[k];
      if (typeof c === 'string') {
        const fixed = storableText(c);
        if (fixed !== c) o[k] = fixed;
      } else if (typeof c === 'object' && c !== null) stack.push(c);
    }
  }
  return value;
}
