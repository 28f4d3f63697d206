/**
 * Waiting marks and resume-contact rules: request and answer schemas (documented at /docs).
 * Shapes only; a resume rule's values (references, minutes, its template) are checked by
 * domain/conversations/resume.ts and the engine, with the same JSON paths in their errors.
 */
import { z } from 'zod';
import { WAITING_LIMITS } from '../engine/conversations/waiting-service';
import { waitingSchema } from '../engine/events/schemas';

const valueSpec = z
  .unknown()
  .describe(
    'A literal (text or number), or {"from": "contact.name" | "contact.first_name" | "contact.phone" | "contact.attributes.<name>" | "waiting.question" | "waiting.reason" | "waiting.metadata.<key>", "default"?: "…"}',
  );

export const resumeRuleBody = z
  .object({
    template: z
      .object({
        name: z.string().describe('An APPROVED template of the account'),
        language: z.string().describe('Its language code, e.g. es_AR'),
        header: z
          .record(z.string(), z.unknown())
          .optional()
          .describe('As in POST /v1/messages; {"text": value}'),
        body: z
          .union([z.array(valueSpec), z.record(z.string(), valueSpec)])
          .optional()
          .describe('Positional (a list) or named (an object) values'),
        buttons: z
          .array(z.unknown())
          .optional()
          .describe('As in POST /v1/messages; values may be references'),
      })
      .passthrough(),
    before_close_minutes: z
      .number()
      .optional()
      .describe('0 (default): once the window has closed; N: N minutes before it closes (at most 1439)'),
    handoff: z.boolean().optional().describe('A reply to the resume template also emits handoff.requested'),
  })
  .passthrough();

export const markWaitingBody = z
  .object({
    reason: z
      .string()
      .describe(
        `What the contact waits for: agent, callback, document, … (1 to ${WAITING_LIMITS.reasonMax} characters)`,
      ),
    question: z
      .string()
      .nullable()
      .optional()
      .describe(
        `The contact's pending question, in their words (at most ${WAITING_LIMITS.questionMax} characters)`,
      ),
    metadata: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .describe('Yours: echoed in every event of the mark'),
    resume: resumeRuleBody
      .nullable()
      .optional()
      .describe("Absent: the account's rule (if any) applies; null: no resume template for this mark"),
  })
  .strict();

export const clearedSchema = z.object({
  cleared: z.boolean().describe('false: the contact had no active mark'),
  waiting: waitingSchema.nullable().describe('The mark as cleared'),
});

export const accountParams = z.object({ account_id: z.string().min(1).max(64) });

export const resumeRuleSchema = z.object({
  account_id: z.string(),
  rule: z.object({
    template: z.record(z.string(), z.unknown()),
    before_close_minutes: z.number().int(),
    handoff: z.boolean(),
  }),
  created_at: z.string(),
  updated_at: z.string(),
});
