/**
 * Templates as code, applied: lint, compare with Meta, then create new templates
 * (POST /{waba-id}/message_templates) and edit changed ones (POST /{template-id}), recording
 * Meta's answers in the database. Nothing is ever deleted at Meta.
 *
 * Each template's row is written as PENDING *before* the call and corrected after it (id on
 * success, the previous state on failure). Meta's review webhook can arrive before Meta's HTTP
 * answer has been processed here; with the row already in place the webhook finds it by name
 * and language, instead of being dropped as "a template we do not track" and leaving the row
 * PENDING forever.
 */
import type { ProviderErrorInfo, ProviderTemplate, TemplateProvider } from '../../channels/channel';
import { RecontactError } from '../../domain/errors';
import type { ParsedTemplate } from '../../domain/templates/file-format';
import type { TemplateDefinition, TemplateRecord } from '../../domain/templates/model';
import { checkRouting } from '../../domain/templates/routing';
import type { AccountWithLimits } from '../../store/accounts-repo';
import {
  deleteTemplateRow,
  getTemplate,
  recordCreatedTemplate,
  setTemplateRouting,
  upsertTemplate,
} from '../../store/templates-repo';
import type { EngineContext } from '../context';
import { type PlanAction, type PlanEntry, planTemplates, type TemplatePlan } from './diff';
import { type LintSummary, requireComparable, requireLintClean, type TemplateInput } from './input';
import { listProviderTemplates, recordFromProvider } from './sync';

export interface DiffReport {
  account_id: string;
  waba_id: string | null;
  file: string;
  source: string;
  lint: LintSummary;
  plan: TemplatePlan;
}

export type PushOutcome = 'created' | 'updated' | 'unchanged' | 'only_at_meta' | 'failed';

export interface PushResult {
  name: string;
  language: string;
  action: PlanAction;
  outcome: PushOutcome;
  provider_template_id: string | null;
  /** The status after the push: PENDING for what was created or edited, Meta's for the rest. */
  status: string | null;
  /** Catalogue-shaped, as an error response would carry it. */
  error?: ReturnType<RecontactError['toJSON']>;
}

export interface PushReport extends DiffReport {
  dry_run: boolean;
  /** Empty on a dry run. */
  results: PushResult[];
  summary: Record<PushOutcome, number>;
  /** False when Meta refused at least one create or edit. */
  ok: boolean;
}

/** Compares the input with Meta's current templates. Reads Meta, writes nothing. */
export async function diffTemplates(
  provider: TemplateProvider,
  account: AccountWithLimits,
  input: TemplateInput,
): Promise<DiffReport> {
  const defs = requireComparable(input);
  const atMeta = await listProviderTemplates(provider, account);
  return report(account, input, planTemplates(defs, atMeta));
}

function report(account: AccountWithLimits, input: TemplateInput, plan: TemplatePlan): DiffReport {
  return {
    account_id: account.id,
    waba_id: account.wabaId,
    file: input.fileName,
    source: input.source,
    lint: input.lint,
    plan,
  };
}

export async function pushTemplates(
  ctx: EngineContext,
  provider: TemplateProvider,
  account: AccountWithLimits,
  input: TemplateInput,
  opts: { dryRun: boolean },
): Promise<PushReport> {
  const defs = requireLintClean(input);
  const atMeta = await listProviderTemplates(provider, account);
  const plan = planTemplates(defs, atMeta);
  const out: PushReport = {
    ...report(account, input, plan),
    dry_run: opts.dryRun,
    results: [],
    summary: { created: 0, updated: 0, unchanged: 0, only_at_meta: 0, failed: 0 },
    ok: true,
  };
  if (opts.dryRun) return out;
  const byKey = new Map(defs.map((d) => [`${d.name}\n${d.language}`, d]));
  const metaByKey = new Map(atMeta.map((t) => [`${t.name}\n${t.language}`, t]));
  for (const entry of plan.entries) {
    const key = `${entry.name}\n${entry.language}`;
    const result = await applyEntry(ctx, provider, account, entry, byKey.get(key), metaByKey.get(key));
    out.results.push(result);
    out.summary[result.outcome]++;
  }
  // Routing is ours alone: written whatever Meta did, and cleared when the file has none.
  for (const def of defs) {
    const routing = checkRouting((def as ParsedTemplate).routing);
    await setTemplateRouting(
      ctx.store.db,
      { accountId: account.id, name: def.name, language: def.language },
      routing.ok ? routing.value : null,
      ctx.clock(),
    );
  }
  out.ok = out.summary.failed === 0;
  return out;
}

async function applyEntry(
  ctx: EngineContext,
  provider: TemplateProvider,
  account: AccountWithLimits,
  entry: PlanEntry,
  def: TemplateDefinition | undefined,
  meta: ProviderTemplate | undefined,
): Promise<PushResult> {
  const base = {
    name: entry.name,
    language: entry.language,
    action: entry.action,
    provider_template_id: entry.provider_template_id,
    status: entry.meta_status,
  };
  if (entry.action === 'unchanged' || entry.action === 'only_at_meta' || !def)
    return { ...base, outcome: entry.action === 'only_at_meta' ? 'only_at_meta' : 'unchanged' };
  if (entry.blocked) {
    const error = new RecontactError('TEMPLATE_INVALID', `${label(entry)}: ${entry.blocked}`, {
      details: entry.changes
        .filter((c) => c.path === 'parameter_format')
        .map((c) => ({ path: `${label(entry)} parameter_format`, message: `${c.before} → ${c.after}` })),
      hint: 'Keep the current parameter_format, or give the template a new name.',
    });
    return { ...base, outcome: 'failed', error: error.toJSON() };
  }
  return entry.action === 'create'
    ? create(ctx, provider, account, entry, def)
    : edit(ctx, provider, account, entry, def, meta!);
}

async function create(
  ctx: EngineContext,
  provider: TemplateProvider,
  account: AccountWithLimits,
  entry: PlanEntry,
  def: TemplateDefinition,
): Promise<PushResult> {
  const { db } = ctx.store;
  const before = await getTemplate(db, account.id, def.name, def.language);
  await writePending(ctx, account, def, null, null);
  const res = await provider.createTemplate(account, createBody(def));
  if (!res.ok) {
    await restore(ctx, account, def, before);
    return failed(entry, res.error, 'create');
  }
  const answer = res.value;
  await recordCreatedTemplate(
    db,
    { accountId: account.id, name: def.name, language: def.language },
    answer,
    ctx.clock(),
  );
  return {
    name: def.name,
    language: def.language,
    action: 'create',
    outcome: 'created',
    provider_template_id: answer.providerTemplateId,
    status: answer.status,
  };
}

async function edit(
  ctx: EngineContext,
  provider: TemplateProvider,
  account: AccountWithLimits,
  entry: PlanEntry,
  def: TemplateDefinition,
  meta: ProviderTemplate,
): Promise<PushResult> {
  const before = (await getTemplate(ctx.store.db, account.id, def.name, def.language)) ?? {
    // Not in our database yet (never pulled): on failure, keep what Meta has.
    ...recordFromProvider(account.id, meta),
    updatedAt: 0,
  };
  // The quality rating belongs to the template id, which an edit keeps.
  await writePending(ctx, account, def, meta.providerTemplateId, before.qualityScore);
  const categoryChanged = entry.changes.some((c) => c.path === 'category');
  const res = await provider.editTemplate(account, meta.providerTemplateId, {
    components: def.components as unknown as Array<Record<string, unknown>>,
    ...(categoryChanged ? { category: def.category } : {}),
  });
  if (!res.ok || !res.value.success) {
    await restore(ctx, account, def, before);
    const error: ProviderErrorInfo = res.ok
      ? {
          code: null,
          httpStatus: 200,
          title: 'Meta answered success: false',
          details: 'the edit was not applied',
        }
      : res.error;
    return failed(entry, error, 'edit');
  }
  return {
    name: def.name,
    language: def.language,
    action: 'update',
    outcome: 'updated',
    provider_template_id: meta.providerTemplateId,
    status: 'PENDING',
  };
}

/** The body of POST /{waba-id}/message_templates; Meta's own create options are passed through. */
function createBody(def: TemplateDefinition): Record<string, unknown> {
  const extra = def as TemplateDefinition & {
    allow_category_change?: unknown;
    message_send_ttl_seconds?: unknown;
  };
  return {
    name: def.name,
    language: def.language,
    category: def.category,
    parameter_format: def.parameter_format ?? 'POSITIONAL',
    components: def.components,
    ...(extra.allow_category_change !== undefined
      ? { allow_category_change: extra.allow_category_change }
      : {}),
    ...(extra.message_send_ttl_seconds !== undefined
      ? { message_send_ttl_seconds: extra.message_send_ttl_seconds }
      : {}),
  };
}

async function writePending(
  ctx: EngineContext,
  account: AccountWithLimits,
  def: TemplateDefinition,
  providerTemplateId: string | null,
  qualityScore: TemplateRecord['qualityScore'],
): Promise<void> {
  await upsertTemplate(
    ctx.store.db,
    {
      id: ctx.id('tpl'),
      accountId: account.id,
      name: def.name,
      language: def.language,
      category: def.category,
      parameter_format: def.parameter_format ?? 'POSITIONAL',
      components: def.components,
      status: 'PENDING',
      providerTemplateId,
      rejectedReason: null,
      qualityScore,
    },
    ctx.clock(),
  );
}

/** Puts the row back as it was before a refused call (or removes the one written for it). */
async function restore(
  ctx: EngineContext,
  account: AccountWithLimits,
  def: TemplateDefinition,
  before: TemplateRecord | undefined,
): Promise<void> {
  if (!before) {
    await deleteTemplateRow(ctx.store.db, { accountId: account.id, name: def.name, language: def.language });
    return;
  }
  const { updatedAt: _u, ...record } = before;
  await upsertTemplate(ctx.store.db, { ...record, id: ctx.id('tpl') }, ctx.clock());
}

function label(e: { name: string; language: string }): string {
  return `${e.name} (${e.language})`;
}

/** Meta's refusal as a catalogue error, with what to do about the common ones. */
function failed(entry: PlanEntry, error: ProviderErrorInfo, op: 'create' | 'edit'): PushResult {
  const subcode = /error_subcode (\d+)/.exec(error.details ?? '')?.[1];
  const err = new RecontactError('PROVIDER_ERROR', `Meta refused to ${op} ${label(entry)}: ${error.title}`, {
    details: error.details ? [{ path: label(entry), message: error.details }] : [],
    hint: hintFor(entry, op, subcode),
    data: {
      meta_code: error.code,
      ...(subcode ? { meta_subcode: Number(subcode) } : {}),
      http_status: error.httpStatus,
      ...(entry.provider_template_id ? { provider_template_id: entry.provider_template_id } : {}),
    },
  });
  return {
    name: entry.name,
    language: entry.language,
    action: entry.action,
    outcome: 'failed',
    provider_template_id: entry.provider_template_id,
    status: entry.meta_status,
    error: err.toJSON(),
  };
}

function hintFor(entry: PlanEntry, op: 'create' | 'edit', subcode: string | undefined): string {
  if (subcode === '2388024')
    return 'Meta already has this name in this language: run `recontact templates diff` to compare, then push again.';
  if (subcode === '2388023')
    return 'A template deleted at Meta blocks its name for 30 days: use another name.';
  if (subcode === '2388019')
    return 'The WABA has reached its template limit: delete unused templates at Meta.';
  if (op === 'create')
    return 'Fix the template as Meta says, run `recontact templates lint`, then push again.';
  if (entry.meta_status === 'PENDING')
    return 'Meta does not edit a template while it is in review: push again once `recontact templates list` shows it reviewed.';
  if (entry.meta_status === 'APPROVED')
    return 'Meta allows editing an approved template once per 24 hours and 10 times per 30 days: wait, or publish the new wording under a new name.';
  return 'Fix the template as Meta says, then push again.';
}
