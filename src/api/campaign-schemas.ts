/**
 * Campaign drafts' request and answer schemas (documented at /docs). The body is documented
 * field by field but checked by the domain (domain/campaigns/definition.ts, schedule.ts), which
 * names every problem with its path and how to fix it; zod here only insists on an object.
 */

import { z } from 'zod';
import { CAMPAIGN_LIMITS } from '../domain/campaigns/definition';
import { CAMPAIGN_STATES, RECIPIENT_STATES } from '../domain/campaigns/lifecycle';
import { TEMPLATE_STATUSES } from '../domain/templates/model';
import { CAMPAIGN_LIST_LIMITS } from '../engine/campaigns/campaigns';
import { RECIPIENT_LIST_LIMITS } from '../engine/campaigns/results';
import { campaignCountsSchema } from '../engine/events/schemas';
import { commaList, cursorParam } from './schemas';

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');

const SOURCE =
  'a constant ("10%"), {"attribute": "first_name", "default": "cliente"} or {"field": "name" | "first_name" | "phone", "default": …}';

const templateDoc = z
  .unknown()
  .optional()
  .describe(
    `{"name": "taxi_discount", "language": "es_AR" | {"contact_language": true, "fallback": "es_AR"}, "header"?: {"text": source} | {"image": {"link"}} | …, ` +
      `"body"?: [source, …] (for {{1}}…) or {"first_name": source, …} (named), "buttons"?: [{"payload": source} | {"url_suffix": source} | {"coupon_code": source} | null, …]}, ` +
      `where each source is ${SOURCE}. As in POST /v1/messages, but filled per recipient.`,
  );

/** Every key the domain reads; it refuses any other by name, with the list of these. */
export const campaignBody = z
  .looseObject({
    name: z
      .unknown()
      .optional()
      .describe(`Required: 1 to ${CAMPAIGN_LIMITS.nameLength} characters, for people`),
    account_id: z
      .unknown()
      .optional()
      .describe(
        'Optional: the channel account (acc_…); must agree with the account_id query if both are given',
      ),
    template: templateDoc,
    variants: z
      .unknown()
      .optional()
      .describe(
        `Instead of "template", an A/B split: 2 to ${CAMPAIGN_LIMITS.variants} of {"label"?, "weight", "template"}`,
      ),
    audience: z
      .unknown()
      .optional()
      .describe(
        'Required: {"all": true} | {"filter": {"tags": {…}, "attributes": […], "window"}} | {"list": {"contacts": [ids or phones]}} | {"audience_id": "aud_…"} (a saved audience, read at launch)',
      ),
    schedule: z
      .unknown()
      .optional()
      .describe(
        'Optional: {"at": ISO} or {"local_time": {"time": "10:00", "weekday": "monday" | "date": "2026-03-09"}}, "quiet_hours": {"from": "21:00", "to": "09:00"}, ' +
          '"expires_at": ISO (not past), "fallback_time_zone": IANA zone}. Absent: at launch.',
      ),
    pace: z
      .unknown()
      .optional()
      .describe(
        `Optional: messages per second, ${CAMPAIGN_LIMITS.minPace} to ${CAMPAIGN_LIMITS.maxPace}; default the account's`,
      ),
    frequency_cap_hours: z
      .unknown()
      .optional()
      .describe(
        "Optional: leave out contacts sent a marketing template this recently (0 turns it off); default the account's",
      ),
    category: z
      .unknown()
      .optional()
      .describe('Optional: "MARKETING" or "UTILITY", the category you expect the template to have'),
    routing: z
      .unknown()
      .optional()
      .describe(
        "Optional: what a reply to this campaign's messages does, replacing the template's table whole: " +
          '{"on_reply": [{"match": {"payload": [...]} | {"text": [...]} | {"any": true}, "actions": [...]}]}, as on POST /v1/messages',
      ),
    metadata: z
      .unknown()
      .optional()
      .describe(
        `Optional: flat key → value (text, number, boolean, null, or a per-recipient source: ${SOURCE}), echoed in every event of every message; keys "campaign_…" are Recontact's`,
      ),
  })
  .describe(
    'A campaign definition, JSON (the same shape a YAML file for `recontact campaigns create` holds)',
  );

export const campaignParams = z.object({ id: z.string().min(1).max(64) });

const CAMPAIGN_CURSOR_ID = /^cmp_[0-9A-HJKMNP-TV-Z]{26}$/;

const stateList = commaList(CAMPAIGN_STATES, 'campaign state');

export const listCampaignsQuery = z
  .object({
    account_id: z.string().optional(),
    state: stateList.optional(),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(CAMPAIGN_LIST_LIMITS.maxLimit)
      .default(CAMPAIGN_LIST_LIMITS.defaultLimit)
      .describe(`Page size, 1 to ${CAMPAIGN_LIST_LIMITS.maxLimit}`),
    cursor: cursorParam(CAMPAIGN_CURSOR_ID).optional().describe('`next_cursor` of the previous page'),
  })
  .strict();

const count = z.number().int().min(0);

const variantTemplateSchema = z.object({
  label: z.string().describe('"A" for a single template; the variant\'s label in an A/B split'),
  weight: z.number().int().min(1),
  name: z.string(),
  language: z
    .string()
    .describe("The language sent: the fixed code, or the fallback of the contact's language"),
  contact_language: z.boolean().describe("true: each contact's language when the template has it"),
  status: z
    .enum(TEMPLATE_STATUSES)
    .nullable()
    .describe(
      "Meta's review status of this name in `language`, as last synced; null: Recontact has no such template (push or pull it before launch)",
    ),
  category: z.string().nullable(),
  languages: z.array(z.string()).describe('Every language Recontact knows this template in'),
});

const campaignFields = {
  id: z.string().describe('cmp_…'),
  account_id: z.string(),
  name: z.string(),
  state: z.enum(CAMPAIGN_STATES),
  state_reason: z
    .string()
    .nullable()
    .describe('Why it is in this state (paused, failed_to_start), for people'),
  template: z
    .object({
      name: z.string().describe("The (first variant's) template name"),
      variants: z
        .array(variantTemplateSchema)
        .describe("One per variant; empty only if the stored definition no longer passes today's rules"),
    })
    .describe('What the campaign sends, with what Recontact knows of each template at Meta'),
  counts: campaignCountsSchema,
  replies_by_payload: z
    .record(z.string(), count)
    .describe('Replies per quick-reply payload; empty until the campaign is launched'),
  created_at: isoTime,
  updated_at: isoTime,
  launched_at: isoTime.nullable(),
  finished_at: isoTime.nullable().describe('When it became completed, cancelled, expired or failed_to_start'),
};

const rateSchema = z.number().min(0).max(1).nullable();

const failureSchema = z.object({
  code: z
    .number()
    .int()
    .nullable()
    .describe("Meta's error code; null for a failure without one (e.g. a value gone before the send)"),
  reason: z
    .string()
    .describe(
      'In plain words, with the code ("… (WhatsApp error 131026)."); or the stored reason (missing_value)',
    ),
  count,
});

const variantResultSchema = z.object({
  label: z.string(),
  weight: z.number().int().min(0).describe('0: a label no longer in the definition'),
  template: z.string(),
  recipients: count.describe(
    'Recipients given this variant; one is given a variant when queued, so pending ones are in none',
  ),
  sent_or_later: count.describe('Sent, delivered or read'),
  delivered_or_later: count.describe('Delivered or read'),
  read: count,
  replied: count,
  reply_rate: rateSchema.describe('replied / delivered_or_later; null while nothing was delivered'),
});

const costLineSchema = z.object({
  category: z.string().describe("Meta's pricing category; for estimated lines the template's category"),
  basis: z.enum(['measured', 'estimated_from_rate_card']),
  messages: count,
  usd: z.string().describe('Exact decimal dollars, e.g. "0.1854"'),
  micros: count.describe('The same in micro-dollars'),
});

const costSchema = z
  .object({
    currency: z.literal('USD'),
    basis: z
      .enum(['measured', 'estimated_from_rate_card', 'mixed', 'none'])
      .describe(
        "measured: every delivered message's status webhook carried Meta's `pricing`, and only those Meta marked billable are priced, " +
          "at the category Meta gave; estimated_from_rate_card: none did, each delivered message is priced at its template's category; " +
          'mixed: some of each; none: nothing delivered yet',
      ),
    total_usd: z.string(),
    total_micros: count,
    delivered: count.describe('Messages delivered or read: what Meta charges for'),
    billable: count.describe('Of those, Meta said billable'),
    free: count.describe('Of those, Meta said not billable (a free window, a free entry point, …)'),
    estimated: count.describe(
      'Of those, with no pricing in their statuses: priced from the template category',
    ),
    by_category: z.array(costLineSchema),
    notes: z.array(z.object({ code: z.string(), message: z.string() })),
    card: z
      .object({ name: z.string().nullable(), effective_from: z.string() })
      .describe('The rate card used'),
  })
  .nullable()
  .describe(
    "The cost of what was delivered, at the rate card's list prices (Meta's webhooks say what is billed, never the amount); null for a draft or without a rate card",
  );

const resultFields = {
  failures: z
    .array(failureSchema)
    .describe(
      'Failed recipients by Meta error code with the reason, most frequent first; `counts.failed` in total',
    ),
  excluded_by_reason: z
    .record(z.string(), count)
    .describe('Excluded recipients by reason: opted_out, missing_value, frequency_cap, invalid_number, …'),
  reply_rate: rateSchema.describe(
    'counts.replied / (counts.delivered + counts.read): the share of the people reached who answered; null while nothing was delivered',
  ),
  median_reply_seconds: z
    .number()
    .min(0)
    .nullable()
    .describe(
      "Median time from Meta's `sent` (else its acceptance) to the first reply; null without replies",
    ),
  variants: z
    .array(variantResultSchema)
    .describe('The funnel and reply rate of each A/B variant ("A" alone without a split)'),
  cost: costSchema,
};

export const campaignSchema = z
  .object({
    ...campaignFields,
    definition: z.record(z.string(), z.unknown()).describe('As written when created or last replaced'),
    ...resultFields,
  })
  .meta({ id: 'Campaign' });

export const campaignSummarySchema = z.object(campaignFields).meta({ id: 'CampaignSummary' });

export const campaignListSchema = z
  .object({
    data: z.array(campaignSummarySchema).describe('Newest first; GET one campaign for its definition'),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'CampaignList' });

// ─── Recipients ───────────────────────────────────────────────────────────────────────────

export const RECIPIENT_FILTERS = [...RECIPIENT_STATES, 'replied'] as const;

const CONTACT_CURSOR_ID = /^ctc_[0-9A-HJKMNP-TV-Z]{26}$/;

const recipientStateList = commaList(RECIPIENT_FILTERS, 'recipient state');

export const recipientsCsvQuery = z
  .object({
    account_id: z.string().optional(),
    state: recipientStateList
      .optional()
      .describe(
        `Only recipients in these states (comma-separated): ${RECIPIENT_FILTERS.join(', ')}; "replied" is any recipient who answered`,
      ),
  })
  .strict();

export const listRecipientsQuery = recipientsCsvQuery
  .extend({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(RECIPIENT_LIST_LIMITS.maxLimit)
      .default(RECIPIENT_LIST_LIMITS.defaultLimit)
      .describe(`Page size, 1 to ${RECIPIENT_LIST_LIMITS.maxLimit}`),
    cursor: cursorParam(CONTACT_CURSOR_ID).optional().describe('`next_cursor` of the previous page'),
  })
  .strict();

export const recipientSchema = z
  .object({
    contact_id: z.string().describe('ctc_…'),
    wa_id: z.string().describe("The recipient's WhatsApp number, digits only"),
    name: z.string().nullable(),
    state: z
      .enum(RECIPIENT_STATES)
      .describe(
        "The recipient's state; once queued, its message's status (accepted, sent, delivered, read, failed)",
      ),
    reason: z
      .string()
      .nullable()
      .describe(
        'Why excluded, opted out, expired, cancelled or failed (for a failed message, in plain words); null otherwise',
      ),
    error_code: z.number().int().nullable().describe("Meta's error code of a failed message"),
    variant: z.string().nullable().describe('The A/B variant it was given when queued'),
    message_id: z.string().nullable().describe('msg_…, once queued: GET /v1/messages/{id} for its timeline'),
    send_at: isoTime.nullable().describe('When it is (or was) due'),
    replied_at: isoTime.nullable().describe('Its first reply'),
    reply_payload: z.string().nullable().describe('The button payload of that reply; null for text'),
  })
  .meta({ id: 'CampaignRecipient' });

export const recipientListSchema = z
  .object({
    data: z.array(recipientSchema).describe('In contact id order'),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'CampaignRecipientList' });
