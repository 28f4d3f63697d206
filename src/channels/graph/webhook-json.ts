/**
 * What both channels' webhook parsers share (Meta posts WhatsApp and Messenger webhooks in the same
 * envelope, `{object, entry: [...]}`): reading the raw body into JSON without losing large ids or
 * keeping characters no database stores, and the field readers whose errors name the exact path
 * (RecontactError WEBHOOK_PAYLOAD_INVALID).
 */
import { RecontactError } from '../../domain/errors';
import { jsonMayHoldUnstorable, makeStorable } from '../../domain/storable-text';

export type Obj = Record<string, unknown>;

export function invalid(path: string, problem: string): RecontactError {
  const message = path === '' ? problem : `${path} ${problem}`;
  return new RecontactError('WEBHOOK_PAYLOAD_INVALID', message, {
    details: [{ path: path === '' ? '(body)' : path, message: problem }],
  });
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  return Array.isArray(v) ? 'array' : typeof v;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function obj(v: unknown, path: string): Obj {
  if (isObj(v)) return v;
  throw v === undefined
    ? invalid(path, 'is missing')
    : invalid(path, `must be an object, got ${typeName(v)}`);
}

export function arr(v: unknown, path: string): unknown[] {
  if (Array.isArray(v)) return v;
  throw v === undefined ? invalid(path, 'is missing') : invalid(path, `must be an array, got ${typeName(v)}`);
}

export function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v === 'string') return v;
  throw v === undefined
    ? invalid(`${path}.${key}`, 'is missing')
    : invalid(`${path}.${key}`, `must be a string, got ${typeName(v)}`);
}

export function optStr(o: Obj, key: string, path: string): string | undefined {
  const v = o[key];
  if (v === undefined || typeof v === 'string') return v;
  throw invalid(`${path}.${key}`, `must be a string, got ${typeName(v)}`);
}

/**
 * A verified body as a JSON object whose `object` is `expected`. Large integers keep their digits
 * (protectLargeIntegers); NUL and lone surrogates become U+FFFD, so an acknowledged body is
 * storable on every database (PostgreSQL text refuses NUL).
 */
export function parseWebhookRoot(rawBody: Buffer, expected: string): Obj {
  if (rawBody.length === 0) throw invalid('', 'body is empty');
  const text = rawBody.toString('utf8');
  let root: unknown;
  try {
    root = JSON.parse(protectLargeIntegers(text));
  } catch (e) {
    throw invalid('', `body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (jsonMayHoldUnstorable(text)) makeStorable(root);
  if (!isObj(root)) throw invalid('', `body must be a JSON object, got ${typeName(root)}`);
  if (root.object !== expected) {
    throw root.object === undefined
      ? invalid('object', 'is missing')
      : invalid('object', `is ${JSON.stringify(root.object)}, expected "${expected}"`);
  }
  return root;
}

/** An integer literal of ≥ 16 digits right after `:`, `[` or `,` (possibly inside a string: pre-check only). */
const MAYBE_LARGE_INTEGER = /[:[,]\s*-?[1-9]\d{15}/;

const MAX_SAFE = String(Number.MAX_SAFE_INTEGER);

/** Whether the digit run text[start, end) (no leading zero) is above Number.MAX_SAFE_INTEGER. */
function unsafeDigits(text: string, start: number, end: number): boolean {
  const len = end - start;
  if (len !== MAX_SAFE.length) return len > MAX_SAFE.length;
  return text.slice(start, end) > MAX_SAFE;
}

/**
 * Wraps every JSON integer literal (outside strings) whose magnitude is above
 * Number.MAX_SAFE_INTEGER in double quotes, so that JSON.parse keeps its exact digits; every other
 * value parses exactly as with JSON.parse.
 * Exported for tests.
 */
export function protectLargeIntegers(text: string): string {
  if (!MAYBE_LARGE_INTEGER.test(text)) return text;
  let out = '';
  let copied = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      // Skip the string literal, honouring backslash escapes.
      i++;
      while (i < n) {
        const c = text.charCodeAt(i);
        if (c === 92 /* \ */) i += 2;
        else if (c === 34) break;
        else i++;
      }
      i++;
      continue;
    }
    if (ch === 45 /* - */ || (ch >= 48 && ch <= 57)) {
      const start = i;
      if (ch === 45) i++;
      const digitsStart = i;
      while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
      const digits = i - digitsStart;
      const next = i < n ? text.charCodeAt(i) : -1;
      const isInteger = next !== 46 /* . */ && next !== 101 /* e */ && next !== 69; /* E */
      // A leading zero is invalid JSON; leave it for JSON.parse to reject.
      if (
        isInteger &&
        digits >= 16 &&
        text.charCodeAt(digitsStart) !== 48 &&
        unsafeDigits(text, digitsStart, i)
      ) {
        out += `${text.slice(copied, start)}"${text.slice(start, i)}"`;
        copied = i;
      }
      // Skip the rest of a non-integer literal (fraction, exponent).
      while (i < n) {
        const c = text.charCodeAt(i);
        if ((c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45) i++;
        else break;
      }
      continue;
    }
    i++;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
