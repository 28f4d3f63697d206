/**
 * What Recontact knows of each variant's template, from the account's synced templates: the
 * campaign view and the plan both show it, read with one query per request.
 */
import type { CampaignVariant } from '../../domain/campaigns/definition';
import type { TemplateStatus } from '../../domain/templates/model';
import { listTemplates } from '../../store/templates-repo';
import type { EngineContext } from '../context';

/** name → language → what Meta said of it. */
export type TemplateIndex = Map<string, Map<string, { status: TemplateStatus; category: string }>>;

export async function templateIndex(ctx: EngineContext, accountId: string): Promise<TemplateIndex> {
  const index: TemplateIndex = new Map();
  for (const t of await listTemplates(ctx.store.db, accountId)) {
    const languages = index.get(t.name) ?? new Map();
    index.set(t.name, languages);
    languages.set(t.language, { status: t.status, category: t.category });
  }
  return index;
}

export interface VariantTemplateFacts {
  label: string;
  weight: number;
  name: string;
  /** The language sent: the fixed code, or the fallback of "the contact's language". */
  language: string;
  contact_language: boolean;
  /** Meta's status of `name` in `language` as last synced; null: Recontact has no such template. */
  status: TemplateStatus | null;
  /** The category of `name` in `language`; null when not synced. */
  category: string | null;
  /** Any category Meta gave this template name, in whichever language. */
  anyCategory: string | null;
  /** Every language Recontact knows this template name in, sorted. */
  languages: string[];
  /** Those of them APPROVED, which "the contact's language" may pick from. */
  approvedLanguages: string[];
}

export function variantTemplateFacts(variant: CampaignVariant, index: TemplateIndex): VariantTemplateFacts {
  const t = variant.template;
  const language = t.language.kind === 'fixed' ? t.language.code : t.language.fallback;
  const known = index.get(t.name);
  const synced = known?.get(language);
  const entries = [...(known ?? [])];
  return {
    label: variant.label,
    weight: variant.weight,
    name: t.name,
    language,
    contact_language: t.language.kind === 'contact',
    status: synced?.status ?? null,
    category: synced?.category ?? null,
    anyCategory: synced?.category ?? entries[0]?.[1].category ?? null,
    languages: entries.map(([code]) => code).sort(),
    approvedLanguages: entries
      .filter(([, s]) => s.status === 'APPROVED')
      .map(([code]) => code)
      .sort(),
  };
}
