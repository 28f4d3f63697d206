import { describe, expect, it } from 'vitest';
import { classifyDatabaseError, databaseUnavailableError } from './database-faults';

const err = (props: Record<string, unknown>, message = 'x') => Object.assign(new Error(message), props);
const pg = (e: unknown) => classifyDatabaseError(e, { dialect: 'postgres', port: 5432 });
const lite = (e: unknown) => classifyDatabaseError(e, { dialect: 'sqlite' });

describe('database faults', () => {
  it.each([
    [{ code: '57P01' }, 'shutting_down', 'the server is shutting down (57P01 admin_shutdown)'],
    [
      { code: '57P03' },
      'starting_up',
      'the server is not accepting connections yet (57P03 cannot_connect_now)',
    ],
    [{ code: '08006' }, 'connection_lost', 'the connection failed (08006 connection_exception)'],
    [{ code: '53100' }, 'disk_full', 'disk full (53100 disk_full)'],
    [{ code: '57014' }, 'timeout', 'a statement ran past statement_timeout (57014 query_canceled)'],
    [{ code: 'ECONNREFUSED', port: 5432 }, 'unreachable', 'connection refused (ECONNREFUSED)'],
    [{ code: 'ECONNRESET' }, 'connection_lost', 'connection reset (ECONNRESET)'],
  ])('PostgreSQL %o is %s', (props, kind, reason) => {
    expect(pg(err(props))).toEqual({ database: 'PostgreSQL', kind, reason });
  });

  it('takes a database that refuses connections or is gone for an outage, and 55000 only then', () => {
    expect(pg(err({ code: '55000' }, 'database "recontact" is not currently accepting connections'))).toEqual(
      {
        database: 'PostgreSQL',
        kind: 'unreachable',
        reason: 'the database does not accept connections now (55000, ALLOW_CONNECTIONS false)',
      },
    );
    expect(pg(err({ code: '3D000' }, 'database "recontact" does not exist'))?.kind).toBe('unreachable');
    // The same code for a statement's own problem is a bug to see, not an outage.
    expect(
      pg(err({ code: '55000' }, 'currval of sequence "s" is not yet defined in this session')),
    ).toBeUndefined();
  });

  it("reads pg's message-only errors and looks into causes and AggregateErrors", () => {
    expect(pg(new Error('Connection terminated unexpectedly'))?.kind).toBe('connection_lost');
    expect(pg(new Error('timeout exceeded when trying to connect'))?.kind).toBe('timeout');
    expect(pg(new Error('wrapped', { cause: err({ code: '57P01' }) }))?.kind).toBe('shutting_down');
    const dualStack = new AggregateError([err({ code: 'ECONNREFUSED', port: 5432 })], 'connect');
    expect(pg(dualStack)?.kind).toBe('unreachable');
  });

  it('leaves bugs and other peers alone', () => {
    expect(pg(err({ code: '23505' }, 'duplicate key value'))).toBeUndefined();
    expect(pg(new TypeError('x is undefined'))).toBeUndefined();
    // A refused connection to Meta or a bot endpoint is not a database outage.
    expect(pg(err({ code: 'ECONNREFUSED', port: 443 }))).toBeUndefined();
    expect(lite(err({ code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(lite(err({ code: 'SQLITE_CONSTRAINT_UNIQUE' }))).toBeUndefined();
  });

  it.each([
    ['SQLITE_BUSY', 'busy', 'the database is locked by another connection (SQLITE_BUSY)'],
    ['SQLITE_LOCKED_SHAREDCACHE', 'busy', 'a table is locked (SQLITE_LOCKED_SHAREDCACHE)'],
    ['SQLITE_FULL', 'disk_full', 'disk full (SQLITE_FULL)'],
    ['SQLITE_IOERR_WRITE', 'io_error', 'disk I/O error (SQLITE_IOERR_WRITE)'],
    ['SQLITE_READONLY_DBMOVED', 'read_only', 'the database file is read-only (SQLITE_READONLY_DBMOVED)'],
    ['SQLITE_CANTOPEN', 'cannot_open', 'the database file cannot be opened (SQLITE_CANTOPEN)'],
  ])('SQLite %s is %s', (code, kind, reason) => {
    expect(lite(err({ code }))).toEqual({ database: 'SQLite', kind, reason });
  });

  it('becomes a 503-bound error that names the database and the cause', () => {
    const e = databaseUnavailableError({
      database: 'SQLite',
      kind: 'disk_full',
      reason: 'disk full (SQLITE_FULL)',
    });
    expect(e.code).toBe('DATABASE_UNAVAILABLE');
    expect(e.message).toBe('SQLite is unavailable: disk full (SQLITE_FULL)');
    expect(e.data).toEqual({ database: 'SQLite', reason: 'disk_full', retry_after_seconds: 5 });
    expect(e.hint).toMatch(/Retry after 5 s/);
  });
});
