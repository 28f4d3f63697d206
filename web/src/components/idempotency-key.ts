/**
 * A fresh Idempotency-Key per message typed: a double click, or a retry after a lost answer,
 * then sends it once. crypto.randomUUID needs a secure context, which an operator reaching
 * Recontact over plain http on the LAN does not have; getRandomValues works everywhere.
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `web-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
