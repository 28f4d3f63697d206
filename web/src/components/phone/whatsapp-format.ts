/**
 * WhatsApp's text formatting, as its apps draw it: *bold*, _italic_, ~strikethrough~ and
 * ```monospace```. Pure, so the preview can run it on every keystroke and a test can pin it.
 *
 * The rules the apps follow (and people rely on): a marker opens only at the start of the text
 * or after a space or punctuation, and only before a non-space; it closes only after a non-space
 * and before the end, a space or punctuation; a span never crosses a line break; markers nest
 * (*_both_*); monospace is literal, nothing inside it is formatted. A marker with no partner is
 * plain text, so "2 * 3 * 4" stays as written.
 */

export interface FormatSpan {
  text: string;
  bold?: true;
  italic?: true;
  strike?: true;
  mono?: true;
}

type Style = Omit<FormatSpan, 'text'>;

const MARKERS: Record<string, keyof Style> = { '*': 'bold', _: 'italic', '~': 'strike' };
const MONO = '```';

/** Letters, digits and marks: a marker next to one of these is part of a word, not a marker. */
const WORDLIKE = /[\p{L}\p{N}\p{M}]/u;

const isSpace = (c: string | undefined) => c !== undefined && /\s/u.test(c);
/** A marker may open after this character (undefined: the start of the text). */
const opensAfter = (c: string | undefined) => c === undefined || !WORDLIKE.test(c);
/** A marker may close before this character (undefined: the end of the text). */
const closesBefore = (c: string | undefined) => c === undefined || !WORDLIKE.test(c);

/** Where the partner of the marker at `open` is, or -1. */
function findClose(text: string, open: number, marker: string): number {
  for (let j = open + 2; j < text.length; j++) {
    const c = text[j];
    if (c === '\n') return -1;
    if (c !== marker) continue;
    if (!isSpace(text[j - 1]) && closesBefore(text[j + 1])) return j;
  }
  return -1;
}

function push(out: FormatSpan[], text: string, style: Style): void {
  if (text === '') return;
  const last = out[out.length - 1];
  const same =
    last &&
    last.bold === style.bold &&
    last.italic === style.italic &&
    last.strike === style.strike &&
    last.mono === style.mono;
  if (same) last.text += text;
  else out.push({ ...style, text });
}

function parse(text: string, style: Style, out: FormatSpan[]): void {
  let plain = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (text.startsWith(MONO, i)) {
      const end = text.indexOf(MONO, i + MONO.length);
      if (end > i + MONO.length) {
        push(out, plain, style);
        plain = '';
        push(out, text.slice(i + MONO.length, end), { ...style, mono: true });
        i = end + MONO.length;
        continue;
      }
    }
    const kind = MARKERS[c];
    if (
      kind &&
      !style[kind] &&
      opensAfter(text[i - 1]) &&
      text[i + 1] !== undefined &&
      !isSpace(text[i + 1])
    ) {
      const close = findClose(text, i, c);
      if (close > 0) {
        push(out, plain, style);
        plain = '';
        parse(text.slice(i + 1, close), { ...style, [kind]: true }, out);
        i = close + 1;
        continue;
      }
    }
    plain += c;
    i++;
  }
  push(out, plain, style);
}

/** The text as styled spans, in order; concatenating their texts gives the text without its markers. */
export function formatWhatsApp(text: string): FormatSpan[] {
  const out: FormatSpan[] = [];
  parse(text, {}, out);
  return out;
}
