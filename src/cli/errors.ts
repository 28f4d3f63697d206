/**
 * How the `recontact` command fails: every error becomes ONE line on stderr that says what went
 * wrong and how to fix it, and an exit code. Commands throw; only main.ts prints, through
 * describeFailure, so no command can fall back to a raw stack.
 */
import { isRecontactError } from '../domain/errors';

export const EXIT = {
  ok: 0,
  /** The work failed: Recontact refused or could not be reached, lint found errors, a preview would be refused. */
  failed: 1,
  /** The command line is wrong: a flag, a value, a file that cannot be read. Nothing was sent. */
  usage: 2,
  /** The environment is wrong (sysexits' EX_CONFIG). */
  config: 78,
} as const;

/** A command-line mistake, found before any call. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The command ran and its outcome is a failure (a message failed, a preview would be refused). */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
}

/** The `error` object of an error response (src/api/http-errors.ts). */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: Array<{ path?: string; message: string }>;
  hint?: string;
  data?: Record<string, unknown>;
}

/** Recontact answered, with an error or with something that is not Recontact's JSON. */
export class ApiCallError extends Error {
  override name = 'ApiCallError';
  constructor(
    readonly status: number,
    readonly error: ApiErrorBody,
  ) {
    super(error.message);
  }
}

/** No HTTP answer at all: nothing listens there, the name does not resolve, the connection dropped. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach Recontact at ${url}`, { cause });
  }
}

export interface Failure {
  line: string;
  exitCode: number;
}

/** Details beyond this many are counted, not listed: one line must stay readable. */
const MAX_DETAILS = 3;

const HELP = 'run the command with --help for its usage';

export function describeFailure(err: unknown): Failure {
  if (err instanceof UsageError) return { line: `error: ${oneLine(err.message)}`, exitCode: EXIT.usage };
  if (err instanceof CommandFailed) return { line: `error: ${oneLine(err.message)}`, exitCode: EXIT.failed };
  if (err instanceof UnreachableError) return { line: unreachableLine(err), exitCode: EXIT.failed };
  if (err instanceof ApiCallError) {
    const e = err.error;
    return {
      line: apiLine(`${e.code} (HTTP ${err.status})`, e.message, e.details, e.hint),
      exitCode: EXIT.failed,
    };
  }
  if (isRecontactError(err)) {
    return {
      line: apiLine(err.code, err.message, err.details, err.hint),
      exitCode: err.code === 'CONFIG_INVALID' ? EXIT.config : EXIT.failed,
    };
  }
  if (isCommanderError(err)) {
    // Commander's own message already starts with "error: "; help and --version are not errors.
    if (err.exitCode === 0) return { line: '', exitCode: EXIT.ok };
    if (err.code === 'commander.help' || err.code === 'commander.helpDisplayed')
      return { line: '', exitCode: err.exitCode };
    const message = oneLine(err.message).replace(/^error: /, '');
    return { line: `error: ${message} (${HELP})`, exitCode: EXIT.usage };
  }
  const system = systemError(err);
  if (system) return { line: `error: ${system}`, exitCode: EXIT.failed };
  return { line: bugLine(err), exitCode: EXIT.failed };
}

function apiLine(
  code: string,
  message: string,
  details: ReadonlyArray<{ path?: string; message: string }> = [],
  hint?: string,
): string {
  const shown = details
    .slice(0, MAX_DETAILS)
    .map((d) => `${d.path ? `${d.path}: ` : ''}${d.message}`)
    .join('; ');
  const more = details.length > MAX_DETAILS ? ` (and ${details.length - MAX_DETAILS} more)` : '';
  const text = `error ${code}: ${message}${shown ? ` [${shown}${more}]` : ''}${hint ? ` — hint: ${hint}` : ''}`;
  return oneLine(text);
}

const UNREACHABLE: Record<string, { reason: string; fix: string }> = {
  ECONNREFUSED: {
    reason: 'connection refused',
    fix: 'start it with `npm start` (or `npx recontact serve`), or set RECONTACT_URL (or --url) to where it runs',
  },
  ENOTFOUND: { reason: 'host not found', fix: 'check the host name in RECONTACT_URL (or --url)' },
  EAI_AGAIN: { reason: 'host name lookup failed', fix: 'check the host name in RECONTACT_URL (or --url)' },
  ETIMEDOUT: {
    reason: 'connection timed out',
    fix: 'check that RECONTACT_URL (or --url) is right and reachable from here',
  },
  UND_ERR_CONNECT_TIMEOUT: {
    reason: 'connection timed out',
    fix: 'check that RECONTACT_URL (or --url) is right and reachable from here',
  },
  EHOSTUNREACH: { reason: 'host unreachable', fix: 'check the host in RECONTACT_URL (or --url)' },
  ECONNRESET: {
    reason: 'the connection was reset',
    fix: 'check that RECONTACT_URL (or --url) points at Recontact (http, not https, unless a proxy terminates TLS)',
  },
  UND_ERR_SOCKET: {
    reason: 'the connection closed before an answer',
    fix: 'check that RECONTACT_URL (or --url) points at Recontact and that it is still running',
  },
};

function unreachableLine(err: UnreachableError): string {
  const code = errorCode(err.cause);
  const known = code ? UNREACHABLE[code] : undefined;
  const reason = known?.reason ?? (code || causeMessage(err.cause));
  const fix = known?.fix ?? 'check RECONTACT_URL (or --url), and that Recontact is running there';
  return oneLine(`error: ${err.message} (${reason}): ${fix}`);
}

/** Errors the operating system raises where the fix is the user's: a busy port, a missing file. */
function systemError(err: unknown): string | undefined {
  const e = err as { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown; path?: unknown };
  if (typeof e?.code !== 'string') return undefined;
  const where = e.port !== undefined ? `${e.address ?? ''}:${e.port}` : '';
  switch (e.code) {
    case 'EADDRINUSE':
      return `port ${where || '(unknown)'} is already in use: stop the process that holds it, or choose another port (PORT, SANDBOX_PORT, or the command's --port)`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: this machine has no such address; set HOST (or --host) to one of its addresses, e.g. 127.0.0.1`;
    case 'EACCES':
      return e.syscall === 'listen'
        ? `not allowed to listen on ${where}: ports below 1024 need privileges; choose a port above 1024`
        : `permission denied${e.path ? ` for ${e.path}` : ''}: check the file's permissions`;
    case 'ENOENT':
      return `no such file or directory${e.path ? `: ${e.path}` : ''}`;
    default:
      return undefined;
  }
}

/** Anything else is our bug: one line still, with where it happened, so it can be reported. */
function bugLine(err: unknown): string {
  if (!(err instanceof Error)) return `error: unexpected failure: ${oneLine(String(err))}`;
  const frames = (err.stack ?? '')
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('at '));
  // Node's own frames say nothing about which of our files failed.
  const frame = frames.find((l) => !l.includes('node:')) ?? frames[0];
  const at = frame ? ` (${frame})` : '';
  return oneLine(
    `error: unexpected ${err.name}: ${err.message}${at}; this is a bug in recontact, please report it with the command you ran`,
  );
}

/** undici puts the socket's code on the error, on its cause, or on each attempt of an AggregateError. */
function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e?.code === 'string' && e.code !== 'UND_ERR') return e.code;
  if (Array.isArray(e?.errors)) for (const inner of e.errors) if (errorCode(inner)) return errorCode(inner);
  if (e?.cause && e.cause !== err) return errorCode(e.cause);
  return undefined;
}

function causeMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isCommanderError(err: unknown): err is { code: string; exitCode: number; message: string } {
  const e = err as { name?: unknown; code?: unknown; exitCode?: unknown };
  return (
    (e?.name === 'CommanderError' || e?.name === 'InvalidArgumentError') &&
    typeof e.code === 'string' &&
    typeof e.exitCode === 'number'
  );
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
