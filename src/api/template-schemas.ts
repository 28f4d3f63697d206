/** Request schemas of the /v1/templates routes (OpenAPI at /docs). */
import { z } from 'zod';
import { templateRoutingSchema } from './reply-schemas';
import { sendMessageBody } from './schemas';

/** The send request's template values, so a preview takes exactly what a send takes. */
const sendTemplate = sendMessageBody.shape.template.unwrap().shape;

export const templateKeyParams = z.object({
  name: z.string().min(1).max(512).describe('Template name, e.g. appointment_reminder'),
  language: z.string().min(2).max(15).describe('Exact language code, e.g. es_AR'),
});

const sourceFields = {
  file: z
    .string()
    .min(1)
    .max(200_000)
    .optional()
    .describe(
      'A template file’s text: Recontact YAML/JSON ({ templates: [...] }), a Meta create body, or a Meta listing ({ data: [...] })',
    ),
  file_name: z
    .string()
    .min(1)
    .max(255)
    .optional()
    .describe('Shown in errors; its extension (.yaml, .json) picks the syntax'),
  format_hint: z.enum(['yaml', 'json']).optional().describe('Syntax of `file` when file_name does not tell'),
  templates: z
    .array(z.unknown())
    .min(1)
    .max(1_000)
    .optional()
    .describe("Template objects in Meta's create shape, instead of `file`"),
};

/** Exactly one of file / templates; said once, with both paths, instead of a union's two errors. */
function oneSource(v: { file?: unknown; templates?: unknown }, ctx: z.RefinementCtx): void {
  const n = Number(v.file !== undefined) + Number(v.templates !== undefined);
  if (n === 1) return;
  const message =
    n === 0
      ? 'give the templates as `file` (the file text) or as `templates` (a list of template objects)'
      : 'give either `file` or `templates`, not both';
  ctx.addIssue({ code: 'custom', path: [n === 0 ? 'file' : 'templates'], message });
}

export const templateDiffBody = z.object(sourceFields).strict().superRefine(oneSource);

export const templatePushBody = z
  .object({
    ...sourceFields,
    dry_run: z.boolean().optional().describe('Lint and plan only: nothing is sent to Meta or stored'),
  })
  .strict()
  .superRefine(oneSource);

export const templatePreviewBody = z
  .object({
    name: sendTemplate.name,
    language: sendTemplate.language,
    header: sendTemplate.header,
    body: sendTemplate.body,
    buttons: sendTemplate.buttons,
    contact: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .describe(
        "A contact's phone: its attributes (and name, for first_name) fill NAMED variables not given",
      ),
  })
  .strict();

// ---- Answers (documented in the OpenAPI reference) ----

const isoTime = z.iso.datetime().describe('ISO 8601, UTC');

export const templateSchema = z
  .object({
    account_id: z.string(),
    name: z.string(),
    language: z.string(),
    category: z.string().describe('MARKETING, UTILITY or AUTHENTICATION'),
    parameter_format: z.enum(['POSITIONAL', 'NAMED']),
    status: z.string().describe("Meta's review state: APPROVED, PENDING, REJECTED, PAUSED, DISABLED, …"),
    quality_score: z.string().nullable().describe('GREEN, YELLOW, RED or UNKNOWN'),
    rejected_reason: z.string().nullable(),
    provider_template_id: z.string().nullable().describe("Meta's template id"),
    components: z.array(z.record(z.string(), z.unknown())).describe("In Meta's own component shape"),
    routing: templateRoutingSchema,
    updated_at: isoTime,
  })
  .meta({ id: 'Template' });

export const templateListSchema = z.object({ data: z.array(templateSchema) });

const finding = z.object({
  severity: z.enum(['error', 'warning']),
  rule: z.string().describe('Stable rule id, e.g. body-max-length (`recontact templates rules`)'),
  template: z.string().describe('"name (language)"'),
  path: z.string().optional().describe('Where in the template, e.g. components[1].text'),
  component: z.string().optional(),
  message: z.string(),
  fix: z.string(),
  metaCode: z.number().int().optional().describe('The error_subcode Meta would answer'),
});

const lintSummary = z.object({
  errors: z.number().int(),
  warnings: z.number().int(),
  findings: z.array(finding),
});

const planAction = z.enum(['create', 'update', 'unchanged', 'only_at_meta']);

const planEntry = z.object({
  name: z.string(),
  language: z.string(),
  action: planAction,
  category: z.string(),
  provider_template_id: z.string().nullable(),
  meta_status: z.string().nullable(),
  changes: z.array(
    z.object({
      path: z.string().describe('category, BODY.text, BUTTONS[2].url, …'),
      kind: z.enum(['added', 'removed', 'changed']),
      before: z.unknown().optional().describe("Meta's value"),
      after: z.unknown().optional().describe("The file's value"),
      inline: z.string().optional().describe('For changed texts: only the words that differ'),
    }),
  ),
  notes: z.array(z.string()),
  blocked: z.string().optional().describe('Why Meta would refuse this change; push skips it'),
});

const diffFields = {
  account_id: z.string(),
  waba_id: z.string().nullable(),
  file: z.string(),
  source: z.string(),
  lint: lintSummary,
  plan: z.object({ entries: z.array(planEntry), counts: z.record(planAction, z.number().int()) }),
};

export const templateDiffSchema = z.object(diffFields).meta({ id: 'TemplateDiff' });

const pushOutcome = z.enum(['created', 'updated', 'unchanged', 'only_at_meta', 'failed']);

export const templatePushSchema = z
  .object({
    ...diffFields,
    dry_run: z.boolean(),
    results: z
      .array(
        z.object({
          name: z.string(),
          language: z.string(),
          action: planAction,
          outcome: pushOutcome,
          provider_template_id: z.string().nullable(),
          status: z.string().nullable(),
          error: z
            .object({
              code: z.string(),
              message: z.string(),
              details: z.array(z.object({ path: z.string().optional(), message: z.string() })).optional(),
              hint: z.string().optional(),
              data: z.record(z.string(), z.unknown()).optional(),
            })
            .optional()
            .describe('Why Meta refused it (outcome "failed"), shaped as an error answer'),
        }),
      )
      .describe('Empty on a dry run'),
    summary: z.record(pushOutcome, z.number().int()),
    ok: z.boolean().describe('False when Meta refused at least one create or edit'),
  })
  .meta({ id: 'TemplatePush' });

export const templatePullSchema = z
  .object({
    account_id: z.string(),
    waba_id: z.string().nullable(),
    at_meta: z.number().int(),
    added: z.number().int(),
    changed: z.number().int(),
    unchanged: z.number().int(),
    deleted: z.number().int().describe('Rows marked DELETED because Meta no longer lists them'),
    changes: z.array(
      z.object({
        name: z.string(),
        language: z.string(),
        change: z.enum(['added', 'changed', 'deleted']),
        fields: z.array(z.string()),
        status: z.string(),
        previous_status: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'TemplatePull' });

export const templatePreviewSchema = z
  .object({
    template: z.object({
      name: z.string(),
      language: z.string(),
      category: z.string(),
      parameter_format: z.string(),
      status: z.string(),
      rejected_reason: z.string().nullable(),
    }),
    rendered: z.object({
      header: z
        .object({
          kind: z.enum(['text', 'image', 'video', 'document', 'location']),
          text: z.string().optional(),
          ref: z.string().optional(),
          label: z.string().optional(),
        })
        .optional(),
      body: z.string(),
      footer: z.string().optional(),
      buttons: z.array(
        z.object({
          type: z.string(),
          text: z.string(),
          url: z.string().optional(),
          phone: z.string().optional(),
          payload: z.string().optional(),
          code: z.string().optional(),
        }),
      ),
    }),
    missing: z.array(z.string()).describe('Values shown from the examples because none was given'),
    sources: z.record(z.string(), z.string()).describe('Where each value came from'),
    problems: z
      .array(z.object({ path: z.string().optional(), message: z.string() }))
      .describe('What a send with these values would be refused for'),
    sendable: z.boolean(),
    notes: z.array(z.string()),
  })
  .meta({ id: 'TemplatePreview' });
