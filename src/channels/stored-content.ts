/**
 * A message's content is stored as the JSON text of `{"kind":K,"K":V}` (messages-repo), and the
 * WhatsApp body carries `"K":V` as it is. Reading V's text straight out of the stored JSON saves
 * a parse and a stringify per send (about a sixth of the dispatcher's allocations); anything
 * that is not exactly that shape — another key, whitespace, an escape in the key — answers
 * undefined, and the caller parses as before. JSON.stringify writes no whitespace and parse then
 * stringify of its output gives the same text, so both ways post the same bytes.
 */

const OPEN = '{"kind":"';
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;

export interface KindPayload {
  kind: string;
  /** The JSON text of the content's member named by `kind`. */
  value: string;
}

/** `{"kind":K,"K":V}` → K and V's text; undefined for any other shape. */
export function kindPayload(json: string): KindPayload | undefined {
  if (!json.startsWith(OPEN) || json.charCodeAt(json.length - 1) !== CLOSE_BRACE) return undefined;
  const kindEnd = json.indexOf('"', OPEN.length);
  if (kindEnd === -1) return undefined;
  const kind = json.slice(OPEN.length, kindEnd);
  if (!/^[a-z_]+$/.test(kind)) return undefined;
  const member = `,"${kind}":`;
  if (!json.startsWith(member, kindEnd + 1)) return undefined;
  const start = kindEnd + 1 + member.length;
  // V must end exactly where the object does: nothing after it but the closing brace.
  if (endOfValue(json, start) !== json.length - 1) return undefined;
  return { kind, value: json.slice(start, json.length - 1) };
}

/** Index just past the JSON value that starts at `i` (no whitespace inside or around), or -1. */
export function endOfValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return endOfString(s, i);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
    // A number, true, false or null: it runs to the next comma or closing bracket.
    let j = i;
    while (j < s.length) {
      const d = s.charCodeAt(j);
      if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET) break;
      j++;
    }
    return j > i ? j : -1;
  }
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === QUOTE) {
      j = endOfString(s, j) - 1;
      if (j < 0) return -1;
    } else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** Index just past the string whose opening quote is at `i`, or -1 when it never closes. */
function endOfString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === BACKSLASH) j++;
    else if (d === QUOTE) return j + 1;
  }
  return -1;
}
