import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RecontactError } from '../../domain/errors';
import { messageView } from '../../engine/events/payloads';
import type { SendRequest } from '../../engine/outbound/send-service';
import { getMessage, getTimeline } from '../../store/messages-repo';
import { idempotencyHeaders, messageIdParams, sendMessageBody } from '../schemas';
import type { ApiDeps } from '../server';

export const messageRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/messages',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['messages'],
          summary: 'Queue a message (template, or free-form inside the window)',
          description:
            'Validates everything Meta would reject (phone, template approval, values, window) before queueing. ' +
            'With an Idempotency-Key, the same key and body return the same message (200, Idempotent-Replayed: true); ' +
            'the same key with another body is refused (422).',
          headers: idempotencyHeaders,
          body: sendMessageBody,
        },
      },
      async (req, reply) => {
        const key = req.headers['idempotency-key'];
        const { message, replayed } = await deps.sendService.send(req.body as SendRequest, key);
        if (replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(replayed ? 200 : 202).send(messageView(message));
      },
    );

    app.get(
      '/v1/messages/:id',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['messages'],
          summary: 'A message with its status timeline',
          params: messageIdParams,
        },
      },
      async (req) => {
        const { db } = deps.ctx.store;
        const m = await getMessage(db, req.params.id);
        if (!m) {
          throw new RecontactError('MESSAGE_NOT_FOUND', `No message "${req.params.id}"`, {
            hint: 'Use the id returned by POST /v1/messages (msg_…).',
          });
        }
        const timeline = await getTimeline(db, m.id);
        return {
          ...messageView(m),
          timeline: timeline.map((e) => ({
            status: e.status,
            at: new Date(e.at).toISOString(),
            source: e.source,
            detail: e.detail === null ? null : (JSON.parse(e.detail) as unknown),
          })),
        };
      },
    );
  };
