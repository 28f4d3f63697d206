/**
 * The REST client behind `recontact templates diff|push|pull|list|preview`. The CLI talks to a
 * running Recontact (RECONTACT_URL, RECONTACT_API_KEY) rather than to the database, so it does
 * exactly what the API does for a bot or the dashboard, with the same checks and roles.
 */
import { request } from 'undici';

export interface RemoteOptions {
  url: string;
  apiKey?: string | undefined;
  /** Channel account id; the server's first account when absent. */
  account?: string | undefined;
}

/** The `error` object of an error response (src/api/http-errors.ts). */
export interface ApiErrorBody {
  code: string;
  message: string;
  details?: Array<{ path?: string; message: string }>;
  hint?: string;
  data?: Record<string, unknown>;
}

export class ApiCallError extends Error {
  constructor(
    /** HTTP status, or null when Recontact could not be reached. */
    readonly status: number | null,
    readonly error: ApiErrorBody,
  ) {
    super(error.message);
    this.name = 'ApiCallError';
  }
}

/** A command-line mistake, found before any call: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export async function callApi<T>(
  o: RemoteOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  if (!o.apiKey)
    throw new UsageError(
      'no API key: pass --api-key or set RECONTACT_API_KEY (serve prints one on first start)',
    );
  const base = o.url.replace(/\/$/, '');
  const query = o.account ? `?account_id=${encodeURIComponent(o.account)}` : '';
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(`${base}${path}${query}`, {
      method,
      headers: {
        authorization: `Bearer ${o.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    const cause = (err as { code?: string }).code ?? (err as Error).message;
    throw new ApiCallError(null, {
      code: 'UNREACHABLE',
      message: `cannot reach Recontact at ${base} (${cause})`,
      hint: 'Start it with `recontact serve`, or point RECONTACT_URL (or --url) at the running instance.',
    });
  }
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.statusCode >= 400) {
    const error = (json as { error?: ApiErrorBody } | undefined)?.error;
    throw new ApiCallError(
      res.statusCode,
      error ?? { code: 'HTTP_ERROR', message: `HTTP ${res.statusCode} from ${base}: ${text.slice(0, 200)}` },
    );
  }
  return json as T;
}

/** Prints an error the way `recontact send` does; returns the exit code. */
export function reportError(err: unknown, out: (line: string) => void): number {
  if (err instanceof UsageError) {
    out(`error: ${err.message}`);
    return 2;
  }
  if (!(err instanceof ApiCallError)) throw err;
  const e = err.error;
  out(`error ${e.code}${err.status ? ` (HTTP ${err.status})` : ''}: ${e.message}`);
  for (const d of e.details ?? []) out(`  ${d.path ? `${d.path}: ` : ''}${d.message}`);
  if (e.hint) out(`  hint: ${e.hint}`);
  return 1;
}

export const stdoutLines = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
