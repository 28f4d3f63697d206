/**
 * Authentication at the HTTP edge, for every route whose config names a role. A request is
 * signed in by an API key (Authorization: Bearer, or X-API-Key) exactly as before, or, when it
 * sends no key, by the web app's session cookie. Failed attempts count against the client
 * address (rate-limits.ts).
 *
 * A cookie is sent by the browser whatever page makes the request, so a cookie-signed request
 * that changes something must also prove it comes from the web app: an x-csrf-token header
 * equal to the session's token (which only a page of this origin can read, from the sign-in or
 * GET /v1/session answer), and no Origin header of another origin. Key-signed requests need
 * neither: a page of another origin cannot attach the key.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RecontactError } from '../domain/errors';
import { type ApiKeys, type Principal, ROLES, type Role } from '../engine/access/api-keys';
import { type ActiveSession, csrfMatches, type Sessions } from '../engine/access/sessions';
import type { AuthFailureLimiter } from './rate-limits';

export const SESSION_COOKIE = 'recontact_session';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route is about the cookie's session itself (GET/DELETE /v1/session): a key header is ignored. */
    sessionOnly?: boolean;
  }
  interface FastifyRequest {
    /** Set when the request was signed in by the session cookie. */
    session?: ActiveSession & { token: string };
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The onRequest hook of every route whose config names a role; sets req.principal (and req.session). */
export function authHook(apiKeys: ApiKeys, sessions: Sessions, authFailures: AuthFailureLimiter) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const { role, sessionOnly } = req.routeOptions.config;
    if (!role) return;
    // An address that keeps failing is refused before its keys cost a hash and a lookup.
    await authFailures.check(req, reply);
    const key = sessionOnly ? undefined : keyOf(req);
    let principal: Principal;
    try {
      if (key) principal = await apiKeys.authenticate(key);
      else {
        const token = sessionToken(req);
        if (!token) throw missing(sessionOnly === true);
        try {
          req.session = { ...(await sessions.resolve(token)), token };
        } catch (err) {
          // A cookie that no longer signs anyone in is dropped, so the browser stops sending it.
          if (err instanceof RecontactError) clearSessionCookie(req, reply);
          throw err;
        }
        principal = req.session.principal;
      }
    } catch (err) {
      if (err instanceof RecontactError) await authFailures.record(req, reply);
      throw err;
    }
    if (req.session && !SAFE_METHODS.has(req.method)) {
      assertSameOrigin(req);
      assertCsrfToken(req, req.session.token);
    }
    requireRole(principal, role, req.session?.kind);
    req.principal = principal;
  };
}

function keyOf(req: FastifyRequest): string | undefined {
  const xKey = req.headers['x-api-key'];
  return parseKey(req.headers.authorization) ?? (Array.isArray(xKey) ? xKey[0] : xKey);
}

function parseKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

function missing(sessionOnly: boolean): RecontactError {
  return sessionOnly
    ? new RecontactError('AUTH_MISSING', 'You are not signed in', {
        hint: `Sign in with POST /v1/session; the session is the ${SESSION_COOKIE} cookie it sets.`,
      })
    : new RecontactError('AUTH_MISSING', 'This endpoint needs an API key or a signed-in session', {
        hint: `Send "Authorization: Bearer <key>" (or "X-API-Key: <key>"), or sign in with POST /v1/session and send the ${SESSION_COOKIE} cookie it sets.`,
      });
}

export function requireRole(p: Principal, role: Role, session?: 'user' | 'api_key'): void {
  if (ROLES.indexOf(p.role) >= ROLES.indexOf(role)) return;
  const who =
    session === 'user'
      ? `you are signed in as "${p.name}", a ${p.role}`
      : session === 'api_key'
        ? `you signed in with the key "${p.name}", a ${p.role} key`
        : `the key "${p.name}" is "${p.role}"`;
  throw new RecontactError('AUTH_FORBIDDEN', `This needs the "${role}" role; ${who}`, {
    hint: session === 'user' ? 'Ask an admin for a higher role.' : 'Use a key with a higher role.',
  });
}

/** The cookie's session token, if the request carries one. */
export function sessionToken(req: FastifyRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      // Our tokens are base64url; anything else cannot be one, and is not worth a lookup.
      return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

function cookieAttributes(req: FastifyRequest, maxAgeSeconds: number): string {
  // req.protocol is the socket's unless the server trusts a proxy's X-Forwarded-Proto.
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return `Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}

export function setSessionCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  token: string,
  maxAgeSeconds: number,
) {
  reply.header('set-cookie', `${SESSION_COOKIE}=${token}; ${cookieAttributes(req, maxAgeSeconds)}`);
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply) {
  reply.header('set-cookie', `${SESSION_COOKIE}=; ${cookieAttributes(req, 0)}`);
}

/**
 * A browser names the page's origin in Origin on every cross-origin request, and on same-origin
 * ones that change something; when it names another origin, the request is refused whatever it
 * carries. (No Origin: a client that is not a browser page, or an old browser: the CSRF token
 * is the protection then.)
 */
export function assertSameOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const own = `${req.protocol}://${req.host}`;
  if (origin.toLowerCase() === own.toLowerCase()) return;
  throw new RecontactError(
    'CSRF_ORIGIN_FORBIDDEN',
    `This request comes from a page of ${origin}, not from Recontact's own origin ${own}`,
    {
      hint: 'Use the web app served by Recontact itself; other sites and scripts use an API key (Authorization: Bearer) instead of the session cookie.',
    },
  );
}

function assertCsrfToken(req: FastifyRequest, token: string): void {
  const given = req.headers['x-csrf-token'];
  const value = Array.isArray(given) ? given[0] : given;
  if (csrfMatches(token, value)) return;
  throw new RecontactError(
    'CSRF_TOKEN_INVALID',
    value === undefined
      ? `${req.method} with the session cookie needs the x-csrf-token header`
      : 'The x-csrf-token header is not this session’s token',
    {
      hint: 'Send the csrf_token from the sign-in answer (or from GET /v1/session) in the x-csrf-token header; it changes with each sign-in.',
    },
  );
}
