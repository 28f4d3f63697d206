/**
 * The process's logger. Whatever a log line carries (an error's details, an account, a request
 * body), the fields that hold credentials are censored by name, at any of the first three levels:
 * a secret that reaches a log by mistake stays out of it.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

const SECRET_KEYS = [
  'access_token',
  'accessToken',
  'page_token',
  'pageToken',
  'app_secret',
  'appSecret',
  'verify_token',
  'verifyToken',
  'authorization',
  'x-api-key',
  'x-hub-signature-256',
  'secret',
];

/** Paths in pino's syntax: the key at the top, one level down, two levels down. */
export const REDACTED_PATHS = SECRET_KEYS.flatMap((k) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
  const child = key.startsWith('[') ? key : `.${key}`;
  return [key, `*${child}`, `*.*${child}`];
});

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
