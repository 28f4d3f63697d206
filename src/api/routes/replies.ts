/**
 * Reply routing through the API: a message's replies with what routing did for each, a
 * template's replies counted per button, and a template's routing set without a push.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { messageReplies, putTemplateRouting, templateReplies } from '../../engine/inbound/reply-reads';
import { answer, errorAnswers } from '../openapi';
import {
  messageRepliesSchema,
  templateRepliesQuery,
  templateRepliesSchema,
  templateRoutingBody,
  templateRoutingSchema,
} from '../reply-schemas';
import { accountQuery, messageIdParams } from '../schemas';
import type { ApiDeps } from '../server';
import { templateKeyParams } from '../template-schemas';

export const replyRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/messages/:id/replies',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['messages'],
          summary: "A message's replies, and what reply routing did for each",
          description:
            "The routing table in force (the message's own, else its campaign's, else its template's) and every reply " +
            "attributed to the message, with the rule that matched and each action's outcome (applied, skipped, failed).",
          params: messageIdParams,
          response: {
            200: answer('The replies, oldest first', messageRepliesSchema),
            ...errorAnswers({ input: true, codes: ['MESSAGE_NOT_FOUND'] }),
          },
        },
      },
      async (req) => messageReplies(deps.ctx, req.params.id),
    );

    app.get(
      '/v1/templates/:name/replies',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['templates'],
          summary: "A template's replies, per language and per button",
          description:
            'Counts the replies attributed to messages of this template: per button (payload and label) with the ' +
            'distinct contacts who tapped it, and every other reply (text, media) in `other`.',
          params: z.object({ name: templateKeyParams.shape.name }),
          querystring: templateRepliesQuery,
          response: {
            200: answer('Counts per language', templateRepliesSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return templateReplies(deps.ctx, {
          accountId: account.id,
          name: req.params.name,
          ...(req.query.language !== undefined ? { language: req.query.language } : {}),
        });
      },
    );

    app.put(
      '/v1/templates/:name/:language/routing',
      {
        config: { role: 'admin', errorStatus: { TEMPLATE_NOT_FOUND: 404 } },
        schema: {
          tags: ['templates'],
          summary: "Replace a template's routing (opt-out replies, on_reply rules)",
          description:
            "Routing is Recontact's alone: nothing goes to Meta and the template is not re-reviewed. The same rules as a " +
            "template file's `routing:` block (a push writes it too); every problem is answered at once with its path. " +
            'null clears it.',
          params: templateKeyParams,
          querystring: accountQuery,
          body: templateRoutingBody,
          response: {
            200: answer(
              'The routing now in force',
              z.object({ name: z.string(), language: z.string(), routing: templateRoutingSchema }),
            ),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'TEMPLATE_NOT_FOUND'],
              status: { TEMPLATE_NOT_FOUND: 404 },
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { name, language } = req.params;
        const routing = await putTemplateRouting(deps.ctx, account.id, name, language, req.body);
        return { name, language, routing };
      },
    );
  };
