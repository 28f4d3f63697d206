/**
 * Brings Meta's template state (status, quality, category, ids, rejection reason, components)
 * into the database, so a send is checked against what Meta will actually accept — the cure
 * for templates drifting out of sync. Meta is the truth here: what it lists overwrites our
 * rows, and what it no longer lists is marked DELETED (rows are kept: messages refer to them).
 */
import type { ProviderTemplate, TemplateProvider } from '../../channels/channel';
import { RecontactError } from '../../domain/errors';
import type {
  ParameterFormat,
  QualityScore,
  TemplateCategory,
  TemplateComponent,
  TemplateRecord,
  TemplateStatus,
} from '../../domain/templates/model';
import type { AccountWithLimits } from '../../store/accounts-repo';
import {
  markTemplatesDeleted,
  type TemplateRow,
  templateRows,
  upsertTemplate,
} from '../../store/templates-repo';
import type { EngineContext } from '../context';
import { canonicalJson } from './diff';

export type PullChangeKind = 'added' | 'changed' | 'deleted';

export interface PullChange {
  name: string;
  language: string;
  change: PullChangeKind;
  /** The columns that changed (status, quality_score, category, components, …); empty when added. */
  fields: string[];
  status: string;
  previous_status: string | null;
}

export interface PullReport {
  account_id: string;
  waba_id: string | null;
  /** Templates Meta lists (every language counts). */
  at_meta: number;
  added: number;
  changed: number;
  unchanged: number;
  /** Rows marked DELETED because Meta no longer lists them. */
  deleted: number;
  changes: PullChange[];
}

/** Reads every template of the account's WABA, or throws PROVIDER_ERROR naming the WABA. */
export async function listProviderTemplates(
  provider: TemplateProvider,
  account: AccountWithLimits,
): Promise<ProviderTemplate[]> {
  const res = await provider.listTemplates(account);
  if (res.ok) return res.value;
  throw new RecontactError(
    'PROVIDER_ERROR',
    `Listing templates of WABA ${account.wabaId} failed: ${res.error.title}`,
    {
      details: res.error.details ? [{ path: `waba ${account.wabaId}`, message: res.error.details }] : [],
      data: { code: res.error.code, http_status: res.error.httpStatus },
      hint: 'Check the access token has whatsapp_business_management and the WABA id is right.',
    },
  );
}

/** Meta's listing entry as one of our rows (minus ids and times). */
export function recordFromProvider(
  accountId: string,
  t: ProviderTemplate,
): Omit<TemplateRecord, 'updatedAt'> {
  return {
    accountId,
    name: t.name,
    language: t.language,
    category: t.category as TemplateCategory,
    parameter_format: (t.parameter_format ?? 'POSITIONAL') as ParameterFormat,
    components: t.components as unknown as TemplateComponent[],
    status: t.status as TemplateStatus,
    providerTemplateId: t.providerTemplateId,
    rejectedReason: t.rejectedReason ?? null,
    qualityScore: (t.qualityScore ?? null) as QualityScore | null,
  };
}

/** Which columns of a stored row differ from Meta's view; components compare by content. */
function changedFields(row: TemplateRow, next: Omit<TemplateRecord, 'updatedAt'>): string[] {
  const fields: string[] = [];
  if (row.status !== next.status) fields.push('status');
  if (row.quality_score !== next.qualityScore) fields.push('quality_score');
  if (row.category !== next.category) fields.push('category');
  if (row.rejected_reason !== next.rejectedReason) fields.push('rejected_reason');
  if (row.provider_template_id !== next.providerTemplateId) fields.push('provider_template_id');
  if (row.parameter_format !== next.parameter_format) fields.push('parameter_format');
  // Key order differs between what we stored after a push and Meta's listing: not a change.
  if (canonicalJson(JSON.parse(row.components)) !== canonicalJson(next.components)) fields.push('components');
  return fields;
}

export async function syncTemplates(
  ctx: EngineContext,
  provider: TemplateProvider,
  account: AccountWithLimits,
): Promise<PullReport> {
  const atMeta = await listProviderTemplates(provider, account);
  const report: PullReport = {
    account_id: account.id,
    waba_id: account.wabaId,
    at_meta: atMeta.length,
    added: 0,
    changed: 0,
    unchanged: 0,
    deleted: 0,
    changes: [],
  };
  const now = ctx.clock();
  await ctx.store.db.transaction().execute(async (trx) => {
    const rows = new Map((await templateRows(trx, account.id)).map((r) => [`${r.name}\n${r.language}`, r]));
    const listed = new Set<string>();
    for (const t of atMeta) {
      const key = `${t.name}\n${t.language}`;
      listed.add(key);
      const next = recordFromProvider(account.id, t);
      const row = rows.get(key);
      const fields = row ? changedFields(row, next) : [];
      if (row && fields.length === 0) {
        report.unchanged++;
        continue;
      }
      await upsertTemplate(trx, { ...next, id: ctx.id('tpl') }, now);
      report[row ? 'changed' : 'added']++;
      report.changes.push({
        name: t.name,
        language: t.language,
        change: row ? 'changed' : 'added',
        fields,
        status: t.status,
        previous_status: row?.status ?? null,
      });
    }
    const vanished = [...rows.entries()].filter(([key, r]) => !listed.has(key) && r.status !== 'DELETED');
    await markTemplatesDeleted(
      trx,
      account.id,
      vanished.map(([, r]) => r.id),
      now,
    );
    for (const [, r] of vanished) {
      report.deleted++;
      report.changes.push({
        name: r.name,
        language: r.language,
        change: 'deleted',
        fields: ['status'],
        status: 'DELETED',
        previous_status: r.status,
      });
    }
  });
  return report;
}

/** The pull as `serve` and the tests use it at start-up: returns how many templates Meta lists. */
export async function pullTemplates(
  ctx: EngineContext,
  provider: TemplateProvider,
  account: AccountWithLimits,
): Promise<number> {
  return (await syncTemplates(ctx, provider, account)).at_meta;
}
