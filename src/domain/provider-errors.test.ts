import { describe, expect, it } from 'vitest';
import { classifyProviderError, type ProviderErrorClass } from './provider-errors';

const SECOND = 1000;
const HOUR = 60 * 60 * SECOND;

function classOf(code: number | null, httpStatus: number | null = 400): ProviderErrorClass {
  return classifyProviderError({ code, httpStatus }).class;
}

describe('classifyProviderError', () => {
  it.each([130429, 131056, 131000, 131016, 131057, 80007, 4])('%i is retry_later', (code) => {
    expect(classOf(code)).toBe('retry_later');
  });

  it.each([131047, 131049])('%i is retry_after_window', (code) => {
    expect(classOf(code, null)).toBe('retry_after_window');
  });

  it.each([
    100, 131008, 131009, 131021, 131026, 131050, 131051, 131053, 132000, 132001, 132005, 132007, 132012,
    132015, 132016, 132018, 130472, 135000, 133010,
  ])('%i is permanent', (code) => {
    expect(classOf(code)).toBe('permanent');
  });

  it.each([0, 3, 10, 190, 200, 250, 299, 368, 131005, 131031, 131042, 131045, 131048])(
    '%i is account_fatal',
    (code) => {
      expect(classOf(code, 403)).toBe('account_fatal');
    },
  );

  it('decides on the code before the HTTP status (code 3 comes with HTTP 500 but is not temporary)', () => {
    expect(classOf(3, 500)).toBe('account_fatal');
    expect(classOf(131045, 500)).toBe('account_fatal');
  });

  it('asks for the documented minimum delays', () => {
    expect(classifyProviderError({ code: 131056, httpStatus: 400 }).minDelayMs).toBeGreaterThanOrEqual(
      6 * SECOND,
    );
    expect(classifyProviderError({ code: 131057, httpStatus: 500 }).minDelayMs).toBe(60 * SECOND);
    expect(classifyProviderError({ code: 131049, httpStatus: null }).minDelayMs).toBe(24 * HOUR);
  });

  it('leaves 131047 without a delay: only a new message from the person reopens the window', () => {
    expect(classifyProviderError({ code: 131047, httpStatus: null }).minDelayMs).toBeUndefined();
  });

  it('honours a Retry-After longer than the table’s minimum', () => {
    const c = classifyProviderError({ code: 130429, httpStatus: 429, retryAfterSeconds: 30 });
    expect(c.minDelayMs).toBe(30 * SECOND);
    expect(classifyProviderError({ code: 131056, httpStatus: 400, retryAfterSeconds: 1 }).minDelayMs).toBe(
      6 * SECOND,
    );
  });

  it('ignores Retry-After on errors that are not retried later', () => {
    expect(
      classifyProviderError({ code: 132000, httpStatus: 400, retryAfterSeconds: 30 }).minDelayMs,
    ).toBeUndefined();
  });

  it('explains itself in plain language and names the code', () => {
    const { reason } = classifyProviderError({ code: 131047, httpStatus: null });
    expect(reason).toMatch(/24 hours/);
    expect(reason).toMatch(/template/);
    expect(reason).toContain('131047');
    expect(reason).toMatch(/^[A-Z].*\.$/);
  });

  it('131062 (BSUID recipient not supported) is permanent and says what to do', () => {
    for (const httpStatus of [400, null]) {
      const c = classifyProviderError({ code: 131062, httpStatus });
      expect(c.class).toBe('permanent');
      expect(c.reason).toMatch(/username id \(BSUID\)/);
      expect(c.reason).toMatch(/ask the user to write first/);
      expect(c.reason).toContain('131062');
    }
  });
});

describe('classifyProviderError: unknown codes and transport errors', () => {
  it('retries a transport error (no code, no HTTP status)', () => {
    const c = classifyProviderError({ code: null, httpStatus: null });
    expect(c.class).toBe('retry_later');
    expect(c.reason).toMatch(/network error or timeout/);
  });

  it.each([500, 502, 503, 504])('retries an unknown error with HTTP %i', (status) => {
    expect(classOf(null, status)).toBe('retry_later');
    expect(classOf(999_999, status)).toBe('retry_later');
  });

  it('retries HTTP 429 without a known code', () => {
    expect(classOf(null, 429)).toBe('retry_later');
  });

  it.each([400, 403, 404, 422])('treats an unknown error with HTTP %i as permanent', (status) => {
    expect(classOf(999_999, status)).toBe('permanent');
    expect(classOf(null, status)).toBe('permanent');
  });

  it('treats HTTP 401 without a known code as fatal for the account', () => {
    expect(classOf(null, 401)).toBe('account_fatal');
  });

  it('does not retry an unknown code reported in a webhook (no HTTP status)', () => {
    const c = classifyProviderError({ code: 999_999, httpStatus: null });
    expect(c.class).toBe('permanent');
    expect(c.reason).toContain('999999');
  });
});
