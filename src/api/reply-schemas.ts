/** Schemas of reply routing in the API: the routing table as shown, a message's replies, a template's counts. */
import { z } from 'zod';
import { REPLY_ACTION_TYPES } from '../domain/replies/reply-rules';

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');

export const replyRuleSchema = z
  .object({
    match: z
      .object({
        payload: z.array(z.string()).optional().describe('Button payloads, compared exactly'),
        text: z
          .array(z.string())
          .optional()
          .describe("Texts, compared trimmed and without case; also a tapped button's label"),
        any: z.literal(true).optional().describe('Every reply'),
      })
      .describe('Either payload or text fits; any stands alone'),
    actions: z
      .array(z.record(z.string(), z.unknown()))
      .describe(`In order; each an object with one key: ${REPLY_ACTION_TYPES.join(', ')}`),
  })
  .meta({ id: 'ReplyRule' });

export const templateRoutingSchema = z
  .object({
    opt_out: z.record(z.string(), z.array(z.string())).optional(),
    opt_in: z.record(z.string(), z.array(z.string())).optional(),
    on_reply: z.array(replyRuleSchema).optional().describe('The first matching rule runs'),
  })
  .nullable()
  .describe("Recontact's own (never sent to Meta): what replies to this template mean and do")
  .meta({ id: 'TemplateRouting' });

export const templateRoutingBody = z
  .unknown()
  .describe(
    '{ opt_out?: { marketing|all: [payload or button text, …] }, opt_in?: {…}, on_reply?: [ { match, actions }, … ] }, or null to clear',
  );

const routingSource = z.enum(['message', 'campaign', 'template']);

export const messageRepliesSchema = z
  .object({
    message_id: z.string(),
    routing: z
      .object({
        source: routingSource.describe(
          "Whose table a reply follows now: the message's, its campaign's or its template's",
        ),
        on_reply: z.array(replyRuleSchema),
      })
      .nullable()
      .describe('The table in force; null: replies are only reported (message.reply)'),
    replies: z
      .array(
        z.object({
          id: z.string().describe('The reply (inb_…)'),
          provider_message_id: z.string(),
          type: z.string(),
          text: z.string().nullable(),
          payload: z.string().nullable(),
          received_at: isoTime,
          rule: z
            .object({ source: routingSource, index: z.number().int(), match: z.string() })
            .nullable()
            .describe('The rule that matched; null: none did (or the reply came before routing existed)'),
          actions: z.array(
            z.object({
              index: z.number().int(),
              type: z.string(),
              outcome: z.enum(['applied', 'skipped', 'failed']),
              detail: z.string().nullable().describe('What was done, or why not'),
              ref: z
                .string()
                .nullable()
                .describe('What it made: the answer (msg_…), the mark (wait_…), the ledger entry (cns_…)'),
            }),
          ),
        }),
      )
      .describe('Oldest first, at most 200'),
  })
  .meta({ id: 'MessageReplies' });

const counted = { replies: z.number().int(), contacts: z.number().int().describe('Distinct contacts') };

export const templateRepliesQuery = z.object({
  account_id: z.string().optional(),
  language: z.string().min(2).max(15).optional().describe('Only this language; all when absent'),
});

export const templateRepliesSchema = z
  .object({
    account_id: z.string(),
    name: z.string(),
    languages: z.array(
      z.object({
        language: z.string(),
        ...counted,
        buttons: z
          .array(
            z.object({
              payload: z.string(),
              text: z.string().nullable().describe("The button's label"),
              ...counted,
            }),
          )
          .describe('Per payload and label, most replies first'),
        other: z.object(counted).describe('Replies that were not a button: written text, media, …'),
      }),
    ),
  })
  .meta({ id: 'TemplateReplies' });
