/**
 * The HTTP edge: Fastify with zod-validated routes, OpenAPI at /docs, API-key auth on /v1,
 * signature auth on /webhooks. Errors of every kind leave through http-errors.ts.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import type { TemplateProvider } from '../channels/channel';
import { RecontactError } from '../domain/errors';
import type { AccountRegistry } from '../engine/accounts';
import type { EngineContext } from '../engine/context';
import type { EventBus } from '../engine/events/event-bus';
import type { WebhookIngest } from '../engine/inbound/webhook-ingest';
import type { SendService } from '../engine/outbound/send-service';
import { checkReadiness } from '../store/database';
import { databaseUnavailableError } from '../store/database-faults';
import { type ApiKeys, type Principal, type Role, requireRole } from './auth';
import { errorHandler } from './http-errors';
import { adminRoutes } from './routes/admin';
import { contactRoutes } from './routes/contacts';
import { messageRoutes } from './routes/messages';
import { templateRoutes } from './routes/templates';
import { whatsappWebhookRoutes } from './routes/whatsapp-webhook';

export interface ApiDeps {
  ctx: EngineContext;
  accounts: AccountRegistry;
  sendService: SendService;
  ingest: WebhookIngest;
  events: EventBus;
  apiKeys: ApiKeys;
  /** Template management at Meta (list, create, edit), for the /v1/templates routes. */
  templateProvider: TemplateProvider;
  /** Extra route plugins (e.g. the template routes of later modules). */
  plugins?: Array<(app: FastifyInstance) => Promise<void>>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    role?: Role;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const API_BODY_LIMIT = 256 * 1024;

export async function buildApi(deps: ApiDeps, logger: Logger | false): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: logger || undefined,
    logger: logger ? undefined : false,
    bodyLimit: API_BODY_LIMIT,
    // Per-request lines would dominate the log at thousands of webhooks a second.
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // A database outage (restart, full disk, lock) is a 503 with Retry-After, not a 500.
  app.setErrorHandler((err, req, reply) => {
    const fault = deps.ctx.store.fault(err);
    return errorHandler((fault ? databaseUnavailableError(fault, err) : err) as never, req, reply);
  });
  app.setNotFoundHandler((req, reply) =>
    errorHandler(
      new RecontactError('ROUTE_NOT_FOUND', `No endpoint ${req.method} ${req.url.split('?')[0]}`, {
        hint: 'See the API reference at /docs.',
      }) as never,
      req,
      reply,
    ),
  );

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Recontact API',
        version: '0.1.0',
        description:
          'Re-contact WhatsApp users after their 24-hour window closed: templates, sends, windows, events.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer rk_…' },
        },
      },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.addHook('onRequest', async (req) => {
    const role = req.routeOptions.config.role;
    if (!role) return;
    const xKey = req.headers['x-api-key'];
    const principal = await deps.apiKeys.authenticate(
      req.headers.authorization,
      Array.isArray(xKey) ? xKey[0] : xKey,
    );
    requireRole(principal, role);
    req.principal = principal;
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ ok: true }));
  // Liveness above, readiness here: can this process serve requests right now?
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const readiness = await checkReadiness(deps.ctx.store);
    return reply.status(readiness.ready ? 200 : 503).send(readiness);
  });
  await app.register(messageRoutes(deps));
  await app.register(contactRoutes(deps));
  await app.register(templateRoutes(deps));
  await app.register(adminRoutes(deps));
  await app.register(whatsappWebhookRoutes(deps));
  for (const p of deps.plugins ?? []) await app.register(p);
  return app as unknown as FastifyInstance;
}
