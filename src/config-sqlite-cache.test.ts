import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test/support/config-errors';
import { loadConfig } from './config';

describe('SQLITE_CACHE_MB', () => {
  it('is 4 unless set, and reads whole megabytes', () => {
    expect(loadConfig({}).sqliteCacheMb).toBe(4);
    expect(loadConfig({ SQLITE_CACHE_MB: '64' }).sqliteCacheMb).toBe(64);
  });

  it('stops the start naming the setting for a size it cannot use', () => {
    for (const value of ['0', '-4', '2.5', 'lots', '5000']) {
      const e = configErrorOf({ SQLITE_CACHE_MB: value }, value);
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.details).toEqual([
        { path: 'SQLITE_CACHE_MB', message: 'must be a whole number from 1 to 4096' },
      ]);
    }
  });
});
