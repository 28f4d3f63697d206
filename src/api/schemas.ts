import { z } from 'zod';
import { MESSAGE_STATUSES } from '../domain/message';
import { METADATA_LIMITS, metadataProblems } from '../domain/metadata-limits';
import { EVENT_TYPES } from '../engine/events/event-bus';
import { messageSchema } from '../engine/events/schemas';

// Objects are checked by the template binder, which names the component and field precisely;
// a zod union here would only answer "Invalid input" for a currency without a code.
const paramValue = z
  .union([z.string(), z.number(), z.record(z.string(), z.unknown())])
  .describe('A text or number, or { currency: {...} } / { date_time: {...} }');

const media = z.object({
  link: z.url().optional(),
  id: z.string().min(1).optional(),
  filename: z.string().optional(),
});

/** A template and the values that fill it: a template send, or a when_closed fallback. */
const templateSend = z.object({
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(10).describe('Exact language code of the approved translation, e.g. es_AR'),
  header: z
    .object({
      text: z.string().optional(),
      image: media.optional(),
      video: media.optional(),
      document: media.optional(),
      location: z
        .object({
          latitude: z.union([z.number(), z.string()]),
          longitude: z.union([z.number(), z.string()]),
          name: z.string().optional(),
          address: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
  body: z.union([z.array(paramValue), z.record(z.string(), paramValue)]).optional(),
  buttons: z
    .array(
      z
        .object({
          payload: z.string().max(256).optional(),
          url_suffix: z.string().optional(),
          coupon_code: z.string().optional(),
        })
        .nullable(),
    )
    .max(10)
    .optional()
    .describe('Index-aligned with the template buttons: quick-reply payloads, URL suffixes, coupon codes'),
});

export const sendMessageBody = z
  .object({
    to: z
      .string()
      .min(1)
      .max(140)
      .describe(
        'Recipient: a phone in international form (+54 9 11 5555-1234), a business-scoped user id ' +
          '(BSUID, e.g. "US.13491208655302741918", for a user known only by their WhatsApp username), ' +
          'a Messenger user as psid:<PSID> (e.g. "psid:6845719238451234"; the bare digits also do on a ' +
          'Messenger account) or a contact id (ctc_…). The message goes to the phone whenever it is known, ' +
          'else to the BSUID (sent as `recipient`); authentication templates to a BSUID-only contact are ' +
          'refused (RECIPIENT_BSUID_UNSUPPORTED) and a malformed BSUID gets BSUID_INVALID. A page may ' +
          'message only people who wrote to it: an unknown PSID is 404 CONTACT_NOT_FOUND; a phone or ' +
          'BSUID on a page, or a psid: on a WhatsApp number, is 400 INPUT_INVALID.',
      ),
    account_id: z
      .string()
      .optional()
      .describe(
        "Channel account (id or name). Absent: the contact's account for a ctc_ id, the only Messenger page " +
          'for a psid:, else the only account (or the only WhatsApp number beside pages)',
      ),
    sent_by: z
      .enum(['bot', 'human'])
      .optional()
      .describe(
        'Who wrote this free-form message: "bot" (automation, the default) or "human" (an agent). On Messenger ' +
          "a person's answer may go after the 24-hour window, tagged HUMAN_AGENT, up to 7 days after the " +
          "person's last message; automation may not. WhatsApp makes no difference.",
      ),
    tag: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe(
        'A Messenger message tag. HUMAN_AGENT (with sent_by "human") is the only one left and is added by ' +
          'itself when needed; ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE and POST_PURCHASE_UPDATE are refused ' +
          '(409 SEND_POLICY_REFUSED, rule tag_retired: Meta rejects them since 2026-04-27). WhatsApp has no tags.',
      ),
    template: templateSend.optional(),
    text: z
      .object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() })
      .optional()
      .describe(
        'Free-form text: only inside the 24-hour window (Messenger: a person within 7 days; at most 2,000 characters)',
      ),
    interactive: z
      .object({
        body: z.string().min(1).max(1024),
        header: z.string().max(60).optional(),
        footer: z.string().max(60).optional(),
        buttons: z
          .array(z.object({ id: z.string().min(1).max(256), title: z.string().min(1).max(20) }))
          .min(1)
          .max(3),
      })
      .optional()
      .describe('Reply buttons: only inside the 24-hour window'),
    reply_to: z.string().optional().describe('Provider id (wamid) of an inbound message to quote'),
    when_closed: z
      .object({
        template: templateSend.describe(
          'The fallback: sent now if the window is closed, exactly as a template send (name, language, values)',
        ),
        hold_for: z
          .string()
          .max(40)
          .optional()
          .describe(
            'ISO 8601 duration the free-form message waits for the contact to write: P7D by default, PT1M to P30D',
          ),
      })
      .strict()
      .optional()
      .describe(
        'Send when allowed, with text or interactive: if the window is open (closing in more than 10 s) the message goes now ' +
          '(path "now"); if it is closed the template goes now and the message is held (status held, path ' +
          '"template_then_held") until the contact writes, then released in order, or expired after hold_for.',
      ),
    routing: z
      .unknown()
      .optional()
      .describe(
        "What a reply to this message does, replacing its template's (and campaign's) table whole: " +
          '{ on_reply: [ { match: { payload: [CONFIRM] } | { text: ["sí"] } | { any: true }, actions: [ ' +
          '{ answer: { text } }, { set_attribute: { name: value } }, { tag: [t] }, { untag: [t] }, ' +
          '{ opt_out: marketing | all }, { wait: { reason, question?, metadata? } }, { clear_waiting: true }, ' +
          '{ handoff: { reason? } } ] } ] }. The first matching rule runs. `{ on_reply: [] }` routes nothing. ' +
          'Every problem is answered at once (400 INPUT_INVALID) with its path, e.g. body.routing.on_reply[2].actions[0].tag',
      ),
    metadata: z
      .record(z.string(), z.unknown())
      .superRefine((m, ctx) => {
        for (const p of metadataProblems(m)) ctx.addIssue({ code: 'custom', message: p.message });
      })
      .optional()
      .describe(
        `Your data; echoed in every event. At most ${METADATA_LIMITS.maxDepth} levels deep, ${METADATA_LIMITS.maxKeys} keys over all levels, ${METADATA_LIMITS.maxBytes} bytes as JSON`,
      ),
  })
  .strict();

export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .min(1)
    .max(255)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
});

export const messageIdParams = z.object({ id: z.string().min(1).max(64) });

export const windowParams = z.object({
  contact: z
    .string()
    .min(1)
    .max(64)
    .describe('E.164 phone, wa_id digits, contact id (ctc_…), or Messenger user (psid:…)'),
});
export const accountQuery = z.object({ account_id: z.string().optional() });

/** What an endpoint may subscribe to: every event type, or '*' for all. */
export const EVENT_TYPE_VALUES = ['*', ...EVENT_TYPES] as const;

export const createEndpointBody = z
  .object({
    url: z.url(),
    events: z.array(z.enum(EVENT_TYPE_VALUES)).min(1).default(['*']),
  })
  .strict();

// ---- Answers (documented in the OpenAPI reference, checked by test/e2e/openapi.test.ts) ----

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');
const isoTimeOrNull = isoTime.nullable();

export { messageSchema };

export const timelineEntrySchema = z.object({
  status: z
    .string()
    .describe(
      'A state (queued, accepted, sent, delivered, read, failed) or a step (retry_scheduled, replied)',
    ),
  at: isoTime,
  clock: z
    .enum(['recontact', 'meta'])
    .describe(
      'Whose clock `at` comes from: "recontact" (ours, milliseconds) or "meta" (the time in Meta\'s webhook, whole ' +
        'seconds). The two are not comparable to the second, so entries are listed in lifecycle order, not by `at`.',
    ),
  source: z.string().describe('Who recorded it: api, dispatcher, webhook, …'),
  detail: z.unknown().describe("Facts of this step: Meta's status and pricing, an error, the reply"),
});

export const sendAnswerSchema = messageSchema
  .extend({
    path: z
      .enum(['now', 'template_then_held'])
      .optional()
      .describe(
        'With when_closed only. "now": the window was open, this is the free-form message, queued. ' +
          '"template_then_held": the window was closed; this is the held message (id = held_id, status held) ' +
          'and template_message_id the fallback template, queued',
      ),
    held_id: z.string().optional().describe('template_then_held: the held message (msg_…), the same as id'),
    template_message_id: z
      .string()
      .optional()
      .describe(
        'template_then_held: the template the contact is to answer (msg_…): queued now, or their open invitation',
      ),
    template_reused: z
      .boolean()
      .optional()
      .describe(
        'template_then_held: true when no template was queued because one sent since the window closed ' +
          "(the resume-contact template, an earlier held answer's) is still unanswered: the contact gets one invitation",
      ),
  })
  .meta({ id: 'SendAnswer' });

export const messageDetailSchema = messageSchema
  .extend({
    timeline: z
      .array(timelineEntrySchema)
      .describe('In the order things happened: lifecycle order first, then time'),
  })
  .meta({ id: 'MessageWithTimeline' });

/** A page boundary: the id of the last message of the page, opaque to callers. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

const CURSOR_ID = /^msg_[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * An opaque keyset cursor: the base64url of the last id of the previous page, checked against
 * the ids the list hands out so that a hand-made or mangled cursor is refused by name.
 */
export function cursorParam(idPattern: RegExp) {
  return z
    .string()
    .min(1)
    .max(200)
    .transform((text, ctx) => {
      const id = Buffer.from(text, 'base64url').toString('utf8');
      if (idPattern.test(id)) return id;
      ctx.addIssue({
        code: 'custom',
        message: 'is not a cursor given by this API; pass `next_cursor` from the previous page unchanged',
      });
      return z.NEVER;
    });
}

/**
 * A query value naming one or several of `values` separated by commas ("queued,sent"), each
 * checked: an unknown one is refused with the list of known ones.
 */
export function commaList<T extends string>(values: readonly T[], noun: string) {
  return z
    .string()
    .min(1)
    .max(200)
    .describe(`One ${noun} or several separated by commas: ${values.join(', ')}`)
    .transform((text, ctx): T[] => {
      const out: T[] = [];
      for (const value of text.split(',').map((v) => v.trim())) {
        if ((values as readonly string[]).includes(value)) out.push(value as T);
        else
          ctx.addIssue({
            code: 'custom',
            message: `"${value.slice(0, 40)}" is not a ${noun}; use one or more of ${values.join(', ')}, separated by commas`,
          });
      }
      return out;
    });
}

const statusList = commaList(MESSAGE_STATUSES, 'message status');

export const listMessagesQuery = z
  .object({
    status: statusList.optional(),
    to: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('The recipient: E.164 phone, wa_id digits, or contact id (ctc_…)'),
    template: z.string().min(1).max(512).optional().describe('Template name, e.g. appointment_reminder'),
    account_id: z.string().optional().describe('Only this channel account; all accounts when absent'),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1 to 200'),
    cursor: cursorParam(CURSOR_ID).optional().describe('`next_cursor` of the previous page'),
  })
  .strict();

export const messageListSchema = z
  .object({
    data: z.array(messageSchema).describe('Newest first'),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'MessageList' });

export const windowSchema = z
  .object({
    known: z.boolean().describe('Whether Recontact has a record of this contact on this account'),
    contact_id: z.string().nullable(),
    wa_id: z.string().nullable(),
    account_id: z.string(),
    open: z.boolean(),
    expires_at: isoTimeOrNull.describe('When the window closes (or closed); null if the user never wrote'),
    last_inbound_at: isoTimeOrNull,
    remaining_seconds: z.number().int().min(0),
    now: isoTime,
  })
  .meta({ id: 'Window' });

const endpointEvents = z.array(z.enum(EVENT_TYPE_VALUES));

export const endpointCreatedSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: endpointEvents,
  secret: z.string().describe('whsec_…: verifies webhook-signature; shown only here'),
});

export const endpointListSchema = z.object({
  data: z.array(
    z.object({
      id: z.string(),
      url: z.string(),
      // As stored: a subscription may name a type a later version no longer emits.
      events: z.array(z.string()),
      enabled: z.boolean(),
      health: z.object({
        state: z
          .string()
          .describe('ok; paused: deliveries wait for its circuit breaker; failing: until its next success'),
        failing_since: isoTimeOrNull,
        consecutive_failures: z.number().int().min(0),
        paused_until: isoTimeOrNull,
        last_error: z.string().nullable(),
        last_delivered_at: isoTimeOrNull,
      }),
    }),
  ),
});
