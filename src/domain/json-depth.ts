/**
 * How deeply JSON text nests, found without parsing it and without recursion, so a body of
 * 100,000 opening brackets costs one pass over its bytes instead of a stack overflow or a long
 * pause later (validators, serialisers and our own walkers recurse).
 */

/**
 * The offset of the first `[` or `{` that opens level `maxDepth + 1`, or -1 when the text
 * never nests deeper than `maxDepth`. Brackets inside strings do not count. Malformed text is
 * scanned as far as it goes; JSON.parse reports the syntax error afterwards.
 */
export function jsonDepthExceeded(text: string, maxDepth: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}

/** How deeply a parsed value nests (objects and arrays), iteratively; stops counting past `cap`. */
export function valueDepth(value: unknown, cap = Number.POSITIVE_INFINITY): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    if (max > cap) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
    }
  }
  return max;
}
