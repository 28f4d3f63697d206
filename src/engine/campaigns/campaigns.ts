/**
 * Campaign drafts: create, read, list and replace. A definition is checked whole before it is
 * stored — the domain's rules (definition.ts), its schedule (schedule.ts), and what only the
 * database knows (that a saved audience exists) — and every problem comes back at once, each
 * with its JSON path under `body.`. The definition is then stored exactly as written, so the
 * operator reads back what they sent.
 *
 * Decisions where the issue is silent:
 *   - A template Recontact does not know yet (not pulled, not approved, another language) does
 *     not stop a draft: templates are often approved while the campaign is written. The view
 *     shows each variant's template status as last synced from Meta, and the plan and the launch
 *     say what is missing.
 *   - An `expires_at` already past refuses the draft: every recipient would expire. An `at` in
 *     the past is kept: at launch it means "now".
 *   - `account_id` in the body and in the query must agree; the body's alone picks the account.
 *   - The list leaves definitions out (an inline list audience can be 10,000 entries); GET one
 *     campaign for its definition.
 */
import {
  type CampaignDefinition,
  type CampaignVariant,
  type Problem,
  parseCampaignDefinition,
} from '../../domain/campaigns/definition';
import type { CampaignState } from '../../domain/campaigns/lifecycle';
import type { RateCard } from '../../domain/campaigns/rate-card';
import { parseSchedule } from '../../domain/campaigns/schedule';
import { RecontactError } from '../../domain/errors';
import { isRecord } from '../../domain/input-words';
import { isoTime, isoTimeOrNull } from '../../domain/iso-time';
import type { TemplateStatus } from '../../domain/templates/model';
import { getAudience } from '../../store/audiences-repo';
import {
  type CampaignRecord,
  getCampaign,
  insertCampaign,
  listCampaigns,
  replaceDraft,
} from '../../store/campaigns-repo';
import type { EngineContext } from '../context';
import { checkChannelPolicy } from './launch';
import {
  type CampaignCounts,
  type CampaignResults,
  type CampaignTally,
  campaignResults,
  campaignTally,
} from './results';
import { type TemplateIndex, templateIndex, variantTemplateFacts } from './variant-templates';

export const CAMPAIGN_LIST_LIMITS = Object.freeze({ defaultLimit: 20, maxLimit: 100 });

export type { CampaignCounts, CampaignRecord };

/** One variant's template as Recontact last synced it from Meta. */
export interface VariantTemplateView {
  label: string;
  weight: number;
  name: string;
  /** The language sent: the fixed code, or the fallback of "the contact's language". */
  language: string;
  contact_language: boolean;
  /** Meta's review status of `name` in `language`; null when Recontact has no such template. */
  status: TemplateStatus | null;
  category: string | null;
  /** Every language Recontact knows this template name in. */
  languages: string[];
}

export interface CampaignSummaryView {
  id: string;
  account_id: string;
  name: string;
  state: CampaignState;
  state_reason: string | null;
  template: { name: string; variants: VariantTemplateView[] };
  counts: CampaignCounts;
  replies_by_payload: Record<string, number>;
  created_at: string;
  updated_at: string;
  launched_at: string | null;
  finished_at: string | null;
}

/** One campaign: its definition, and its results beyond the counts (results.ts). */
export interface CampaignView extends CampaignSummaryView, CampaignResults {
  /** As written in the request that created or last replaced it. */
  definition: Record<string, unknown>;
}

export interface CampaignListInput {
  states?: readonly CampaignState[] | undefined;
  limit: number;
  /** The id the previous page ended with (decoded from its cursor). */
  before?: string | undefined;
}

// ─── Writing ──────────────────────────────────────────────────────────────────────────────

export async function createCampaign(
  ctx: EngineContext,
  accountId: string,
  input: unknown,
): Promise<CampaignView> {
  const { definition, raw } = await checkDefinition(ctx, accountId, input);
  const record = await insertCampaign(
    ctx.store.db,
    {
      id: ctx.id('cmp'),
      accountId,
      name: definition.name,
      definition: raw,
      templateName: firstTemplate(definition.variants).name,
    },
    ctx.clock(),
  );
  return campaignView(ctx, record);
}

/** PUT: the whole definition again. Only a draft can be replaced. */
export async function replaceCampaignDraft(
  ctx: EngineContext,
  accountId: string,
  id: string,
  input: unknown,
): Promise<CampaignView> {
  // Before checking the body: a launched campaign cannot be changed whatever the body says.
  const existing = await getCampaign(ctx.store.db, accountId, id);
  if (!existing) throw notFound(id);
  if (existing.state !== 'draft') throw notDraft(existing);
  const { definition, raw } = await checkDefinition(ctx, accountId, input);
  const result = await replaceDraft(
    ctx.store.db,
    accountId,
    id,
    { name: definition.name, definition: raw, templateName: firstTemplate(definition.variants).name },
    ctx.clock(),
  );
  if (result === 'missing') throw notFound(id);
  if (result === 'not_draft') {
    // Launched between our read and the update.
    throw notDraft((await getCampaign(ctx.store.db, accountId, id)) ?? existing);
  }
  return campaignView(ctx, result);
}

/** Every problem of a definition, or the checked definition and the object as written. */
async function checkDefinition(
  ctx: EngineContext,
  accountId: string,
  input: unknown,
): Promise<{ definition: CampaignDefinition; raw: Record<string, unknown> }> {
  const checked = parseCampaignDefinition(input, 'body');
  const problems: Problem[] = checked.ok ? [] : [...checked.problems];
  if (isRecord(input)) problems.push(...scheduleProblems(input.schedule, ctx.clock()));
  if (checked.ok && checked.value.accountId !== undefined && checked.value.accountId !== accountId) {
    problems.push({
      path: 'body.account_id',
      message: `is "${checked.value.accountId}" but the request is for account "${accountId}" (the account_id query); give the account once`,
    });
  }
  if (problems.length > 0 || !checked.ok || !isRecord(input)) throw invalid(problems);
  const audience = checked.value.audience;
  if (audience.kind === 'saved' && !(await getAudience(ctx.store.db, accountId, audience.audienceId))) {
    throw audienceNotFound(audience.audienceId);
  }
  await checkChannelPolicy(ctx, accountId, checked.value, undefined, { pathPrefix: 'body.' });
  return { definition: checked.value, raw: input };
}

/** The schedule's own problems, and an expiry that has already passed. */
function scheduleProblems(schedule: unknown, now: number): Problem[] {
  // Not an object: the definition has already said so.
  if (!isRecord(schedule)) return [];
  const parsed = parseSchedule(schedule, 'body.schedule');
  if (!parsed.ok) return parsed.problems;
  const expiresAt = parsed.value.expiresAt;
  if (expiresAt !== null && expiresAt <= now) {
    return [
      {
        path: 'body.schedule.expires_at',
        message: `${isoTime(expiresAt)} has already passed (now is ${isoTime(now)}): every recipient would expire; move it later or leave it out`,
      },
    ];
  }
  return [];
}

function firstTemplate(variants: readonly CampaignVariant[]): CampaignVariant['template'] {
  const first = variants[0];
  if (!first) throw new Error('a checked campaign has at least one variant');
  return first.template;
}

// ─── Reading ──────────────────────────────────────────────────────────────────────────────

/** `rateCard` prices what was delivered (the view's `cost`); without one, `cost` is null. */
export async function getCampaignView(
  ctx: EngineContext,
  accountId: string,
  id: string,
  rateCard?: RateCard,
): Promise<CampaignView> {
  const record = await getCampaign(ctx.store.db, accountId, id);
  if (!record) throw notFound(id);
  return campaignView(ctx, record, rateCard);
}

/** The campaign, or CAMPAIGN_NOT_FOUND. */
export async function findCampaign(
  ctx: EngineContext,
  accountId: string,
  id: string,
): Promise<CampaignRecord> {
  const record = await getCampaign(ctx.store.db, accountId, id);
  if (!record) throw notFound(id);
  return record;
}

/** A campaign as the API shows it, with its live counts and results. */
export async function campaignView(
  ctx: EngineContext,
  record: CampaignRecord,
  rateCard?: RateCard,
): Promise<CampaignView> {
  const templates = await templateIndex(ctx, record.accountId);
  const tally = await campaignTally(ctx.store.db, record);
  const summary = summaryView(record, templates, tally);
  const results = await campaignResults(ctx.store.db, record, tally, {
    variants: summary.template.variants,
    rateCard,
    now: ctx.clock(),
  });
  return fullView(record, summary, results);
}

/** Newest first, keyset-paged: `nextBefore` is the last id of a full page, else null. */
export async function listCampaignViews(
  ctx: EngineContext,
  accountId: string,
  input: CampaignListInput,
): Promise<{ data: CampaignSummaryView[]; nextBefore: string | null }> {
  const rows = await listCampaigns(ctx.store.db, accountId, {
    limit: input.limit + 1,
    beforeId: input.before,
    states: input.states,
  });
  const page = rows.slice(0, input.limit);
  const templates = await templateIndex(ctx, accountId);
  return {
    data: await Promise.all(
      page.map(async (r) => summaryView(r, templates, await campaignTally(ctx.store.db, r))),
    ),
    nextBefore: rows.length > input.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

// ─── Views ────────────────────────────────────────────────────────────────────────────────

function summaryView(
  record: CampaignRecord,
  templates: TemplateIndex,
  tally: CampaignTally,
): CampaignSummaryView {
  return {
    id: record.id,
    account_id: record.accountId,
    name: record.name,
    state: record.state,
    state_reason: record.stateReason,
    template: { name: record.templateName, variants: variantViews(record.definition, templates) },
    counts: tally.counts,
    replies_by_payload: tally.repliesByPayload,
    created_at: isoTime(record.createdAt),
    updated_at: isoTime(record.updatedAt),
    launched_at: isoTimeOrNull(record.launchedAt),
    finished_at: isoTimeOrNull(record.finishedAt),
  };
}

function fullView(
  record: CampaignRecord,
  summary: CampaignSummaryView,
  results: CampaignResults,
): CampaignView {
  const { template, counts, replies_by_payload, ...head } = summary;
  return { ...head, definition: record.definition, template, counts, replies_by_payload, ...results };
}

/**
 * The stored definition read again with today's rules. One that no longer passes (the rules
 * grew stricter since) still shows, with no variants: the plan names its problems.
 */
function variantViews(definition: Record<string, unknown>, templates: TemplateIndex): VariantTemplateView[] {
  const checked = parseCampaignDefinition(definition);
  if (!checked.ok) return [];
  return checked.value.variants.map((variant) => {
    const f = variantTemplateFacts(variant, templates);
    return {
      label: f.label,
      weight: f.weight,
      name: f.name,
      language: f.language,
      contact_language: f.contact_language,
      status: f.status,
      category: f.category,
      languages: f.languages,
    };
  });
}

// ─── Errors ───────────────────────────────────────────────────────────────────────────────

/** How many problems the one-line message quotes; `details` has them all. */
const QUOTED_PROBLEMS = 3;

function invalid(problems: Problem[]): RecontactError {
  const quoted = problems
    .slice(0, QUOTED_PROBLEMS)
    .map((p) => `${p.path} ${p.message}`)
    .join('; ');
  const more = problems.length > QUOTED_PROBLEMS ? ` (and ${problems.length - QUOTED_PROBLEMS} more)` : '';
  return new RecontactError(
    'INPUT_INVALID',
    `Invalid campaign, ${problems.length} problem${problems.length === 1 ? '' : 's'}: ${quoted}${more}`,
    {
      details: problems,
      hint: 'A campaign is {"name", "template": {"name", "language", "body": […], "buttons": […]}, "audience": {"all": true} | {"filter": {…}} | {"list": {…}} | {"audience_id": "aud_…"}, "schedule"?, "pace"?, "metadata"?}; each detail names the field at fault.',
    },
  );
}

function audienceNotFound(id: string): RecontactError {
  return new RecontactError('AUDIENCE_NOT_FOUND', `No saved audience "${id}" on this account`, {
    details: [
      { path: 'body.audience.audience_id', message: `"${id}" is not a saved audience of this account` },
    ],
    hint: 'GET /v1/audiences lists the saved audiences; or give the audience inline: {"filter": {…}}.',
  });
}

function notFound(id: string): RecontactError {
  return new RecontactError('CAMPAIGN_NOT_FOUND', `No campaign "${id}" on this account`, {
    hint: 'GET /v1/campaigns lists the campaigns of the account (pass account_id for another account).',
  });
}

function notDraft(record: CampaignRecord): RecontactError {
  return new RecontactError(
    'CAMPAIGN_NOT_DRAFT',
    `Campaign "${record.id}" is ${record.state}; only a draft can be changed`,
    {
      hint: 'A launched campaign keeps the definition it was launched with. Create a new campaign (POST /v1/campaigns) with the changes.',
      data: { state: record.state },
    },
  );
}
