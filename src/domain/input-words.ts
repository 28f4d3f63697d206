/**
 * The words every input check uses to describe what it was given: "must be a string, not an
 * array", "\"Buenos Aires/…\" is not a time zone". One copy, so messages read alike across the
 * contact book, audiences, campaigns and the rate card.
 */

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** "null", "an array", "an object", "a number", … for "must be X, not Y". */
export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A text cut to `max` characters for quoting in a message, with "…" when cut. */
export function cut(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
