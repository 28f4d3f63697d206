/**
 * Request budgets per minute, counted in this process (@fastify/rate-limit's in-memory store):
 *  - per API key on authenticated routes (generous: bulk sends run at thousands a second);
 *  - per client address on routes without a key (/docs, /healthz, unknown paths);
 *  - per client address for failed authentications (bad API keys, bad webhook signatures):
 *    once over budget, that address is refused before any key is hashed or body read.
 * Meta's signed webhooks are not limited: Meta sends from few addresses at high rates and retries
 * whatever it is refused. Over a budget the answer is 429 RATE_LIMITED with Retry-After.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RecontactError } from '../domain/errors';

export interface RateLimits {
  /** Requests a minute per API key; 0 = unlimited. */
  perKey: number;
  /** Requests a minute per client address on routes without a key; 0 = unlimited. */
  perIp: number;
  /** Failed authentications a minute per client address; 0 = unlimited. */
  authFailuresPerIp: number;
}

const WINDOW_MS = 60_000;

export function rateLimitedError(what: string, max: number, ttlMs: number): RecontactError {
  const retryAfter = Math.max(1, Math.ceil(ttlMs / 1000));
  return new RecontactError('RATE_LIMITED', `Too many ${what}: at most ${max} a minute`, {
    hint: `Retry after ${retryAfter} s (the Retry-After header); spread requests out or ask the operator to raise the limit.`,
    data: { limit: max, window_seconds: WINDOW_MS / 1000, retry_after_seconds: retryAfter },
  });
}

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/** Failed authentications per client address: counted on failure, checked before authenticating. */
export class AuthFailureLimiter {
  constructor(
    private readonly limiter: Limiter | undefined,
    private readonly max: number,
  ) {}

  /** Throws RATE_LIMITED when this address already used up its failures for the window. */
  async check(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.limiter) return;
    const r = await this.limiter(req, { increment: false });
    if (!r.isAllowed && r.remaining === 0) throw this.refuse(reply, r.ttl);
  }

  /** Counts one failure; throws RATE_LIMITED when it is one too many. */
  async record(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!this.limiter) return;
    const r = await this.limiter(req);
    if (!r.isAllowed && r.isExceeded) throw this.refuse(reply, r.ttl);
  }

  private refuse(reply: FastifyReply, ttlMs: number): RecontactError {
    const e = rateLimitedError('failed authentications from this address', this.max, ttlMs);
    reply.header('retry-after', String(e.data?.retry_after_seconds));
    return e;
  }
}

/** Registers the per-key / per-address budgets (before the routes) and returns the failure limiter. */
export async function registerRateLimits(
  app: FastifyInstance,
  limits: RateLimits,
): Promise<AuthFailureLimiter> {
  const budget = (req: FastifyRequest) => (req.principal ? limits.perKey : limits.perIp);
  await app.register(rateLimit, {
    global: true,
    // After authentication (onRequest), before the body is read: an over-budget key costs no parsing.
    hook: 'preParsing',
    timeWindow: WINDOW_MS,
    cache: 10_000,
    keyGenerator: (req) => (req.principal ? `key:${req.principal.keyId}` : `ip:${req.ip}`),
    max: (req) => budget(req),
    allowList: (req) => budget(req) === 0,
    errorResponseBuilder: (req, ctx) =>
      rateLimitedError(
        req.principal ? 'requests with this API key' : 'requests from this address',
        ctx.max,
        ctx.ttl,
      ),
  });
  const failures =
    limits.authFailuresPerIp === 0
      ? undefined
      : app.createRateLimit({
          timeWindow: WINDOW_MS,
          max: limits.authFailuresPerIp,
          keyGenerator: (req) => `auth-failure:${req.ip}`,
          allowList: () => false,
        });
  return new AuthFailureLimiter(failures, limits.authFailuresPerIp);
}
