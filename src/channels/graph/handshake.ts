/**
 * The GET verification handshake Meta performs when a webhook URL is subscribed:
 * ?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<number>. Answer 200 with the raw
 * challenge when the token matches; 400 when a parameter is missing; 403 otherwise.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type HandshakeResult =
  | { ok: true; challenge: string }
  | { ok: false; status: 400 | 403; reason: string };

/**
 * Reads `hub.mode`, `hub.verify_token` and `hub.challenge` either as flat keys (Fastify's default
 * query parser) or nested under `hub` (qs-style parsers).
 */
export function verifyHandshake(query: Record<string, unknown>, verifyToken: string): HandshakeResult {
  const nested = query.hub;
  const hub = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : undefined;
  const mode = query['hub.mode'] ?? hub?.mode;
  const token = query['hub.verify_token'] ?? hub?.verify_token;
  const challenge = query['hub.challenge'] ?? hub?.challenge;
  for (const [name, value] of [
    ['hub.mode', mode],
    ['hub.verify_token', token],
    ['hub.challenge', challenge],
  ] as const) {
    if (value === undefined || value === '') return { ok: false, status: 400, reason: `${name} is missing` };
    if (typeof value !== 'string')
      return { ok: false, status: 400, reason: `${name} must be a single string` };
  }
  if (mode !== 'subscribe') {
    return { ok: false, status: 403, reason: `hub.mode is ${JSON.stringify(mode)}, expected "subscribe"` };
  }
  if (verifyToken === '' || !sameSecret(token as string, verifyToken)) {
    return { ok: false, status: 403, reason: 'hub.verify_token does not match' };
  }
  return { ok: true, challenge: challenge as string };
}

/** Constant-time equality for strings of any length (compares SHA-256 digests). */
function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
