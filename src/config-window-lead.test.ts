import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test/support/config-errors';
import { loadConfig } from './config';

describe('WINDOW_EXPIRING_LEAD', () => {
  it('is one hour unless set, and reads an ISO 8601 duration', () => {
    expect(loadConfig({}).windowExpiringLeadMs).toBe(3_600_000);
    expect(loadConfig({ WINDOW_EXPIRING_LEAD: 'PT15M' }).windowExpiringLeadMs).toBe(15 * 60_000);
    expect(loadConfig({ WINDOW_EXPIRING_LEAD: 'PT23H' }).windowExpiringLeadMs).toBe(23 * 3_600_000);
  });

  it('stops the start naming the setting for a value it cannot use', () => {
    for (const [value, message] of [
      ['1h', /ISO 8601 duration/],
      ['PT30S', /from one minute \(PT1M\) to 23 hours/],
      ['P1D', /from one minute \(PT1M\) to 23 hours/],
    ] as const) {
      const e = configErrorOf({ WINDOW_EXPIRING_LEAD: value }, value);
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.details).toEqual([{ path: 'WINDOW_EXPIRING_LEAD', message: expect.stringMatching(message) }]);
    }
  });
});
