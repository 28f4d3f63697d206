/**
 * GET /metrics in Prometheus text format, on the API server and on a worker's metrics listener
 * (src/metrics/listener.ts). The figures describe the business's traffic (accounts, volumes,
 * error codes), so they are not public: the scraper shows an API key of any role, or, so that
 * Prometheus need not hold a key that can read contacts, METRICS_TOKEN, which opens this
 * endpoint and nothing else. Either goes in `Authorization: Bearer …` (a key also in X-API-Key).
 * Failed attempts count against the client address like any other failed authentication.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { RecontactError } from '../../domain/errors';
import type { ApiKeys } from '../../engine/access/api-keys';
import type { AuthFailureLimiter } from '../rate-limits';

/** What the route serves: the process's registry, rendered (src/metrics/registry.ts). */
export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

export interface MetricsRouteDeps {
  source: MetricsSource;
  apiKeys: ApiKeys;
  /** METRICS_TOKEN; undefined: API keys only. */
  token: string | undefined;
  authFailures: AuthFailureLimiter;
}

export const metricsRoutes =
  (deps: MetricsRouteDeps): FastifyPluginAsync =>
  async (app) => {
    app.get(
      '/metrics',
      // Operations, not the bot's API: left out of the OpenAPI document, like /healthz.
      { schema: { hide: true }, onRequest: metricsAuth(deps) },
      async (_req, reply) => reply.type(deps.source.contentType).send(await deps.source.render()),
    );
  };

const digest = (text: string) => createHash('sha256').update(text).digest();

function metricsAuth(deps: MetricsRouteDeps) {
  // Compared as digests: equal lengths for timingSafeEqual, whatever was sent.
  const token = deps.token === undefined ? undefined : digest(deps.token);
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = credential(req);
    if (token && given !== undefined && timingSafeEqual(digest(given), token)) return;
    await deps.authFailures.check(req, reply);
    try {
      if (given === undefined) {
        throw new RecontactError('AUTH_MISSING', '/metrics needs an API key or the metrics token', {
          hint: `Send "Authorization: Bearer <key>" with an API key of any role${token ? ' or METRICS_TOKEN' : ''}.`,
        });
      }
      req.principal = await deps.apiKeys.authenticate(given);
    } catch (err) {
      if (err instanceof RecontactError) await deps.authFailures.record(req, reply);
      throw err;
    }
  };
}

function credential(req: FastifyRequest): string | undefined {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
  const xKey = req.headers['x-api-key'];
  return bearer ?? (Array.isArray(xKey) ? xKey[0] : xKey);
}
