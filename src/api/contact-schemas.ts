/**
 * The contact book's and audiences' request and answer schemas (documented at /docs). Shapes
 * are checked here; the values' rules (a real time zone, a tag without separators, an attribute
 * name) are the domain's, applied by the engine with the same JSON paths in their errors.
 */
import { z } from 'zod';
import { ATTRIBUTE_OPS, EXCLUSION_REASONS, WINDOW_QUERY_FORMS } from '../domain/contacts/audience';
import { CONSENT_SCOPES, CONSENT_SOURCES, CONSENT_STATES } from '../domain/contacts/consent';
import { LIST_LIMITS } from '../engine/contacts/contact-book';
import { messageSchema, waitingSchema } from '../engine/events/schemas';
import { cursorParam } from './schemas';

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');

export const contactParams = z.object({
  contact: z
    .string()
    .min(1)
    .max(64)
    .describe(
      'Contact id (ctc_…), phone in international form, BSUID ("US.1349…"), or Messenger user ("psid:6845719238451234")',
    ),
});

const CONSENT_HINT =
  'Consent is not a profile field: record it with POST /v1/contacts/{contact}/consent ({"scope": "marketing" | "all", "state": "opted_out" | "opted_in"}), so that the ledger keeps who, when and why.';

/** A body field that belongs to the consent ledger, refused with the way to record it. */
const consentField = z
  .unknown()
  .optional()
  .refine((v) => v === undefined, { message: CONSENT_HINT })
  .describe('Not accepted here. '.concat(CONSENT_HINT));

const attributeValue = z.union([z.string(), z.number(), z.boolean()]);
const attributes = z
  .record(z.string(), z.unknown())
  .describe('A flat object: strings (ISO dates as text), numbers, booleans; at most 100');
const tagList = z
  .array(z.unknown())
  .max(200)
  .describe('Short strings without "|", ";" or ","; at most 50 per contact');

export const putContactBody = z
  .object({
    phone: z.string().min(1).max(40).optional().describe('Must name the same number as the path, if given'),
    name: z.string().max(10_000).nullable().optional(),
    language: z.string().max(100).nullable().optional().describe('BCP-47, e.g. "es-AR"'),
    time_zone: z
      .string()
      .max(100)
      .nullable()
      .optional()
      .describe(
        'IANA, e.g. "America/Argentina/Buenos_Aires"; when absent, inferred from the phone\'s country',
      ),
    tags: tagList.optional(),
    attributes: attributes.optional(),
    opted_out: consentField,
    consent: consentField,
  })
  .strict()
  .describe('PUT replaces the profile: name, language, time_zone, tags and attributes left out are cleared.');

export const patchContactBody = z
  .object({
    name: z.string().max(10_000).nullable().optional().describe('null clears it'),
    language: z.string().max(100).nullable().optional().describe('null clears it'),
    time_zone: z
      .string()
      .max(100)
      .nullable()
      .optional()
      .describe("null: inferred again from the phone's country"),
    attributes: attributes.optional().describe('Set these attributes; the others stay'),
    remove_attributes: z.array(z.string().max(100)).max(100).optional(),
    add_tags: tagList.optional(),
    remove_tags: tagList.optional(),
    opted_out: consentField,
    consent: consentField,
  })
  .strict();

const repeatable = z
  .union([z.string().max(1000), z.array(z.string().max(1000)).max(50)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export const CONTACT_CURSOR_ID = /^ctc_[0-9A-HJKMNP-TV-Z]{26}$/;

export const listContactsQuery = z
  .object({
    account_id: z.string().optional(),
    tag: repeatable.optional().describe('Has this tag; repeat for "all of" (tag=vip&tag=promo)'),
    tag_any: repeatable.optional().describe('Has at least one of these tags (comma-separated or repeated)'),
    tag_none: repeatable.optional().describe('Has none of these tags'),
    attr: repeatable
      .optional()
      .describe(
        'Attribute condition name:op:value, repeatable (all must hold). op: eq, ne, lt, gt, in (values separated by commas), exists. ' +
          '"30" reads as a number and true/false as booleans; write "\\"007\\"" (JSON) to mean the text. Example: attr=city:eq:Rosario&attr=age:gt:30',
      ),
    opted_out: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('true: opted out of marketing or of everything; false: neither'),
    window: z
      .string()
      .max(100)
      .optional()
      .describe(
        `The 24-hour customer-service window now: ${WINDOW_QUERY_FORMS}. Example: window=expiring_within=PT1H lists who loses the window within the hour`,
      ),
    q: z
      .string()
      .min(1)
      .max(LIST_LIMITS.qLength)
      .optional()
      .describe('Part of the name (any case), or the start of the phone number'),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(LIST_LIMITS.maxLimit)
      .default(LIST_LIMITS.defaultLimit)
      .describe('Page size, 1 to 500'),
    cursor: cursorParam(CONTACT_CURSOR_ID).optional(),
  })
  .strict();

const consentState = z.enum(CONSENT_STATES);

export const contactSchema = z
  .object({
    id: z.string(),
    account_id: z.string(),
    wa_id: z.string().describe('The address on WhatsApp: the phone in digits, or the BSUID'),
    phone: z.string().nullable().describe('E.164'),
    bsuid: z.string().nullable(),
    name: z.string().nullable(),
    language: z.string().nullable(),
    time_zone: z.string().nullable(),
    time_zone_inferred: z.boolean().describe("true: guessed from the phone's country, none was given"),
    tags: z.array(z.string()),
    attributes: z.record(z.string(), attributeValue),
    consent: z.object({ marketing: consentState, all: consentState, updated_at: isoTime.nullable() }),
    window: z.object({
      open: z.boolean(),
      expires_at: isoTime.nullable(),
      last_inbound_at: isoTime.nullable(),
      remaining_seconds: z.number().int(),
    }),
    last_marketing_at: isoTime.nullable(),
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'Contact' });

/** One consent ledger entry: in a contact's detail and in its consent view. */
export const consentEntrySchema = z
  .object({
    id: z.string(),
    scope: z.enum(CONSENT_SCOPES),
    state: z.enum(['opted_in', 'opted_out']),
    source: z.enum(CONSENT_SOURCES),
    evidence: z.record(z.string(), z.unknown()).nullable(),
    at: isoTime.describe('When it happened'),
    recorded_at: isoTime.describe('When Recontact recorded it'),
  })
  .meta({ id: 'ConsentEntry' });

export const contactDetailSchema = contactSchema
  .extend({
    consent: z.object({
      marketing: consentState,
      all: consentState,
      updated_at: isoTime.nullable(),
      history: z
        .array(consentEntrySchema)
        .describe('The consent ledger, oldest first; the state above is derived from it'),
    }),
    messages: z
      .array(
        z.object({
          id: z.string(),
          direction: z.enum(['outbound', 'inbound']),
          type: z.string(),
          status: z.string().nullable(),
          template: z.string().nullable(),
          created_at: isoTime,
          snippet: z.string().nullable(),
        }),
      )
      .describe('The last 20 messages both ways, newest first'),
    window: contactSchema.shape.window.extend({
      expiring_at: isoTime
        .nullable()
        .describe(
          'When window.expiring is due for this window (WINDOW_EXPIRING_LEAD before the close); null once sent or skipped',
        ),
    }),
    waiting: waitingSchema
      .nullable()
      .describe("The contact's active waiting mark: since, rule, resume due time, what was sent"),
    held: z
      .array(messageSchema)
      .describe('Messages held until the contact writes (send when allowed), in release order'),
  })
  .meta({ id: 'ContactDetail' });

export const contactListSchema = z
  .object({ data: z.array(contactSchema), next_cursor: z.string().nullable() })
  .meta({ id: 'ContactList' });

export const erasureSchema = z
  .object({
    contact_id: z.string(),
    erased_at: isoTime,
    erased: z.record(z.string(), z.number().int()).describe('Rows changed per table'),
  })
  .meta({ id: 'ContactErasure' });

// ---- Audiences ----

const condition = z.object({
  name: z.string(),
  op: z.enum(ATTRIBUTE_OPS),
  value: z.union([attributeValue, z.array(attributeValue)]).optional(),
});

/** Documented shape only: the definition is checked by the domain, which names every problem. */
const definitionDoc = z
  .record(z.string(), z.unknown())
  .describe(
    '{"all": true} | {"filter": {"tags": {"all": [], "any": [], "none": []}, "attributes": [{"name", "op", "value"}], "window": "open"|"closed", ' +
      '"last_inbound_before": ISO, "last_inbound_after": ISO}} | {"list": {"contacts": [ids or phones]}}',
  );

const previewOptions = {
  purpose: z
    .enum(['marketing', 'utility'])
    .optional()
    .describe('marketing (default): marketing opt-outs and the frequency cap apply'),
  needs: z
    .array(z.string().max(100))
    .max(50)
    .optional()
    .describe('Contact fields (name, language, time_zone, phone) or attributes the template is filled from'),
  frequency_cap_hours: z
    .number()
    .int()
    .min(0)
    .max(720)
    .optional()
    .describe("Leave out contacts sent marketing this recently; default: the account's setting (24 h)"),
};

export const previewBody = z
  .object({
    all: z.unknown().optional(),
    filter: z.unknown().optional(),
    list: z.unknown().optional(),
    ...previewOptions,
  })
  .strict()
  .describe('An unsaved definition ({all}, {filter} or {list}) with preview options beside it');

export const savedPreviewBody = z.object(previewOptions).strict().nullish();

export const audienceBody = z
  .object({
    name: z.string().min(1).max(200),
    definition: definitionDoc,
  })
  .strict();

export const audienceParams = z.object({ id: z.string().min(1).max(64) });

export const audienceSchema = z
  .object({
    id: z.string(),
    account_id: z.string(),
    name: z.string(),
    definition: definitionDoc,
    created_at: isoTime,
    updated_at: isoTime,
  })
  .meta({ id: 'Audience' });

export const audienceListSchema = z.object({ data: z.array(audienceSchema) }).meta({ id: 'AudienceList' });

export const previewSchema = z
  .object({
    count: z.number().int().describe('Contacts who would receive the message'),
    excluded: z
      .partialRecord(z.enum(EXCLUSION_REASONS), z.number().int())
      .describe(
        'Left out, per reason; each contact counted once, under the first reason in this order: ' +
          EXCLUSION_REASONS.join(', '),
      ),
    sample: z
      .array(z.object({ id: z.string(), wa_id: z.string(), name: z.string().nullable() }))
      .describe('Up to 10 of those counted'),
    matched: z.number().int().describe('Matched by the definition before exclusions'),
    purpose: z.enum(['marketing', 'utility']),
    frequency_cap_hours: z.number().int(),
    audience_id: z.string().optional(),
  })
  .meta({ id: 'AudiencePreview' });

export { condition as attributeConditionSchema };
