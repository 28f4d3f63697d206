import { describe, expect, it } from 'vitest';
import { RecontactError } from '../errors';
import { checkPasswordRules } from './password-rules';
import { dueForTouch, SESSION_POLICY, sessionEndsAt, sessionState } from './session-policy';
import { checkDisplayName, normalizeUsername } from './usernames';

const HOUR = 3_600_000;

const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof RecontactError) return e;
    throw e;
  }
  throw new Error('not refused');
};

describe('usernames', () => {
  it('folds case and trims', () => {
    expect(normalizeUsername('  Ana.Perez@Clinic.example ')).toBe('ana.perez@clinic.example');
  });

  it.each([
    ['', 'must not be empty'],
    ['-ana', 'must start with a letter or a digit'],
    ['ana perez', 'may hold only'],
    ['añá', 'may hold only'],
    ['a'.repeat(65), 'at most 64 characters (got 65)'],
  ])('refuses %j', (raw, message) => {
    const e = refusal(() => normalizeUsername(raw));
    expect(e.code).toBe('INPUT_INVALID');
    expect(e.details[0]).toMatchObject({ path: 'body.username' });
    expect(e.details[0]!.message).toContain(message);
  });

  it('keeps display names as given, trimmed, up to 100 characters', () => {
    expect(checkDisplayName(' Ana Pérez ')).toBe('Ana Pérez');
    expect(refusal(() => checkDisplayName('x'.repeat(101))).details[0]!.path).toBe('body.name');
  });
});

describe('password rules', () => {
  it('counts characters, not bytes', () => {
    expect(() => checkPasswordRules('ñññññññññññ')).toThrow('at least 12 characters (got 11)');
    checkPasswordRules('ññññññññññññ');
  });

  it('refuses too long and NUL, naming the field given', () => {
    expect(refusal(() => checkPasswordRules('x'.repeat(1_025), 'body.new')).details[0]).toEqual({
      path: 'body.new',
      message: 'must be at most 1024 characters (got 1025)',
    });
    expect(refusal(() => checkPasswordRules('twelve chars\0')).details[0]!.message).toBe(
      'must not contain the NUL character',
    );
  });
});

describe('session policy', () => {
  const t0 = 1_000_000;
  const fresh = { last_seen_at: t0, expires_at: t0 + SESSION_POLICY.lifetimeMs, revoked_at: null };

  it('ends after the idle timeout, or at the absolute end, or when revoked', () => {
    expect(sessionState(fresh, t0 + 12 * HOUR - 1)).toBe('active');
    expect(sessionState(fresh, t0 + 12 * HOUR)).toBe('idle');
    const busy = { ...fresh, last_seen_at: t0 + 7 * 24 * HOUR - 1 };
    expect(sessionState(busy, t0 + 7 * 24 * HOUR)).toBe('expired');
    expect(sessionState({ ...fresh, revoked_at: t0 + 1 }, t0 + 2)).toBe('revoked');
    expect(sessionEndsAt(fresh)).toBe(t0 + 12 * HOUR);
    expect(sessionEndsAt(busy)).toBe(t0 + 7 * 24 * HOUR);
  });

  it('records use at most once a minute', () => {
    expect(dueForTouch(fresh, t0 + 59_999)).toBe(false);
    expect(dueForTouch(fresh, t0 + 60_000)).toBe(true);
  });
});
