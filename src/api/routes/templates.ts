import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { listTemplates } from '../../store/templates-repo';
import { accountQuery } from '../schemas';
import type { ApiDeps } from '../server';

export const templateRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/templates',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['templates'],
          summary: 'Templates known for an account, with review status',
          querystring: accountQuery,
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const list = await listTemplates(deps.ctx.store.db, account.id);
        return { data: list };
      },
    );
  };
