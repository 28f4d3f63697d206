/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the bot verifies
 * `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>` where the key is
 * the base64 part of the endpoint's `whsec_…` secret. Any Standard Webhooks library verifies it.
 */
import { createHmac, randomBytes } from 'node:crypto';

export function newEndpointSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export function signPayload(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}
