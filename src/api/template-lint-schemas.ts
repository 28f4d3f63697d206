/** Request and answer schemas of POST /v1/templates/lint and GET /v1/templates/{name}/{language}/history. */
import { z } from 'zod';
import { templateDiffBody } from './template-schemas';

/** What diff takes (a file's text or a list of template objects), plus the channel whose rules apply. */
export const templateLintBody = templateDiffBody.safeExtend({
  channel: z
    .enum(['whatsapp', 'messenger'])
    .optional()
    .describe(
      "Whose rules apply: messenger adds a page's own (as `templates lint --channel`); the account's channel when absent",
    ),
});

const location = z
  .object({
    start: z
      .number()
      .int()
      .describe(
        'Offset of the first character at fault, in UTF-16 code units (as JavaScript and the DOM count)',
      ),
    end: z.number().int().describe('Offset just after the last one'),
    text: z.string().describe('The text at fault'),
  })
  .describe(
    'Where in the field’s text, when the rule names a place in it (a variable, a word, what passes a length limit)',
  );

export const lintFindingSchema = z
  .object({
    severity: z.enum(['error', 'warning']),
    rule: z.string().describe('Stable rule id, e.g. variable-edge (`recontact templates rules` lists them)'),
    template: z.string().describe('"name (language)", or "#2 (language)" for an entry without a usable name'),
    path: z
      .string()
      .optional()
      .describe(
        'The field at fault, e.g. components[1].text or components[2].buttons[0].url; absent for the whole entry',
      ),
    component: z.string().optional().describe('HEADER, BODY, FOOTER or BUTTONS'),
    message: z.string().describe('What is wrong, with the actual values'),
    fix: z.string().describe('How to fix it'),
    metaCode: z.number().int().optional().describe('The error_subcode Meta would answer'),
    location: location.optional(),
  })
  .meta({ id: 'TemplateLintFinding' });

export const templateLintSchema = z
  .object({
    file: z.string().describe('The file name given, or "request" for a list of template objects'),
    source: z
      .enum(['recontact', 'meta-create', 'meta-list'])
      .describe('The shape the templates were read in'),
    templates: z.number().int().describe('How many template entries were linted'),
    errors: z.number().int(),
    warnings: z.number().int(),
    findings: z.array(lintFindingSchema).describe('In template order, then in the order the rules run'),
  })
  .meta({ id: 'TemplateLint' });

export const historyQuery = z.object({
  account_id: z.string().optional(),
  after: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'A position: entries after it (the `next_after` of the previous page); the oldest kept when absent',
    ),
  limit: z.coerce.number().int().min(1).max(500).default(100).describe('At most this many entries'),
});

const historyEntry = z.object({
  event_id: z.string(),
  position: z.number().int().describe('The event’s position (GET /v1/events)'),
  at: z.iso.datetime().describe('When Recontact recorded the change, ISO 8601 UTC'),
  change: z.enum(['status', 'quality', 'category']),
  from: z.string().nullable().describe('The value before (null when none was known)'),
  to: z.string(),
  reason: z.string().nullable().describe("Meta's reason, for a status change (REJECTED: INVALID_FORMAT, …)"),
  details: z.string().nullable().describe("Meta's explanation, when it gave one"),
});

export const templateHistorySchema = z
  .object({
    template: z.object({
      name: z.string(),
      language: z.string(),
      status: z.string(),
      quality_score: z.string().nullable(),
      category: z.string(),
      rejected_reason: z.string().nullable(),
      updated_at: z.iso.datetime().describe('When our copy last changed (a push, a pull or a webhook)'),
    }),
    data: z.array(historyEntry).describe('Oldest first'),
    next_after: z.number().int().describe('Pass as `after` to read on'),
    has_more: z.boolean(),
  })
  .meta({ id: 'TemplateHistory' });
