/**
 * The HTTP edge: Fastify with zod-validated routes, OpenAPI at /docs, API-key auth on /v1,
 * signature auth on /webhooks. Errors of every kind leave through http-errors.ts.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { TemplateProvider } from '../channels/channel';
import { type ErrorCode, RecontactError } from '../domain/errors';
import type { ApiKeys, Principal, Role } from '../engine/access/api-keys';
import type { Sessions } from '../engine/access/sessions';
import type { Users } from '../engine/access/users';
import type { AccountRegistry } from '../engine/accounts';
import type { CampaignDeps } from '../engine/campaigns/launch';
import type { PlanSettings } from '../engine/campaigns/plan';
import type { ImportService } from '../engine/contacts/import/imports';
import type { EngineContext } from '../engine/context';
import type { EventBus } from '../engine/events/event-bus';
import { asOutageError, readiness } from '../engine/health';
import type { WebhookIngest } from '../engine/inbound/webhook-ingest';
import type { SendService } from '../engine/outbound/send-service';
import { authHook } from './auth';
import { clientErrorHandler, errorHandler, MAX_HEADER_BYTES, MAX_PARAM_LENGTH } from './http-errors';
import { assertNoControlCharacters, installJsonParser } from './input-guards';
import { lazyRequestLogger } from './lazy-request-logger';
import { documentedOnlySerializer, openapiDocument } from './openapi';
import { type RateLimits, registerRateLimits } from './rate-limits';
import {
  DEFAULT_REQUEST_DEADLINES,
  installRequestDeadlines,
  type RequestDeadlines,
} from './request-deadlines';
import { requestIdGenerator } from './request-id';
import { adminRoutes } from './routes/admin';
import { audienceRoutes } from './routes/audiences';
import { campaignCommandRoutes } from './routes/campaign-commands';
import { campaignPlanRoutes } from './routes/campaign-plan';
import { campaignResultRoutes } from './routes/campaign-results';
import { campaignRoutes } from './routes/campaigns';
import { channelAccountRoutes } from './routes/channel-accounts';
import { consentRoutes } from './routes/consent';
import { contactRoutes } from './routes/contacts';
import { conversationListRoutes } from './routes/conversation-lists';
import { conversationRoutes } from './routes/conversations';
import { importPreviewRoutes } from './routes/import-preview';
import { importRoutes } from './routes/imports';
import { messageRoutes } from './routes/messages';
import { metaWebhookRoutes } from './routes/meta-webhook';
import { type MetricsSource, metricsRoutes } from './routes/metrics';
import { replyRoutes } from './routes/replies';
import { sandboxPhoneRoutes } from './routes/sandbox-phone';
import { sessionRoutes } from './routes/session';
import { templateLintRoutes } from './routes/template-lint';
import { templateRoutes } from './routes/templates';
import { userRoutes } from './routes/users';
import { webAppRoutes } from './routes/web-app';
import { responseHeadersHook } from './security-headers';

export interface ApiDeps {
  ctx: EngineContext;
  accounts: AccountRegistry;
  sendService: SendService;
  ingest: WebhookIngest;
  events: EventBus;
  apiKeys: ApiKeys;
  /** People who sign in to the web app (/v1/users). */
  users: Users;
  /** Web-app sessions: the cookie that /v1 accepts besides API keys (/v1/session). */
  sessions: Sessions;
  /** Template management at Meta (list, create, edit), for the /v1/templates routes. */
  templateProvider: TemplateProvider;
  /** Request budgets per minute (config.rateLimits); unlimited when absent. */
  rateLimits?: RateLimits;
  /** Whether webhook endpoints may target private addresses (config.allowPrivateTargets); no when absent. */
  allowPrivateTargets?: boolean;
  /** CSV contact imports (POST /v1/contacts/import, GET /v1/imports/…); absent: those routes answer 404. */
  imports?: ImportService;
  /** What campaign plans price and pace by (rate card, messaging limit); absent: the plan routes answer 404. */
  campaignPlan?: PlanSettings;
  /** Launch, pause, resume, cancel; absent: those routes are not served. */
  campaigns?: CampaignDeps;
  /** The conversations' timer worker, woken when a mark is due at once; absent: it finds it at its next look. */
  conversations?: { wake(): void };
  /** How long a request body may take (DEFAULT_REQUEST_DEADLINES when absent). */
  requestDeadlines?: RequestDeadlines;
  /** GET /metrics: the registry and METRICS_TOKEN; absent: not served. */
  metrics?: { source: MetricsSource; token: string | undefined };
  /** Which proxies' X-Forwarded-* headers to believe (config.trustProxy); none when absent. */
  trustProxy?: boolean | number | string[];
  /** The embedded sandbox (serve with no Meta account): the web app's sandbox phone talks to it through /v1/sandbox. */
  sandbox?: { baseUrl: string };
  /** Extra route plugins (e.g. the template routes of later modules). */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: Role;
    /** Statuses this route gives some codes instead of the catalogue's (applied in http-errors.ts). */
    errorStatus?: Partial<Record<ErrorCode, number>>;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const API_BODY_LIMIT = 256 * 1024;
/** A template file (up to 200,000 characters, JSON-escaped) or up to 1,000 template objects. */
const TEMPLATES_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * A silent or slow client cannot hold a connection: headers must arrive within 10 s and the
 * whole request within 30 s, or for an upload within a time that grows with its bytes
 * (request-deadlines.ts, which replaces Node's single requestTimeout); an idle keep-alive connection is closed after
 * 72 s (longer than common load balancers' 60 s, so they close first); a connection with no
 * traffic either way for 2 minutes (a client that stopped reading) is closed.
 */
const SERVER_TIMEOUTS = {
  connectionTimeout: 120_000,
  keepAliveTimeout: 72_000,
  requestTimeout: 0,
  http: { headersTimeout: 10_000, connectionsCheckingInterval: 2_000, maxHeaderSize: MAX_HEADER_BYTES },
};

const UNLIMITED: RateLimits = { perKey: 0, perIp: 0, authFailuresPerIp: 0 };

/** The HTTP layer logs warnings and errors only (5xx, with the request id); the app its own progress. */
function httpLogger(logger: Logger): Logger {
  return logger.levelVal >= logger.levels.values.warn! ? logger : logger.child({}, { level: 'warn' });
}

export async function buildApi(deps: ApiDeps, logger: Logger | false): Promise<FastifyInstance> {
  const newRequestId = requestIdGenerator();
  const app = Fastify({
    loggerInstance: logger ? httpLogger(logger) : undefined,
    logger: logger ? undefined : false,
    bodyLimit: API_BODY_LIMIT,
    // Per-request lines would dominate the log at thousands of webhooks a second.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    genReqId: newRequestId,
    childLoggerFactory: lazyRequestLogger,
    requestIdHeader: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    ...SERVER_TIMEOUTS,
    // A number is that many hops nearest the server (proxy-addr counts from the socket).
    trustProxy:
      typeof deps.trustProxy === 'number'
        ? (
            (hops: number) => (_addr: string, i: number) =>
              i < hops
          )(deps.trustProxy)
        : (deps.trustProxy ?? false),
    // Bad percent-encoding and overlong path parameters: the documented shape, not Fastify's.
    frameworkErrors: (err, req, reply) => errorHandler(err, req as never, reply as never),
    clientErrorHandler: clientErrorHandler(newRequestId),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(documentedOnlySerializer);
  // A database outage (restart, full disk, lock) is a 503 with Retry-After, not a 500.
  app.setErrorHandler((err, req, reply) => errorHandler(asOutageError(deps.ctx, err) as never, req, reply));
  app.setNotFoundHandler((req, reply) =>
    errorHandler(
      new RecontactError('ROUTE_NOT_FOUND', `No endpoint ${req.method} ${req.url.split('?')[0]}`, {
        hint: 'See the API reference at /docs.',
      }) as never,
      req,
      reply,
    ),
  );

  installJsonParser(app as unknown as FastifyInstance);
  installRequestDeadlines(
    app as unknown as FastifyInstance,
    deps.requestDeadlines ?? DEFAULT_REQUEST_DEADLINES,
    newRequestId,
  );
  app.addHook('onSend', responseHeadersHook);
  // Every string input, checked once for all routes: NUL breaks PostgreSQL text, and no field
  // has a use for the other control characters.
  app.addHook('preValidation', async (req) => assertNoControlCharacters(req));
  app.addHook('onRoute', (route) => {
    const post = route.method === 'POST' || (Array.isArray(route.method) && route.method.includes('POST'));
    if (post && route.url.startsWith('/v1/templates') && route.bodyLimit === undefined) {
      route.bodyLimit = TEMPLATES_BODY_LIMIT;
    }
  });
  const authFailures = await registerRateLimits(
    app as unknown as FastifyInstance,
    deps.rateLimits ?? UNLIMITED,
  );

  await app.register(swagger, {
    openapi: {
      // 3.1: JSON Schema 2020-12 (null as a type) and a `webhooks` section for the events.
      openapi: '3.1.0',
      info: {
        title: 'Recontact API',
        version: '0.1.0',
        description:
          'Re-contact WhatsApp users after their 24-hour window closed: templates, sends, windows, events.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer rk_…' },
          session: {
            type: 'apiKey',
            in: 'cookie',
            name: 'recontact_session',
            description:
              'The web app’s session (POST /v1/session); POST, PUT, PATCH and DELETE also need the x-csrf-token header',
          },
        },
      },
      security: [{ apiKey: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: openapiDocument,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', authHook(deps.apiKeys, deps.sessions, authFailures));

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  // Liveness above, readiness here: can this process serve requests right now?
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const ready = await readiness(deps.ctx);
    return reply.status(ready.ready ? 200 : 503).send(ready);
  });
  await app.register(messageRoutes(deps));
  await app.register(contactRoutes(deps));
  await app.register(conversationRoutes(deps));
  await app.register(consentRoutes(deps));
  await app.register(audienceRoutes(deps));
  await app.register(campaignRoutes(deps));
  await app.register(campaignCommandRoutes(deps));
  await app.register(campaignPlanRoutes(deps));
  await app.register(campaignResultRoutes(deps));
  if (deps.imports) await app.register(importRoutes(deps));
  await app.register(templateRoutes(deps));
  await app.register(replyRoutes(deps));
  await app.register(adminRoutes(deps));
  await app.register(sessionRoutes({ sessions: deps.sessions, users: deps.users, authFailures }));
  await app.register(userRoutes({ users: deps.users }));
  await app.register(templateLintRoutes(deps));
  await app.register(conversationListRoutes(deps));
  await app.register(importPreviewRoutes(deps));
  await app.register(sandboxPhoneRoutes(deps));
  await app.register(webAppRoutes());
  await app.register(channelAccountRoutes(deps));
  await app.register(metaWebhookRoutes(deps, authFailures));
  if (deps.metrics)
    await app.register(metricsRoutes({ ...deps.metrics, apiKeys: deps.apiKeys, authFailures }));
  for (const p of deps.plugins ?? []) await app.register(p);
  return app as unknown as FastifyInstance;
}
