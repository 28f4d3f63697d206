/**
 * Reading our copy of the templates (GET /v1/templates, GET /v1/templates/{name}/{language}):
 * kept current by Meta's template webhooks and by pulls (sync.ts).
 */
import type { TemplateRecord } from '../../domain/templates/model';
import { getTemplate, listTemplates } from '../../store/templates-repo';
import type { EngineContext } from '../context';
import { templateNotFound } from './not-found';

/** Every template of an account, every language, by name then language. */
export function templatesOf(ctx: EngineContext, accountId: string): Promise<TemplateRecord[]> {
  return listTemplates(ctx.store.db, accountId);
}

/** One template in one language; TEMPLATE_NOT_FOUND naming the languages it exists in otherwise. */
export async function readTemplate(
  ctx: EngineContext,
  accountId: string,
  name: string,
  language: string,
): Promise<TemplateRecord> {
  const { db } = ctx.store;
  const t = await getTemplate(db, accountId, name, language);
  if (t) return t;
  throw await templateNotFound(db, { accountId, name, language, path: 'language' });
}
