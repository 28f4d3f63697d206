import { describe, expect, it } from 'vitest';
import { configErrorOf } from '../test/support/config-errors';
import { loadConfig } from './config';

const SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

describe('DATABASE_URL', () => {
  it('takes a SQLite path, :memory: and a PostgreSQL URL', () => {
    expect(loadConfig({}).databaseUrl).toBe('./data/recontact.db');
    expect(loadConfig({ DATABASE_URL: ':memory:' }).databaseUrl).toBe(':memory:');
    const pg = 'postgres://app:p%40ss@db.internal:5432/recontact';
    expect(loadConfig({ DATABASE_URL: pg, RECONTACT_SECRET_KEY: SECRET_KEY }).databaseUrl).toBe(pg);
  });

  it('stops the start on a PostgreSQL URL it cannot parse, without echoing its password', () => {
    for (const value of [
      'postgres://app:s3cret@[db/recontact',
      'postgresql://app:s3cret@db:port/recontact',
    ]) {
      const e = configErrorOf({ DATABASE_URL: value, RECONTACT_SECRET_KEY: SECRET_KEY }, value);
      expect(e.code).toBe('CONFIG_INVALID');
      expect(e.details).toEqual([
        {
          path: 'DATABASE_URL',
          message: expect.stringMatching(/^is not a valid PostgreSQL URL: write postgres:\/\/user:password@/),
        },
      ]);
      expect(JSON.stringify({ message: e.message, details: e.details })).not.toContain('s3cret');
    }
  });

  it('refuses a value too long to be a path or a URL, without quoting it', () => {
    const value = `postgres://app:s3cret@db/${'a'.repeat(5_000)}`;
    const e = configErrorOf({ DATABASE_URL: value, RECONTACT_SECRET_KEY: SECRET_KEY });
    expect(e.details).toEqual([
      { path: 'DATABASE_URL', message: expect.stringMatching(/^is longer than 4096 characters/) },
    ]);
    expect(e.message.length).toBeLessThan(500);
    const longPath = `./data/${'d'.repeat(200)}.db`;
    expect(loadConfig({ DATABASE_URL: longPath }).databaseUrl).toBe(longPath);
  });

  it('refuses a PostgreSQL user or database name that PostgreSQL would cut to 63 bytes', () => {
    const fits = `postgres://${'u'.repeat(63)}:s3cret@db:5432/${'d'.repeat(63)}`;
    expect(loadConfig({ DATABASE_URL: fits, RECONTACT_SECRET_KEY: SECRET_KEY }).databaseUrl).toBe(fits);
    for (const value of [
      `postgres://app:s3cret@db:5432/${'d'.repeat(64)}`,
      `postgres://${'u'.repeat(64)}:s3cret@db:5432/recontact`,
      // 32 two-byte characters, percent-encoded: 64 bytes
      `postgres://app:s3cret@db:5432/${'%C3%B1'.repeat(32)}`,
    ]) {
      const e = configErrorOf({ DATABASE_URL: value, RECONTACT_SECRET_KEY: SECRET_KEY }, value);
      expect(e.details).toEqual([
        {
          path: 'DATABASE_URL',
          message: expect.stringMatching(/longer than 63 bytes, which PostgreSQL would silently cut short/),
        },
      ]);
      expect(JSON.stringify({ message: e.message, details: e.details })).not.toContain('s3cret');
    }
  });
});
