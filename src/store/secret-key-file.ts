/**
 * Where the key that encrypts stored credentials comes from: RECONTACT_SECRET_KEY, or, for a
 * SQLite database without it, a key generated on the first start and kept in a file beside the
 * database (data/recontact.db → data/recontact.key, mode 0600), so `npm start` needs no set-up.
 * PostgreSQL serves many machines that cannot share a local file, so there the key is required.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { RecontactError } from '../domain/errors';
import { KEY_FORMAT_HINT, parseSecretKey, SECRET_KEY_BYTES, SecretBox } from '../domain/secret-box';
import type { Store } from './database';

/** Only the warning is needed: pino's logger, or a CLI's stderr. */
export interface WarnLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface SecretKeys {
  key: Buffer | undefined;
  previous: readonly Buffer[];
}

/** data/recontact.db → data/recontact.key */
export function keyFileFor(sqlitePath: string): string {
  return join(dirname(sqlitePath), `${basename(sqlitePath, extname(sqlitePath))}.key`);
}

export function openSecretBox(
  keys: SecretKeys,
  store: Pick<Store, 'dialect' | 'location'>,
  log: WarnLog,
): SecretBox {
  if (keys.key) return new SecretBox(keys.key, keys.previous);
  if (store.dialect === 'postgres') {
    throw new RecontactError('CONFIG_INVALID', 'RECONTACT_SECRET_KEY is required with PostgreSQL', {
      details: [
        { path: 'RECONTACT_SECRET_KEY', message: 'encrypts the Meta credentials stored in the database' },
      ],
      hint: `${KEY_FORMAT_HINT} Give every process sharing the database the same key.`,
    });
  }
  // Nothing outlives an in-memory database, so neither need its key.
  if (store.location === ':memory:') return new SecretBox(randomBytes(SECRET_KEY_BYTES), keys.previous);
  return new SecretBox(readOrCreateKeyFile(keyFileFor(store.location), log), keys.previous);
}

function readOrCreateKeyFile(path: string, log: WarnLog): Buffer {
  const fresh = randomBytes(SECRET_KEY_BYTES);
  // Written whole under a temporary name, then linked into place: link fails when the file
  // exists, so of two processes starting on a new database together one creates it and the
  // other reads it, and neither can read a half-written key.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${fresh.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
    log.warn(
      { key_file: path },
      `RECONTACT_SECRET_KEY is not set: generated a key and stored it in ${path} (mode 0600). It encrypts the Meta credentials in the database: back it up with the database, or set RECONTACT_SECRET_KEY instead.`,
    );
    return fresh;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  const parsed = parseSecretKey(readFileSync(path, 'utf8'));
  if ('error' in parsed) {
    throw new RecontactError('SECRET_KEY_INVALID', `The key file ${path} is damaged: it ${parsed.error}`, {
      details: [{ path, message: parsed.error }],
      hint: `Restore it from a backup, or set RECONTACT_SECRET_KEY to the key this database was written with. ${KEY_FORMAT_HINT}`,
    });
  }
  if ((statSync(path).mode & 0o077) !== 0) {
    log.warn({ key_file: path }, `${path} can be read by other users of this machine: run chmod 600 ${path}`);
  }
  return parsed.key;
}
