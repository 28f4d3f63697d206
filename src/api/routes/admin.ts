import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RecontactError } from '../../domain/errors';
import { newEndpointSecret } from '../../engine/events/signing';
import { deleteEndpoint, insertEndpoint, listEndpoints } from '../../store/events-repo';
import { createEndpointBody, createKeyBody } from '../schemas';
import type { ApiDeps } from '../server';

export const adminRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/webhook-endpoints',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['events'],
          summary: 'Subscribe a URL to events (Standard Webhooks signatures)',
          description: 'The secret is returned once; verify webhook-signature with it.',
          body: createEndpointBody,
        },
      },
      async (req, reply) => {
        const id = deps.ctx.id('ep');
        const secret = newEndpointSecret();
        await insertEndpoint(
          deps.ctx.store.db,
          { id, url: req.body.url, secret, eventTypes: req.body.events },
          deps.ctx.clock(),
        );
        await deps.events.refresh();
        return reply.status(201).send({ id, url: req.body.url, events: req.body.events, secret });
      },
    );

    app.get(
      '/v1/webhook-endpoints',
      { config: { role: 'admin' }, schema: { tags: ['events'], summary: 'Event subscriptions' } },
      async () => {
        const rows = await listEndpoints(deps.ctx.store.db);
        return {
          data: rows.map((r) => ({
            id: r.id,
            url: r.url,
            events: JSON.parse(r.event_types) as string[],
            enabled: r.enabled === 1,
          })),
        };
      },
    );

    app.delete(
      '/v1/webhook-endpoints/:id',
      {
        config: { role: 'admin' },
        schema: { tags: ['events'], summary: 'Remove a subscription', params: z.object({ id: z.string() }) },
      },
      async (req, reply) => {
        if (!(await deleteEndpoint(deps.ctx.store.db, req.params.id))) {
          throw new RecontactError('INPUT_INVALID', `No webhook endpoint "${req.params.id}"`);
        }
        await deps.events.refresh();
        return reply.status(204).send();
      },
    );

    app.post(
      '/v1/api-keys',
      {
        config: { role: 'admin' },
        schema: { tags: ['auth'], summary: 'Create an API key (shown once)', body: createKeyBody },
      },
      async (req, reply) => {
        const created = await deps.apiKeys.create(req.body.name, req.body.role);
        return reply
          .status(201)
          .send({ id: created.id, name: req.body.name, role: req.body.role, key: created.key });
      },
    );
  };
