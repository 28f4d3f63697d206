/** Small helpers for the linter's messages and text checks. */

export { isRecord } from '../../input-words';

/** Length in characters (code points), so an emoji counts once. */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** 1031 → "1,031". */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

/** plural(2, 'button') → "2 buttons". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${num(n)} ${n === 1 ? word : many}`;
}

/** A short description of a value of the wrong type, for messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return v.length === 0 ? 'an empty list' : `a list of ${plural(v.length, 'item')}`;
  if (typeof v === 'string') return v === '' ? 'an empty string' : `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `the ${typeof v} ${String(v)}`;
}

/** Shortens a text for quoting inside a message. */
export function quote(s: string, max = 40): string {
  const chars = [...s];
  return JSON.stringify(chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : s);
}

/** A word made of letters or digits: Unicode-aware, unlike \b. */
export function wordPattern(words: readonly string[]): RegExp {
  const alt = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+')).join('|');
  return new RegExp(`(?<![\\p{L}\\p{N}])(?:${alt})(?![\\p{L}\\p{N}])`, 'iu');
}
