import type { Kysely, Selectable } from 'kysely';
import type {
  ParameterFormat,
  QualityScore,
  TemplateCategory,
  TemplateComponent,
  TemplateRecord,
  TemplateStatus,
} from '../domain/templates/model';
import type { Database, TemplatesTable } from './schema';

export type TemplateRow = Selectable<TemplatesTable>;

export function toTemplateRecord(row: TemplateRow): TemplateRecord {
  return {
    accountId: row.account_id,
    name: row.name,
    language: row.language,
    category: row.category as TemplateCategory,
    parameter_format: row.parameter_format as ParameterFormat,
    components: JSON.parse(row.components) as TemplateComponent[],
    status: row.status as TemplateStatus,
    providerTemplateId: row.provider_template_id,
    rejectedReason: row.rejected_reason,
    qualityScore: row.quality_score as QualityScore | null,
    updatedAt: row.updated_at,
  };
}

export async function getTemplate(
  db: Kysely<Database>,
  accountId: string,
  name: string,
  language: string,
): Promise<TemplateRecord | undefined> {
  const row = await db
    .selectFrom('templates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('name', '=', name)
    .where('language', '=', language)
    .executeTakeFirst();
  return row ? toTemplateRecord(row) : undefined;
}

export async function listTemplates(db: Kysely<Database>, accountId: string): Promise<TemplateRecord[]> {
  const rows = await db
    .selectFrom('templates')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('name')
    .orderBy('language')
    .execute();
  return rows.map(toTemplateRecord);
}

/** Languages in which a template name exists, to suggest the right one when a send misses. */
export async function languagesOf(db: Kysely<Database>, accountId: string, name: string): Promise<string[]> {
  const rows = await db
    .selectFrom('templates')
    .select('language')
    .where('account_id', '=', accountId)
    .where('name', '=', name)
    .execute();
  return rows.map((r) => r.language);
}

export async function upsertTemplate(
  db: Kysely<Database>,
  t: Omit<TemplateRecord, 'updatedAt'> & { id: string },
  now: number,
): Promise<void> {
  const values = {
    id: t.id,
    account_id: t.accountId,
    name: t.name,
    language: t.language,
    category: t.category,
    parameter_format: t.parameter_format ?? 'POSITIONAL',
    components: JSON.stringify(t.components),
    status: t.status,
    provider_template_id: t.providerTemplateId,
    rejected_reason: t.rejectedReason,
    quality_score: t.qualityScore,
    created_at: now,
    updated_at: now,
  };
  const { id: _id, created_at: _c, account_id: _a, name: _n, language: _l, ...update } = values;
  await db
    .insertInto('templates')
    .values(values)
    .onConflict((oc) => oc.columns(['account_id', 'name', 'language']).doUpdateSet(update))
    .execute();
}

/** Applies a review-state change reported by Meta; returns the previous status, or undefined if unknown. */
export async function setTemplateStatus(
  db: Kysely<Database>,
  where: { accountIds: string[]; providerTemplateId: string; name: string; language: string },
  change: { status: string; rejectedReason?: string | null },
  now: number,
): Promise<{ accountId: string; previous: string } | undefined> {
  if (where.accountIds.length === 0) return undefined;
  const row = await db
    .selectFrom('templates')
    .select(['id', 'account_id', 'status'])
    .where('account_id', 'in', where.accountIds)
    .where((eb) =>
      eb.or([
        eb('provider_template_id', '=', where.providerTemplateId),
        eb.and([eb('name', '=', where.name), eb('language', '=', where.language)]),
      ]),
    )
    .executeTakeFirst();
  if (!row) return undefined;
  await db
    .updateTable('templates')
    .set({
      status: change.status,
      provider_template_id: where.providerTemplateId,
      updated_at: now,
      ...(change.rejectedReason !== undefined ? { rejected_reason: change.rejectedReason } : {}),
    })
    .where('id', '=', row.id)
    .execute();
  return { accountId: row.account_id, previous: row.status };
}
