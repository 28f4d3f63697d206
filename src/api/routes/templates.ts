/**
 * Templates: the database's view (list, one), templates as code against Meta (diff, push,
 * pull) and the preview of what a user will see. Reads, diffs and previews need "viewer";
 * anything that changes Meta or our copy of it needs "admin".
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { TemplateRecord } from '../../domain/templates/model';
import type { TemplateRouting } from '../../domain/templates/routing';
import { routingOf, templateRouting, templateRoutings } from '../../engine/inbound/reply-reads';
import { readTemplateInput, type TemplateSource } from '../../engine/templates/input';
import { previewTemplate } from '../../engine/templates/preview';
import { diffTemplates, pushTemplates } from '../../engine/templates/push';
import { readTemplate, templatesOf } from '../../engine/templates/reads';
import { syncTemplates } from '../../engine/templates/sync';
import { answer, errorAnswers } from '../openapi';
import { accountQuery } from '../schemas';
import type { ApiDeps } from '../server';
import {
  templateDiffBody,
  templateDiffSchema,
  templateKeyParams,
  templateListSchema,
  templatePreviewBody,
  templatePreviewSchema,
  templatePullSchema,
  templatePushBody,
  templatePushSchema,
  templateSchema,
} from '../template-schemas';

export function templateView(t: TemplateRecord, routing: TemplateRouting | null = null) {
  return {
    account_id: t.accountId,
    name: t.name,
    language: t.language,
    category: t.category,
    parameter_format: t.parameter_format ?? 'POSITIONAL',
    status: t.status,
    quality_score: t.qualityScore,
    rejected_reason: t.rejectedReason,
    provider_template_id: t.providerTemplateId,
    // Meta's own shape, documented loosely: Meta adds component fields over time.
    components: t.components as unknown as Array<Record<string, unknown>>,
    routing,
    updated_at: new Date(t.updatedAt).toISOString(),
  };
}

export type TemplateView = ReturnType<typeof templateView>;

/** The validated body minus the push-only flag: the source of templates. */
function sourceOf(body: {
  file?: string | undefined;
  file_name?: string | undefined;
  format_hint?: 'yaml' | 'json' | undefined;
  templates?: unknown[] | undefined;
}): TemplateSource {
  if (body.templates !== undefined) return { templates: body.templates };
  return {
    file: body.file ?? '',
    ...(body.file_name !== undefined ? { file_name: body.file_name } : {}),
    ...(body.format_hint !== undefined ? { format_hint: body.format_hint } : {}),
  };
}

export const templateRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/templates',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['templates'],
          summary: 'Templates known for an account, with review status and quality',
          description:
            "The database's view, kept current by Meta's template webhooks and by POST /v1/templates/pull.",
          querystring: accountQuery,
          response: {
            200: answer('The templates, every language', templateListSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const routings = await templateRoutings(deps.ctx, account.id);
        return {
          data: (await templatesOf(deps.ctx, account.id)).map((t) =>
            templateView(t, routingOf(routings, t.name, t.language)),
          ),
        };
      },
    );

    app.get(
      '/v1/templates/:name/:language',
      {
        // A read names the template it wants: missing is 404 here, while in a send (422) the
        // request is well-formed but its content cannot be used.
        config: { role: 'viewer', errorStatus: { TEMPLATE_NOT_FOUND: 404 } },
        schema: {
          tags: ['templates'],
          summary: 'One template in one language',
          params: templateKeyParams,
          querystring: accountQuery,
          response: {
            200: answer('The template', templateSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'TEMPLATE_NOT_FOUND'],
              status: { TEMPLATE_NOT_FOUND: 404 },
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { name, language } = req.params;
        const t = await readTemplate(deps.ctx, account.id, name, language);
        return templateView(t, await templateRouting(deps.ctx, account.id, name, language));
      },
    );

    app.post(
      '/v1/templates/diff',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['templates'],
          summary: "Compare template definitions with Meta's current state",
          description:
            'Per name + language: create (not at Meta), update (category or components differ, with each changed field), ' +
            'unchanged, or only_at_meta (never deleted by a push). Reads Meta; sends and stores nothing. ' +
            'Lint findings are included; entries without a name or language are refused (422 TEMPLATE_INVALID).',
          body: templateDiffBody,
          querystring: accountQuery,
          response: {
            200: answer('The plan, per template, and the lint findings', templateDiffSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'TEMPLATE_INVALID', 'PROVIDER_ERROR'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return diffTemplates(
          deps.templateProvider,
          account,
          readTemplateInput(sourceOf(req.body), { channel: account.channel }),
        );
      },
    );

    app.post(
      '/v1/templates/push',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['templates'],
          summary: 'Create new templates and edit changed ones at Meta',
          description:
            'Lints first: any lint error refuses the whole push (422 TEMPLATE_INVALID, findings in details and data.findings). ' +
            'Then creates (POST /{waba-id}/message_templates) and edits (POST /{template-id}) per the plan and stores ' +
            "Meta's answers (ids, PENDING). Never deletes. Answers 200 with one result per template; a template Meta refused " +
            'has outcome "failed" and a PROVIDER_ERROR in `error`, and `ok` is false. With dry_run: the plan only.',
          body: templatePushBody,
          querystring: accountQuery,
          response: {
            200: answer('One result per template; `ok` is false if Meta refused any', templatePushSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'TEMPLATE_INVALID', 'PROVIDER_ERROR'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const input = readTemplateInput(sourceOf(req.body), { channel: account.channel });
        return pushTemplates(deps.ctx, deps.templateProvider, account, input, {
          dryRun: req.body.dry_run === true,
        });
      },
    );

    app.post(
      '/v1/templates/pull',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['templates'],
          summary: "Bring Meta's template state into the database",
          description:
            'Status, quality, category, ids, rejection reason and components, as Meta lists them. Templates Meta no longer ' +
            'lists are marked DELETED (rows are kept). Answers counts of added, changed, unchanged and deleted.',
          querystring: accountQuery,
          response: {
            200: answer('What changed in the database', templatePullSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'PROVIDER_ERROR'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return syncTemplates(deps.ctx, deps.templateProvider, account);
      },
    );

    app.post(
      '/v1/templates/preview',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['templates'],
          summary: 'Render what the user will see',
          description:
            'Values as in POST /v1/messages (template.header, body, buttons), or taken from a contact for NAMED templates ' +
            '(attributes by variable name; first_name falls back to the first word of the contact’s name). Missing values ' +
            'are shown from the template’s examples and listed in `missing`; `problems` lists what a send would be refused for.',
          body: templatePreviewBody,
          querystring: accountQuery,
          response: {
            200: answer(
              'The rendered template, what is missing and what a send would be refused for',
              templatePreviewSchema,
            ),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'TEMPLATE_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { contact, ...rest } = req.body;
        return previewTemplate(deps.ctx, account.id, {
          ...(rest as Parameters<typeof previewTemplate>[2]),
          ...(contact !== undefined ? { contact } : {}),
        });
      },
    );
  };
