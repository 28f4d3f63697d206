import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { type CampaignRecord, campaignView } from '../../engine/campaigns/campaigns';
import { cancelCampaign, pauseCampaign, resumeCampaign } from '../../engine/campaigns/commands';
import { launchCampaign } from '../../engine/campaigns/launch';
import { campaignParams, campaignSchema } from '../campaign-schemas';
import { answer, errorAnswers } from '../openapi';
import { accountQuery } from '../schemas';
import type { ApiDeps } from '../server';

type Command = 'launch' | 'pause' | 'resume' | 'cancel';

const SUMMARY: Record<Command, string> = {
  launch: 'Launch a draft: materialise its audience and start (or schedule) its sends',
  pause: 'Pause a running or scheduled campaign',
  resume: 'Resume a paused campaign',
  cancel: 'Cancel a campaign that has not finished',
};

const DESCRIPTION: Record<Command, string> = {
  launch:
    'Materialises the audience once into recipients (each matching contact once, with its exclusion reason or its ' +
    'send time) and moves the campaign to `running`, or `scheduled` when its first send time is ahead. Launching a ' +
    'campaign already launched answers with it as it is (nothing is materialised twice). A template not APPROVED, ' +
    'or of another category than the definition says, is 409 CAMPAIGN_NOT_READY and the campaign stays a draft.',
  pause:
    'Takes effect at once in every process: nothing more of the campaign is posted to Meta once this answers ' +
    '(messages already posted stay sent). Pausing a paused campaign answers with it as it is.',
  resume:
    'Sends continue where they stopped, to the recipients not yet sent; nothing is sent twice. Resuming a running ' +
    'campaign answers with it as it is.',
  cancel:
    'Recipients not yet sent become `cancelled` and their queued messages are withdrawn unsent; what Meta already ' +
    'has stays sent. Cancelling a cancelled campaign answers with it as it is.',
};

export const campaignCommandRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const campaigns = deps.campaigns;
    if (!campaigns) return;
    const run: Record<Command, (accountId: string, id: string) => Promise<CampaignRecord>> = {
      launch: async (a, id) => (await launchCampaign(deps.ctx, campaigns, a, id)).record,
      pause: (a, id) => pauseCampaign(deps.ctx, campaigns, a, id),
      resume: (a, id) => resumeCampaign(deps.ctx, campaigns, a, id),
      cancel: (a, id) => cancelCampaign(deps.ctx, campaigns, a, id),
    };
    for (const command of ['launch', 'pause', 'resume', 'cancel'] as const) {
      app.post(
        `/v1/campaigns/:id/${command}`,
        {
          config: { role: 'sender' },
          schema: {
            tags: ['campaigns'],
            summary: SUMMARY[command],
            description: DESCRIPTION[command],
            params: campaignParams,
            querystring: accountQuery,
            response: {
              200: answer('The campaign after the command', campaignSchema),
              ...errorAnswers({
                input: true,
                codes: [
                  'ACCOUNT_NOT_FOUND',
                  'CAMPAIGN_NOT_FOUND',
                  'CAMPAIGN_STATE_CONFLICT',
                  ...(command === 'launch'
                    ? (['CAMPAIGN_NOT_READY', 'AUDIENCE_NOT_FOUND', 'SEND_POLICY_REFUSED'] as const)
                    : []),
                ],
              }),
            },
          },
        },
        async (req) => {
          const account = deps.accounts.resolve(req.query.account_id);
          return campaignView(
            deps.ctx,
            await run[command](account.id, req.params.id),
            deps.campaignPlan?.rateCard,
          );
        },
      );
    }
  };
