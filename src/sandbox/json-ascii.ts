/**
 * JSON the way Meta puts webhook bodies on the wire: ASCII only. Every UTF-16 code unit above
 * 0x7E is written as \uXXXX with lowercase hex, so an astral character (an emoji) becomes its
 * surrogate pair. The X-Hub-Signature-256 HMAC is computed over exactly these bytes, which is
 * why a receiver must verify the raw body and never a re-serialisation of the parsed object.
 */

const NON_ASCII = /[\u007f-\uffff]/g;
const HAS_NON_ASCII = /[\u007f-\uffff]/;

function escapeUnit(ch: string): string {
  return '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
}

/** Escapes every code unit above 0x7E of an already serialised JSON text. */
export function asciiEscape(json: string): string {
  return HAS_NON_ASCII.test(json) ? json.replace(NON_ASCII, escapeUnit) : json;
}

/** JSON.stringify, then ASCII-only (lone surrogates are already escaped by JSON.stringify). */
export function toAsciiJson(value: unknown): string {
  return asciiEscape(JSON.stringify(value));
}
