/**
 * The REST client behind `recontact send` and `recontact templates diff|push|pull|list|preview`.
 * The CLI talks to a running Recontact (RECONTACT_URL, RECONTACT_API_KEY) rather than to the
 * database, so it does exactly what the API does for a bot or the dashboard, with the same checks
 * and roles. Failures are thrown as the errors of ./errors, which main.ts prints.
 */
import { request } from 'undici';
import { ApiCallError, type ApiErrorBody, UnreachableError, UsageError } from './errors';

export interface RemoteOptions {
  url: string;
  apiKey?: string | undefined;
  /** Channel account id; the server's first account when absent. */
  account?: string | undefined;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

export async function callApi<T>(
  o: RemoteOptions,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<T> {
  return (await callApiWithStatus<T>(o, method, path, body, headers)).body;
}

/** As callApi, with the HTTP status: `send` tells a first send (202) from a replay (200). */
export async function callApiWithStatus<T>(
  o: RemoteOptions,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiAnswer<T>> {
  if (!o.apiKey)
    throw new UsageError(
      'no API key: pass --api-key or set RECONTACT_API_KEY (`npm start` prints one on its first start)',
    );
  const base = o.url.replace(/\/+$/, '');
  const query = o.account ? `?account_id=${encodeURIComponent(o.account)}` : '';
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(`${base}${path}${query}`, {
      method,
      headers: {
        authorization: `Bearer ${o.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new UnreachableError(base, err);
  }
  let text: string;
  try {
    text = await res.body.text();
  } catch (err) {
    throw new UnreachableError(base, err);
  }
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  const error = (json as { error?: ApiErrorBody } | undefined)?.error;
  if (res.statusCode >= 400) {
    throw new ApiCallError(
      res.statusCode,
      typeof error?.code === 'string' && typeof error.message === 'string'
        ? error
        : notRecontact(base, method, path, res.statusCode, text),
    );
  }
  if (json === undefined && text !== '')
    throw new ApiCallError(res.statusCode, notRecontact(base, method, path, res.statusCode, text));
  return { status: res.statusCode, body: json as T };
}

/** Something answered, but not with Recontact's JSON: usually RECONTACT_URL names another server. */
function notRecontact(
  base: string,
  method: string,
  path: string,
  status: number,
  text: string,
): ApiErrorBody {
  const excerpt = text.replace(/\s+/g, ' ').trim().slice(0, 80);
  return {
    code: 'NOT_RECONTACT',
    message: `${method} ${base}${path} answered HTTP ${status} with ${excerpt ? `"${excerpt}"` : 'an empty body'}, not Recontact's JSON`,
    hint: 'Check that RECONTACT_URL (or --url) is the address `npm start` printed.',
  };
}
