/**
 * API-key authentication at the HTTP edge: reads the key from the request (Authorization:
 * Bearer, or X-API-Key), has the engine's ApiKeys tell whose it is (engine/access/api-keys.ts),
 * and checks the route's role. Failed attempts count against the client address.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { RecontactError } from '../domain/errors';
import { type ApiKeys, type Principal, ROLES, type Role } from '../engine/access/api-keys';
import type { AuthFailureLimiter } from './rate-limits';

/** The onRequest hook of every route whose config names a role; sets req.principal. */
export function apiKeyAuthHook(apiKeys: ApiKeys, authFailures: AuthFailureLimiter) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const role = req.routeOptions.config.role;
    if (!role) return;
    // An address that keeps failing is refused before its keys cost a hash and a lookup.
    await authFailures.check(req, reply);
    const xKey = req.headers['x-api-key'];
    let principal: Principal;
    try {
      const key = parseKey(req.headers.authorization) ?? (Array.isArray(xKey) ? xKey[0] : xKey);
      if (!key) {
        throw new RecontactError('AUTH_MISSING', 'This endpoint needs an API key', {
          hint: 'Send "Authorization: Bearer <key>" (or "X-API-Key: <key>").',
        });
      }
      principal = await apiKeys.authenticate(key);
    } catch (err) {
      if (err instanceof RecontactError) await authFailures.record(req, reply);
      throw err;
    }
    requireRole(principal, role);
    req.principal = principal;
  };
}

function parseKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export function requireRole(p: Principal, role: Role): void {
  if (ROLES.indexOf(p.role) < ROLES.indexOf(role)) {
    throw new RecontactError(
      'AUTH_FORBIDDEN',
      `This needs the "${role}" role; the key "${p.name}" is "${p.role}"`,
      {
        hint: 'Use a key with a higher role.',
      },
    );
  }
}
