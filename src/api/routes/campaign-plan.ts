/**
 * The plan before launch, for a saved campaign and for a definition not saved yet: the same
 * answer, documented here (the schemas live beside the only two routes that answer them).
 * Planning writes nothing, so a viewer may ask for it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EXCLUSION_REASONS } from '../../domain/contacts/audience';
import { MESSAGING_TIERS } from '../../domain/pacing/messaging-limit';
import { TEMPLATE_STATUSES } from '../../domain/templates/model';
import { planCampaign, planDefinition } from '../../engine/campaigns/plan';
import { campaignBody, campaignParams } from '../campaign-schemas';
import { answer, errorAnswers } from '../openapi';
import type { ApiDeps } from '../server';

// A definition's saved audience is part of the request: its absence makes it unprocessable.
const REFERENCE_STATUS = { AUDIENCE_NOT_FOUND: 422 } as const;

const planQuery = z
  .object({
    account_id: z.string().optional(),
    contact: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('A contact to preview: its id (ctc_…), phone or BSUID'),
  })
  .strict();

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');
const count = z.number().int().min(0);
const limitValue = z.union([z.number().int().min(1), z.literal('unlimited')]);

const variantSchema = z.object({
  label: z.string(),
  weight: z.number().int().min(1),
  name: z.string(),
  language: z
    .string()
    .describe("The language sent: the fixed code, or the fallback of the contact's language"),
  contact_language: z.boolean(),
  status: z
    .enum(TEMPLATE_STATUSES)
    .nullable()
    .describe('As last synced from Meta; null: Recontact has no such template'),
  category: z.string().nullable(),
  approved_languages: z.array(z.string()).describe("APPROVED languages the contact's language may pick from"),
  ready: z.boolean().describe('Known and APPROVED in `language`: a launch could send it'),
});

const missingSchema = z.object({
  path: z.string().describe('Where in the definition: "template.body[0]"'),
  attribute: z.string().optional(),
  field: z.enum(['name', 'first_name', 'phone']).optional(),
  problem: z.enum(['absent', 'empty', 'too_long']),
});

const previewSchema = z
  .object({
    contact: z.object({ id: z.string(), wa_id: z.string(), name: z.string().nullable() }),
    in_audience: z.boolean().describe('Whether the audience selects this contact at all'),
    excluded_reason: z
      .string()
      .nullable()
      .describe('Why it would be left out; null when it would receive the message'),
    variant: z.string(),
    template: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe(
        'The `template` of its send ({name, language, header?, body?, buttons?}); null when values are missing',
      ),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    missing: z.array(missingSchema).describe('Each value this contact lacks, with where it goes'),
  })
  .describe('What one contact would get (?contact=)');

export const campaignPlanSchema = z
  .object({
    campaign_id: z.string().nullable().describe('null for a definition not saved yet'),
    planned_at: isoTime,
    recipients: count.describe('Contacts that would receive the message'),
    matched: count.describe('Contacts the audience selects, before exclusions'),
    excluded: z
      .partialRecord(z.enum(EXCLUSION_REASONS), count)
      .describe('Contacts left out, each under the first reason that applies'),
    purpose: z
      .enum(['marketing', 'utility'])
      .describe("From the template's category: which opt-outs and cap apply"),
    frequency_cap_hours: count,
    template: z.object({ ready: z.boolean(), variants: z.array(variantSchema) }),
    by_country: z
      .array(z.object({ country: z.string().nullable(), market: z.string(), recipients: count }))
      .describe('Recipients by the country of their number (null: unknown), most first'),
    schedule: z.object({
      kind: z.enum(['at_launch', 'at', 'local_time']),
      first_send_at: isoTime.nullable(),
      last_send_at: isoTime
        .nullable()
        .describe("The latest zone's send time (local-time schedules spread over zones)"),
      expires_at: isoTime.nullable(),
      expiring: count.describe('Recipients whose send time falls at or after expires_at'),
      time_zones: count,
    }),
    messaging_limit: z
      .object({
        limit: limitValue.describe(`One of ${MESSAGING_TIERS.join(', ')}`),
        source: z
          .enum(['configured', 'sandbox', 'assumed', 'account', 'channel'])
          .describe(
            "configured: MESSAGING_LIMIT; sandbox: none; assumed: Meta's starting 250; account: the channel account's own messaging_limit; channel: none (a Messenger page)",
          ),
        reached: count.nullable().describe('Users reached with templates in the 24 h before the first send'),
        need_slot: count.describe('Recipients that take a new slot (window closed, not reached lately)'),
        go_now: count,
        waiting: count.describe('Recipients that wait for the 24 h window to roll (not excluded)'),
        last_slot_at: isoTime.nullable(),
      })
      .describe("Meta's unique-users-per-24 h limit of the business portfolio"),
    eta: z.object({
      pace_per_second: z.number().positive(),
      pace_source: z.enum(['campaign', 'account']),
      sending_seconds: count,
      starts_at: isoTime.nullable(),
      finishes_at: isoTime.nullable(),
      limited_by: z.enum(['pace', 'messaging_limit']).nullable(),
    }),
    cost: z
      .object({
        currency: z.string(),
        total_usd: z.string().describe('Exact decimal, e.g. "12.36"'),
        total_micros: count,
        messages: count,
        charged: count,
        pricing_categories: z.array(z.string()),
        by_market: z.array(
          z.object({
            market: z.string(),
            messages: count,
            usd: z.string(),
            unit_usd: z.string(),
            category: z.string(),
          }),
        ),
        notes: z.array(z.object({ code: z.string(), message: z.string() })),
        card: z.object({
          name: z.string().nullable(),
          effective_from: z.string().describe('YYYY-MM-DD'),
          retrieved: z.string().nullable(),
          sources: z.array(
            z.object({
              id: z.string(),
              url: z.string(),
              title: z.string().nullable(),
              retrieved: z.string().nullable(),
            }),
          ),
          notes: z.array(z.string()),
        }),
      })
      .describe(
        "Meta's list price of delivering each recipient's message, from the rate card (RATE_CARD_FILE)",
      ),
    preview: previewSchema.nullable(),
    warnings: z.array(z.string()).describe('What a launch would refuse or an operator should know'),
  })
  .meta({ id: 'CampaignPlan' });

const DESCRIPTION =
  'What launching now would do, sending and writing nothing: the recipients and the exclusions by reason, the ' +
  "templates' status at Meta, when the sends begin and end at the campaign's pace (else the account's) and within the " +
  "portfolio's messaging limit (recipients beyond it wait for Meta's 24 h window to roll), the cost at the rate card's " +
  'prices, and with `contact` the message one contact would get.';

export const campaignPlanRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const settings = deps.campaignPlan;
    if (!settings) return;
    const planDeps = { ...settings, accounts: deps.accounts };

    app.post(
      '/v1/campaigns/:id/plan',
      {
        config: { role: 'viewer', errorStatus: REFERENCE_STATUS },
        schema: {
          tags: ['campaigns'],
          summary: 'Plan a campaign before launch',
          description: DESCRIPTION,
          params: campaignParams,
          querystring: planQuery,
          response: {
            200: answer('The plan', campaignPlanSchema),
            ...errorAnswers({
              input: true,
              codes: [
                'ACCOUNT_NOT_FOUND',
                'CAMPAIGN_NOT_FOUND',
                'CONTACT_NOT_FOUND',
                'PHONE_INVALID',
                'AUDIENCE_NOT_FOUND',
              ],
              status: REFERENCE_STATUS,
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return planCampaign(deps.ctx, planDeps, account.id, req.params.id, { contact: req.query.contact });
      },
    );

    app.post(
      '/v1/campaigns/plan',
      {
        config: { role: 'viewer', errorStatus: REFERENCE_STATUS },
        schema: {
          tags: ['campaigns'],
          summary: 'Plan a campaign definition before saving it',
          description: `${DESCRIPTION} The body is a campaign as POST /v1/campaigns takes it, checked the same way.`,
          querystring: planQuery,
          body: campaignBody,
          response: {
            200: answer('The plan', campaignPlanSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'CONTACT_NOT_FOUND', 'PHONE_INVALID', 'AUDIENCE_NOT_FOUND'],
              status: REFERENCE_STATUS,
            }),
          },
        },
      },
      async (req) => {
        const bodyAccount = typeof req.body.account_id === 'string' ? req.body.account_id : undefined;
        const account = deps.accounts.resolve(req.query.account_id ?? bodyAccount);
        return planDefinition(deps.ctx, planDeps, account.id, req.body, { contact: req.query.contact });
      },
    );
  };
