/**
 * Tells an outage from a bug. A database that restarts, runs out of disk or is locked by another
 * process is a normal event for a long-running server: requests answer 503 DATABASE_UNAVAILABLE
 * (Meta then retries its webhooks) and loops back off, instead of a 500 and an error per attempt.
 */
import { RecontactError } from '../domain/errors';

export type DialectName = 'sqlite' | 'postgres';

export interface DatabaseFault {
  /** Which database, as people name it. */
  database: 'SQLite' | 'PostgreSQL';
  /** A stable, machine-readable name for what happened. */
  kind:
    | 'unreachable'
    | 'connection_lost'
    | 'shutting_down'
    | 'starting_up'
    | 'timeout'
    | 'disk_full'
    | 'out_of_memory'
    | 'too_many_connections'
    | 'busy'
    | 'io_error'
    | 'read_only'
    | 'cannot_open';
  /** What happened, in plain words, with the driver's code: "disk full (SQLITE_FULL)". */
  reason: string;
}

/** Seconds a client should wait before trying again (Retry-After). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * The server's codes. A code that also stands for other things is an outage only with the
 * message given (the server's own English text; a server with translated messages answers 500
 * for those as before).
 */
const PG_CODES: Record<string, [DatabaseFault['kind'], string, RegExp?]> = {
  '57P01': ['shutting_down', 'the server is shutting down (57P01 admin_shutdown)'],
  '57P02': ['shutting_down', 'the server crashed (57P02 crash_shutdown)'],
  '57P03': ['starting_up', 'the server is not accepting connections yet (57P03 cannot_connect_now)'],
  '57014': ['timeout', 'a statement ran past statement_timeout (57014 query_canceled)'],
  '25P03': ['timeout', 'a transaction sat idle too long (25P03 idle_in_transaction_session_timeout)'],
  '53100': ['disk_full', 'disk full (53100 disk_full)'],
  '53200': ['out_of_memory', 'out of memory (53200 out_of_memory)'],
  '53300': ['too_many_connections', 'too many connections (53300 too_many_connections)'],
  // ALTER DATABASE … ALLOW_CONNECTIONS false, as during maintenance: new connections are refused.
  '55000': [
    'unreachable',
    'the database does not accept connections now (55000, ALLOW_CONNECTIONS false)',
    /is not currently accepting connections/,
  ],
  '3D000': ['unreachable', 'the database does not exist (3D000 invalid_catalog_name)'],
};

const NET_CODES: Record<string, [DatabaseFault['kind'], string]> = {
  ECONNREFUSED: ['unreachable', 'connection refused (ECONNREFUSED)'],
  ECONNRESET: ['connection_lost', 'connection reset (ECONNRESET)'],
  EPIPE: ['connection_lost', 'connection broken (EPIPE)'],
  ETIMEDOUT: ['timeout', 'connection timed out (ETIMEDOUT)'],
  EHOSTUNREACH: ['unreachable', 'host unreachable (EHOSTUNREACH)'],
  ENETUNREACH: ['unreachable', 'network unreachable (ENETUNREACH)'],
  ENOTFOUND: ['unreachable', 'host not found (ENOTFOUND)'],
  EAI_AGAIN: ['unreachable', 'host name lookup failed (EAI_AGAIN)'],
};

/** pg reports a dead socket or a pool timeout with a message only. */
const PG_MESSAGES: Array<[RegExp, DatabaseFault['kind'], string]> = [
  [/timeout exceeded when trying to connect/i, 'timeout', 'no connection within the connect timeout'],
  [/connection terminated due to connection timeout/i, 'timeout', 'connecting timed out'],
  [/did not answer within/i, 'timeout', 'the server stopped answering'],
  [/query read timeout/i, 'timeout', 'the server stopped answering'],
  [/connection terminated/i, 'connection_lost', 'the connection was closed by the server or the network'],
  [/not queryable/i, 'connection_lost', 'the connection was lost'],
  [/server closed the connection unexpectedly/i, 'connection_lost', 'the server closed the connection'],
];

const SQLITE_CODES: Array<[string, DatabaseFault['kind'], string]> = [
  ['SQLITE_BUSY', 'busy', 'the database is locked by another connection'],
  ['SQLITE_LOCKED', 'busy', 'a table is locked'],
  ['SQLITE_FULL', 'disk_full', 'disk full'],
  ['SQLITE_IOERR', 'io_error', 'disk I/O error'],
  ['SQLITE_READONLY', 'read_only', 'the database file is read-only'],
  ['SQLITE_CANTOPEN', 'cannot_open', 'the database file cannot be opened'],
];

function prop(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

/** The error, its causes and, for AggregateError (dual-stack connects), its parts. */
function* chain(err: unknown, depth = 0): Generator<unknown> {
  if (err === undefined || err === null || depth > 5) return;
  yield err;
  const parts = prop(err, 'errors');
  if (Array.isArray(parts)) for (const p of parts) yield* chain(p, depth + 1);
  yield* chain(prop(err, 'cause'), depth + 1);
}

/**
 * `port` (PostgreSQL) keeps network errors of other peers (Meta, a bot endpoint) from passing
 * for a database outage when they carry the peer's port.
 */
export function classifyDatabaseError(
  err: unknown,
  where: { dialect: DialectName; port?: number },
): DatabaseFault | undefined {
  for (const e of chain(err)) {
    const code = prop(e, 'code');
    const message = String(prop(e, 'message') ?? '');
    if (where.dialect === 'sqlite') {
      if (typeof code !== 'string') continue;
      const hit = SQLITE_CODES.find(([prefix]) => code === prefix || code.startsWith(`${prefix}_`));
      if (hit) return { database: 'SQLite', kind: hit[1], reason: `${hit[2]} (${code})` };
      continue;
    }
    if (typeof code === 'string') {
      const known = PG_CODES[code];
      const pgHit =
        known && (known[2] === undefined || known[2].test(message))
          ? known
          : /^08[0-9A-Z]{3}$/.test(code)
            ? connectionException(code)
            : undefined;
      if (pgHit) return { database: 'PostgreSQL', kind: pgHit[0], reason: pgHit[1] };
      const net = NET_CODES[code];
      const port = prop(e, 'port');
      if (net && (typeof port !== 'number' || where.port === undefined || port === where.port)) {
        return { database: 'PostgreSQL', kind: net[0], reason: net[1] };
      }
    }
    const byMessage = PG_MESSAGES.find(([re]) => re.test(message));
    if (byMessage) return { database: 'PostgreSQL', kind: byMessage[1], reason: byMessage[2] };
  }
  return undefined;
}

function connectionException(code: string): [DatabaseFault['kind'], string] {
  return ['connection_lost', `the connection failed (${code} connection_exception)`];
}

/** The API's answer for an outage: names the database and what happened, never a stack. */
export function databaseUnavailableError(fault: DatabaseFault, cause?: unknown): RecontactError {
  return new RecontactError('DATABASE_UNAVAILABLE', `${fault.database} is unavailable: ${fault.reason}`, {
    hint: `Retry after ${DATABASE_RETRY_AFTER_SECONDS} s (Retry-After); a send retried with the same Idempotency-Key is never stored twice. Recontact reconnects by itself; GET /readyz shows when the database is back.`,
    data: { database: fault.database, reason: fault.kind, retry_after_seconds: DATABASE_RETRY_AFTER_SECONDS },
    ...(cause === undefined ? {} : { cause }),
  });
}
