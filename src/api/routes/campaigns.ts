import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  createCampaign,
  getCampaignView,
  listCampaignViews,
  replaceCampaignDraft,
} from '../../engine/campaigns/campaigns';
import {
  campaignBody,
  campaignListSchema,
  campaignParams,
  campaignSchema,
  listCampaignsQuery,
} from '../campaign-schemas';
import { answer, errorAnswers } from '../openapi';
import { accountQuery, encodeCursor } from '../schemas';
import type { ApiDeps } from '../server';

const DEFINITION_DESCRIPTION =
  'The definition is checked whole, and every problem is answered at once in `details`, each with its path ' +
  '(`body.template.body[0].attribute`) and how to fix it: 400 INPUT_INVALID. A saved audience that does not exist on the ' +
  'account is 422 AUDIENCE_NOT_FOUND. A template Recontact does not know yet, or that Meta has not approved, does not stop a ' +
  "draft: the answer's `template` shows its status, and the plan and the launch check it.";

// The body names the audience; its absence makes the request unprocessable, not the route unknown.
const BODY_REFERENCE_STATUS = { AUDIENCE_NOT_FOUND: 422 } as const;

/** The account a definition names, when the query names none. */
function bodyAccount(body: Record<string, unknown>): string | undefined {
  return typeof body.account_id === 'string' ? body.account_id : undefined;
}

export const campaignRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/campaigns',
      {
        config: { role: 'sender', errorStatus: BODY_REFERENCE_STATUS },
        schema: {
          tags: ['campaigns'],
          summary: 'Create a campaign (a draft)',
          description: `Stores a draft: nothing is sent until it is launched. ${DEFINITION_DESCRIPTION}`,
          querystring: accountQuery,
          body: campaignBody,
          response: {
            201: answer('The draft', campaignSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'AUDIENCE_NOT_FOUND', 'SEND_POLICY_REFUSED'],
              status: BODY_REFERENCE_STATUS,
            }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id ?? bodyAccount(req.body));
        return reply.status(201).send(await createCampaign(deps.ctx, account.id, req.body));
      },
    );

    app.get(
      '/v1/campaigns',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['campaigns'],
          summary: 'List campaigns, newest first, page by page',
          description:
            'Keyset-paged: pass `next_cursor` as `cursor` until it is null. `state` filters by one state or several ' +
            '(state=draft,scheduled). Definitions are left out; GET a campaign for its own.',
          querystring: listCampaignsQuery,
          response: {
            200: answer('One page of campaigns', campaignListSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const account = deps.accounts.resolve(q.account_id);
        const page = await listCampaignViews(deps.ctx, account.id, {
          states: q.state,
          limit: q.limit,
          before: q.cursor,
        });
        return {
          data: page.data,
          next_cursor: page.nextBefore === null ? null : encodeCursor(page.nextBefore),
        };
      },
    );

    app.get(
      '/v1/campaigns/:id',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['campaigns'],
          summary: 'One campaign: its definition, state, template status and counts',
          params: campaignParams,
          querystring: accountQuery,
          response: {
            200: answer('The campaign', campaignSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'CAMPAIGN_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return getCampaignView(deps.ctx, account.id, req.params.id, deps.campaignPlan?.rateCard);
      },
    );

    app.put(
      '/v1/campaigns/:id',
      {
        config: { role: 'sender', errorStatus: BODY_REFERENCE_STATUS },
        schema: {
          tags: ['campaigns'],
          summary: "Replace a draft's definition",
          description: `The whole definition again, as for POST. Only a draft can be changed: once launched, 409 CAMPAIGN_NOT_DRAFT. ${DEFINITION_DESCRIPTION}`,
          params: campaignParams,
          querystring: accountQuery,
          body: campaignBody,
          response: {
            200: answer('The draft now', campaignSchema),
            ...errorAnswers({
              body: true,
              codes: [
                'ACCOUNT_NOT_FOUND',
                'AUDIENCE_NOT_FOUND',
                'CAMPAIGN_NOT_FOUND',
                'CAMPAIGN_NOT_DRAFT',
                'SEND_POLICY_REFUSED',
              ],
              status: BODY_REFERENCE_STATUS,
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id ?? bodyAccount(req.body));
        return replaceCampaignDraft(deps.ctx, account.id, req.params.id, req.body);
      },
    );
  };
