/**
 * The one way the web app talks to Recontact: the public /v1 API, typed from the OpenAPI
 * document (schema.d.ts, generated), on its own origin with the session cookie. Every call that
 * changes something carries the session's CSRF token, which the server compares with the one it
 * bound to the cookie; a page cannot be made to send it from another origin.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import { ApiError } from './errors';
import type { paths } from './schema';

let csrfToken: string | undefined;

/** Set at sign-in and when the session is read back (GET /v1/session). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

const csrf: Middleware = {
  onRequest({ request }) {
    if (csrfToken && UNSAFE.has(request.method)) request.headers.set('x-csrf-token', csrfToken);
    return request;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin, credentials: 'same-origin' });
api.use(csrf);

/** Listeners told when an answer says the session is gone (401), so the app shows the sign-in. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

/**
 * The data of a call, or an ApiError carrying the API's own message and hint.
 * `const contacts = await unwrap(api.GET('/v1/contacts', { params: { query } }))`.
 */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await call;
  if (response.ok) return data as T;
  if (response.status === 401) for (const l of signedOutListeners) l();
  throw ApiError.from(response.status, error);
}

/** Headers for the calls openapi-fetch cannot make (uploads, downloads): the same CSRF rule. */
export function csrfHeaders(): Record<string, string> {
  return csrfToken ? { 'x-csrf-token': csrfToken } : {};
}
