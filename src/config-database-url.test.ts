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
});
