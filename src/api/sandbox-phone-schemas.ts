/**
 * The sandbox phone's request and answer schemas (documented at /docs): what the web app's phone
 * page reads and does through /v1/sandbox, forwarded to the embedded sandbox (routes/sandbox-phone.ts).
 */
import { z } from 'zod';

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');

export const sandboxUserParams = z.object({
  user: z
    .string()
    .min(1)
    .max(40)
    .describe(
      'The simulated user: a WhatsApp number, digits or international form (5491155551234, +54 9 11 5555-1234)',
    ),
});

const windowSchema = z.object({
  open: z.boolean().describe('Whether the 24-hour window with the business is open on the sandbox clock'),
  expires_at: isoTime.nullable().describe('When it closes (or closed); null: the user never wrote'),
});

const accountRef = z
  .object({ id: z.string(), name: z.string() })
  .nullable()
  .describe("Recontact's channel account for it; null: Recontact does not send from it");

export const sandboxUserSchema = z
  .object({
    wa_id: z.string().describe('Digits, as WhatsApp names the user'),
    name: z.string().describe('The profile name the sandbox gives the user in webhooks'),
    received: z.number().int().describe('Messages that reached their phone'),
    unread: z.number().int().describe('Of those, not read yet'),
    wrote: z.number().int().describe('Messages and taps they sent'),
    last_activity_at: isoTime.nullable(),
    window: windowSchema,
  })
  .meta({ id: 'SandboxUser' });

export const sandboxMessengerPersonSchema = z
  .object({
    psid: z.string().describe('The page-scoped id: send to `psid:<it>` through the API'),
    page_id: z.string(),
    page_name: z.string(),
    name: z.string(),
    received: z.number().int().describe('Messages from the page that reached them'),
    unread: z.number().int().describe('Of those, not read yet'),
    wrote: z.number().int().describe('Messages, taps and reactions they sent'),
    last_activity_at: isoTime.nullable(),
    window: z.object({
      open: z.boolean().describe("Whether Messenger's 24-hour standard window is open on the sandbox clock"),
      expires_at: isoTime.nullable().describe('When it closes (or closed); null: they never wrote'),
    }),
    blocked: z.boolean().describe('They blocked the page: sends fail'),
  })
  .meta({ id: 'SandboxMessengerPerson' });

export const sandboxClockSchema = z
  .object({
    now: isoTime.describe("The sandbox's time: what it stamps and judges windows by"),
    frozen: z.boolean(),
    offset_seconds: z.number().int().describe('How far it runs ahead of real time'),
  })
  .meta({ id: 'SandboxClock' });

export const sandboxSchema = z
  .object({
    numbers: z
      .array(
        z.object({
          phone_number_id: z.string(),
          display_phone_number: z.string().describe('Digits'),
          account: accountRef,
        }),
      )
      .describe("The sandbox's WhatsApp numbers: the business side of every chat"),
    users: z
      .array(sandboxUserSchema)
      .describe('Simulated WhatsApp users who received or sent anything, newest activity first'),
    clock: sandboxClockSchema,
    messenger: z
      .object({
        pages: z
          .array(z.object({ id: z.string(), name: z.string(), account: accountRef }))
          .describe("The sandbox's Facebook pages: the business side of every Messenger thread"),
        people: z
          .array(sandboxMessengerPersonSchema)
          .describe('Simulated Messenger people (made with the sandbox), newest activity first'),
      })
      .describe("The sandbox's Messenger side"),
  })
  .meta({ id: 'Sandbox' });

const buttonSchema = z.object({
  index: z.number().int().describe('Its position: what a tap names'),
  kind: z.enum(['quick_reply', 'url', 'phone_number', 'copy_code', 'otp', 'reply', 'list_row']),
  text: z.string(),
  payload: z.string().optional(),
  id: z.string().optional(),
  description: z.string().optional(),
  url: z.string().optional(),
  phone_number: z.string().optional(),
  code: z.string().optional(),
});

export const sandboxChatMessageSchema = z
  .object({
    direction: z
      .enum(['to_user', 'from_user'])
      .describe('to_user: the business sent it (left in WhatsApp); from_user: the user wrote or tapped'),
    id: z.string().describe("Meta's message id (wamid)"),
    at: isoTime.describe('Received on the phone, or written'),
    type: z
      .string()
      .describe('template, text, interactive, image, …; from the user: text, button, interactive'),
    text: z.string().describe('What the phone shows: the rendered template or text, or the tapped button'),
    header: z
      .object({
        type: z.string(),
        text: z.string().optional(),
        link: z.string().optional(),
        id: z.string().optional(),
        filename: z.string().optional(),
      })
      .optional(),
    footer: z.string().optional(),
    buttons: z.array(buttonSchema).optional().describe('Only on messages the business sent'),
    template: z.object({ name: z.string(), language: z.string(), category: z.string() }).optional(),
    payload: z.string().optional().describe("A tap's payload (or reply id), as the business receives it"),
    context_id: z.string().optional().describe('The message this one answers or quotes'),
    read: z
      .boolean()
      .describe('to_user: the user has read it; from_user: the business marked it read (blue ticks)'),
  })
  .meta({ id: 'SandboxChatMessage' });

export const sandboxChatSchema = z
  .object({
    user: sandboxUserSchema,
    phone_number_id: z.string().describe('The business number of this chat'),
    messages: z.array(sandboxChatMessageSchema).describe('Oldest first; the newest 200'),
  })
  .meta({ id: 'SandboxChat' });

export const sandboxNumberQuery = z
  .object({
    phone_number_id: z
      .string()
      .max(40)
      .optional()
      .describe("The business number of the chat; default the sandbox's first"),
  })
  .strict();

export const sandboxWriteBody = z
  .object({
    text: z.string().min(1).max(4096).describe('What the user types'),
    written_at: isoTime
      .optional()
      .describe(
        'Date it in the past (up to 30 days), as if written then and arriving now: the window runs from it',
      ),
    reply_to: z.string().max(200).optional().describe('Quote one of the messages the user received (its id)'),
  })
  .strict();

export const sandboxTapBody = z
  .object({
    message_id: z.string().min(1).max(200).describe('A message the user received (its wamid)'),
    button: z
      .union([z.number().int().min(0).max(20), z.string().min(1).max(200)])
      .describe("The button's index, or its text, payload or id"),
  })
  .strict();

export const sandboxMarketingBody = z
  .object({
    value: z.enum(['stop', 'resume']).describe("WhatsApp's “Stop promotions” and its undo"),
  })
  .strict();

export const sandboxMarketingSchema = z
  .object({
    value: z.enum(['stop', 'resume']).describe('stop: marketing templates to the user fail (131050)'),
  })
  .meta({ id: 'SandboxMarketing' });

export const sandboxClockBody = z
  .object({
    advance_seconds: z
      .number()
      .int()
      .min(1)
      .max(366 * 86_400)
      .optional(),
    freeze: z.boolean().optional(),
  })
  .strict()
  .describe('Exactly one: move the sandbox clock forward, or stop / restart it');

export const sandboxWrittenSchema = z
  .object({ id: z.string().describe("The user's message id (wamid), as the business receives it") })
  .meta({ id: 'SandboxWritten' });

export const sandboxPersonParams = z.object({
  psid: z
    .string()
    .regex(/^\d{1,30}$/, 'a PSID is digits')
    .describe('The simulated Messenger person: their page-scoped id (digits)'),
});

const messengerButtonSchema = z.object({
  type: z.string().describe('postback (tappable here), web_url, phone_number, …'),
  title: z.string(),
});

export const sandboxThreadMessageSchema = z
  .object({
    direction: z
      .enum(['to_user', 'from_user'])
      .describe('to_user: the page sent it (grey, left); from_user: the person wrote, tapped or reacted'),
    id: z.string().describe("Meta's message id (mid)"),
    at: isoTime.describe('Received, or written'),
    type: z
      .string()
      .describe(
        'From the page: text, button, generic, utility, image, …; from the person: text, quick_reply, postback, reaction',
      ),
    text: z
      .string()
      .describe('What Messenger shows: the text or rendered template, the tapped title, the emoji'),
    header: z.string().optional().describe('A utility template’s header'),
    footer: z.string().optional(),
    buttons: z.array(messengerButtonSchema).optional().describe('Only on messages the page sent'),
    quick_replies: z
      .array(z.object({ type: z.string(), title: z.string().nullable() }))
      .optional()
      .describe('Offered under the newest message only'),
    elements: z
      .array(
        z.object({
          title: z.string(),
          subtitle: z.string().optional(),
          buttons: z.array(messengerButtonSchema),
        }),
      )
      .optional()
      .describe("A generic template's cards"),
    url: z.string().optional().describe("A media attachment's address"),
    template: z.object({ name: z.string(), language: z.string() }).optional(),
    messaging_type: z.string().optional().describe('RESPONSE, UPDATE, MESSAGE_TAG or UTILITY'),
    tag: z.string().optional().describe('The message tag it was sent with (HUMAN_AGENT, …)'),
    payload: z.string().optional().describe("A tap's payload, as the page receives it"),
    reply_to: z.string().optional().describe('The message this one quotes or reacts to'),
    read: z.boolean().optional().describe('to_user: the person has read it'),
  })
  .meta({ id: 'SandboxThreadMessage' });

export const sandboxThreadSchema = z
  .object({
    person: sandboxMessengerPersonSchema,
    messages: z.array(sandboxThreadMessageSchema).describe('Oldest first; the newest 200'),
  })
  .meta({ id: 'SandboxThread' });

export const sandboxPersonWriteBody = z
  .object({
    text: z.string().min(1).max(2000).describe('What the person types'),
    reply_to: z.string().max(200).optional().describe('Quote one of the messages they received (its id)'),
  })
  .strict();

export const sandboxPersonTapBody = z
  .object({
    message_id: z.string().min(1).max(200).describe('A message the person received (its mid)'),
    button: z
      .string()
      .min(1)
      .max(200)
      .describe('The title of its postback button or of a quick reply (of the newest message)'),
  })
  .strict();

export const sandboxPersonWrittenSchema = z
  .object({ id: z.string().describe("The person's message or postback id (mid), as the page receives it") })
  .meta({ id: 'SandboxPersonWritten' });
