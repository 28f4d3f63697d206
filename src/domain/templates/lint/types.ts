/**
 * Types shared by the template linter: what a rule reports (Finding), what the registry says
 * about a rule (RuleInfo) and what a rule group sees while it checks one template (LintContext).
 */
import type { ChannelKind } from '../../channels/channel-kind';
import type { TemplateView } from './shape';

export type Severity = 'error' | 'warning';

export interface Finding {
  severity: Severity;
  /** Stable kebab-case rule id, e.g. "body-max-length". */
  rule: string;
  /** "name (language)"; "#3 (es_AR)" when the entry has no usable name. */
  template: string;
  /** Where in the template, e.g. "components[1].text"; absent when the whole entry is at fault. */
  path?: string;
  /** HEADER, BODY, FOOTER or BUTTONS when the finding is about one component. */
  component?: string;
  /** What is wrong, with the actual numbers. */
  message: string;
  /** How to fix it. */
  fix: string;
  /** The error_subcode Meta would answer, when known. */
  metaCode?: number;
}

export interface RuleInfo {
  id: string;
  severity: Severity;
  /** One line, for docs and `recontact templates lint --list`. */
  description: string;
  /** The error_subcode Meta answers when it rejects for this reason, when known. */
  metaCode?: number;
}

export interface LintOptions {
  /** Language codes to accept besides Meta's list (Meta adds locales from time to time). */
  languages?: readonly string[];
  /** Rule ids to skip. */
  disable?: readonly string[];
  /** Position of the entry in its file (0-based), to name an entry that has no usable name. */
  index?: number;
  /** The channel the templates are for: a Messenger page adds its own rules (messenger.ts). */
  channel?: ChannelKind;
}

/** What a rule says about one problem; severity and default metaCode come from the registry. */
export interface Report {
  path?: string;
  component?: string;
  message: string;
  fix: string;
  metaCode?: number;
}

export interface LintContext {
  t: TemplateView;
  opts: LintOptions;
  report(rule: string, report: Report): void;
}

/** One file's worth of rules: their registry entries and the check that reports them. */
export interface RuleGroup {
  name: string;
  rules: readonly RuleInfo[];
  check(ctx: LintContext): void;
}
