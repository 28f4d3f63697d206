import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecontactError } from './errors';
import { keyId, parseSecretKey, SecretBox } from './secret-box';

const COLUMN = 'channel_accounts.access_token';
const WHERE = 'channel_accounts.access_token of account acc_1';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    return err instanceof RecontactError ? err.code : String(err);
  }
  return undefined;
}

describe('SecretBox', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);

  it('seals as v1:<key id>:<base64> with a fresh IV each time, and opens again', () => {
    const box = new SecretBox(a);
    const one = box.seal('EAAG-secret-token', COLUMN);
    const two = box.seal('EAAG-secret-token', COLUMN);
    expect(one).toMatch(new RegExp(`^v1:${keyId(a)}:[A-Za-z0-9+/]+=*$`));
    expect(one).not.toBe(two);
    expect(one).not.toContain('EAAG');
    expect(box.open(one, COLUMN, WHERE)).toBe('EAAG-secret-token');
    expect(box.open(box.seal('', COLUMN), COLUMN, WHERE)).toBe('');
    expect(box.open(box.seal('ñandú ✓', COLUMN), COLUMN, WHERE)).toBe('ñandú ✓');
  });

  it('opens values of a previous key and tells which values are not under the current one', () => {
    const old = new SecretBox(a).seal('token', COLUMN);
    const rotated = new SecretBox(b, [a]);
    expect(rotated.open(old, COLUMN, WHERE)).toBe('token');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.isCurrent(rotated.seal('token', COLUMN))).toBe(true);
    expect(rotated.isCurrent('plain:token')).toBe(false);
  });

  it('refuses a value sealed with an unknown key, naming both key ids and the value, never the value', () => {
    const sealed = new SecretBox(a).seal('token', COLUMN);
    let err: RecontactError | undefined;
    try {
      new SecretBox(b).open(sealed, COLUMN, WHERE);
    } catch (e) {
      err = e as RecontactError;
    }
    expect(err?.code).toBe('SECRET_KEY_INVALID');
    expect(err?.message).toContain(WHERE);
    expect(err?.message).toContain(keyId(a));
    expect(err?.message).toContain(keyId(b));
    expect(err?.hint).toContain('RECONTACT_SECRET_KEY_PREVIOUS');
  });

  it('refuses an altered value, a value moved to another column, and a value of unknown shape', () => {
    const box = new SecretBox(a);
    const sealed = box.seal('token', COLUMN);
    const packed = Buffer.from(sealed.split(':')[2]!, 'base64');
    packed[14] = (packed[14] ?? 0) ^ 1;
    const altered = `v1:${keyId(a)}:${packed.toString('base64')}`;
    expect(codeOf(() => box.open(altered, COLUMN, WHERE))).toBe('SECRET_KEY_INVALID');
    expect(codeOf(() => box.open(sealed, 'channel_accounts.app_secret', WHERE))).toBe('SECRET_KEY_INVALID');
    expect(codeOf(() => box.open('EAAG-raw-token', COLUMN, WHERE))).toBe('SECRET_KEY_INVALID');
    expect(codeOf(() => box.open(`v1:${keyId(a)}:AAAA`, COLUMN, WHERE))).toBe('SECRET_KEY_INVALID');
  });

  it('reads values written before encryption, marked plain: by the migration', () => {
    expect(new SecretBox(a).open('plain:EAAG-old', COLUMN, WHERE)).toBe('EAAG-old');
  });
});

describe('parseSecretKey', () => {
  const key = randomBytes(32);

  it('accepts 32 bytes as base64, URL-safe base64 (with or without padding) and hex', () => {
    for (const text of [
      key.toString('base64'),
      key.toString('base64url'),
      `${key.toString('base64url')}=`,
      key.toString('hex'),
      key.toString('hex').toUpperCase(),
      ` ${key.toString('base64')}\n`,
    ]) {
      const r = parseSecretKey(text);
      expect('key' in r && r.key.equals(key), text).toBe(true);
    }
  });

  it('says what is wrong with a key of the wrong length or alphabet, without echoing it', () => {
    const short = parseSecretKey(randomBytes(16).toString('base64'));
    expect('error' in short && short.error).toContain('decode to 16 bytes');
    const odd = parseSecretKey('not a key!');
    expect('error' in odd && odd.error).toContain('other characters');
    expect('error' in odd && odd.error).not.toContain('not a key');
    expect('error' in parseSecretKey('')).toBe(true);
  });
});
