/**
 * Request ids: one per request, in the X-Request-Id header, in every log line about the request
 * and in a 5xx answer, so an operator can find the log of a failure a user reports. A random
 * per-process prefix and a counter: unique across processes, no random bytes per request.
 * Ids sent by clients are ignored: they would be unverified text in our logs.
 */
import { randomBytes } from 'node:crypto';

export function requestIdGenerator(): () => string {
  const prefix = `req_${randomBytes(5).toString('hex')}`;
  let n = 0;
  return () => `${prefix}${(++n).toString(36).padStart(6, '0')}`;
}
