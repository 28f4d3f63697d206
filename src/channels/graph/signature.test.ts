import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeSignature, verifySignature } from './signature';

const SECRET = 'app-secret-0123456789abcdef';
const sign = (body: Buffer, secret = SECRET) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

// As Meta transmits it: non-ASCII escaped as lowercase \uXXXX ("¿", "ñ", and 🙏 as a surrogate pair).
const ESCAPED =
  '{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":' +
  '{"messages":[{"text":{"body":"\\u00bfMa\\u00f1ana? \\ud83d\\ude4f"}}]}}]}]}';

describe('verifySignature', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  it('accepts a valid signature (lower- or upper-case hex)', () => {
    expect(verifySignature(SECRET, body, sign(body))).toBe(true);
    expect(verifySignature(SECRET, body, `sha256=${computeSignature(SECRET, body).toUpperCase()}`)).toBe(
      true,
    );
  });

  it('rejects a body with one byte changed', () => {
    const header = sign(body);
    const tampered = Buffer.from(body);
    tampered[10] = (tampered[10]! + 1) & 0xff;
    expect(verifySignature(SECRET, tampered, header)).toBe(false);
  });

  it('rejects the wrong secret and an empty secret', () => {
    expect(verifySignature('another-secret', body, sign(body))).toBe(false);
    expect(verifySignature('', body, sign(body, ''))).toBe(false);
  });

  it('rejects missing and malformed headers', () => {
    const hex = computeSignature(SECRET, body);
    for (const header of [
      undefined,
      '',
      hex,
      `sha1=${hex}`,
      `SHA256=${hex}`,
      `sha256=${hex.slice(0, 63)}`,
      `sha256=${hex}0`,
      `sha256=${hex.slice(0, 63)}g`,
      ` sha256=${hex}`,
      `sha256=${'z'.repeat(64)}`,
    ]) {
      expect(verifySignature(SECRET, body, header), String(header)).toBe(false);
    }
  });

  it('verifies \\u-escaped unicode over the raw bytes, and fails on the re-serialised JSON', () => {
    const raw = Buffer.from(ESCAPED, 'utf8');
    expect(raw.every((b) => b < 0x80)).toBe(true);
    const header = sign(raw);
    expect(verifySignature(SECRET, raw, header)).toBe(true);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(ESCAPED)), 'utf8');
    expect(reserialised.toString()).toContain('¿Mañana? 🙏');
    expect(verifySignature(SECRET, reserialised, header)).toBe(false);
  });
});
