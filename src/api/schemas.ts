import { z } from 'zod';
import { METADATA_LIMITS, metadataProblems } from '../domain/metadata-limits';
import { EVENT_TYPES } from '../engine/events/event-bus';

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

export const sendMessageBody = z
  .object({
    to: z.string().min(1).max(40).describe('Recipient phone in international form, e.g. +54 9 11 5555-1234'),
    account_id: z.string().optional().describe('Channel account; defaults to the first one'),
    template: z
      .object({
        name: z.string().min(1).max(512),
        language: z
          .string()
          .min(2)
          .max(10)
          .describe('Exact language code of the approved translation, e.g. es_AR'),
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
          .describe(
            'Index-aligned with the template buttons: quick-reply payloads, URL suffixes, coupon codes',
          ),
      })
      .optional(),
    text: z
      .object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() })
      .optional()
      .describe('Free-form text: only inside the 24-hour window'),
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
  contact: z.string().min(1).max(64).describe('E.164 phone, wa_id digits, or contact id (ctc_…)'),
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

export const createKeyBody = z
  .object({ name: z.string().min(1).max(100), role: z.enum(['viewer', 'sender', 'admin']) })
  .strict();
