/**
 * X-Hub-Signature-256 check. Meta signs the body exactly as it transmits it (non-ASCII written
 * as lowercase \uXXXX escapes), so the HMAC must run over the raw request bytes: a body that
 * was parsed and re-serialised no longer matches.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256=';
/** "sha256=" + 64 hex digits. */
const HEADER_LENGTH = PREFIX.length + 64;
const HEX64 = /^[0-9a-fA-F]{64}$/;

/** Hex HMAC-SHA256 of the body, as Meta puts it after "sha256=" (the sandbox signs with this). */
export function computeSignature(appSecret: string, rawBody: Buffer): string {
  return createHmac('sha256', appSecret).update(rawBody).digest('hex');
}

/**
 * True only when `signatureHeader` is "sha256=<hex>" and the hex is HMAC-SHA256(appSecret, rawBody).
 * Missing or malformed headers and an empty app secret give false; the comparison is constant-time.
 */
export function verifySignature(
  appSecret: string,
  rawBody: Buffer,
  signatureHeader: string | undefined,
): boolean {
  if (typeof signatureHeader !== 'string' || signatureHeader.length !== HEADER_LENGTH) return false;
  if (!signatureHeader.startsWith(PREFIX) || appSecret === '') return false;
  const hex = signatureHeader.slice(PREFIX.length);
  if (!HEX64.test(hex)) return false;
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}
