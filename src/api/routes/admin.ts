import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createEndpoint, listEndpointsWithHealth, removeEndpoint } from '../../engine/events/endpoints';
import {
  createdKeySchema,
  createKeyBody,
  keyIdParams,
  keyListSchema,
  rotatedKeySchema,
  rotateKeyBody,
} from '../api-key-schemas';
import { answer, errorAnswers, noContent } from '../openapi';
import { createEndpointBody, endpointCreatedSchema, endpointListSchema } from '../schemas';
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
          response: {
            201: answer('Subscribed; the secret is shown only here', endpointCreatedSchema),
            ...errorAnswers({ body: true, codes: ['WEBHOOK_URL_FORBIDDEN'] }),
          },
        },
      },
      async (req, reply) => {
        // Recontact will POST to this URL from inside your network: never to a private address.
        const created = await createEndpoint(
          deps.ctx,
          { url: req.body.url, events: req.body.events },
          { allowPrivate: deps.allowPrivateTargets === true },
        );
        return reply.status(201).send(created);
      },
    );

    app.get(
      '/v1/webhook-endpoints',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['events'],
          summary: 'Event subscriptions',
          response: {
            200: answer('Every subscription, with its health', endpointListSchema),
            ...errorAnswers(),
          },
        },
      },
      async () => {
        return { data: await listEndpointsWithHealth(deps.ctx) };
      },
    );

    app.delete(
      '/v1/webhook-endpoints/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['events'],
          summary: 'Remove a subscription',
          params: z.object({ id: z.string() }),
          response: {
            204: noContent('Removed'),
            ...errorAnswers({ input: true, codes: ['WEBHOOK_ENDPOINT_NOT_FOUND'] }),
          },
        },
      },
      async (req, reply) => {
        await removeEndpoint(deps.ctx, req.params.id);
        return reply.status(204).send();
      },
    );

    // ---- API keys (admin only): the key itself is in an answer once, when it is made ----

    app.get(
      '/v1/api-keys',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'API keys: name, role, prefix, status, when created, last used, expiring, revoked',
          description: 'Never the key nor its hash; `prefix` is its first characters, to recognise it.',
          response: { 200: answer('Every key, oldest first', keyListSchema), ...errorAnswers() },
        },
      },
      async () => ({ data: await deps.apiKeys.list() }),
    );

    app.post(
      '/v1/api-keys',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Create an API key (shown once)',
          description: 'The answer holds the key; only its hash is stored, so it cannot be shown again.',
          body: createKeyBody,
          response: {
            201: answer('Created: the key is in this answer and nowhere else', createdKeySchema),
            ...errorAnswers({ body: true }),
          },
        },
      },
      async (req, reply) => {
        const { name, role, expires_at } = req.body;
        const created = await deps.apiKeys.create(name, role, {
          expiresAt: expires_at === undefined ? null : Date.parse(expires_at),
        });
        return reply.status(201).send(created);
      },
    );

    app.delete(
      '/v1/api-keys/:id',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Revoke an API key',
          description:
            'Every process sharing the database refuses the key within a second. Revoking a revoked key ' +
            'changes nothing; the last active admin key cannot be revoked (rotate it instead).',
          params: keyIdParams,
          response: {
            204: noContent('Revoked (a key already revoked stays as it was)'),
            ...errorAnswers({ input: true, codes: ['API_KEY_NOT_FOUND', 'API_KEY_LAST_ADMIN'] }),
          },
        },
      },
      async (req, reply) => {
        await deps.apiKeys.revoke(req.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/v1/api-keys/:id/rotate',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Replace an API key by a new one (shown once) with the same name and role',
          description:
            'The old key is revoked at once. The new one expires at `expires_at` if given, else after as ' +
            'long as the old one was given, counted from now.',
          params: keyIdParams,
          body: rotateKeyBody,
          response: {
            201: answer(
              'The replacement, with its key (shown once); the old key is revoked',
              rotatedKeySchema,
            ),
            ...errorAnswers({ body: true, codes: ['API_KEY_NOT_FOUND', 'API_KEY_REVOKED'] }),
          },
        },
      },
      async (req, reply) => {
        const expires = req.body?.expires_at;
        const created = await deps.apiKeys.rotate(
          req.params.id,
          expires === undefined ? {} : { expiresAt: Date.parse(expires) },
        );
        return reply.status(201).send({ ...created, replaces: req.params.id });
      },
    );
  };
