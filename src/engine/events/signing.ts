/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the bot verifies
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` where the key is
 * the base64 part of the endpoint's `whsec_…` secret. Any Standard Webhooks library verifies it.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export function newEndpointSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The receiving side, for bots written in TypeScript (and our own demo and tests): checks the
 * signature over the raw body in constant time. The header may carry several space-separated
 * signatures (secret rotation); any one matching is enough.
 */
export function verifyEvent(
  secret: string,
  headers: Record<string, string | string[] | undefined>,
  rawBody: string,
): boolean {
  const id = headers['webhook-id'];
  const ts = headers['webhook-timestamp'];
  const sig = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof ts !== 'string' || typeof sig !== 'string') return false;
  const expected = Buffer.from(signPayload(secret, id, Number(ts), rawBody));
  return sig.split(' ').some((candidate) => {
    const got = Buffer.from(candidate);
    return got.length === expected.length && timingSafeEqual(got, expected);
  });
}
