import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  createAudience,
  deleteSavedAudience,
  getSavedAudience,
  listSavedAudiences,
  previewAudience,
  previewSavedAudience,
  readDefinition,
  replaceSavedAudience,
} from '../../engine/contacts/audiences';
import {
  audienceBody,
  audienceListSchema,
  audienceParams,
  audienceSchema,
  previewBody,
  previewSchema,
  savedPreviewBody,
} from '../contact-schemas';
import { answer, errorAnswers, noContent } from '../openapi';
import { accountQuery } from '../schemas';
import type { ApiDeps } from '../server';

const PREVIEW_DESCRIPTION =
  'Counts who would receive a message, shows up to 10 of them, and says who would be left out and why. Each contact ' +
  'is counted once, under the first reason that applies: erased, opted_out (marketing: opted out of marketing or of ' +
  'everything; utility: of everything), invalid_number (no deliverable address, or Meta answered 131026 "not a ' +
  'WhatsApp user" since the contact last wrote), missing_value (a field or attribute in `needs` is empty), ' +
  'frequency_cap (marketing sent within frequency_cap_hours), duplicate and not_found (lists only).';

export const audienceRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/audiences/preview',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['audiences'],
          summary: 'Preview an unsaved audience',
          description: PREVIEW_DESCRIPTION,
          querystring: accountQuery,
          body: previewBody,
          response: {
            200: answer('Count, exclusions and a sample', previewSchema),
            ...errorAnswers({ body: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { purpose, needs, frequency_cap_hours, ...definition } = req.body;
        const checked = readDefinition(definition, 'body');
        return previewAudience(deps.ctx, account.id, checked, { purpose, needs, frequency_cap_hours });
      },
    );

    app.post(
      '/v1/audiences',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['audiences'],
          summary: 'Save an audience under a name',
          querystring: accountQuery,
          body: audienceBody,
          response: {
            201: answer('Saved', audienceSchema),
            ...errorAnswers({ body: true, codes: ['ACCOUNT_NOT_FOUND', 'AUDIENCE_NAME_TAKEN'] }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return reply.status(201).send(await createAudience(deps.ctx, account.id, req.body));
      },
    );

    app.get(
      '/v1/audiences',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['audiences'],
          summary: 'The saved audiences, by name',
          querystring: accountQuery,
          response: {
            200: answer('Saved audiences', audienceListSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return { data: await listSavedAudiences(deps.ctx, account.id) };
      },
    );

    app.get(
      '/v1/audiences/:id',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['audiences'],
          summary: 'One saved audience',
          params: audienceParams,
          querystring: accountQuery,
          response: {
            200: answer('The audience', audienceSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'AUDIENCE_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return getSavedAudience(deps.ctx, account.id, req.params.id);
      },
    );

    app.put(
      '/v1/audiences/:id',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['audiences'],
          summary: "Replace a saved audience's name and definition",
          params: audienceParams,
          querystring: accountQuery,
          body: audienceBody,
          response: {
            200: answer('The audience now', audienceSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'AUDIENCE_NOT_FOUND', 'AUDIENCE_NAME_TAKEN'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return replaceSavedAudience(deps.ctx, account.id, req.params.id, req.body);
      },
    );

    app.delete(
      '/v1/audiences/:id',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['audiences'],
          summary: 'Delete a saved audience',
          params: audienceParams,
          querystring: accountQuery,
          response: {
            204: noContent('Deleted'),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'AUDIENCE_NOT_FOUND'] }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id);
        await deleteSavedAudience(deps.ctx, account.id, req.params.id);
        return reply.status(204).send();
      },
    );

    app.post(
      '/v1/audiences/:id/preview',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['audiences'],
          summary: 'Preview a saved audience',
          description: PREVIEW_DESCRIPTION,
          params: audienceParams,
          querystring: accountQuery,
          body: savedPreviewBody,
          response: {
            200: answer('Count, exclusions and a sample', previewSchema),
            ...errorAnswers({ body: true, codes: ['ACCOUNT_NOT_FOUND', 'AUDIENCE_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return previewSavedAudience(deps.ctx, account.id, req.params.id, req.body ?? {});
      },
    );
  };
