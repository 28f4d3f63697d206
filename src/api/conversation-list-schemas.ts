/**
 * The agent's views (documented at /docs): the lists of conversations across contacts (waiting,
 * closing soon), a contact's thread both ways, and the preview of a CSV import's columns.
 * Shapes only; the engine reads and judges.
 */
import { z } from 'zod';
import { CONTACT_COLUMNS } from '../domain/contacts/csv-columns';
import { parseIsoDuration } from '../domain/iso-duration';
import { WHATSAPP_WINDOW } from '../domain/window';
import { PREVIEW_MAX_ROWS } from '../engine/contacts/import/import-preview';
import { THREAD_LIMITS } from '../engine/conversations/contact-thread';
import { CONVERSATION_LIST_LIMITS } from '../engine/conversations/conversation-lists';
import { messageSchema, waitingSchema } from '../engine/events/schemas';
import { contactSchema } from './contact-schemas';

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');

const cursor = z.string().min(1).max(200).describe('`next_cursor` of the previous page, unchanged');

const limit = (l: { defaultLimit: number; maxLimit: number }) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(l.maxLimit)
    .default(l.defaultLimit)
    .describe(`Page size, 1 to ${l.maxLimit}`);

export const waitingListQuery = z
  .object({
    account_id: z.string().optional(),
    limit: limit(CONVERSATION_LIST_LIMITS),
    cursor: cursor.optional(),
  })
  .strict();

const DAY_MS = WHATSAPP_WINDOW.durationMs;

export const closingListQuery = z
  .object({
    account_id: z.string().optional(),
    within: z
      .string()
      .max(40)
      .default('PT4H')
      .transform((text, ctx) => {
        const ms = parseIsoDuration(text);
        if (ms !== null && ms <= DAY_MS) return ms;
        ctx.addIssue({
          code: 'custom',
          message:
            ms === null
              ? `takes an ISO 8601 duration above zero (PT30M, PT1H, PT4H, P1D); got ${JSON.stringify(text.slice(0, 40))}`
              : `is at most the 24-hour window (PT24H or P1D); got ${text}`,
        });
        return z.NEVER;
      })
      .describe(
        'Windows that close within this ISO 8601 duration from now, e.g. PT1H; default PT4H, at most P1D',
      ),
    limit: limit(CONVERSATION_LIST_LIMITS),
    cursor: cursor.optional(),
  })
  .strict();

const lastInbound = z
  .object({
    id: z.string(),
    type: z.string().describe("Meta's message type: text, button, interactive, …"),
    text: z.string().nullable().describe('What they wrote, or the label of the button they tapped'),
    received_at: isoTime,
  })
  .nullable()
  .describe("The contact's latest message to us");

export const conversationItemSchema = z
  .object({
    contact: contactSchema,
    waiting: waitingSchema.nullable().describe("The contact's active waiting mark, if any"),
    last_inbound: lastInbound,
    held: z.number().int().describe('Messages held until the contact writes (send when allowed)'),
  })
  .meta({ id: 'ConversationItem' });

export const conversationPageSchema = z
  .object({
    data: z.array(conversationItemSchema),
    next_cursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'ConversationPage' });

export const threadQuery = z
  .object({
    account_id: z.string().optional(),
    limit: limit(THREAD_LIMITS),
    cursor: cursor.optional().describe('`next_cursor` of the previous page: the items before it'),
  })
  .strict();

const rendering = z
  .object({
    header: z
      .object({
        kind: z.enum(['text', 'image', 'video', 'document', 'location']),
        text: z.string().optional(),
        ref: z.string().optional().describe('The media link or id, or the coordinates'),
        label: z.string().optional(),
      })
      .nullable(),
    body: z.string(),
    footer: z.string().nullable(),
    buttons: z.array(z.object({ type: z.string(), text: z.string() })),
  })
  .describe('A template as the phone showed it (its values filled in), or reply buttons with their body');

export const threadItemSchema = z
  .discriminatedUnion('direction', [
    z.object({
      direction: z.literal('outbound'),
      at: isoTime.describe('When it was written to Recontact'),
      message: messageSchema.describe(
        'The message: status (held, queued, sent, delivered, read, failed…), error with its reason, hold',
      ),
      text: z.string().nullable().describe('The text the person read: the body, a template rendered'),
      rendered: rendering.nullable(),
    }),
    z.object({
      direction: z.literal('inbound'),
      at: isoTime.describe("Meta's time of the message"),
      message: z.object({
        id: z.string().describe('inb_…'),
        type: z
          .string()
          .describe("Meta's message type: text, button (a template's quick reply), interactive, …"),
        text: z.string().nullable().describe('What they wrote, or the label of the button they tapped'),
        payload: z.string().nullable().describe('The payload or reply id of the button they tapped'),
        reply_to_message_id: z.string().nullable().describe('Our message (msg_…) this answers'),
      }),
    }),
  ])
  .meta({ id: 'ThreadItem' });

export const threadSchema = z
  .object({
    contact_id: z.string(),
    data: z.array(threadItemSchema).describe('Oldest first: the newest `limit` items before the cursor'),
    next_cursor: z
      .string()
      .nullable()
      .describe('Pass as `cursor` for the older items; null when the thread starts here'),
  })
  .meta({ id: 'Thread' });

const repeated = z
  .union([z.string().max(1000), z.array(z.string().max(1000)).max(200)])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

export const importPreviewQuery = z
  .object({
    account_id: z.string().optional(),
    map: repeated.describe('Column rename, "column=attribute" (or =name, =language…), as for the import'),
    tag: repeated.describe('Tags added to every row, as for the import'),
    phone_column: z.string().min(1).max(200).default('phone').describe('Header of the phone column'),
    default_country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code, e.g. AR')
      .optional()
      .describe('How to read numbers written without a country code'),
    complete: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true')
      .describe('true: the body is the whole file (its last line is a record even without a newline)'),
    rows: z.coerce
      .number()
      .int()
      .min(0)
      .max(PREVIEW_MAX_ROWS)
      .default(5)
      .describe(`How many rows after the header to show, 0 to ${PREVIEW_MAX_ROWS}`),
  })
  .strict();

export const importPreviewSchema = z
  .object({
    delimiter: z.enum([',', ';']),
    bom: z.boolean(),
    columns: z.array(
      z.object({
        index: z.number().int(),
        header: z.string(),
        becomes: z
          .enum([...CONTACT_COLUMNS, 'attribute'])
          .nullable()
          .describe(
            'The contact field or attribute the column fills; null when the header cannot be imported',
          ),
        attribute: z.string().nullable().describe("An attribute column's name"),
      }),
    ),
    problem: z
      .string()
      .nullable()
      .describe(
        'Why the import would refuse the file as mapped (422 CSV_INVALID); null when it would take it',
      ),
    rows: z.array(
      z.object({
        line: z.number().int().describe('Line in the file, the header being line 1'),
        fields: z.array(z.string()),
        reject: z
          .object({ column: z.string().nullable(), reason: z.string() })
          .nullable()
          .describe('Why the import would reject this row; null: it would be imported'),
      }),
    ),
    rows_read: z.number().int().describe('Records after the header in the bytes read'),
  })
  .meta({ id: 'ImportPreview' });
