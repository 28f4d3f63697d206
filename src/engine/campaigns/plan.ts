/**
 * The plan before launch: what a campaign would do if it were launched now, without sending or
 * writing anything. Who it reaches and who it leaves out, and why; whether its templates can go;
 * when its sends would begin and end, at its pace and within the portfolio's messaging limit;
 * what Meta would charge for them; and, for any one contact, the message they would get.
 *
 * The counts are the audience preview's (one scan, the first exclusion reason per contact), with
 * the template's needs and category; the rest comes from one grouped read of the recipients by
 * number prefix and time zone (store/campaign-plan-query.ts), so a plan over a million contacts
 * does no work per contact here.
 *
 * Decisions where the issue is silent:
 *   - Recipients beyond the messaging limit are not excluded: they wait for Meta's window to
 *     roll, and the plan says how many go at once, how many wait and when the last can go.
 *   - A recipient whose send time falls at or after `expires_at` (a local time that comes too
 *     late in their zone) is counted as expiring, and is neither paced nor priced.
 *   - The pricing category is the template's category at Meta; without a synced template, the
 *     definition's `category`, else marketing (the dearer assumption), with a warning.
 *   - An A/B split is priced by its weights; a contact's preview names the variant they get
 *     (for a definition not yet saved, the split is drawn again once the campaign has its id).
 */
import { getCountries, getCountryCallingCode } from 'libphonenumber-js/max';
import {
  type CampaignDefinition,
  type CampaignVariant,
  type Problem,
  parseCampaignDefinition,
} from '../../domain/campaigns/definition';
import { compileCampaign, type MissingValue, templateNeeds } from '../../domain/campaigns/mapping';
import {
  type CostEstimate,
  type CountLine,
  estimateCost,
  type PricingCategory,
  priceOf,
  type RateCard,
} from '../../domain/campaigns/rate-card';
import {
  parseSchedule,
  type QuietHours,
  type Schedule,
  sendTimeFor,
  withAccountQuietHours,
} from '../../domain/campaigns/schedule';
import type { ChannelKind } from '../../domain/channels/channel-kind';
import {
  AUDIENCE_LIMITS,
  type AudienceDefinition,
  type AudiencePurpose,
  checkNeeds,
  type ExclusionReason,
} from '../../domain/contacts/audience';
import { RecontactError } from '../../domain/errors';
import { isRecord } from '../../domain/input-words';
import { isoTime, isoTimeOrNull } from '../../domain/iso-time';
import {
  countedAfter,
  DEFAULT_LIMIT_MARGIN_MS,
  type LimitPlan,
  type MessagingLimit,
  planAgainstLimit,
  planRank,
  reachWindowWith,
} from '../../domain/pacing/messaging-limit';
import { countryOfPhone } from '../../domain/phone';
import type { TemplateStatus } from '../../domain/templates/model';
import { WHATSAPP_WINDOW } from '../../domain/window';
import type { AudienceMatch } from '../../store/audience-query';
import { getAudience } from '../../store/audiences-repo';
import {
  contactVerdict,
  countReached,
  type PlanGroup,
  planGroups,
  reachAtRank,
} from '../../store/campaign-plan-query';
import { getCampaign } from '../../store/campaigns-repo';
import { findListedContacts, findLiveContact, readAttributes } from '../../store/contact-book-repo';
import { previewAudience, readDefinition } from '../contacts/audiences';
import { parseContactRef } from '../contacts/contact-book';
import type { EngineContext } from '../context';
import { accountMessagingLimit, type LimitSource } from './account-limit';
import { templateIndex, variantTemplateFacts } from './variant-templates';

export const HOUR_MS = 3_600_000;
/** Below this, a later first send is the same moment for the messaging limit's window. */
const RECOUNT_AFTER_MS = HOUR_MS;
/** Meta's throughput for a number that has not been upgraded. */
const DEFAULT_THROUGHPUT_MPS = 80;

// ─── What a plan needs and answers ────────────────────────────────────────────────────────

export interface PlanSettings {
  rateCard: RateCard;
  messagingLimit: MessagingLimit;
  /**
   * configured: MESSAGING_LIMIT; sandbox: none (the embedded sandbox); assumed: Meta's starting
   * 250; account: the account's own (account-limit.ts); channel: none (a Messenger page).
   */
  messagingLimitSource: LimitSource;
  /** The account's quiet hours (CAMPAIGN_QUIET_HOURS) for schedules that give none; absent: none. */
  quietHours?: QuietHours | null;
}

export interface PlanDeps extends PlanSettings {
  /** The account's sending pace when the campaign sets none, and its own messaging limit. */
  accounts: {
    get(
      id: string,
    ): { throughputMps: number; channel: ChannelKind; messagingLimit: MessagingLimit | null } | undefined;
  };
}

export interface PlanOptions {
  /** A contact to preview: an id (ctc_…), a phone number or a BSUID. */
  contact?: string | undefined;
}

export interface VariantPlan {
  label: string;
  weight: number;
  name: string;
  /** The language sent: the fixed code, or the fallback of "the contact's language". */
  language: string;
  contact_language: boolean;
  /** Meta's status of `name` in `language` as last synced; null: Recontact has no such template. */
  status: TemplateStatus | null;
  category: string | null;
  /** Languages this template is APPROVED in, which "the contact's language" may pick from. */
  approved_languages: string[];
  /** Whether a launch could send it: known and APPROVED in `language`. */
  ready: boolean;
}

export interface ContactPreview {
  contact: { id: string; wa_id: string; name: string | null };
  /** Whether the audience selects this contact at all. */
  in_audience: boolean;
  /** Why it would be left out (opted_out, missing_value, …); null when it would receive the message. */
  excluded_reason: string | null;
  variant: string;
  /** The template part a send would carry, filled for this contact; null when values are missing. */
  template: Record<string, unknown> | null;
  metadata: Record<string, unknown> | null;
  missing: MissingValue[];
}

export interface CampaignPlan {
  campaign_id: string | null;
  planned_at: string;
  /** Contacts that would receive the message (expiring ones included: see schedule.expiring). */
  recipients: number;
  /** Contacts the audience selects, before exclusions. */
  matched: number;
  excluded: Partial<Record<ExclusionReason, number>>;
  purpose: AudiencePurpose;
  frequency_cap_hours: number;
  template: { ready: boolean; variants: VariantPlan[] };
  by_country: Array<{ country: string | null; market: string; recipients: number }>;
  schedule: {
    kind: 'at_launch' | 'at' | 'local_time';
    first_send_at: string | null;
    last_send_at: string | null;
    expires_at: string | null;
    /** Recipients whose send time falls at or after expires_at. */
    expiring: number;
    /** Distinct time zones among the recipients (null, "no zone", counts as one). */
    time_zones: number;
  };
  messaging_limit: {
    limit: MessagingLimit;
    source: PlanSettings['messagingLimitSource'];
    /** Distinct users reached with templates in Meta's moving 24 h before the first send. */
    reached: number | null;
    /** Recipients that take a new slot: their window is closed and they were not reached lately. */
    need_slot: number;
    go_now: number;
    waiting: number;
    last_slot_at: string | null;
  };
  eta: {
    pace_per_second: number;
    pace_source: 'campaign' | 'account';
    /** Seconds of sending at that pace, waits aside. */
    sending_seconds: number;
    starts_at: string | null;
    finishes_at: string | null;
    limited_by: 'pace' | 'messaging_limit' | null;
  };
  cost: {
    currency: string;
    total_usd: string;
    total_micros: number;
    messages: number;
    charged: number;
    pricing_categories: PricingCategory[];
    by_market: Array<{ market: string; messages: number; usd: string; unit_usd: string; category: string }>;
    notes: Array<{ code: string; message: string }>;
    card: {
      name: string | null;
      effective_from: string;
      retrieved: string | null;
      sources: Array<{ id: string; url: string; title: string | null; retrieved: string | null }>;
      notes: string[];
    };
  };
  preview: ContactPreview | null;
  warnings: string[];
}

// ─── Entry points ─────────────────────────────────────────────────────────────────────────

/** The plan of a saved campaign, its stored definition read again with today's rules. */
export async function planCampaign(
  ctx: EngineContext,
  deps: PlanDeps,
  accountId: string,
  campaignId: string,
  opts: PlanOptions = {},
): Promise<CampaignPlan> {
  const record = await getCampaign(ctx.store.db, accountId, campaignId);
  if (!record) {
    throw new RecontactError('CAMPAIGN_NOT_FOUND', `No campaign "${campaignId}" on this account`, {
      hint: 'GET /v1/campaigns lists the campaigns of the account (pass account_id for another account).',
    });
  }
  const checked = checkPlannable(record.definition, 'definition', deps.quietHours ?? null);
  if (!checked.ok) {
    throw invalid(
      checked.problems,
      `Campaign "${campaignId}" no longer passes today's rules`,
      'Replace the draft with PUT /v1/campaigns/{id}, fixing each part named in details.',
    );
  }
  return plan(ctx, deps, accountId, { id: record.id, ...checked.value }, opts);
}

/** The plan of a definition not saved yet (the body of POST /v1/campaigns). */
export async function planDefinition(
  ctx: EngineContext,
  deps: PlanDeps,
  accountId: string,
  input: unknown,
  opts: PlanOptions = {},
): Promise<CampaignPlan> {
  const checked = checkPlannable(input, 'body', deps.quietHours ?? null);
  const problems = checked.ok ? [] : [...checked.problems];
  const named = checked.ok ? checked.value.definition.accountId : undefined;
  if (named !== undefined && named !== accountId) {
    problems.push({
      path: 'body.account_id',
      message: `is "${named}" but the request is for account "${accountId}" (the account_id query); give the account once`,
    });
  }
  if (!checked.ok || problems.length > 0) {
    throw invalid(
      problems,
      'Invalid campaign',
      'The body is a campaign as POST /v1/campaigns takes it; each detail names the field at fault.',
    );
  }
  return plan(ctx, deps, accountId, { id: null, ...checked.value }, opts);
}

export interface Plannable {
  definition: CampaignDefinition;
  schedule: Schedule;
}

/**
 * The definition and its schedule as launch and the plan read them. `accountQuietHours`: the
 * account's default (CAMPAIGN_QUIET_HOURS), applied when the schedule has no `quiet_hours` key;
 * `"quiet_hours": null` is the campaign choosing none.
 */
export function checkPlannable(
  input: unknown,
  at: string,
  accountQuietHours: QuietHours | null = null,
): { ok: true; value: Plannable } | { ok: false; problems: Problem[] } {
  const checked = parseCampaignDefinition(input, at);
  const problems: Problem[] = checked.ok ? [] : [...checked.problems];
  // Not an object: the definition has already said so.
  const rawSchedule = isRecord(input) && isRecord(input.schedule) ? input.schedule : undefined;
  const schedule = parseSchedule(rawSchedule, `${at}.schedule`);
  if (!schedule.ok) problems.push(...schedule.problems);
  if (!checked.ok || !schedule.ok || problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    value: {
      definition: checked.value,
      schedule: withAccountQuietHours(schedule.value, rawSchedule, accountQuietHours),
    },
  };
}

function invalid(problems: Problem[], what: string, hint: string): RecontactError {
  const quoted = problems
    .slice(0, 3)
    .map((p) => `${p.path} ${p.message}`)
    .join('; ');
  const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : '';
  return new RecontactError('INPUT_INVALID', `${what}: ${quoted}${more}`, { details: problems, hint });
}

// ─── The plan ─────────────────────────────────────────────────────────────────────────────

interface Planned extends Plannable {
  id: string | null;
}

async function plan(
  ctx: EngineContext,
  processDeps: PlanDeps,
  accountId: string,
  c: Planned,
  opts: PlanOptions,
): Promise<CampaignPlan> {
  const deps = { ...processDeps, ...accountMessagingLimit(processDeps.accounts.get(accountId), processDeps) };
  const now = ctx.clock();
  const warnings: string[] = [];
  const def = c.definition;
  const templates = await templateFacts(ctx, accountId, def, warnings);
  const audience = await audienceOf(ctx, accountId, def.audience);
  const needNames = neededValues(def.variants, warnings);
  const counted = await previewAudience(ctx, accountId, audience.definition, {
    purpose: templates.purpose,
    needs: needNames,
    frequency_cap_hours: def.frequencyCapHours,
  });
  const scan = {
    accountId,
    match: audience.match,
    purpose: templates.purpose,
    needs: checkNeeds(needNames, 'needs', []),
    frequencyCapMs: counted.frequency_cap_hours * HOUR_MS,
    now,
  };

  // The limit's window and open windows are read at the first send, which a local-time schedule
  // knows only from the recipients' zones: read once at the earliest guess, again if it moved.
  let limitAt = c.schedule.at === null ? now : Math.max(c.schedule.at, now);
  let groups = await readGroups(ctx, scan, limitAt);
  let timing = sendTimes(c.schedule, groups, now);
  if (timing.firstAt !== null && timing.firstAt - limitAt > RECOUNT_AFTER_MS) {
    limitAt = timing.firstAt;
    groups = await readGroups(ctx, scan, limitAt);
    timing = sendTimes(c.schedule, groups, now);
  }

  const pacePerSecond =
    def.pacePerSecond ?? deps.accounts.get(accountId)?.throughputMps ?? DEFAULT_THROUGHPUT_MPS;
  const limit = await limitPlan(ctx, deps, accountId, timing.needSlot, limitAt);
  const paced = paceFinish(timing.zones, pacePerSecond);
  const waits = limit.plan.waiting > 0 && limit.plan.lastAt !== null;
  const finishesAt = waits ? Math.max(paced ?? 0, limit.plan.lastAt!) : paced;
  const cost = costOf(deps.rateCard, groups, timing.expiredZones, templates.variants, limitAt);

  noteSchedule(c.schedule, timing, limit.plan, deps, warnings);
  if (counted.count === 0) warnings.push('No contact would receive this campaign: see `excluded`.');

  return {
    campaign_id: c.id,
    planned_at: isoTime(now),
    recipients: counted.count,
    matched: counted.matched,
    excluded: counted.excluded,
    purpose: templates.purpose,
    frequency_cap_hours: counted.frequency_cap_hours,
    template: {
      ready: templates.variants.every((v) => v.view.ready),
      variants: templates.variants.map((v) => v.view),
    },
    by_country: cost.byCountry,
    schedule: {
      kind: c.schedule.at !== null ? 'at' : c.schedule.localTime !== null ? 'local_time' : 'at_launch',
      first_send_at: isoTimeOrNull(timing.firstAt),
      last_send_at: isoTimeOrNull(timing.lastAt),
      expires_at: isoTimeOrNull(c.schedule.expiresAt),
      expiring: timing.expiring,
      time_zones: timing.zones.length + timing.expiredZones.size,
    },
    messaging_limit: {
      limit: deps.messagingLimit,
      source: deps.messagingLimitSource,
      reached: limit.reached,
      need_slot: timing.needSlot,
      go_now: timing.recipients - limit.plan.waiting,
      waiting: limit.plan.waiting,
      last_slot_at: waits ? isoTime(limit.plan.lastAt!) : null,
    },
    eta: {
      pace_per_second: pacePerSecond,
      pace_source: def.pacePerSecond === undefined ? 'account' : 'campaign',
      sending_seconds: Math.ceil(timing.recipients / pacePerSecond),
      starts_at: isoTimeOrNull(timing.firstAt),
      finishes_at: isoTimeOrNull(finishesAt),
      limited_by:
        finishesAt === null ? null : waits && limit.plan.lastAt! > (paced ?? 0) ? 'messaging_limit' : 'pace',
    },
    cost: costView(deps.rateCard, cost.estimate, templates.variants),
    preview:
      opts.contact === undefined
        ? null
        : await previewContact(ctx, accountId, c, scan, templates, opts.contact, warnings),
    warnings,
  };
}

// ─── Templates ────────────────────────────────────────────────────────────────────────────

export interface VariantFacts {
  variant: CampaignVariant;
  view: VariantPlan;
  pricing: PricingCategory;
}

export interface TemplateFacts {
  variants: VariantFacts[];
  purpose: AudiencePurpose;
  /** name → languages APPROVED at Meta. */
  approved: Map<string, string[]>;
}

const PRICING: Readonly<Record<string, PricingCategory>> = {
  MARKETING: 'marketing',
  UTILITY: 'utility',
  AUTHENTICATION: 'authentication',
};

export async function templateFacts(
  ctx: EngineContext,
  accountId: string,
  def: CampaignDefinition,
  warnings: string[],
): Promise<TemplateFacts> {
  const index = await templateIndex(ctx, accountId);
  const approved = new Map<string, string[]>();
  const variants = def.variants.map((variant) => {
    const facts = variantTemplateFacts(variant, index);
    approved.set(facts.name, facts.approvedLanguages);
    const category = facts.anyCategory;
    const view: VariantPlan = {
      label: facts.label,
      weight: facts.weight,
      name: facts.name,
      language: facts.language,
      contact_language: facts.contact_language,
      status: facts.status,
      category,
      approved_languages: facts.approvedLanguages,
      ready: facts.status === 'APPROVED',
    };
    const assumed = def.category ?? 'MARKETING';
    noteTemplate(view, def, assumed, warnings);
    return { variant, view, pricing: PRICING[category ?? assumed] ?? 'marketing' };
  });
  // One marketing variant makes the whole campaign marketing: its opt-outs and cap apply to all.
  const purpose: AudiencePurpose = variants.some((v) => v.pricing === 'marketing') ? 'marketing' : 'utility';
  return { variants, purpose, approved };
}

function noteTemplate(view: VariantPlan, def: CampaignDefinition, assumed: string, warnings: string[]): void {
  const which = def.variants.length > 1 ? `Variant ${view.label}'s template` : 'Template';
  if (view.status === null) {
    warnings.push(
      `${which} "${view.name}" is not known in ${view.language}${view.category ? '' : `; the plan assumes ${assumed}`}: ` +
        'pull it from Meta (`recontact templates pull`) or push it (`recontact templates push`) before launch.',
    );
  } else if (!view.ready) {
    warnings.push(
      `${which} "${view.name}" (${view.language}) is ${view.status} at Meta; a launch needs it APPROVED.`,
    );
  }
  if (view.category === 'AUTHENTICATION') {
    warnings.push(
      `${which} "${view.name}" is AUTHENTICATION: one-time codes go one by one, not as a campaign.`,
    );
  } else if (def.category !== undefined && view.category !== null && view.category !== def.category) {
    warnings.push(
      `${which} "${view.name}" is ${view.category} at Meta but the campaign expects ${def.category}: a launch refuses it; it is planned as ${view.category}.`,
    );
  }
}

/** The values the templates cannot do without, as the audience preview takes them. */
export function neededValues(variants: readonly CampaignVariant[], warnings: string[]): string[] {
  const needs = [...new Set(variants.flatMap((v) => templateNeeds(v.template)))];
  if (needs.length <= AUDIENCE_LIMITS.needs) return needs;
  warnings.push(
    `The templates take ${needs.length} values from contacts; missing_value counts only the first ${AUDIENCE_LIMITS.needs}, and a launch checks every one.`,
  );
  return needs.slice(0, AUDIENCE_LIMITS.needs);
}

// ─── Audience ─────────────────────────────────────────────────────────────────────────────

export async function audienceOf(
  ctx: EngineContext,
  accountId: string,
  audience: CampaignDefinition['audience'],
): Promise<{ definition: AudienceDefinition; match: AudienceMatch }> {
  let definition: AudienceDefinition;
  if (audience.kind === 'saved') {
    const saved = await getAudience(ctx.store.db, accountId, audience.audienceId);
    if (!saved) {
      throw new RecontactError(
        'AUDIENCE_NOT_FOUND',
        `No saved audience "${audience.audienceId}" on this account`,
        {
          details: [
            {
              path: 'audience.audience_id',
              message: `"${audience.audienceId}" is not a saved audience of this account`,
            },
          ],
          hint: 'GET /v1/audiences lists the saved audiences; point the campaign at one of them, or give its audience inline.',
        },
      );
    }
    definition = readDefinition(saved.definition, 'audience');
  } else definition = audience;
  if (definition.kind === 'all') return { definition, match: { kind: 'all' } };
  if (definition.kind === 'filter')
    return { definition, match: { kind: 'filter', filter: definition.filter } };
  return { definition, match: { kind: 'ids', ids: await listedIds(ctx, accountId, definition.contacts) } };
}

/**
 * The contacts a list names (ids, phones, BSUIDs), once each. The preview counts the entries it
 * cannot use (invalid, not found, repeated); the grouped reads need only the contacts.
 */
async function listedIds(
  ctx: EngineContext,
  accountId: string,
  entries: readonly string[],
): Promise<string[]> {
  const ids: string[] = [];
  const waIds: string[] = [];
  const bsuids: string[] = [];
  for (const entry of entries) {
    let ref: ReturnType<typeof parseContactRef>;
    try {
      ref = parseContactRef(entry);
    } catch {
      continue;
    }
    if (ref.kind === 'id') ids.push(ref.id);
    else if (ref.kind === 'wa') waIds.push(ref.waId);
    else bsuids.push(ref.bsuid);
  }
  const rows = await findListedContacts(ctx.store.db, accountId, { ids, waIds, bsuids });
  return [...new Set(rows.map((r) => r.id))];
}

// ─── When ─────────────────────────────────────────────────────────────────────────────────

/** Calling codes several countries share (+1, +7, +44…), from libphonenumber's metadata. */
const SHARED_CALLING_CODES: readonly string[] = (() => {
  const countries = new Map<string, number>();
  for (const country of getCountries()) {
    const code = getCountryCallingCode(country);
    countries.set(code, (countries.get(code) ?? 0) + 1);
  }
  return [...countries].filter(([, n]) => n > 1).map(([code]) => code);
})();

function readGroups(
  ctx: EngineContext,
  scan: Omit<Parameters<typeof planGroups>[1], 'sharedCallingCodes' | 'windowOpenAfter' | 'reachedAfter'>,
  at: number,
): Promise<PlanGroup[]> {
  return planGroups(ctx.store.db, {
    ...scan,
    sharedCallingCodes: SHARED_CALLING_CODES,
    // A window closing within the margin may be closed when Meta delivers (needsLimitSlot).
    windowOpenAfter: at - WHATSAPP_WINDOW.durationMs + DEFAULT_LIMIT_MARGIN_MS,
    reachedAfter: countedAfter(at),
  });
}

interface ZoneSend {
  at: number;
  n: number;
}

interface Timing {
  /** One entry per zone whose recipients get a send time, earliest first. */
  zones: ZoneSend[];
  expiredZones: Set<string | null>;
  firstAt: number | null;
  lastAt: number | null;
  recipients: number;
  expiring: number;
  needSlot: number;
}

/** Each zone's send time (sendTimeFor), computed once per distinct zone. */
function sendTimes(schedule: Schedule, groups: readonly PlanGroup[], now: number): Timing {
  const byZone = new Map<string | null, { n: number; needSlot: number }>();
  for (const g of groups) {
    const z = byZone.get(g.timeZone) ?? { n: 0, needSlot: 0 };
    z.n += g.n;
    z.needSlot += g.needSlot;
    byZone.set(g.timeZone, z);
  }
  const zones: ZoneSend[] = [];
  const expiredZones = new Set<string | null>();
  let expiring = 0;
  let needSlot = 0;
  for (const [timeZone, z] of byZone) {
    const t = sendTimeFor(schedule, { timeZone }, now);
    if (t.kind === 'expired') {
      expiredZones.add(timeZone);
      expiring += z.n;
    } else {
      zones.push({ at: t.at, n: z.n });
      needSlot += z.needSlot;
    }
  }
  zones.sort((a, b) => a.at - b.at);
  return {
    zones,
    expiredZones,
    firstAt: zones[0]?.at ?? null,
    lastAt: zones.at(-1)?.at ?? null,
    recipients: zones.reduce((s, z) => s + z.n, 0),
    expiring,
    needSlot,
  };
}

/** When the last send leaves at this pace: zones in order, each starting when due and free. */
function paceFinish(zones: readonly ZoneSend[], perSecond: number): number | null {
  let t: number | null = null;
  for (const z of zones) t = Math.max(t ?? z.at, z.at) + (z.n / perSecond) * 1000;
  return t === null ? null : Math.ceil(t);
}

async function limitPlan(
  ctx: EngineContext,
  deps: PlanDeps,
  accountId: string,
  needSlot: number,
  at: number,
): Promise<{ reached: number | null; plan: LimitPlan }> {
  const limit = deps.messagingLimit;
  if (limit === 'unlimited')
    return { reached: null, plan: planAgainstLimit(limit, reachWindowWith(0, null, null), needSlot, at) };
  const after = countedAfter(at);
  const reached = await countReached(ctx.store.db, accountId, after);
  const rank = planRank(limit, reached, needSlot);
  const reachAt = rank === null ? null : await reachAtRank(ctx.store.db, accountId, after, rank);
  // A reach that left the window between the two reads frees its slot now.
  const window = reachWindowWith(reached, rank, rank === null ? null : (reachAt ?? after + 1));
  return { reached, plan: planAgainstLimit(limit, window, needSlot, at) };
}

function noteSchedule(
  schedule: Schedule,
  timing: Timing,
  limit: LimitPlan,
  deps: PlanDeps,
  warnings: string[],
): void {
  if (timing.expiring > 0) {
    warnings.push(
      `${timing.expiring} recipient(s) would expire unsent: their send time falls at or after expires_at (${isoTime(schedule.expiresAt!)}) in their time zone.`,
    );
  }
  if (deps.messagingLimitSource === 'assumed') {
    warnings.push(
      "The messaging limit is assumed to be 250, Meta's starting level: set MESSAGING_LIMIT to the portfolio's limit (WhatsApp Manager shows it).",
    );
  }
  if (limit.waiting > 0 && limit.lastAt !== null) {
    warnings.push(
      `${limit.waiting} recipient(s) wait for the messaging limit (${deps.messagingLimit} users in 24 h) to roll; the last can go at ${isoTime(limit.lastAt)}.`,
    );
    if (schedule.expiresAt !== null && limit.lastAt >= schedule.expiresAt) {
      warnings.push(
        `The messaging limit holds recipients past expires_at (${isoTime(schedule.expiresAt)}): those still waiting then would expire.`,
      );
    }
  }
}

// ─── Cost ─────────────────────────────────────────────────────────────────────────────────

interface Cost {
  estimate: CostEstimate;
  byCountry: CampaignPlan['by_country'];
}

function costOf(
  card: RateCard,
  groups: readonly PlanGroup[],
  expiredZones: ReadonlySet<string | null>,
  variants: readonly VariantFacts[],
  at: number,
): Cost {
  const weights = variants.map((v) => v.variant.weight);
  const countries = new Map<string | null, number>();
  const lines: CountLine[] = [];
  const countryOf = countryLookup();
  for (const g of groups) {
    if (expiredZones.has(g.timeZone)) continue;
    const country = countryOf(g);
    countries.set(country, (countries.get(country) ?? 0) + g.n);
    const n = shares(g.n, weights);
    const open = shares(g.open, weights);
    variants.forEach((v, i) => {
      if (n[i]! > 0)
        lines.push({ country, category: v.pricing, n: n[i]!, insideWindow: Math.min(open[i]!, n[i]!) });
    });
  }
  const category = variants[0]!.pricing;
  const byCountry = [...countries]
    .map(([country, recipients]) => ({
      country,
      market: priceOf(card, country, category).market,
      recipients,
    }))
    .sort((a, b) => b.recipients - a.recipients || String(a.country).localeCompare(String(b.country)));
  return { estimate: estimateCost(card, lines, at), byCountry };
}

/** A group's country from its lowest number, asked once per prefix. */
function countryLookup(): (g: PlanGroup) => string | null {
  const known = new Map<string | null, string | null>();
  return (g) => {
    let country = known.get(g.prefix);
    if (country === undefined) {
      country = g.samplePhone === null ? null : (countryOfPhone(g.samplePhone) ?? null);
      known.set(g.prefix, country);
    }
    return country;
  };
}

/** `n` split by weights, whole numbers that add up to n (largest remainders first). */
export function shares(n: number, weights: readonly number[]): number[] {
  if (weights.length === 1) return [n];
  const total = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (n * w) / total);
  const out = exact.map(Math.floor);
  let left = n - out.reduce((s, v) => s + v, 0);
  const order = exact
    .map((e, i) => [e - Math.floor(e), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

function costView(card: RateCard, e: CostEstimate, variants: readonly VariantFacts[]): CampaignPlan['cost'] {
  return {
    currency: e.currency,
    total_usd: e.usd,
    total_micros: e.micros,
    messages: e.messages,
    charged: e.charged,
    pricing_categories: [...new Set(variants.map((v) => v.pricing))],
    by_market: e.byMarket.flatMap((m) =>
      m.byCategory.map((c) => ({
        market: m.market,
        messages: c.messages,
        usd: c.usd,
        unit_usd: c.unit,
        category: c.billedAs === c.category ? c.category : `${c.category} (billed as ${c.billedAs})`,
      })),
    ),
    notes: e.notes.map((n) => ({ code: n.code, message: n.message })),
    card: {
      name: card.name,
      effective_from: card.effectiveFrom,
      retrieved: card.retrieved,
      sources: card.sources.map((s) => ({ id: s.id, url: s.url, title: s.title, retrieved: s.retrieved })),
      notes: card.notes,
    },
  };
}

// ─── One contact ──────────────────────────────────────────────────────────────────────────

async function previewContact(
  ctx: EngineContext,
  accountId: string,
  c: Planned,
  scan: Parameters<typeof contactVerdict>[1],
  templates: TemplateFacts,
  ref: string,
  warnings: string[],
): Promise<ContactPreview> {
  const row = await findLiveContact(ctx.store.db, accountId, contactRef(ref));
  if (!row) {
    throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${ref}" on this account`, {
      details: [{ path: 'querystring.contact', message: 'names no contact of this account' }],
      hint: 'Name a contact by its id (ctc_…), phone or BSUID, as GET /v1/contacts lists them.',
    });
  }
  const verdict = await contactVerdict(ctx.store.db, scan, row.id);
  const resolve = compileCampaign(c.definition, {
    availableLanguages: (name) => templates.approved.get(name) ?? [],
  });
  const r = resolve(`${c.id ?? 'plan'}:${row.id}`, {
    name: row.name,
    phone_e164: row.phone_e164,
    language: row.language,
    attributes: readAttributes(row),
  });
  if (c.id === null && c.definition.variants.length > 1) {
    warnings.push(
      "The preview's variant is drawn again once the campaign is saved: it depends on the campaign's id.",
    );
  }
  return {
    contact: { id: row.id, wa_id: row.wa_id, name: row.name },
    in_audience: verdict !== undefined,
    excluded_reason: verdict?.reason ?? null,
    variant: r.variant,
    template: r.ok ? { ...r.template } : null,
    metadata: r.ok ? r.metadata : null,
    missing: r.ok ? [] : r.missing,
  };
}

/** `?contact=`: an id, a phone or a BSUID, named as a query parameter in any error. */
function contactRef(ref: string): ReturnType<typeof parseContactRef> {
  try {
    return parseContactRef(ref);
  } catch (e) {
    if (e instanceof RecontactError && e.code === 'PHONE_INVALID') {
      throw new RecontactError('PHONE_INVALID', e.message, {
        details: [{ path: 'querystring.contact', message: e.message }],
        ...(e.hint ? { hint: e.hint } : {}),
      });
    }
    throw e;
  }
}
