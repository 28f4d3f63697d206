/** Graph API plumbing shared by the routes: version segment, access token, error replies. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MetaError, tokenError, unknownPathError } from './errors';
import type { SandboxState } from './state';

const VERSION = /^v\d{1,2}\.\d{1,2}$/;

export function checkVersion(version: string, path: string): void {
  if (!VERSION.test(version)) throw unknownPathError(path);
}

/** `Authorization: Bearer …`, or Graph's `access_token` query parameter. */
export function accessToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(h);
    if (m?.[1]) return m[1];
  }
  const q = (req.query as Record<string, unknown> | undefined)?.access_token;
  return typeof q === 'string' && q !== '' ? q : null;
}

/** The request's token, which must belong to some account (else 401, code 190). */
export function requireToken(state: SandboxState, req: FastifyRequest): string {
  const token = accessToken(req);
  if (!token) throw tokenError(true);
  if (!state.tokens.has(token)) throw tokenError(false);
  return token;
}

export function sendMetaError(
  reply: FastifyReply,
  err: MetaError,
  statusByCode: Record<number, number>,
): void {
  const status = statusByCode[err.code] ?? err.httpStatus;
  if (status === 401) {
    reply.header(
      'www-authenticate',
      `OAuth "Facebook Platform" "invalid_token" "${String(err.body.error.message)}"`,
    );
  }
  reply.code(status).send(err.body);
}

export { MetaError };
