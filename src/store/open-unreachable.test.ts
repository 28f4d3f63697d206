/**
 * A process that starts while its database cannot be reached stops with DATABASE_UNAVAILABLE,
 * naming the database, the cause and what to check, and the CLI prints that, not "a bug in
 * recontact": a server that refuses the connection, and a database name that does not exist.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DIALECTS, PG_URL } from '../../test/support/stores';
import { describeFailure } from '../cli/errors';
import { openStore } from './database';

describe('opening a store that cannot be reached', () => {
  const failure = (url: string) =>
    openStore({ url, pgConnectTimeoutMs: 5_000 }).then(
      async (store) => {
        await store.close();
        return expect.unreachable('opening should have failed');
      },
      (err: unknown) => err,
    );

  it('stops on a server that refuses the connection, and says what to check', async () => {
    const err = await failure('postgres://postgres@127.0.0.1:1/recontact');
    expect(err).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message:
        'PostgreSQL at postgres://127.0.0.1:1/recontact is unavailable: connection refused (ECONNREFUSED)',
    });
    const line = describeFailure(err).line;
    expect(line).toContain('DATABASE_UNAVAILABLE');
    expect(line).toContain('Check DATABASE_URL, and that PostgreSQL is running');
    expect(line).not.toContain('bug');
  });

  it.skipIf(!DIALECTS.includes('postgres'))('stops on a database that does not exist', async () => {
    const url = new URL(PG_URL);
    url.pathname = `/zz_missing_${randomBytes(4).toString('hex')}`;
    const err = await failure(url.toString());
    expect(err).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/is unavailable: the database does not exist \(3D000/);
  });
});
