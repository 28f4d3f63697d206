/**
 * A worker process has no API server, yet Prometheus scrapes each process for its own sends,
 * lags and memory: `recontact worker --metrics-port` (METRICS_PORT) serves GET /metrics alone,
 * with the API's authentication (an API key of any role, or METRICS_TOKEN) and error answers,
 * bound to 127.0.0.1 unless METRICS_HOST says otherwise.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { errorHandler } from '../api/http-errors';
import { type RateLimits, registerRateLimits } from '../api/rate-limits';
import { type MetricsSource, metricsRoutes } from '../api/routes/metrics';
import { RecontactError } from '../domain/errors';
import type { ApiKeys } from '../engine/access/api-keys';
import type { EngineContext } from '../engine/context';
import { asOutageError } from '../engine/health';

export interface MetricsListenerDeps {
  ctx: EngineContext;
  source: MetricsSource;
  apiKeys: ApiKeys;
  token: string | undefined;
  rateLimits: RateLimits;
}

export interface MetricsListener {
  /** e.g. http://127.0.0.1:9464 */
  url: string;
  close(): Promise<void>;
}

export async function startMetricsListener(
  deps: MetricsListenerDeps,
  port: number,
  host: string,
): Promise<MetricsListener> {
  const app: FastifyInstance = Fastify({ logger: false });
  // A key checked against a database that is down is a 503 with Retry-After, as on the API.
  app.setErrorHandler((err, req, reply) =>
    errorHandler(asOutageError(deps.ctx, err) as FastifyError, req, reply),
  );
  app.setNotFoundHandler((req, reply) =>
    errorHandler(
      new RecontactError('ROUTE_NOT_FOUND', `No endpoint ${req.method} ${req.url.split('?')[0]}`, {
        hint: "A worker's metrics listener serves GET /metrics only.",
      }) as never,
      req,
      reply,
    ),
  );
  const authFailures = await registerRateLimits(app, deps.rateLimits);
  await app.register(
    metricsRoutes({ source: deps.source, apiKeys: deps.apiKeys, token: deps.token, authFailures }),
  );
  const url = await app.listen({ port, host });
  return { url, close: () => app.close() };
}
