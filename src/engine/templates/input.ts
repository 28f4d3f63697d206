/**
 * Templates sent to the API for diff and push: a template file's text (YAML or JSON, in any of
 * the shapes parseTemplateFile reads) or a list of template objects. Both are parsed the same
 * way and linted, so a push never sends Meta what the linter already knows it would refuse.
 */

import type { ChannelKind } from '../../domain/channels/channel-kind';
import { type ErrorDetail, RecontactError } from '../../domain/errors';
import {
  type ParsedTemplate,
  parseTemplateFile,
  type TemplateFileSource,
} from '../../domain/templates/file-format';
import { type Finding, lintTemplates } from '../../domain/templates/lint/lint';
import type { TemplateDefinition } from '../../domain/templates/model';

export type TemplateSource =
  | { file: string; file_name?: string; format_hint?: 'yaml' | 'json' }
  | { templates: unknown[] };

export interface LintSummary {
  errors: number;
  warnings: number;
  findings: Finding[];
}

export interface TemplateInput {
  source: TemplateFileSource;
  /** The name used in messages: the file's name, or "request" for an inline list. */
  fileName: string;
  templates: ParsedTemplate[];
  lint: LintSummary;
}

/**
 * The name parseTemplateFile sees: it picks the syntax by extension, so a hint adds the right one
 * (a .txt holding YAML); without name or hint, text starting with { or [ is read as JSON.
 */
function syntaxName(name: string, hint: 'yaml' | 'json' | undefined): string {
  if (hint === 'yaml' && !/\.ya?ml$/i.test(name)) return `${name}.yaml`;
  if (hint === 'json' && !/\.json$/i.test(name)) return `${name}.json`;
  return name;
}

/** Parses and lints; throws TEMPLATE_INVALID (with line and column) when the text does not parse. */
export function readTemplateInput(src: TemplateSource, opts: { channel?: ChannelKind } = {}): TemplateInput {
  const fileName = 'file' in src ? (src.file_name ?? 'templates') : 'request';
  const parsed =
    'file' in src
      ? parseTemplateFile(src.file, syntaxName(fileName, src.format_hint))
      : parseTemplateFile(JSON.stringify({ templates: src.templates }), 'request.json');
  // A page's templates also meet Messenger's own rules (lint/messenger.ts).
  const findings = lintTemplates(parsed.templates, opts.channel ? { channel: opts.channel } : {});
  return {
    source: parsed.source,
    fileName,
    templates: parsed.templates,
    lint: {
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      findings,
    },
  };
}

function findingDetail(f: Finding): ErrorDetail {
  return {
    path: `${f.template}${f.path ? ` ${f.path}` : ''}`,
    message: `${f.rule}: ${f.message}; fix: ${f.fix}${f.metaCode ? ` (Meta error ${f.metaCode})` : ''}`,
  };
}

function invalid(input: TemplateInput, findings: Finding[], what: string): RecontactError {
  return new RecontactError(
    'TEMPLATE_INVALID',
    `${input.fileName}: ${findings.length} ${findings.length === 1 ? 'error' : 'errors'} ${what}; nothing was sent to Meta`,
    {
      details: findings.map(findingDetail),
      hint: 'Run `recontact templates lint FILE` to see every finding with its fix.',
      data: { findings },
    },
  );
}

/** Push refuses on any lint error: Meta would reject the template, or reject it at review. */
export function requireLintClean(input: TemplateInput): TemplateDefinition[] {
  const errors = input.lint.findings.filter((f) => f.severity === 'error');
  if (errors.length > 0) throw invalid(input, errors, 'found by the linter');
  return input.templates;
}

/**
 * Diff only needs each entry to be identifiable (a name, a language, a list of components)
 * and unique: it still shows the plan of a file that has other lint errors.
 */
export function requireComparable(input: TemplateInput): TemplateDefinition[] {
  const blocking = input.lint.findings.filter(
    (f) =>
      f.severity === 'error' &&
      (f.rule === 'template-shape' || f.rule === 'name-required' || f.rule === 'template-duplicate'),
  );
  const unnamed = input.templates.flatMap((t, i): Finding[] =>
    typeof t === 'object' && t !== null && typeof t.language === 'string' && t.language !== ''
      ? []
      : [
          {
            severity: 'error',
            rule: 'language-code',
            template: `#${i + 1}`,
            path: 'language',
            message: 'the template has no language',
            fix: 'add language: the exact code Meta uses, e.g. es_AR',
          },
        ],
  );
  const all = [...blocking, ...unnamed];
  if (all.length > 0) throw invalid(input, all, 'that prevent comparing it with Meta');
  return input.templates;
}
