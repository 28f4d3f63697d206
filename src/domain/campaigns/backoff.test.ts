import { describe, expect, it } from 'vitest';
import { classifyProviderError } from '../provider-errors';
import {
  type AccountSlowdown,
  AUTO_PAUSE_DEFAULTS,
  AutoPauseGuard,
  campaignBackoff,
  MIN_SLOW_FACTOR,
  qualityPauseReason,
  slowDown,
  slowFactorAt,
  templatePauseReason,
} from './backoff';

const T0 = Date.UTC(2026, 2, 2, 9, 0, 0);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

const reasonOf = (code: number) => classifyProviderError({ code, httpStatus: null }).reason;

describe('campaignBackoff: each signal the issue lists', () => {
  it('130429 slows the account to half, recovering over a minute, and retries after ≥ 1 s', () => {
    expect(campaignBackoff(130429)).toEqual({
      kind: 'slow_account',
      code: 130429,
      factor: 0.5,
      recoverMs: MINUTE,
      retryAfterMs: SECOND,
      reason: reasonOf(130429),
      countsAsFailure: false,
    });
  });

  it('130429 honours a longer Retry-After', () => {
    const a = campaignBackoff(130429, { retryAfterSeconds: 5, httpStatus: 429 });
    expect(a.kind === 'slow_account' && a.retryAfterMs).toBe(5 * SECOND);
  });

  it('131056 holds that user only, ≥ 6 s, doubling while it repeats', () => {
    const first = campaignBackoff(131056);
    expect(first).toEqual({
      kind: 'retry_user_after',
      code: 131056,
      ms: 6 * SECOND,
      reason: reasonOf(131056),
      countsAsFailure: false,
    });
    const third = campaignBackoff(131056, { repeats: 3 });
    expect(third.kind === 'retry_user_after' && third.ms).toBe(24 * SECOND);
    const withHeader = campaignBackoff(131056, { retryAfterSeconds: 30 });
    expect(withHeader.kind === 'retry_user_after' && withHeader.ms).toBe(30 * SECOND);
  });

  it('131048 slows the account substantially for hours and counts toward the guard', () => {
    const a = campaignBackoff(131048);
    expect(a).toMatchObject({
      kind: 'slow_account',
      factor: 0.25,
      recoverMs: 6 * HOUR,
      countsAsFailure: true,
    });
    expect(a.kind === 'slow_account' && a.retryAfterMs).toBeGreaterThanOrEqual(HOUR);
    expect(a.reason).toContain('131048');
  });

  it('131049 fails the recipient with the reason and no retry within 24 h', () => {
    expect(campaignBackoff(131049)).toEqual({
      kind: 'fail_recipient',
      code: 131049,
      noRetryForMs: 24 * HOUR,
      reason: reasonOf(131049),
      countsAsFailure: false,
    });
  });

  it('131050 fails the recipient and records the marketing opt-out, never retried', () => {
    const a = campaignBackoff(131050);
    expect(a).toEqual({
      kind: 'fail_recipient',
      code: 131050,
      optOut: { scope: 'marketing', source: 'meta_131050' },
      reason: reasonOf(131050),
      countsAsFailure: false,
    });
    expect(a.kind === 'fail_recipient' && a.noRetryForMs).toBeUndefined();
  });

  it('131064 pauses the campaign, saying the templates’ categories must be fixed', () => {
    const a = campaignBackoff(131064);
    expect(a.kind).toBe('pause_campaign');
    expect(a.countsAsFailure).toBe(true);
    expect(a.reason).toMatch(/wrong category/);
    expect(a.reason).toContain('(WhatsApp error 131064)');
  });

  it.each([80007, 4])(
    '%i pauses the whole account a minute, doubling while it repeats, at most an hour',
    (code) => {
      const forMs = (repeats: number) => {
        const a = campaignBackoff(code, { repeats });
        expect(a.kind).toBe('pause_account');
        expect(a.countsAsFailure).toBe(false);
        expect(a.reason).toContain(String(code));
        return a.kind === 'pause_account' ? a.forMs : -1;
      };
      expect([1, 2, 3, 6, 7, 30].map(forMs)).toEqual([
        MINUTE,
        2 * MINUTE,
        4 * MINUTE,
        32 * MINUTE,
        HOUR,
        HOUR,
      ]);
      const told = campaignBackoff(code, { retryAfterSeconds: 600 });
      expect(told.kind === 'pause_account' && told.forMs).toBe(10 * MINUTE);
    },
  );

  it('131057 (throughput upgrade in progress) pauses the account about a minute, at most 10', () => {
    const a = campaignBackoff(131057);
    expect(a).toEqual({
      kind: 'pause_account',
      code: 131057,
      forMs: MINUTE,
      reason: reasonOf(131057),
      countsAsFailure: false,
    });
    const later = campaignBackoff(131057, { repeats: 10 });
    expect(later.kind === 'pause_account' && later.forMs).toBe(10 * MINUTE);
  });

  it('refuses a repeat count below 1', () => {
    expect(() => campaignBackoff(131056, { repeats: 0 })).toThrow(RangeError);
    expect(() => campaignBackoff(4, { repeats: 1.5 })).toThrow(RangeError);
  });
});

describe('campaignBackoff: everything else', () => {
  it.each([132000, 132001, 132015, 132016, 132068])(
    '%i (the template, the same for every recipient) pauses the campaign',
    (code) => {
      expect(campaignBackoff(code)).toEqual({
        kind: 'pause_campaign',
        code,
        reason: reasonOf(code),
        countsAsFailure: true,
      });
    },
  );

  it.each([0, 3, 10, 190, 250, 368, 131005, 131031, 131042, 131045])(
    '%i (fatal for the account) pauses the campaign',
    (code) => {
      expect(campaignBackoff(code)).toMatchObject({ kind: 'pause_campaign', countsAsFailure: true });
    },
  );

  it.each([131000, 131016, 1, 2])('%i is a passing problem: the usual retry policy', (code) => {
    expect(campaignBackoff(code)).toEqual({
      kind: 'retry',
      code,
      minDelayMs: 0,
      reason: reasonOf(code),
      countsAsFailure: false,
    });
  });

  it('keeps the minimum delay provider-errors asks for, or a longer Retry-After', () => {
    expect(campaignBackoff(132069)).toMatchObject({ kind: 'retry', minDelayMs: HOUR });
    expect(campaignBackoff(131000, { retryAfterSeconds: 3 })).toMatchObject({
      kind: 'retry',
      minDelayMs: 3000,
    });
  });

  it('a transport failure (no code, no answer) is retried', () => {
    expect(campaignBackoff(null)).toMatchObject({ kind: 'retry', code: null, countsAsFailure: false });
    expect(campaignBackoff(null, { httpStatus: 503 })).toMatchObject({ kind: 'retry' });
  });

  it.each([131026, 131009, 131053, 132005, 130497, 131047])(
    '%i fails the recipient and counts toward the guard',
    (code) => {
      expect(campaignBackoff(code)).toEqual({
        kind: 'fail_recipient',
        code,
        reason: reasonOf(code),
        countsAsFailure: true,
      });
    },
  );

  it('a marketing experiment (130472) is the person’s situation: failed, not counted', () => {
    expect(campaignBackoff(130472)).toMatchObject({ kind: 'fail_recipient', countsAsFailure: false });
  });

  it('an unknown code with an HTTP 4xx fails the recipient; a bare HTTP error without code too', () => {
    expect(campaignBackoff(999_999, { httpStatus: 400 })).toMatchObject({
      kind: 'fail_recipient',
      countsAsFailure: true,
    });
    expect(campaignBackoff(null, { httpStatus: 400 })).toMatchObject({ kind: 'fail_recipient' });
  });
});

describe('account slowdown', () => {
  const halve = { factor: 0.5, recoverMs: MINUTE };

  it('halves the rate, then climbs back linearly to full over the recovery', () => {
    const s = slowDown(null, halve, T0);
    expect(slowFactorAt(s, T0)).toBe(0.5);
    expect(slowFactorAt(s, T0 + 30 * SECOND)).toBe(0.75);
    expect(slowFactorAt(s, T0 + MINUTE - 1)).toBeLessThan(1);
    expect(slowFactorAt(s, T0 + MINUTE)).toBe(1);
    expect(slowFactorAt(null, T0)).toBe(1);
  });

  it('a second signal while slowed multiplies the current share', () => {
    const first = slowDown(null, halve, T0);
    const second = slowDown(first, halve, T0 + 30 * SECOND);
    expect(second.factor).toBe(0.375);
    expect(second.at).toBe(T0 + 30 * SECOND);
  });

  it('never goes below 1/16 of the rate', () => {
    let s: AccountSlowdown | null = null;
    for (let i = 0; i < 20; i++) s = slowDown(s, halve, T0);
    expect(s!.factor).toBe(MIN_SLOW_FACTOR);
  });

  it('a short slowdown does not cut a long recovery short', () => {
    const spam = slowDown(null, { factor: 0.25, recoverMs: 6 * HOUR }, T0);
    const throttle = slowDown(spam, halve, T0 + HOUR);
    expect(throttle.recoverMs).toBe(5 * HOUR);
    expect(slowFactorAt(throttle, T0 + 2 * HOUR)).toBeLessThan(1);
  });

  it('refuses a factor outside (0, 1)', () => {
    expect(() => slowDown(null, { factor: 1, recoverMs: MINUTE }, T0)).toThrow(RangeError);
    expect(() => slowDown(null, { factor: 0, recoverMs: MINUTE }, T0)).toThrow(RangeError);
  });
});

describe('AutoPauseGuard', () => {
  const ok = { failed: false } as const;
  const fail = (code: number | null = 131026) => ({ failed: true, code }) as const;

  function feed(guard: AutoPauseGuard, pattern: Array<'ok' | number | null>, start = T0): number {
    let now = start;
    for (const p of pattern) {
      guard.record(now, p === 'ok' ? ok : fail(p));
      now += SECOND;
    }
    return now;
  }

  it('defaults: the last 200 sends, pausing at 20 %, judged from 20 sends', () => {
    expect(AUTO_PAUSE_DEFAULTS).toEqual({ window: 200, threshold: 0.2, minSends: 20, maxAgeMs: null });
    const g = new AutoPauseGuard();
    expect([g.window, g.threshold, g.minSends, g.maxAgeMs]).toEqual([200, 0.2, 20, null]);
  });

  it('does not pause at 39 failures out of 200 (19.5 %), pauses at 40 (20 %)', () => {
    const g = new AutoPauseGuard();
    const pattern: Array<'ok' | number> = Array.from({ length: 200 }, (_, i) =>
      i % 5 === 0 && i > 0 ? 131026 : 'ok',
    );
    let now = feed(g, pattern);
    expect(g.stats(now).failed).toBe(39);
    expect(g.shouldPause(now)).toBeNull();
    // One more failure pushes out the oldest send (an ok): 40 of 200.
    g.record(now, fail());
    now += SECOND;
    expect(g.stats(now)).toMatchObject({ sends: 200, failed: 40 });
    const reason = g.shouldPause(now);
    expect(reason).toContain('40 of the last 200 sends failed (20%; the campaign pauses at 20%)');
  });

  it('crosses back below when old failures leave the window', () => {
    const g = new AutoPauseGuard({ window: 10, minSends: 10, threshold: 0.3 });
    let now = feed(g, [131026, 131026, 131026, 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(g.shouldPause(now)).not.toBeNull();
    now = feed(g, ['ok'], now);
    expect(g.stats(now)).toMatchObject({ sends: 10, failed: 2 });
    expect(g.shouldPause(now)).toBeNull();
  });

  it('judges nothing before minSends: 19 failures out of 19 do not pause, the 20th does', () => {
    const g = new AutoPauseGuard();
    const now = feed(
      g,
      Array.from({ length: 19 }, () => 132000),
    );
    expect(g.shouldPause(now)).toBeNull();
    g.record(now, fail(132000));
    expect(g.shouldPause(now)).toMatch(/^20 of the last 20 sends failed \(100%/);
  });

  it("names the error in the campaign's channel's words: Messenger's 10 is not WhatsApp's", () => {
    const pattern: Array<'ok' | number> = Array.from({ length: 10 }, () => 10);
    const whatsapp = new AutoPauseGuard({ window: 10, minSends: 10 });
    const messenger = new AutoPauseGuard({ window: 10, minSends: 10, channel: 'messenger' });
    const at = feed(whatsapp, pattern);
    feed(messenger, pattern);
    expect(whatsapp.shouldPause(at)).toMatch(/WhatsApp error 10/);
    expect(messenger.shouldPause(at)).toMatch(/Messenger error 10/);
  });

  it('names the most frequent error in plain words', () => {
    const g = new AutoPauseGuard({ window: 20, minSends: 20 });
    const now = feed(g, [
      ...Array.from({ length: 5 }, () => 132012),
      ...Array.from({ length: 3 }, () => 131026),
      null,
      ...Array.from({ length: 11 }, (): 'ok' => 'ok'),
    ]);
    const reason = g.shouldPause(now)!;
    expect(reason).toContain('9 of the last 20 sends failed (45%');
    expect(reason).toContain(`Most often (5 times): ${reasonOf(132012)}`);
  });

  it('names the lower code on a tie, whatever the order failures arrived in', () => {
    const a = new AutoPauseGuard({ window: 4, minSends: 4, threshold: 0.5 });
    const b = new AutoPauseGuard({ window: 4, minSends: 4, threshold: 0.5 });
    feed(a, [131026, 131009, 'ok', 'ok']);
    feed(b, [131009, 131026, 'ok', 'ok']);
    expect(a.shouldPause(T0 + 10 * SECOND)).toBe(b.shouldPause(T0 + 10 * SECOND));
    expect(a.shouldPause(T0 + 10 * SECOND)).toContain(reasonOf(131009));
  });

  it('a failure without a code (network) is named as such', () => {
    const g = new AutoPauseGuard({ window: 2, minSends: 2, threshold: 0.5 });
    const now = feed(g, [null, 'ok']);
    expect(g.shouldPause(now)).toContain('did not get an answer from WhatsApp');
  });

  it('forgets sends older than maxAgeMs, by the clock passed in', () => {
    const g = new AutoPauseGuard({ window: 50, minSends: 5, threshold: 0.5, maxAgeMs: HOUR });
    feed(g, [131026, 131026, 131026, 131026, 131026], T0);
    expect(g.shouldPause(T0 + 10 * SECOND)).not.toBeNull();
    // The failures were recorded at T0 … T0 + 4 s: an hour later they begin to leave.
    expect(g.stats(T0 + HOUR).sends).toBe(4);
    expect(g.stats(T0 + HOUR + 4 * SECOND).sends).toBe(0);
    expect(g.shouldPause(T0 + HOUR + 4 * SECOND)).toBeNull();
  });

  it('reset() (the operator resumed) forgets the failures that caused the pause', () => {
    const g = new AutoPauseGuard({ window: 10, minSends: 5 });
    const now = feed(g, [131026, 131026, 131026, 131026, 131026]);
    expect(g.shouldPause(now)).not.toBeNull();
    g.reset();
    expect(g.stats(now)).toMatchObject({ sends: 0, failed: 0 });
    feed(g, ['ok', 'ok', 'ok', 'ok', 131026], now);
    expect(g.shouldPause(now + 10 * SECOND)).toBe(
      '1 of the last 5 sends failed (20%; the campaign pauses at 20%). Most often (1 time): ' +
        reasonOf(131026),
    );
  });

  it('keeps only the last `window` outcomes (a ring buffer)', () => {
    const g = new AutoPauseGuard({ window: 3, minSends: 1 });
    const now = feed(g, [131026, 131026, 131026, 'ok', 'ok', 'ok']);
    expect(g.stats(now)).toMatchObject({ sends: 3, failed: 0 });
    expect(g.shouldPause(now)).toBeNull();
  });

  it('threshold arithmetic holds where floating point does not (0.2 × 30 is 6.000000000000001)', () => {
    const g = new AutoPauseGuard({ window: 30, minSends: 30 });
    const now = feed(g, [
      ...Array.from({ length: 6 }, () => 131026),
      ...Array.from({ length: 24 }, (): 'ok' => 'ok'),
    ]);
    expect(g.shouldPause(now)).not.toBeNull();
  });

  it('refuses options that cannot be', () => {
    expect(() => new AutoPauseGuard({ window: 0 })).toThrow(RangeError);
    expect(() => new AutoPauseGuard({ threshold: 0 })).toThrow(RangeError);
    expect(() => new AutoPauseGuard({ threshold: 1.5 })).toThrow(RangeError);
    expect(() => new AutoPauseGuard({ window: 10, minSends: 11 })).toThrow(RangeError);
    expect(() => new AutoPauseGuard({ maxAgeMs: 0 })).toThrow(RangeError);
  });
});

describe('templatePauseReason', () => {
  const t = { name: 'taxi_discount', language: 'es' };

  it.each(['APPROVED', 'REINSTATED'])('lets a %s template go on', (status) => {
    expect(templatePauseReason(t, status)).toBeNull();
  });

  it('explains a pause by Meta', () => {
    expect(templatePauseReason(t, 'PAUSED')).toBe(
      'The template taxi_discount (es) was paused by WhatsApp because of low quality (recipients blocked or reported it); resume once WhatsApp unpauses it.',
    );
  });

  it.each([
    ['DISABLED', /disabled .* needs a new template/],
    ['FLAGGED', /flagged .* risks a pause/],
    ['REJECTED', /no longer approved \(status REJECTED\)/],
    ['PENDING', /no longer approved \(status PENDING\)/],
    ['DELETED', /no longer approved/],
    ['SOMETHING_NEW', /status SOMETHING_NEW/],
  ])('pauses for %s', (status, reason) => {
    const r = templatePauseReason(t, status);
    expect(r).toMatch(reason);
    expect(r).toContain('taxi_discount (es)');
  });
});

describe('qualityPauseReason (phone_number_quality_update)', () => {
  it('pauses when the number is flagged for low quality', () => {
    expect(qualityPauseReason({ event: 'FLAGGED' })).toMatch(/flagged the sending number for low quality/);
  });

  it('pauses on a downgrade, naming the limits when Meta gives them', () => {
    expect(
      qualityPauseReason({ event: 'DOWNGRADE', oldLimit: 'TIER_10K', currentLimit: 'TIER_2K' }),
    ).toContain('lowered the sending number’s messaging limit from TIER_10K to TIER_2K');
    expect(qualityPauseReason({ event: 'DOWNGRADE' })).toContain('messaging limit because of low quality');
  });

  it.each(['UNFLAGGED', 'UPGRADE', 'THROUGHPUT_UPGRADE', 'ONBOARDING', ''])('goes on for %j', (event) => {
    expect(qualityPauseReason({ event })).toBeNull();
  });
});

describe('campaignBackoff: Messenger codes take the same paths', () => {
  const m = (code: number, more: { subcode?: number; retryAfterSeconds?: number; repeats?: number } = {}) =>
    campaignBackoff(code, { channel: 'messenger', httpStatus: 400, ...more });

  it('613 slows the page as 130429 slows a number', () => {
    const a = m(613);
    expect(a).toMatchObject({ kind: 'slow_account', factor: 0.5, recoverMs: MINUTE, countsAsFailure: false });
    expect(a.kind === 'slow_account' && a.retryAfterMs).toBeGreaterThanOrEqual(SECOND);
  });

  it('80006 pauses the page for Meta’s estimated time to regain access, else a minute doubling', () => {
    expect(m(80006)).toMatchObject({ kind: 'pause_account', forMs: MINUTE, countsAsFailure: false });
    expect(m(80006, { repeats: 3 })).toMatchObject({ kind: 'pause_account', forMs: 4 * MINUTE });
    expect(m(80006, { retryAfterSeconds: 600 })).toMatchObject({ kind: 'pause_account', forMs: 10 * MINUTE });
    expect(m(32)).toMatchObject({ kind: 'pause_account' });
    expect(m(4)).toMatchObject({ kind: 'pause_account' });
  });

  it('10/2018278 fails the recipient and counts as a failure (the policy should have kept it back)', () => {
    const a = m(10, { subcode: 2018278 });
    expect(a).toMatchObject({ kind: 'fail_recipient', countsAsFailure: true });
    expect(a.reason).toContain('Messenger error 10/2018278');
  });

  it('551 fails the recipient without counting against the campaign: it is the person’s choice', () => {
    expect(m(551)).toMatchObject({ kind: 'fail_recipient', countsAsFailure: false });
    expect(m(200, { subcode: 1545041 })).toMatchObject({ kind: 'fail_recipient', countsAsFailure: false });
  });

  it('190 and a template missing postback payloads pause the campaign', () => {
    expect(m(190)).toMatchObject({ kind: 'pause_campaign', countsAsFailure: true });
    expect(m(100, { subcode: 1893029 })).toMatchObject({ kind: 'pause_campaign' });
  });

  it('WhatsApp’s reading is unchanged without a channel', () => {
    expect(campaignBackoff(10, { httpStatus: 400 })).toMatchObject({ kind: 'pause_campaign' });
    expect(campaignBackoff(613, { httpStatus: 400 }).kind).not.toBe('slow_account');
  });
});
