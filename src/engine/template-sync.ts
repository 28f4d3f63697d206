/**
 * Brings Meta's template state (status, category, ids, components) into the database, so a
 * send is checked against what Meta will actually accept — the cure for templates drifting
 * out of sync.
 */
import type { TemplateProvider } from '../channels/channel';
import { RecontactError } from '../domain/errors';
import type {
  ParameterFormat,
  QualityScore,
  TemplateCategory,
  TemplateComponent,
  TemplateStatus,
} from '../domain/templates/model';
import type { AccountWithLimits } from '../store/accounts-repo';
import { upsertTemplate } from '../store/templates-repo';
import type { EngineContext } from './context';

export async function pullTemplates(
  ctx: EngineContext,
  provider: TemplateProvider,
  account: AccountWithLimits,
): Promise<number> {
  const res = await provider.listTemplates(account);
  if (!res.ok) {
    throw new RecontactError(
      'PROVIDER_ERROR',
      `Listing templates of WABA ${account.wabaId} failed: ${res.error.title}`,
      {
        details: res.error.details ? [{ message: res.error.details }] : [],
        data: { code: res.error.code, http_status: res.error.httpStatus },
        hint: 'Check the access token has whatsapp_business_management and the WABA id is right.',
      },
    );
  }
  const now = ctx.clock();
  for (const t of res.value) {
    await upsertTemplate(
      ctx.store.db,
      {
        id: ctx.id('tpl'),
        accountId: account.id,
        name: t.name,
        language: t.language,
        category: t.category as TemplateCategory,
        parameter_format: (t.parameter_format ?? 'POSITIONAL') as ParameterFormat,
        components: t.components as unknown as TemplateComponent[],
        status: t.status as TemplateStatus,
        providerTemplateId: t.providerTemplateId,
        rejectedReason: t.rejectedReason ?? null,
        qualityScore: (t.qualityScore ?? null) as QualityScore | null,
      },
      now,
    );
  }
  return res.value.length;
}
