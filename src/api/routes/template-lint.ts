/**
 * POST /v1/templates/lint: the offline linter of `recontact templates lint`, for a file's text or
 * a draft being typed (the web app's editor calls it as the operator types). Reads nothing and
 * stores nothing; each finding also says where in its field's text the problem is, when the rule
 * names a place (a variable, a word, the part past a length limit), so an editor can point at it.
 *
 * GET /v1/templates/{name}/{language}/history: what Meta changed about a template over time
 * (review status with its reason, quality rating, category), read from the template.* events,
 * which are kept for EVENT_RETENTION. Pushes and pulls write no event, so they are not listed:
 * the template's `updated_at` says when our copy last changed.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Finding } from '../../domain/templates/lint/lint';
import { templateLabel } from '../../domain/templates/lint/shape';
import { templateKey } from '../../engine/events/ordering';
import { streamPage } from '../../engine/events/replay';
import { readTemplateInput, type TemplateSource } from '../../engine/templates/input';
import { readTemplate } from '../../engine/templates/reads';
import { answer, errorAnswers } from '../openapi';
import type { ApiDeps } from '../server';
import {
  historyQuery,
  templateHistorySchema,
  templateLintBody,
  templateLintSchema,
} from '../template-lint-schemas';
import { templateKeyParams } from '../template-schemas';

type Location = { start: number; end: number; text: string };

/** The value at a finding's path ("components[1].buttons[0].url") in a template entry. */
function valueAt(entry: unknown, path: string): unknown {
  let v: unknown = entry;
  for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/** The UTF-16 offset of the `n`th code point: limits count characters, the DOM counts code units. */
function codeUnitOffset(text: string, n: number): number {
  let i = 0;
  let offset = 0;
  for (const ch of text) {
    if (i++ === n) return offset;
    offset += ch.length;
  }
  return text.length;
}

const span = (text: string, start: number, end: number): Location | undefined =>
  start < 0 || end <= start ? undefined : { start, end, text: text.slice(start, end) };

/**
 * Where in the text a finding points. The linter reports a field, and names the place in its
 * message: the limit a text passes ("is 1,031 characters; Meta allows at most 1,024"), the
 * variables at fault ({{2}}), or a quoted word or sentence. Anything else has no location.
 */
export function locateFinding(f: Finding, entry: unknown): Location | undefined {
  if (f.path === undefined) return undefined;
  const text = valueAt(entry, f.path);
  if (typeof text !== 'string' || text === '') return undefined;

  const over =
    /is ([\d,]+) characters(?: long)?; (?:Meta allows at most|the limit we apply is) ([\d,]+)/.exec(
      f.message,
    );
  if (over) {
    const limit = Number(over[2]!.replace(/,/g, ''));
    if (f.rule === 'variable-named-max-length') {
      const v = /\{\{[^{}]*\}\}/.exec(f.message)?.[0];
      const at = v ? text.indexOf(v) : -1;
      return at < 0 ? undefined : span(text, at, at + v!.length);
    }
    return span(text, codeUnitOffset(text, limit), text.length);
  }

  const vars = f.message.match(/\{\{[^{}]*\}\}/g) ?? [];
  const present = vars.filter((v) => text.includes(v));
  if (present.length > 0) {
    const first = present[0]!;
    if (f.rule === 'variable-adjacent' && present.length > 1) {
      const a = text.indexOf(first);
      const b = text.indexOf(present[1]!, a + first.length);
      return b < 0 ? span(text, a, a + first.length) : span(text, a, b + present[1]!.length);
    }
    if (f.rule === 'variable-edge' && /ends with/.test(f.message)) {
      const at = text.lastIndexOf(first);
      return span(text, at, at + first.length);
    }
    if (f.rule === 'variable-repeated') {
      const at = text.indexOf(first, text.indexOf(first) + first.length);
      return span(text, at, at + first.length);
    }
    const at = text.indexOf(first);
    return span(text, at, at + first.length);
  }

  // Quoted words and sentences, shortened with "…" when long (lint/util.ts quote()).
  for (const m of f.message.matchAll(/"(?:[^"\\]|\\.)*"/g)) {
    let quoted: string;
    try {
      quoted = JSON.parse(m[0]) as string;
    } catch {
      continue;
    }
    quoted = quoted.replace(/…$/, '');
    if (quoted.trim() === '') continue;
    const at = text.toLowerCase().indexOf(quoted.toLowerCase());
    if (at >= 0) return span(text, at, at + quoted.length);
  }
  return undefined;
}

/** The validated body minus the channel: the templates' source, as diff and push take it. */
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

const TEMPLATE_EVENTS = ['template.status', 'template.quality', 'template.category'];

interface HistoryEntry {
  event_id: string;
  position: number;
  at: string;
  change: 'status' | 'quality' | 'category';
  from: string | null;
  to: string;
  reason: string | null;
  details: string | null;
}

function historyEntry(e: {
  id: string;
  type: string;
  timestamp: string;
  position: number;
  data: Record<string, unknown>;
}): HistoryEntry {
  const d = e.data;
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  const base = { event_id: e.id, position: e.position, at: e.timestamp, reason: null, details: null };
  if (e.type === 'template.quality')
    return {
      ...base,
      change: 'quality',
      from: str(d.previous_quality_score),
      to: str(d.quality_score) ?? '',
    };
  if (e.type === 'template.category')
    return { ...base, change: 'category', from: str(d.previous_category), to: str(d.category) ?? '' };
  return {
    ...base,
    change: 'status',
    from: str(d.previous_status),
    to: str(d.status) ?? '',
    // Meta says NONE when there is no reason.
    reason: str(d.reason) === 'NONE' ? null : str(d.reason),
    details: str(d.details),
  };
}

export function templateLintRoutes(deps: ApiDeps): FastifyPluginAsyncZod {
  return async (app) => {
    app.post(
      '/v1/templates/lint',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['templates'],
          summary: "Check templates against Meta's rules, offline",
          description:
            'The findings of `recontact templates lint`: each with its rule id, severity, the field at fault (path), ' +
            'what is wrong, how to fix it, and where in the text when the rule names a place. Lint findings are an ' +
            'answer, not an error: 200 whatever they are. A file that does not parse is refused (422 TEMPLATE_INVALID ' +
            'with its line and column). Reads nothing, sends nothing, stores nothing.',
          body: templateLintBody,
          querystring: historyQuery.pick({ account_id: true }),
          response: {
            200: answer('The findings, per template', templateLintSchema),
            ...errorAnswers({ body: true, codes: ['ACCOUNT_NOT_FOUND', 'TEMPLATE_INVALID'] }),
          },
        },
      },
      async (req) => {
        const { channel: given, ...source } = req.body;
        const channel = given ?? deps.accounts.resolve(req.query.account_id).channel;
        const input = readTemplateInput(sourceOf(source), { channel });
        // Findings name their entry by label; the first entry with that label holds the text.
        const byLabel = new Map<string, unknown>();
        input.templates.forEach((t, i) => {
          const label = templateLabel(t, i);
          if (!byLabel.has(label)) byLabel.set(label, t);
        });
        return {
          file: input.fileName,
          source: input.source,
          templates: input.templates.length,
          errors: input.lint.errors,
          warnings: input.lint.warnings,
          findings: input.lint.findings.map((f) => {
            const location = locateFinding(f, byLabel.get(f.template));
            return location ? { ...f, location } : f;
          }),
        };
      },
    );

    app.get(
      '/v1/templates/:name/:language/history',
      {
        config: { role: 'viewer', errorStatus: { TEMPLATE_NOT_FOUND: 404 } },
        schema: {
          tags: ['templates'],
          summary: 'What Meta changed about a template: status, quality, category, over time',
          description:
            "Each review-status change (with Meta's rejection reason), quality-rating change and recategorisation " +
            'Recontact received, oldest first, from the template.* events (kept for EVENT_RETENTION, 30 days by ' +
            'default). Pushes and pulls are not events: `template.updated_at` says when our copy last changed.',
          params: templateKeyParams,
          querystring: historyQuery,
          response: {
            200: answer("The template's state now and its changes", templateHistorySchema),
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
        const page = await streamPage(deps.ctx, {
          after: req.query.after ?? 0,
          limit: req.query.limit,
          types: TEMPLATE_EVENTS,
          orderingKey: templateKey(account.id, name, language),
        });
        const data: HistoryEntry[] = page.events.map((e) => historyEntry(e.envelope));
        return {
          template: {
            name: t.name,
            language: t.language,
            status: t.status,
            quality_score: t.qualityScore,
            category: t.category,
            rejected_reason: t.rejectedReason,
            updated_at: new Date(t.updatedAt).toISOString(),
          },
          data,
          next_after: page.cursor,
          has_more: page.full,
        };
      },
    );
  };
}
