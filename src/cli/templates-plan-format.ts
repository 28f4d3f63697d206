/**
 * Text output of `templates diff` and `templates push`: the plan per template with a readable
 * per-field diff, and the outcome of each create or edit. Pure: lines in, lines out.
 */
import type { FieldChange, PlanEntry } from '../engine/templates/diff';
import type { DiffReport, PushReport, PushResult } from '../engine/templates/push';

const ACTION_LABEL: Record<PlanEntry['action'], string> = {
  create: 'create',
  update: 'update',
  unchanged: 'unchanged',
  only_at_meta: 'only at Meta',
};
const LABEL_WIDTH = Math.max(...Object.values(ACTION_LABEL).map((l) => l.length));

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function formatChange(c: FieldChange, indent: string): string[] {
  if (c.kind === 'added') return [`${indent}${c.path} added`, `${indent}  + ${show(c.after)}`];
  if (c.kind === 'removed') return [`${indent}${c.path} removed`, `${indent}  - ${show(c.before)}`];
  const short =
    typeof c.before === 'string' && typeof c.after === 'string' && `${c.before}${c.after}`.length <= 40;
  if (short) return [`${indent}${c.path}: ${show(c.before)} → ${show(c.after)}`];
  return [
    `${indent}${c.path}${c.inline ? `: ${c.inline}` : ''}`,
    `${indent}  - ${show(c.before)}`,
    `${indent}  + ${show(c.after)}`,
  ];
}

function entryLine(e: PlanEntry): string {
  const meta = e.meta_status
    ? `  [${e.meta_status}${e.provider_template_id ? `, id ${e.provider_template_id}` : ''}]`
    : '';
  return `  ${ACTION_LABEL[e.action].padEnd(LABEL_WIDTH)}  ${e.name} (${e.language})  ${e.category}${meta}`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function formatPlan(report: DiffReport): string[] {
  const indent = ' '.repeat(LABEL_WIDTH + 4);
  const lines = [`${report.file} → WABA ${report.waba_id} (account ${report.account_id})`];
  for (const e of report.plan.entries) {
    lines.push(entryLine(e));
    for (const c of e.changes) lines.push(...formatChange(c, indent));
    if (e.blocked) lines.push(`${indent}blocked: ${e.blocked}`);
    // Notes on create and only-at-Meta are the same for every entry: said once in the summary.
    if (e.action === 'update' || e.action === 'unchanged')
      for (const n of e.notes) lines.push(`${indent}note: ${n}`);
  }
  const c = report.plan.counts;
  lines.push('');
  lines.push(
    `${count(c.create, 'to create', 'to create')}, ${count(c.update, 'to update', 'to update')}, ${c.unchanged} unchanged, ${c.only_at_meta} only at Meta (never deleted)`,
  );
  const { errors, warnings } = report.lint;
  if (errors + warnings > 0)
    lines.push(
      `lint: ${count(errors, 'error')}, ${count(warnings, 'warning')} — run \`recontact templates lint ${report.file}\` for details`,
    );
  return lines;
}

function resultLines(r: PushResult): string[] {
  const head = `  ${r.outcome.padEnd(9)}  ${r.name} (${r.language})`;
  if (r.outcome !== 'failed')
    return [
      `${head}${r.provider_template_id ? `  id ${r.provider_template_id}` : ''}${r.status ? `  ${r.status}` : ''}`,
    ];
  const e = r.error;
  const lines = [`${head}: ${e?.message ?? 'failed'}`];
  for (const d of e?.details ?? []) lines.push(`             ${d.message}`);
  if (e?.hint) lines.push(`             hint: ${e.hint}`);
  return lines;
}

export function formatPushResults(report: PushReport): string[] {
  const lines = report.results
    .filter((r) => r.outcome !== 'unchanged' && r.outcome !== 'only_at_meta')
    .flatMap(resultLines);
  const s = report.summary;
  lines.push('');
  lines.push(
    `${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged, ${s.only_at_meta} only at Meta, ${s.failed} failed`,
  );
  if (s.created + s.updated > 0)
    lines.push(
      'Meta reviews new and edited templates: `recontact templates list` shows their status as webhooks arrive.',
    );
  return lines;
}
