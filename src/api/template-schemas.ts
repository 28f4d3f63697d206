/** Request schemas of the /v1/templates routes (OpenAPI at /docs). */
import { z } from 'zod';
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
