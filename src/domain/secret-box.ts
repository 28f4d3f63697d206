/**
 * Secrets at rest (Meta access tokens, app secrets, verify tokens): AES-256-GCM with a fresh
 * 12-byte IV per value, stored as `v1:<key id>:<base64 of iv | ciphertext | tag>`. The key id
 * says which key sealed a value, so values sealed before a rotation still open with a previous
 * key, and a rotation can find the values that still need re-sealing. The column a value
 * belongs to is bound in as associated data: a ciphertext copied into another column does not
 * open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { RecontactError } from './errors';

export const SECRET_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^v1:([A-Za-z0-9_-]{8}):([A-Za-z0-9+/]+={0,2})$/;
/** Values written before encryption existed; migration 0005 marks them so none is mistaken for a sealed one. */
export const PLAIN_PREFIX = 'plain:';

export const KEY_FORMAT_HINT =
  'Use 32 random bytes written as base64 (44 characters) or hex (64 characters), e.g. the output of `openssl rand -base64 32`.';

/** Reads a key written as base64 (standard or URL-safe) or hex; says what is wrong instead of throwing. */
export function parseSecretKey(text: string): { key: Buffer } | { error: string } {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return { key: Buffer.from(t, 'hex') };
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) {
    const key = Buffer.from(t, 'base64');
    const canonical = t.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    if (key.toString('base64').replace(/=+$/, '') !== canonical) {
      return { error: 'is not valid base64 (it has trailing bits)' };
    }
    if (key.length !== SECRET_KEY_BYTES) {
      return {
        error: `must be ${SECRET_KEY_BYTES} bytes; these ${t.length} characters decode to ${key.length} bytes as base64`,
      };
    }
    return { key };
  }
  return {
    error: `must be ${SECRET_KEY_BYTES} bytes written as base64 or hex; it contains other characters`,
  };
}

/** A short public name for a key, so a sealed value says which key opens it without revealing the key. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('recontact secret key id\0').update(key).digest('base64url').slice(0, 8);
}

export class SecretBox {
  readonly currentKeyId: string;
  private readonly keys = new Map<string, Buffer>();

  /** `previous`: older keys that may still have sealed some values (RECONTACT_SECRET_KEY_PREVIOUS). */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    for (const k of [current, ...previous]) {
      if (k.length !== SECRET_KEY_BYTES) {
        throw new RecontactError('SECRET_KEY_INVALID', `A secret key must be ${SECRET_KEY_BYTES} bytes`, {
          hint: KEY_FORMAT_HINT,
        });
      }
    }
    this.currentKeyId = keyId(current);
    this.keys.set(this.currentKeyId, current);
    for (const k of previous) if (!this.keys.has(keyId(k))) this.keys.set(keyId(k), k);
  }

  /** `column` names where the value lives (e.g. "channel_accounts.access_token"); opening needs the same. */
  seal(plain: string, column: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, iv);
    cipher.setAAD(Buffer.from(column));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
    return `v1:${this.currentKeyId}:${packed}`;
  }

  /**
   * The plain value. `where` names the value in errors (column and row), never the value itself.
   * A value from before encryption (`plain:` prefix) is returned as it is; it is sealed at start.
   */
  open(stored: string, column: string, where: string): string {
    if (stored.startsWith(PLAIN_PREFIX)) return stored.slice(PLAIN_PREFIX.length);
    const m = SEALED.exec(stored);
    if (!m) {
      throw new RecontactError(
        'SECRET_KEY_INVALID',
        `${where} is not an encrypted value Recontact can read`,
        {
          details: [{ path: where, message: 'expected v1:<key id>:<base64>' }],
          hint: 'The row was changed outside Recontact; write the credential again through the WHATSAPP_* variables.',
        },
      );
    }
    const id = m[1]!;
    const key = this.keys.get(id);
    if (!key) {
      throw new RecontactError(
        'SECRET_KEY_INVALID',
        `${where} was encrypted with key ${id}, which is neither RECONTACT_SECRET_KEY (key ${this.currentKeyId}) nor in RECONTACT_SECRET_KEY_PREVIOUS`,
        {
          details: [
            { path: 'RECONTACT_SECRET_KEY', message: `key ${this.currentKeyId} cannot read ${where}` },
          ],
          hint: 'Start with the key this database was written with (RECONTACT_SECRET_KEY, or the .key file beside a SQLite database); after a rotation, list the old key in RECONTACT_SECRET_KEY_PREVIOUS until `recontact secrets rotate` has run.',
        },
      );
    }
    const packed = Buffer.from(m[2]!, 'base64');
    if (packed.length < IV_BYTES + TAG_BYTES) {
      throw new RecontactError('SECRET_KEY_INVALID', `${where} is truncated`, {
        hint: 'The row was changed outside Recontact; write the credential again through the WHATSAPP_* variables.',
      });
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, packed.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(column));
      decipher.setAuthTag(packed.subarray(packed.length - TAG_BYTES));
      const body = packed.subarray(IV_BYTES, packed.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch (err) {
      throw new RecontactError(
        'SECRET_KEY_INVALID',
        `${where} does not decrypt with key ${id}: it was altered`,
        {
          hint: 'The row was changed outside Recontact, or copied from another column; write the credential again through the WHATSAPP_* variables.',
          cause: err,
        },
      );
    }
  }

  /** Whether a stored value is already sealed with the current key (nothing for a rotation to do). */
  isCurrent(stored: string): boolean {
    return SEALED.exec(stored)?.[1] === this.currentKeyId;
  }
}
