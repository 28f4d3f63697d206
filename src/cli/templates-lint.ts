/**
 * `recontact templates lint FILE...`: checks template files offline against Meta's rules and
 * Recontact's own warnings. Exit code: 0 clean or warnings only, 1 on errors (including a file
 * that does not parse), 2 when a file cannot be read.
 */

import { readFile as fsReadFile } from 'node:fs/promises';
import type { ChannelKind } from '../domain/channels/channel-kind';
import { isRecontactError } from '../domain/errors';
import { parseTemplateFile, type TemplateFileSource } from '../domain/templates/file-format';
import {
  duplicateFinding,
  type Finding,
  type LintOptions,
  lintTemplates,
  RULES,
  templateKey,
} from '../domain/templates/lint/lint';
import { UsageError } from './errors';

export interface TemplatesLintOptions {
  json: boolean;
  /** Receives the output one line at a time, without the newline (default: stdout). */
  out?: (s: string) => void;
  readFile?: (p: string) => Promise<string>;
  /** Extra language codes to accept. */
  languages?: readonly string[];
  /** Rule ids to skip. */
  disable?: readonly string[];
  /** The channel the templates are for: `messenger` adds a page's own rules. */
  channel?: ChannelKind;
}

export interface FileProblem {
  kind: 'unreadable' | 'invalid';
  message: string;
  hint?: string;
  line?: number;
  column?: number;
}

export interface FileReport {
  file: string;
  source: TemplateFileSource | null;
  templates: number;
  findings: Finding[];
  /** Set when the file could not be read or parsed; findings is then empty. */
  error?: FileProblem;
}

export interface LintReport {
  files: FileReport[];
  /** Error findings, plus one per file that cannot be read or parsed. */
  errors: number;
  warnings: number;
}

const defaultOut = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

function count(n: number, word: string): string {
  return `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
}

/** Lints the files and builds the report; does not print. */
export async function lintFiles(
  files: readonly string[],
  opts: { readFile?: (p: string) => Promise<string> } & LintOptions = {},
): Promise<LintReport> {
  const read = opts.readFile ?? ((p: string) => fsReadFile(p, 'utf8'));
  const lintOpts: LintOptions = {
    languages: opts.languages,
    disable: opts.disable,
    ...(opts.channel ? { channel: opts.channel } : {}),
  };
  const reports: FileReport[] = [];
  const firstSeen = new Map<string, string>();
  for (const file of files) {
    let text: string;
    try {
      text = await read(file);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      reports.push({
        file,
        source: null,
        templates: 0,
        findings: [],
        error: { kind: 'unreadable', message },
      });
      continue;
    }
    try {
      const parsed = parseTemplateFile(text, file);
      const findings = lintTemplates(parsed.templates, lintOpts);
      // The same name + language in two files would collide at Meta too.
      const local = new Set<string>();
      parsed.templates.forEach((def, i) => {
        const key = templateKey(def);
        if (key === undefined || local.has(key)) return;
        local.add(key);
        const other = firstSeen.get(key);
        if (other === undefined) firstSeen.set(key, file);
        else if (!opts.disable?.includes('template-duplicate'))
          findings.push(duplicateFinding(key, other, `${file} (entry ${i + 1})`));
      });
      reports.push({ file, source: parsed.source, templates: parsed.templates.length, findings });
    } catch (e) {
      if (!isRecontactError(e)) throw e;
      const data = e.data ?? {};
      reports.push({
        file,
        source: null,
        templates: 0,
        findings: [],
        error: {
          kind: 'invalid',
          message: e.message,
          ...(e.hint ? { hint: e.hint } : {}),
          ...(typeof data.line === 'number' ? { line: data.line } : {}),
          ...(typeof data.column === 'number' ? { column: data.column } : {}),
        },
      });
    }
  }
  const all = reports.flatMap((r) => r.findings);
  return {
    files: reports,
    errors: all.filter((f) => f.severity === 'error').length + reports.filter((r) => r.error).length,
    warnings: all.filter((f) => f.severity === 'warning').length,
  };
}

export function exitCode(report: LintReport): number {
  if (report.files.some((f) => f.error?.kind === 'unreadable')) return 2;
  return report.errors > 0 ? 1 : 0;
}

/** `error  body-max-length  appointment_reminder (es_AR) components[1].text: message` */
export function formatFinding(f: Finding): string {
  return `${f.severity}  ${f.rule}  ${f.template}${f.path ? ` ${f.path}` : ''}: ${f.message}`;
}

export function formatReport(report: LintReport): string[] {
  const lines: string[] = [];
  for (const r of report.files) {
    if (r.error) {
      lines.push(r.file);
      lines.push(
        `error  ${r.error.kind === 'unreadable' ? `cannot read ${r.file}: ` : ''}${r.error.message}`,
      );
      if (r.error.hint) lines.push(`  hint: ${r.error.hint}`);
      lines.push('');
      continue;
    }
    const source = r.source === 'recontact' ? 'Recontact format' : `${r.source} format`;
    lines.push(`${r.file} (${source}, ${count(r.templates, 'template')})`);
    if (r.findings.length === 0) lines.push('  no problems');
    // Grouped per template, in file order; a file-level duplicate sits with its template.
    const order = [...new Set(r.findings.map((f) => f.template))];
    for (const template of order) {
      for (const f of r.findings.filter((x) => x.template === template)) {
        lines.push(formatFinding(f));
        lines.push(`  fix: ${f.fix}${f.metaCode ? ` (Meta error ${f.metaCode})` : ''}`);
      }
    }
    lines.push('');
  }
  const templates = report.files.reduce((n, r) => n + r.templates, 0);
  const unreadable = report.files.filter((r) => r.error?.kind === 'unreadable').length;
  const invalid = report.files.filter((r) => r.error?.kind === 'invalid').length;
  const extra = [
    ...(invalid ? [`${count(invalid, 'file')} not parsed`] : []),
    ...(unreadable ? [`${count(unreadable, 'file')} unreadable`] : []),
  ];
  lines.push(
    [
      count(templates, 'template'),
      count(report.errors, 'error'),
      count(report.warnings, 'warning'),
      ...extra,
    ].join(', '),
  );
  return lines;
}

/**
 * Prints the report; a file that cannot be read is also a usage error (exit 2), thrown after the
 * report so that stderr says it in one line while the other files' findings still show.
 */
export async function runTemplatesLint(files: string[], opts: TemplatesLintOptions): Promise<number> {
  const out = opts.out ?? defaultOut;
  const report = await lintFiles(files, {
    readFile: opts.readFile,
    languages: opts.languages,
    disable: opts.disable,
    ...(opts.channel ? { channel: opts.channel } : {}),
  });
  if (opts.json) out(JSON.stringify(report, null, 2));
  else for (const line of formatReport(report)) out(line);
  const unreadable = report.files.filter((f) => f.error?.kind === 'unreadable');
  if (unreadable.length > 0) {
    // "ENOENT: no such file or directory, open 'x.yaml'" → "no such file or directory"
    const why = (m: string) => m.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
    throw new UsageError(
      `cannot read ${unreadable.map((f) => `${f.file} (${why(f.error!.message)})`).join(', ')}: check the path (the example is examples/saludcenter.templates.yaml)`,
    );
  }
  return exitCode(report);
}

/** `recontact templates lint --list`: every rule with its severity and description. */
export function listLintRules(opts: { json: boolean; out?: (s: string) => void }): number {
  const out = opts.out ?? defaultOut;
  if (opts.json) {
    out(JSON.stringify(RULES, null, 2));
    return 0;
  }
  const width = Math.max(...RULES.map((r) => r.id.length));
  for (const r of RULES)
    out(
      `${r.severity.padEnd(7)}  ${r.id.padEnd(width)}  ${r.description}${r.metaCode ? ` (${r.metaCode})` : ''}`,
    );
  return 0;
}
