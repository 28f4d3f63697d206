import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test/support/config-errors';
import { loadConfig } from './config';

describe('WEBHOOK_INBOX_RETENTION', () => {
  it('is seven days unless set, reads an ISO 8601 duration, and "forever" keeps every body', () => {
    expect(loadConfig({}).webhookInboxRetentionMs).toBe(7 * 86_400_000);
    expect(loadConfig({ WEBHOOK_INBOX_RETENTION: 'P30D' }).webhookInboxRetentionMs).toBe(30 * 86_400_000);
    expect(loadConfig({ WEBHOOK_INBOX_RETENTION: 'PT12H' }).webhookInboxRetentionMs).toBe(12 * 3_600_000);
    expect(loadConfig({ WEBHOOK_INBOX_RETENTION: 'forever' }).webhookInboxRetentionMs).toBeNull();
  });

  it('stops the start naming the setting for a value it cannot use', () => {
    for (const [value, message] of [
      ['7d', /ISO 8601 duration .* or "forever"/],
      ['PT30M', /at least one hour \(PT1H\)/],
      ['never', /ISO 8601 duration/],
    ] as const) {
      const e = configErrorOf({ WEBHOOK_INBOX_RETENTION: value }, value);
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.details).toEqual([
        { path: 'WEBHOOK_INBOX_RETENTION', message: expect.stringMatching(message) },
      ]);
    }
  });
});
