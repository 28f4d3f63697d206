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

describe('classifyProviderError: Messenger', () => {
  const messenger = (code: number | null, subcode?: number, httpStatus: number | null = 400) =>
    classifyProviderError({ code, httpStatus, channel: 'messenger', ...(subcode ? { subcode } : {}) });

  it('10/2018278 (outside the window) is permanent, never retried, and says what still reaches the person', () => {
    const c = messenger(10, 2018278);
    expect(c.class).toBe('permanent');
    expect(c.minDelayMs).toBeUndefined();
    expect(c.reason).toMatch(/24-hour window/);
    expect(c.reason).toMatch(/utility template/);
    expect(c.reason).toContain('Messenger error 10/2018278');
  });

  it('the same code 10 is fatal for a WhatsApp account: the channel decides', () => {
    expect(classOf(10, 403)).toBe('account_fatal');
    expect(classifyProviderError({ code: 10, httpStatus: 400, subcode: 2018278 }).class).toBe(
      'account_fatal',
    );
    expect(messenger(10).class).toBe('permanent');
  });

  it.each([
    [551, undefined],
    [551, 1545041],
    [200, 1545041],
    [100, undefined],
    [100, 1893061],
    [100, 2018001],
    [100, 1893029],
    [10, 2018065],
    [10, 2018108],
    [10, 1893015],
    [613, 2018338],
  ])('%i/%s is permanent', (code, subcode) => {
    expect(messenger(code, subcode).class).toBe('permanent');
  });

  it('551 says the person is not receiving messages; 1893061 names the retired tags', () => {
    expect(messenger(551).reason).toMatch(/not receiving messages/);
    expect(messenger(551, 1545041).reason).toMatch(/not available/);
    expect(messenger(100, 1893061).reason).toMatch(/ACCOUNT_UPDATE.*27 April 2026/);
  });

  it.each([190, 368, 2022])('%i is fatal for the account', (code) => {
    expect(messenger(code, undefined, 400).class).toBe('account_fatal');
  });

  it('190 asks to reconnect the page', () => {
    expect(messenger(190).reason).toMatch(/page access token.*reconnect the page/);
  });

  it('an app without advanced access (200/2018028) and other 2xx codes are fatal', () => {
    expect(messenger(200, 2018028).class).toBe('account_fatal');
    expect(messenger(230).class).toBe('account_fatal');
  });

  it('a page restricted by Meta (10/1893063) stops the account for at least an hour', () => {
    const c = messenger(10, 1893063);
    expect(c.class).toBe('account_fatal');
    expect(c.minDelayMs).toBe(HOUR);
  });

  it.each([613, 80006, 80001, 32, 4, 1, 2])('%i is retried later', (code) => {
    expect(messenger(code).class).toBe('retry_later');
  });

  it('80006 waits at least a minute, longer when Meta says so', () => {
    expect(messenger(80006).minDelayMs).toBe(60 * SECOND);
    const c = classifyProviderError({
      code: 80006,
      httpStatus: 400,
      channel: 'messenger',
      retryAfterSeconds: 300,
    });
    expect(c.minDelayMs).toBe(300 * SECOND);
  });

  it('unknown codes and transport errors name Messenger', () => {
    expect(messenger(999_999, undefined, 400).reason).toMatch(/Messenger refused the request with HTTP 400/);
    expect(messenger(null, undefined, null).reason).toMatch(/answer from Messenger/);
    expect(messenger(null, undefined, 503).class).toBe('retry_later');
  });
});

describe('classifyProviderError: refused by the adapter before sending', () => {
  it('is permanent on either channel, whatever the code fields say', () => {
    for (const channel of ['whatsapp', 'messenger'] as const) {
      const c = classifyProviderError({ code: null, httpStatus: null, channel, rejectedLocally: true });
      expect(c.class).toBe('permanent');
      expect(c.reason).toMatch(/Recontact did not send it/);
    }
  });
});
