/**
 * The offline template linter: catches what Meta would reject before a template is submitted,
 * plus Recontact's own warnings for templates that would not get an answer. Pure: no I/O.
 *
 * Input is taken defensively: an entry may be anything a template file holds; shape problems
 * come back as findings, never as exceptions.
 */
import type { TemplateDefinition } from '../model';
import { RULE_GROUPS, ruleInfo } from './rules';
import { buildView, templateLabel } from './shape';
import type { Finding, LintContext, LintOptions, Report } from './types';

export { RULES, ruleInfo } from './rules';
export type { Finding, LintOptions, RuleInfo, Severity } from './types';

/**
 * Lints one template (one name + language). Accepts a TemplateDefinition or any value read from
 * a file: anything that is not a well-formed template yields `template-shape` findings.
 */
export function lintTemplate(def: TemplateDefinition | unknown, opts: LintOptions = {}): Finding[] {
  const index = opts.index ?? 0;
  const label = templateLabel(def, index);
  const disabled = new Set(opts.disable ?? []);
  const findings: Finding[] = [];
  const report = (rule: string, r: Report): void => {
    const info = ruleInfo(rule);
    if (!info) throw new Error(`linter bug: rule ${rule} is not in the registry`);
    if (disabled.has(rule)) return;
    const metaCode = r.metaCode ?? info.metaCode;
    findings.push({
      severity: info.severity,
      rule,
      template: label,
      ...(r.path !== undefined ? { path: r.path } : {}),
      ...(r.component !== undefined ? { component: r.component } : {}),
      message: r.message,
      fix: r.fix,
      ...(metaCode !== undefined ? { metaCode } : {}),
    });
  };
  const view = buildView(def, index, report);
  if (!view.raw) return findings;
  const ctx: LintContext = { t: view, opts, report };
  for (const group of RULE_GROUPS) group.check(ctx);
  return findings;
}

/** "name (language)" when the entry has both as strings: what two templates must not share. */
export function templateKey(def: unknown): string | undefined {
  if (typeof def !== 'object' || def === null) return undefined;
  const { name, language } = def as { name?: unknown; language?: unknown };
  return typeof name === 'string' && typeof language === 'string' ? `${name} (${language})` : undefined;
}

/** The finding for a second definition of the same name + language; `first` says where the first one is. */
export function duplicateFinding(key: string, first: string, second: string): Finding {
  const info = ruleInfo('template-duplicate')!;
  return {
    severity: info.severity,
    rule: info.id,
    template: key,
    path: 'name',
    message: `${key} is defined twice: ${first} and ${second}`,
    fix: 'keep one definition per name and language (each translation is its own entry, with its own language)',
    ...(info.metaCode !== undefined ? { metaCode: info.metaCode } : {}),
  };
}

/** Lints a set of templates (typically one file): each one, plus duplicates of name + language. */
export function lintTemplates(
  defs: readonly (TemplateDefinition | unknown)[],
  opts: LintOptions = {},
): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, number>();
  defs.forEach((def, index) => {
    findings.push(...lintTemplate(def, { ...opts, index }));
    const key = templateKey(def);
    if (key === undefined) return;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, index);
    else if (!opts.disable?.includes('template-duplicate'))
      findings.push(duplicateFinding(key, `entry ${first + 1}`, `entry ${index + 1}`));
  });
  return findings;
}
