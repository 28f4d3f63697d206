/**
 * The catalogue of events Recontact sends to the bot: one zod schema per type, the single source
 * for the type list (EVENT_TYPES), the builders' types (payloads.ts), the OpenAPI document
 * (webhooks and components) and the test that keeps the README's table in step.
 *
 * To add an event: add its schema to EVENT_SCHEMAS, a builder to payloads.ts, and a row to the
 * README's events table. Payloads are not validated when emitted (thousands per second leave
 * the webhook path); TypeScript holds the builders to these schemas, and the end-to-end
 * catalogue test validates what is really emitted.
 */
import { z } from 'zod';
import { CAMPAIGN_STATES } from '../../domain/campaigns/lifecycle';
import { CONSENT_SCOPES, CONSENT_SOURCES, CONSENT_STATES } from '../../domain/contacts/consent';
import { WAITING_STATES } from '../../domain/conversations/waiting';
import { MESSAGE_STATUSES } from '../../domain/message';

const isoTime = z.iso.datetime().describe('ISO 8601, UTC, millisecond precision');
const isoTimeOrNull = isoTime.nullable();

export const messageSchema = z
  .object({
    id: z.string().describe('Our message id (msg_…)'),
    account_id: z.string(),
    contact_id: z.string(),
    to: z.string().describe("The recipient's wa_id (digits, no +)"),
    kind: z.enum(['template', 'text', 'interactive']),
    template: z.object({ name: z.string(), language: z.string().nullable() }).nullable(),
    status: z.enum(MESSAGE_STATUSES),
    provider_message_id: z.string().nullable().describe("Meta's id (wamid…), once Meta accepted it"),
    metadata: z.record(z.string(), z.unknown()).nullable().describe('Your metadata, as given at send'),
    attempts: z.number().int().min(0).describe('Posts to Meta so far'),
    error: z
      .object({
        code: z.number().int().nullable().describe("Meta's error code, when Meta gave one"),
        class: z.string().describe('transient, permanent, window, account, …'),
        message: z.string().nullable().describe('A plain-language reason'),
      })
      .nullable(),
    created_at: isoTime,
    accepted_at: isoTimeOrNull,
    sent_at: isoTimeOrNull,
    delivered_at: isoTimeOrNull,
    read_at: isoTimeOrNull,
    failed_at: isoTimeOrNull,
    replied_at: isoTimeOrNull,
    posted_at: isoTimeOrNull.describe('When the last POST to Meta left (the message became sending)'),
    doubt_until: isoTimeOrNull.describe(
      'unconfirmed only: until when Recontact waits for Meta to prove the send before DISPATCH_IN_DOUBT applies',
    ),
    hold_until: isoTimeOrNull.describe(
      'A message sent with when_closed and held: when it expires unless the contact writes first',
    ),
    released_by: z
      .string()
      .nullable()
      .describe(
        'A held message: the inbound message (inb_…) that released it; set while it still waits its turn (status held)',
      ),
    released_at: isoTimeOrNull.describe('A held message: when its turn came and it went to the queue'),
  })
  .meta({ id: 'Message', description: 'An outbound message, as the API and events show it' });

const contactSchema = z
  .object({
    id: z.string().describe('Our contact id (ctc_…)'),
    wa_id: z
      .string()
      .describe(
        "The contact's WhatsApp address: the phone in digits, or the BSUID of a user known only by it",
      ),
    bsuid: z
      .string()
      .nullable()
      .describe('The user\'s business-scoped user id (BSUID, e.g. "US.1349…") when Meta gave one'),
    name: z.string().nullable().describe('WhatsApp profile name'),
  })
  .meta({ id: 'EventContact' });

const windowSchema = z
  .object({
    open: z.boolean(),
    expires_at: isoTimeOrNull.describe('When the 24-hour customer-service window closes'),
  })
  .meta({ id: 'EventWindow' });

export const inboundSchema = z
  .object({
    id: z.string().describe('Our id of the inbound message (inb_…)'),
    provider_message_id: z.string(),
    type: z.string().describe("Meta's message type: text, button, interactive, image, …"),
    text: z.string().nullable(),
    payload: z.string().nullable().describe('The button payload or reply id the user tapped'),
    button_text: z.string().nullable(),
    received_at: isoTime.describe("Meta's timestamp (second precision)"),
  })
  .meta({ id: 'InboundMessage' });

export const campaignAboutSchema = z
  .object({
    id: z.string().describe('Our campaign id (cmp_…)'),
    account_id: z.string(),
    name: z.string(),
    state: z.enum(CAMPAIGN_STATES),
    state_reason: z.string().nullable(),
  })
  .meta({ id: 'EventCampaign' });

export const campaignCountsSchema = z
  .object({
    recipients: z
      .number()
      .int()
      .describe('Contacts materialised at launch, excluded ones included: the sum of every state below'),
    excluded: z.number().int().describe('Left out at launch, with a reason (opted out, missing value, …)'),
    pending: z.number().int().describe('Waiting for their send time'),
    queued: z.number().int().describe('In the outbox, not yet answered by Meta'),
    accepted: z.number().int().describe('Taken by Meta, no status yet'),
    sent: z.number().int(),
    delivered: z.number().int(),
    read: z.number().int(),
    replied: z.number().int().describe('Answered (whatever their message status)'),
    failed: z.number().int(),
    opted_out: z.number().int().describe('Opted out after launch, before their send: skipped'),
    expired: z.number().int().describe('Not sent before expires_at (or their local send time fell after it)'),
    cancelled: z.number().int().describe('Not sent because the campaign was cancelled (or failed to start)'),
  })
  .meta({
    id: 'CampaignCounts',
    description:
      'Recipients by state, each in exactly one, and `replied` beside them. All 0 while the campaign is a draft.',
  });

/** What most campaign.* events carry: the campaign and its counts at that moment. */
const campaignMoved = z.object({ campaign: campaignAboutSchema, counts: campaignCountsSchema });

/** A consent change as the bot hears it (contact.opted_out / contact.opted_in). */
const consentChangeSchema = z.object({
  account_id: z.string(),
  contact_id: z.string().describe('Our contact id (ctc_…)'),
  wa_id: z
    .string()
    .describe("The contact's WhatsApp address: the phone in digits, or the BSUID of a user known only by it"),
  bsuid: z.string().nullable().describe("The user's BSUID when Meta gave one"),
  scope: z.enum(CONSENT_SCOPES).describe('marketing: marketing templates only; all: every message we start'),
  source: z
    .enum(CONSENT_SOURCES)
    .describe('api, import, keyword, button, meta_user_preferences, meta_131050 or agent'),
  evidence: z
    .record(z.string(), z.unknown())
    .nullable()
    .describe(
      'What proves it: {message_id, keyword}, {message_id, payload, template}, {detail}, {message_id, error_code}, {note, api_key_id}, {file, line}',
    ),
  at: isoTime.describe("When it happened (the user's message time, Meta's time, or the request's)"),
  consent: z
    .object({ marketing: z.enum(CONSENT_STATES), all: z.enum(CONSENT_STATES) })
    .describe("The contact's state after this change, as derived from the whole ledger"),
});

const templateAbout = {
  account_id: z.string(),
  name: z.string(),
  language: z.string(),
  provider_template_id: z.string(),
};

/** A waiting mark as events and the contact view show it (domain/conversations/waiting.ts). */
export const waitingSchema = z
  .object({
    id: z.string().describe('The waiting mark (wait_…)'),
    state: z.enum(WAITING_STATES),
    reason: z.string().describe('What the contact waits for: agent, callback, document, …'),
    question: z.string().nullable().describe("The contact's pending question, in their words"),
    metadata: z.record(z.string(), z.unknown()).nullable().describe('Yours, as given when marked'),
    since: isoTime,
    resume: z
      .object({
        template: z.object({ name: z.string(), language: z.string() }),
        before_close_minutes: z
          .number()
          .int()
          .describe('0: once the window has closed; N: N minutes before it closes'),
        handoff: z.boolean().describe('A reply to the resume template also emits handoff.requested'),
        source: z.enum(['mark', 'account']).describe("Given with the mark, or the account's rule"),
      })
      .nullable()
      .describe('The resume-contact rule in force for this mark; null: none'),
    resume_due_at: isoTimeOrNull.describe('When the resume template goes, if nothing changes'),
    resume_message_id: z.string().nullable().describe('The resume template we sent (msg_…)'),
    resume_failure: z
      .string()
      .nullable()
      .describe(
        'Why the resume template was not sent (template not approved, opted out, …); the mark stays waiting',
      ),
    resume_sent_at: isoTimeOrNull,
    resumed_at: isoTimeOrNull,
    cleared_at: isoTimeOrNull,
  })
  .meta({ id: 'Waiting' });

const windowTimer = {
  account_id: z.string(),
  contact: contactSchema,
  window: windowSchema,
  waiting: waitingSchema.nullable().describe("The contact's active waiting mark, if any"),
};

export const EVENT_SCHEMAS = {
  'message.status': messageSchema
    .extend({ previous_status: z.enum(MESSAGE_STATUSES) })
    .describe(
      'A message moved forward (sent, delivered, read) or failed: the message and its previous status',
    ),
  'message.reply': z
    .object({
      account_id: z.string(),
      message: messageSchema.describe('Ours, with its template and metadata'),
      contact: contactSchema,
      reply: inboundSchema,
      window: windowSchema,
    })
    .describe('The user answered one of our messages (button tap, quoted reply, or the next message)'),
  'message.received': z
    .object({
      account_id: z.string(),
      contact: contactSchema,
      message: inboundSchema,
      in_reply_to: z.string().nullable().describe('Our message it answers, if any'),
      window: windowSchema,
    })
    .describe('Any inbound message'),
  'message.in_doubt': z
    .object({
      message: messageSchema,
      decision: z
        .enum(['resend', 'hold'])
        .describe('resend: it goes out again; hold: it waits for a person to decide'),
      posted_at: isoTime.describe('When it was last posted to Meta without an answer we recorded'),
      reason: z.string().describe('Why it is in doubt, in plain words'),
    })
    .describe('Meta may or may not have received a message: no answer was recorded and no status arrived'),
  'contact.opted_out': consentChangeSchema.describe(
    'A contact opted out of marketing or of everything (a keyword, a button, Meta, the API, an agent or an import)',
  ),
  'contact.opted_in': consentChangeSchema.describe(
    'A contact opted in again (a keyword such as START, Meta\'s "resume", the API, an agent or an import)',
  ),
  'window.opened': z
    .object({
      account_id: z.string(),
      contact: contactSchema,
      opened_at: isoTime,
      open: z.boolean(),
      expires_at: isoTimeOrNull,
    })
    .describe('A contact whose window was closed wrote'),
  'window.expiring': z
    .object({
      ...windowTimer,
      remaining_seconds: z.number().int().describe('Until the window closes, when the event was made'),
    })
    .describe(
      "A contact's window closes within the lead time (WINDOW_EXPIRING_LEAD, 1 h): the last moment for a free-form message",
    ),
  'window.expired': z
    .object({ ...windowTimer, expired_at: isoTime })
    .describe("A contact's window closed: from now on only a template reaches them"),
  'conversation.waiting': z
    .object({ account_id: z.string(), contact: contactSchema, waiting: waitingSchema })
    .describe('A conversation was marked as waiting (for an agent, …)'),
  'conversation.resume_sent': z
    .object({
      account_id: z.string(),
      contact: contactSchema,
      waiting: waitingSchema,
      message: messageSchema.describe('The resume template, queued'),
    })
    .describe('The resume-contact rule sent its template to a waiting contact'),
  'conversation.resumed': z
    .object({
      account_id: z.string(),
      contact: contactSchema,
      waiting: waitingSchema.describe('With the original question and metadata'),
      reply: inboundSchema.describe('What the contact answered'),
      resume_message_id: z.string().nullable(),
      released_message_ids: z.array(z.string()).describe('Held messages released by this reply, in order'),
      window: windowSchema,
    })
    .describe('A waiting contact answered the resume template: the conversation is back'),
  'conversation.cleared': z
    .object({
      account_id: z.string(),
      contact: contactSchema,
      waiting: waitingSchema,
      by: z.enum(['api', 'routing']).describe('Unmarked through the API, or by a reply routing rule'),
    })
    .describe('A waiting mark was cleared: the wait was answered'),
  'handoff.requested': z
    .object({
      account_id: z.string(),
      contact: contactSchema,
      source: z.enum(['resume', 'routing']).describe('A resumed conversation, or a reply routing rule'),
      reason: z.string().nullable(),
      question: z.string().nullable().describe("The contact's original question, when known"),
      metadata: z.record(z.string(), z.unknown()).nullable(),
      reply: inboundSchema.nullable(),
      waiting: waitingSchema.nullable(),
      window: windowSchema,
    })
    .describe('A conversation should go to a human agent, with its context (Recontact is not a helpdesk)'),
  'reply.routed': z
    .object({
      account_id: z.string(),
      contact: contactSchema,
      inbound_id: z.string().describe('The reply (inb_…)'),
      message_id: z.string().nullable().describe('Our message it answers'),
      template: z.object({ name: z.string(), language: z.string().nullable() }).nullable(),
      rule: z.object({
        source: z.enum(['template', 'message', 'campaign']).describe('Where the routing table came from'),
        index: z.number().int().describe('The matching rule, counted from 0'),
        match: z.string().describe('What matched: a payload, a text, or "any"'),
      }),
      actions: z.array(
        z.object({
          type: z
            .string()
            .describe('answer, set_attribute, tag, untag, opt_out, wait, clear_waiting, handoff'),
          outcome: z.enum(['applied', 'skipped', 'failed']),
          detail: z.string().nullable().describe('What was done, or why not'),
        }),
      ),
    })
    .describe("A reply matched a routing rule; every action's outcome is listed"),
  'template.status': z
    .object({
      ...templateAbout,
      status: z.string().describe('APPROVED, REJECTED, PAUSED, DISABLED, …'),
      previous_status: z.string(),
      reason: z.string().nullable().describe("Meta's rejection reason"),
      details: z.string().nullable(),
    })
    .describe("Meta changed a template's review state"),
  'template.quality': z
    .object({
      ...templateAbout,
      quality_score: z.string().describe('GREEN, YELLOW, RED or UNKNOWN'),
      previous_quality_score: z.string().nullable(),
    })
    .describe("Meta changed a template's quality rating"),
  'template.category': z
    .object({
      ...templateAbout,
      category: z.string(),
      previous_category: z.string(),
    })
    .describe('Meta recategorised a template'),
  'campaign.started': campaignMoved.describe(
    'A campaign began sending (at launch, or when its start time came)',
  ),
  'campaign.paused': z
    .object({
      campaign: campaignAboutSchema,
      by: z.enum(['operator', 'guard']).describe('Paused on request, or by the auto-pause guard'),
      reason: z.string().nullable().describe("The guard's reason (template paused, failure rate, quality)"),
      counts: campaignCountsSchema,
    })
    .describe('A campaign stopped sending until resumed'),
  'campaign.resumed': campaignMoved.describe('A paused campaign was resumed'),
  'campaign.progress': campaignMoved.describe(
    'A running campaign moved on (at most every 10 seconds, when its counts changed)',
  ),
  'campaign.completed': campaignMoved.describe('Every recipient of a campaign is settled'),
  'campaign.cancelled': campaignMoved.describe(
    'A campaign was cancelled; its unsent recipients will not be sent',
  ),
  'campaign.expired': campaignMoved.describe(
    "A campaign's expiry passed; its unsent recipients became expired",
  ),
  'campaign.failed_to_start': z
    .object({ campaign: campaignAboutSchema, reason: z.string() })
    .describe('A scheduled campaign could not start (its template is no longer approved, …)'),
  'endpoint.failing': z
    .object({
      endpoint: z.object({
        id: z.string().describe('The webhook endpoint (ep_…)'),
        url: z.string().describe('Its URL, credentials and query values masked'),
      }),
      reason: z
        .enum(['breaker_opened_repeatedly', 'delivery_gave_up'])
        .describe('Its circuit breaker kept opening, or a delivery used up its retry schedule'),
      failing_since: isoTime.describe('The first failure with no success since'),
      consecutive_failures: z.number().int(),
      breaker_opens: z.number().int().describe('Times its deliveries were paused since then'),
      last_error: z.string().nullable(),
    })
    .describe(
      'A webhook endpoint keeps failing: its deliveries are paused and retried, and it shows as failing until one succeeds',
    ),
} as const;

export type EventType = keyof typeof EVENT_SCHEMAS;
export const EVENT_TYPES = Object.keys(EVENT_SCHEMAS) as [EventType, ...EventType[]];

export type EventData<T extends EventType> = z.output<(typeof EVENT_SCHEMAS)[T]>;

/** An event as built, before the bus writes it: the type decides the shape of its data. */
export type PendingEvent = { [T in EventType]: { type: T; data: EventData<T> } }[EventType];

/** What the bot receives: the envelope the deliverer (and the stream) writes around each payload. */
export function eventEnvelopeSchema<T extends EventType>(type: T) {
  return z.object({
    id: z.string().describe('The event id (evt_…), also the webhook-id header; the same in a replay'),
    type: z.literal(type),
    timestamp: isoTime.describe('When Recontact recorded the event'),
    position: z
      .number()
      .int()
      .min(1)
      .describe('Global position: every event has one, increasing in the order events were committed'),
    ordering_key: z
      .string()
      .nullable()
      .describe('What the event is ordered with: contact:ctc_…, campaign:cmp_…, template:…, endpoint:ep_…'),
    contact_id: z
      .string()
      .nullable()
      .describe('The contact the event is about (ctc_…), when it is about one'),
    sequence: z
      .number()
      .int()
      .min(1)
      .nullable()
      .describe('1, 2, 3… per ordering key, over every event type: a jump means an event you did not get'),
    replay: z.boolean().describe('Sent again by a replay request (POST /v1/webhook-endpoints/{id}/replay)'),
    data: EVENT_SCHEMAS[type],
  });
}

/** Component names for the OpenAPI document: Event_message_status, Event_template_quality, … */
export const eventComponentName = (type: EventType) => `Event_${type.replace(/\./g, '_')}`;
