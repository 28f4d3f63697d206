import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test/support/config-errors';
import { loadConfig } from './config';
import { RecontactError } from './domain/errors';

describe('CAMPAIGN_QUIET_HOURS', () => {
  it('is none unless set, and reads "FROM-TO" on each recipient\'s clock', () => {
    expect(loadConfig({}).campaigns.quietHours).toBeNull();
    expect(loadConfig({ CAMPAIGN_QUIET_HOURS: 'none' }).campaigns.quietHours).toBeNull();
    expect(loadConfig({ CAMPAIGN_QUIET_HOURS: '21:00-09:00' }).campaigns.quietHours).toEqual({
      from: 21 * 60,
      to: 9 * 60,
    });
  });

  it('stops the start with the setting and the problem named', () => {
    const e = configErrorOf({ CAMPAIGN_QUIET_HOURS: '21h to 9h' });
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.message).toBe('Invalid CAMPAIGN_QUIET_HOURS');
    expect(e.details).toEqual([
      { path: 'CAMPAIGN_QUIET_HOURS', message: expect.stringContaining('e.g. "21:00-09:00"') },
    ]);
    expect(() => loadConfig({ CAMPAIGN_QUIET_HOURS: '21:00-24:00' })).toThrow(RecontactError);
  });
});
