/**
 * A browser's view of the API for tests of the web app's sign-in: requests that carry the
 * session cookie (and, when given, the CSRF token and an Origin) instead of an API key.
 */
import { request } from 'undici';

export interface CookieResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
  /** The Set-Cookie header of the answer, if any. */
  setCookie: string | undefined;
}

export interface CookieRequest {
  cookie?: string | undefined;
  csrf?: string | undefined;
  origin?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function call(
  base: string,
  method: string,
  path: string,
  o: CookieRequest = {},
): Promise<CookieResponse> {
  const res = await request(`${base}${path}`, {
    method: method as 'GET',
    headers: {
      ...(o.cookie ? { cookie: `recontact_session=${o.cookie}` } : {}),
      ...(o.csrf ? { 'x-csrf-token': o.csrf } : {}),
      ...(o.origin ? { origin: o.origin } : {}),
      ...(o.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...o.headers,
    },
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
  });
  const text = await res.body.text();
  const sc = res.headers['set-cookie'];
  return {
    status: res.statusCode,
    headers: res.headers,
    json: text ? JSON.parse(text) : undefined,
    setCookie: Array.isArray(sc) ? sc[0] : sc,
  };
}

/** The session token in a Set-Cookie header ('' when it clears the cookie). */
export function tokenOf(setCookie: string | undefined): string {
  const m = /^recontact_session=([^;]*)/.exec(setCookie ?? '');
  if (!m) throw new Error(`no recontact_session cookie in ${JSON.stringify(setCookie)}`);
  return m[1]!;
}

export interface SignedIn {
  cookie: string;
  csrf: string;
  user: { name: string; role: string; kind: string };
}

/** Signs in (201 expected) and returns the cookie's token and the CSRF token. */
export async function signIn(
  base: string,
  body: { username: string; password: string } | { api_key: string },
): Promise<SignedIn> {
  const res = await call(base, 'POST', '/v1/session', { body });
  if (res.status !== 201) throw new Error(`sign-in answered ${res.status}: ${JSON.stringify(res.json)}`);
  return { cookie: tokenOf(res.setCookie), csrf: res.json.data.csrf_token, user: res.json.data.user };
}
