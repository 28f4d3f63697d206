import type { Kysely, Selectable } from 'kysely';
import {
  isTemplateStatus,
  type ParameterFormat,
  type QualityScore,
  type TemplateCategory,
  type TemplateComponent,
  type TemplateRecord,
  type TemplateStatus,
} from '../domain/templates/model';
import type { TemplateRouting } from '../domain/templates/routing';
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
    status: row.status,
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

/** Which stored template a webhook item is about: its Meta id, or its name + language. */
export interface TemplateWhere {
  accountIds: string[];
  providerTemplateId: string;
  name: string;
  language: string;
}

async function findTracked(db: Kysely<Database>, where: TemplateWhere) {
  if (where.accountIds.length === 0) return undefined;
  return db
    .selectFrom('templates')
    .select(['id', 'account_id', 'status', 'quality_score', 'category'])
    .where('account_id', 'in', where.accountIds)
    .where((eb) =>
      eb.or([
        eb('provider_template_id', '=', where.providerTemplateId),
        eb.and([eb('name', '=', where.name), eb('language', '=', where.language)]),
      ]),
    )
    .executeTakeFirst();
}

/** Applies a review-state change reported by Meta; returns the previous status, or undefined if unknown. */
export async function setTemplateStatus(
  db: Kysely<Database>,
  where: TemplateWhere,
  change: { status: TemplateStatus; rejectedReason?: string | null },
  now: number,
): Promise<{ accountId: string; previous: TemplateStatus } | undefined> {
  const row = await findTracked(db, where);
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

/** Applies a quality-rating change; returns the previous score (null when none was known). */
export async function setTemplateQuality(
  db: Kysely<Database>,
  where: TemplateWhere,
  score: string,
  now: number,
): Promise<{ accountId: string; previous: string | null } | undefined> {
  const row = await findTracked(db, where);
  if (!row) return undefined;
  await db
    .updateTable('templates')
    .set({ quality_score: score, provider_template_id: where.providerTemplateId, updated_at: now })
    .where('id', '=', row.id)
    .execute();
  return { accountId: row.account_id, previous: row.quality_score };
}

/** Applies Meta's recategorisation of a template; returns the previous category. */
export async function setTemplateCategory(
  db: Kysely<Database>,
  where: TemplateWhere,
  category: string,
  now: number,
): Promise<{ accountId: string; previous: string } | undefined> {
  const row = await findTracked(db, where);
  if (!row) return undefined;
  await db
    .updateTable('templates')
    .set({ category, provider_template_id: where.providerTemplateId, updated_at: now })
    .where('id', '=', row.id)
    .execute();
  return { accountId: row.account_id, previous: row.category };
}

/**
 * Records Meta's answer to a create: the template's id and category. The status is set only
 * while the row still says PENDING, because the review webhook may already have been applied,
 * and only when it is a review state we know (the row stays PENDING, unsendable, otherwise).
 */
export async function recordCreatedTemplate(
  db: Kysely<Database>,
  key: { accountId: string; name: string; language: string },
  answer: { providerTemplateId: string; category: string; status: string },
  now: number,
): Promise<void> {
  const byKey = db
    .updateTable('templates')
    .where('account_id', '=', key.accountId)
    .where('name', '=', key.name)
    .where('language', '=', key.language);
  await byKey
    .set({ provider_template_id: answer.providerTemplateId, category: answer.category, updated_at: now })
    .execute();
  if (answer.status !== 'PENDING' && isTemplateStatus(answer.status))
    await byKey.set({ status: answer.status }).where('status', '=', 'PENDING').execute();
}

export async function deleteTemplateRow(
  db: Kysely<Database>,
  key: { accountId: string; name: string; language: string },
): Promise<void> {
  await db
    .deleteFrom('templates')
    .where('account_id', '=', key.accountId)
    .where('name', '=', key.name)
    .where('language', '=', key.language)
    .execute();
}

/**
 * Marks as DELETED the account's templates that Meta no longer lists. Rows are kept: past
 * messages name them, and a later pull or push can bring them back.
 */
export async function markTemplatesDeleted(
  db: Kysely<Database>,
  accountId: string,
  rowIds: string[],
  now: number,
): Promise<void> {
  if (rowIds.length === 0) return;
  await db
    .updateTable('templates')
    .set({ status: 'DELETED', updated_at: now })
    .where('account_id', '=', accountId)
    .where('id', 'in', rowIds)
    .execute();
}

/** Raw rows of an account (with their row ids), for the pull's comparison. */
export async function templateRows(db: Kysely<Database>, accountId: string): Promise<TemplateRow[]> {
  return db.selectFrom('templates').selectAll().where('account_id', '=', accountId).execute();
}

/** What replies to a template mean (its routing), with what the default rules read: category and buttons. */
export async function getTemplateRouting(
  db: Kysely<Database>,
  accountId: string,
  name: string,
  language: string,
): Promise<
  { category: string; components: TemplateComponent[]; routing: TemplateRouting | null } | undefined
> {
  const row = await db
    .selectFrom('templates')
    .select(['category', 'components', 'routing'])
    .where('account_id', '=', accountId)
    .where('name', '=', name)
    .where('language', '=', language)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    category: row.category,
    components: JSON.parse(row.components) as TemplateComponent[],
    routing: row.routing === null ? null : (JSON.parse(row.routing) as TemplateRouting),
  };
}

/** Stores a template's routing as the file gives it (null clears it); Meta never sees it. */
export async function setTemplateRouting(
  db: Kysely<Database>,
  key: { accountId: string; name: string; language: string },
  routing: TemplateRouting | null,
  now: number,
): Promise<void> {
  await db
    .updateTable('templates')
    .set({ routing: routing === null ? null : JSON.stringify(routing), updated_at: now })
    .where('account_id', '=', key.accountId)
    .where('name', '=', key.name)
    .where('language', '=', key.language)
    .execute();
}

/** The routing of every template of an account that has one, by "name\0language". */
export async function listTemplateRoutings(
  db: Kysely<Database>,
  accountId: string,
): Promise<Map<string, TemplateRouting>> {
  const rows = await db
    .selectFrom('templates')
    .select(['name', 'language', 'routing'])
    .where('account_id', '=', accountId)
    .where('routing', 'is not', null)
    .execute();
  return new Map(
    rows.map((r) => [`${r.name}\u0000${r.language}`, JSON.parse(r.routing!) as TemplateRouting]),
  );
}
