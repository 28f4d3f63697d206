/**
 * A campaign's live counts: each recipient in exactly one state. Stored states (pending,
 * excluded, opted out, expired, cancelled, failed before a send) come from the recipient rows;
 * a queued recipient's state is its message's status (lifecycle.ts), read from the messages by
 * their campaign index, so the counts follow Meta's webhooks with nothing copied.
 */

import type { Kysely } from 'kysely';
import { type RecipientState, recipientStateOf } from '../../domain/campaigns/lifecycle';
import {
  type CostEstimate,
  type CountLine,
  estimateCost,
  formatMicros,
  PRICING_CATEGORIES,
  type PricingCategory,
  type RateCard,
} from '../../domain/campaigns/rate-card';
import type { ChannelKind } from '../../domain/channels/channel-kind';
import { isoTimeOrNull } from '../../domain/iso-time';
import { countryOfPhone } from '../../domain/phone';
import { classifyProviderError } from '../../domain/provider-errors';
import { accountChannel } from '../../store/account-channel';
import { campaignCountRows, replyStats } from '../../store/campaign-recipients-repo';
import {
  type DeliveredGroup,
  deliveredGroups,
  medianReplyMs,
  messageFailures,
  type RecipientFilter,
  type RecipientRow,
  recipientsPage,
  storedFailures,
  variantFunnel,
} from '../../store/campaign-results-query';
import type { CampaignRecord } from '../../store/campaigns-repo';
import type { Database } from '../../store/schema';
import type { EventData } from '../events/schemas';

export type CampaignCounts = EventData<'campaign.progress'>['counts'];

export interface CampaignTally {
  counts: CampaignCounts;
  /** Replies by the button payload tapped; "(text)" for a reply that was not a button. */
  repliesByPayload: Record<string, number>;
  /** Failed recipients by Meta's error code ("none": failed without a code). */
  failedByCode: Record<string, number>;
  /** Excluded recipients by reason. */
  excludedByReason: Record<string, number>;
}

export const NOT_A_BUTTON = '(text)';

export function emptyCounts(): CampaignCounts {
  return {
    recipients: 0,
    excluded: 0,
    pending: 0,
    queued: 0,
    accepted: 0,
    sent: 0,
    delivered: 0,
    read: 0,
    replied: 0,
    failed: 0,
    opted_out: 0,
    expired: 0,
    cancelled: 0,
  };
}

/**
 * `db`: the caller's transaction when there is one. `outcomes` leaves out the replies per button
 * (`repliesByPayload` empty, `counts.replied` only the messages replied to): the runner's guard,
 * between its progress events, reads only outcomes.
 */
export async function campaignTally(
  db: Kysely<Database>,
  record: CampaignRecord,
  what: 'all' | 'outcomes' = 'all',
): Promise<CampaignTally> {
  const counts = emptyCounts();
  const failedByCode: Record<string, number> = {};
  const excludedByReason: Record<string, number> = {};
  const repliesByPayload: Record<string, number> = {};
  if (record.materialisedAt === null) {
    return {
      counts: { ...counts, recipients: record.recipients },
      repliesByPayload,
      failedByCode,
      excludedByReason,
    };
  }
  const { stored, messages } = await campaignCountRows(db, record.id);
  const replies = what === 'all' ? await replyStats(db, record.id) : [];
  for (const s of stored) {
    if (s.state === 'queued') continue; // counted by their messages
    counts[s.state] += s.n;
    if (s.state === 'excluded' && s.reason !== null)
      excludedByReason[s.reason] = (excludedByReason[s.reason] ?? 0) + s.n;
    if (s.state === 'failed') {
      const key = s.reason ?? 'none';
      failedByCode[key] = (failedByCode[key] ?? 0) + s.n;
    }
  }
  let repliedMessages = 0;
  for (const m of messages) {
    const state = recipientStateOf(m.status);
    counts[state] += m.n;
    repliedMessages += m.replied;
    if (state === 'failed') {
      const key = m.error_code === null ? 'none' : String(m.error_code);
      failedByCode[key] = (failedByCode[key] ?? 0) + m.n;
    }
  }
  let repliedRecipients = 0;
  for (const r of replies) {
    const key = r.payload ?? NOT_A_BUTTON;
    repliesByPayload[key] = (repliesByPayload[key] ?? 0) + r.n;
    repliedRecipients += r.n;
  }
  counts.replied = Math.max(repliedMessages, repliedRecipients);
  counts.recipients = Object.entries(counts)
    .filter(([k]) => k !== 'recipients' && k !== 'replied')
    .reduce((sum, [, n]) => sum + n, 0);
  return { counts, repliesByPayload, failedByCode, excludedByReason };
}

/** Whether a recipient count is still open: waiting for its send, or for Meta's answer. */
export function openRecipients(c: CampaignCounts): number {
  return c.pending + c.queued;
}

// ─── Results: what the campaign view adds to the counts ───────────────────────────────────

/** One reason recipients failed for, with how many. */
export interface FailureView {
  /** Meta's error code; null for a failure without one (a value gone before the send, …). */
  code: number | null;
  /** In plain words ("… (WhatsApp error 131026)."), or the stored reason ("missing_value"). */
  reason: string;
  count: number;
}

/** One A/B variant's funnel; a recipient gets a variant when queued, so pending ones are in none. */
export interface VariantResultView {
  label: string;
  weight: number;
  template: string;
  recipients: number;
  sent_or_later: number;
  delivered_or_later: number;
  read: number;
  replied: number;
  /** replied / delivered_or_later; null while nothing was delivered. */
  reply_rate: number | null;
}

export type CostBasis = 'measured' | 'estimated_from_rate_card' | 'mixed' | 'none';

export interface CostLineView {
  /** Meta's pricing category, or for estimated lines the template's category. */
  category: string;
  basis: 'measured' | 'estimated_from_rate_card';
  messages: number;
  usd: string;
  micros: number;
}

export interface CampaignCostView {
  currency: 'USD';
  /**
   * measured: every delivered message's status carried Meta's `pricing`, and only those Meta
   * marked billable are priced, at the category Meta gave; estimated_from_rate_card: none did,
   * each delivered message is priced at its template's category; mixed: some of each; none:
   * nothing delivered yet.
   */
  basis: CostBasis;
  total_usd: string;
  total_micros: number;
  /** Messages delivered or read: what Meta charges for. */
  delivered: number;
  /** Of those, Meta said billable / not billable (free: inside a free window, an entry point, …). */
  billable: number;
  free: number;
  /** Delivered messages whose statuses carried no pricing: priced from their template's category. */
  estimated: number;
  by_category: CostLineView[];
  notes: Array<{ code: string; message: string }>;
  card: { name: string | null; effective_from: string };
}

export interface CampaignResults {
  failures: FailureView[];
  excluded_by_reason: Record<string, number>;
  reply_rate: number | null;
  median_reply_seconds: number | null;
  variants: VariantResultView[];
  cost: CampaignCostView | null;
}

export interface ResultsInput {
  /** Each variant of the definition as written (label, weight, template name). */
  variants: ReadonlyArray<{ label: string; weight: number; name: string }>;
  /** Prices the delivered messages; absent: `cost` is null. */
  rateCard?: RateCard | undefined;
  now: number;
}

/**
 * The results beyond the counts, for the campaign view (never the runner's tally: the median,
 * the variants and the cost each read the campaign's rows again).
 *
 * Decisions where the issue is silent:
 *   - The reply rate is replied / delivered-or-later (delivered + read): the share of the people
 *     the message reached who answered, what an operator compares across campaigns. A message
 *     still in flight or failed did not reach anyone to answer.
 *   - The time to reply runs from Meta's `sent` (else Meta's acceptance) to the first reply.
 *   - Meta's pricing webhooks carry the category and whether it is billable, not the amount:
 *     the amount is always the rate card's. "measured" means Meta said what is billed.
 */
export async function campaignResults(
  db: Kysely<Database>,
  record: CampaignRecord,
  tally: CampaignTally,
  input: ResultsInput,
): Promise<CampaignResults> {
  const excluded = tally.excludedByReason;
  if (record.materialisedAt === null) {
    return {
      failures: [],
      excluded_by_reason: excluded,
      reply_rate: null,
      median_reply_seconds: null,
      variants: input.variants.map((v) => emptyVariant(v)),
      cost: null,
    };
  }
  const [failures, median, funnel, delivered] = await Promise.all([
    failuresOf(db, record.id, (await accountChannel(db, record.accountId)) ?? 'whatsapp'),
    medianReplyMs(db, record.id),
    variantFunnel(db, record.id),
    input.rateCard ? deliveredGroups(db, record.id) : Promise.resolve(null),
  ]);
  const c = tally.counts;
  return {
    failures,
    excluded_by_reason: excluded,
    reply_rate: rate(c.replied, c.delivered + c.read),
    median_reply_seconds: median === null ? null : Math.round(median / 100) / 10,
    variants: variantResults(input.variants, funnel),
    cost: input.rateCard && delivered ? costOf(input.rateCard, delivered, input.now) : null,
  };
}

/** A share rounded to 4 decimals (0.2346 = 23.46 %); null when there is nothing to share. */
function rate(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return Math.round((Math.min(part, whole) / whole) * 10_000) / 10_000;
}

async function failuresOf(
  db: Kysely<Database>,
  campaignId: string,
  channel: ChannelKind,
): Promise<FailureView[]> {
  const [messages, stored] = await Promise.all([
    messageFailures(db, campaignId),
    storedFailures(db, campaignId),
  ]);
  const byKey = new Map<string, FailureView>();
  const add = (code: number | null, reason: string, n: number) => {
    const key = `${code ?? ''}|${reason}`;
    const known = byKey.get(key);
    if (known) known.count += n;
    else byKey.set(key, { code, reason, count: n });
  };
  for (const m of messages) {
    if (m.code !== null)
      add(m.code, classifyProviderError({ code: m.code, httpStatus: null, channel }).reason, m.n);
    // Refused before Meta (the consent guard, a permanent transport failure): its own words.
    else add(null, m.message ?? m.errorClass ?? 'failed without a reason', m.n);
  }
  for (const s of stored) add(null, s.reason ?? 'failed without a reason', s.n);
  return [...byKey.values()].sort(
    (a, b) => b.count - a.count || (a.code ?? 0) - (b.code ?? 0) || a.reason.localeCompare(b.reason),
  );
}

function emptyVariant(v: { label: string; weight: number; name: string }): VariantResultView {
  return {
    label: v.label,
    weight: v.weight,
    template: v.name,
    recipients: 0,
    sent_or_later: 0,
    delivered_or_later: 0,
    read: 0,
    replied: 0,
    reply_rate: null,
  };
}

const SENT_OR_LATER: ReadonlySet<string> = new Set(['sent', 'delivered', 'read']);
const DELIVERED_OR_LATER: ReadonlySet<string> = new Set(['delivered', 'read']);

function variantResults(
  variants: ResultsInput['variants'],
  funnel: Awaited<ReturnType<typeof variantFunnel>>,
): VariantResultView[] {
  const views = new Map(variants.map((v) => [v.label, emptyVariant(v)]));
  for (const f of funnel) {
    let v = views.get(f.variant);
    if (!v) {
      // A label no longer in the definition as read today: still shown, its numbers are real.
      v = emptyVariant({ label: f.variant, weight: 0, name: '' });
      views.set(f.variant, v);
    }
    v.recipients += f.n;
    v.replied += f.replied;
    if (f.status !== null && SENT_OR_LATER.has(f.status)) v.sent_or_later += f.n;
    if (f.status !== null && DELIVERED_OR_LATER.has(f.status)) v.delivered_or_later += f.n;
    if (f.status === 'read') v.read += f.n;
  }
  for (const v of views.values()) v.reply_rate = rate(v.replied, v.delivered_or_later);
  return [...views.values()];
}

/** Meta's pricing categories beyond the card's columns, and the column they are billed at. */
const BILLED_AS: Readonly<Record<string, PricingCategory>> = {
  marketing_lite: 'marketing',
};

function pricingCategory(text: string | null): PricingCategory | null {
  if (text === null) return null;
  const lower = text.toLowerCase();
  if ((PRICING_CATEGORIES as readonly string[]).includes(lower)) return lower as PricingCategory;
  return BILLED_AS[lower] ?? null;
}

function costOf(card: RateCard, groups: readonly DeliveredGroup[], now: number): CampaignCostView {
  const measured: CountLine[] = [];
  const estimated: CountLine[] = [];
  let delivered = 0;
  let billable = 0;
  let free = 0;
  let unknownFromMeta = 0;
  let unknownTemplate = 0;
  const countries = new Map<string, string | null>();
  const countryOf = (waId: string) => {
    let country = countries.get(waId);
    if (country === undefined) {
      country = /^\d+$/.test(waId) ? (countryOfPhone(`+${waId}`) ?? null) : null;
      countries.set(waId, country);
    }
    return country;
  };
  for (const g of groups) {
    delivered += g.n;
    if (g.billable === 0) {
      free += g.n;
      continue;
    }
    if (g.billable === 1) {
      billable += g.n;
      const category = pricingCategory(g.pricingCategory);
      if (category === null) unknownFromMeta += g.n;
      else measured.push({ country: countryOf(g.sampleWaId), category, n: g.n });
      continue;
    }
    const category = pricingCategory(g.templateCategory);
    if (category === null) unknownTemplate += g.n;
    else estimated.push({ country: countryOf(g.sampleWaId), category, n: g.n });
  }
  const m = estimateCost(card, measured, now);
  const e = estimateCost(card, estimated, now);
  const lines = [...categoryLines(m, 'measured'), ...categoryLines(e, 'estimated_from_rate_card')];
  const notes = new Map<string, { code: string; message: string }>();
  for (const n of [...m.notes, ...e.notes]) if (!notes.has(n.code)) notes.set(n.code, n);
  if (unknownFromMeta > 0) {
    notes.set('category_not_on_card', {
      code: 'category_not_on_card',
      message: `${unknownFromMeta} billable message(s) of a pricing category the rate card has no column for are not priced`,
    });
  }
  if (unknownTemplate > 0) {
    notes.set('category_unknown', {
      code: 'category_unknown',
      message: `${unknownTemplate} delivered message(s) without Meta's pricing and of no known template category are not priced`,
    });
  }
  if (e.messages > 0) {
    notes.set('estimated', {
      code: 'estimated',
      message: `${e.messages} delivered message(s) had no pricing in their status webhooks: priced at their template's category, as if billable`,
    });
  }
  const withoutPricing = e.messages + unknownTemplate;
  const basis: CostBasis =
    delivered === 0
      ? 'none'
      : withoutPricing === 0
        ? 'measured'
        : billable + free === 0
          ? 'estimated_from_rate_card'
          : 'mixed';
  const micros = m.micros + e.micros;
  return {
    currency: 'USD',
    basis,
    total_usd: formatMicros(micros),
    total_micros: micros,
    delivered,
    billable,
    free,
    estimated: withoutPricing,
    by_category: lines,
    notes: [...notes.values()],
    card: { name: card.name, effective_from: card.effectiveFrom },
  };
}

/** An estimate's lines summed over markets, one per category. */
function categoryLines(e: CostEstimate, basis: CostLineView['basis']): CostLineView[] {
  const byCategory = new Map<string, CostLineView>();
  for (const market of e.byMarket) {
    for (const c of market.byCategory) {
      const line = byCategory.get(c.category) ?? {
        category: c.category,
        basis,
        messages: 0,
        usd: '',
        micros: 0,
      };
      line.messages += c.messages;
      line.micros += c.micros;
      byCategory.set(c.category, line);
    }
  }
  return [...byCategory.values()].map((l) => ({ ...l, usd: formatMicros(l.micros) }));
}

// ─── Recipients ───────────────────────────────────────────────────────────────────────────

export type { RecipientFilter };

export const RECIPIENT_LIST_LIMITS = Object.freeze({ defaultLimit: 100, maxLimit: 1000 });

/** Rows read per statement while a CSV export streams: memory stays bounded whatever the size. */
const CSV_PAGE = 5000;

/** One recipient as the API lists it. */
export interface RecipientView {
  contact_id: string;
  wa_id: string;
  name: string | null;
  /** The stored state, or for a queued recipient its message's status (lifecycle.ts). */
  state: RecipientState;
  /** Why it is excluded, opted out, expired, cancelled or failed; null otherwise. */
  reason: string | null;
  /** Meta's error code of a failed message. */
  error_code: number | null;
  variant: string | null;
  message_id: string | null;
  send_at: string | null;
  replied_at: string | null;
  reply_payload: string | null;
}

export interface RecipientListInput {
  states?: readonly RecipientFilter[] | undefined;
  /** The contact id the previous page ended with (decoded from its cursor). */
  after?: string | undefined;
  limit: number;
  /** The campaign's channel: failures are described in its words. */
  channel?: ChannelKind;
}

/** A page in contact-id order; `nextAfter` is the last contact id of a full page, else null. */
export async function listRecipientViews(
  db: Kysely<Database>,
  campaignId: string,
  input: RecipientListInput,
): Promise<{ data: RecipientView[]; nextAfter: string | null }> {
  const rows = await recipientsPage(db, {
    campaignId,
    states: input.states,
    afterContactId: input.after,
    limit: input.limit + 1,
  });
  const page = rows.slice(0, input.limit);
  return {
    data: page.map((r) => recipientView(r, input.channel)),
    nextAfter: rows.length > input.limit ? (page[page.length - 1]?.contact_id ?? null) : null,
  };
}

export const RECIPIENT_CSV_COLUMNS = [
  'contact_id',
  'wa_id',
  'name',
  'state',
  'reason',
  'error_code',
  'variant',
  'message_id',
  'send_at',
  'replied_at',
  'reply_payload',
] as const satisfies ReadonlyArray<keyof RecipientView>;

/** Every recipient (of `states`) as CSV lines, header first, read a page at a time. */
export async function* recipientCsv(
  db: Kysely<Database>,
  campaignId: string,
  states?: readonly RecipientFilter[],
  channel?: ChannelKind,
): AsyncGenerator<string> {
  yield `${RECIPIENT_CSV_COLUMNS.join(',')}\n`;
  let after: string | undefined;
  for (;;) {
    const rows = await recipientsPage(db, { campaignId, states, afterContactId: after, limit: CSV_PAGE });
    if (rows.length === 0) return;
    yield rows
      .map((r) => {
        const v = recipientView(r, channel);
        return `${RECIPIENT_CSV_COLUMNS.map((c) => csvCell(v[c])).join(',')}\n`;
      })
      .join('');
    if (rows.length < CSV_PAGE) return;
    after = rows[rows.length - 1]!.contact_id;
  }
}

/**
 * One CSV cell. A value starting with = + - @ or a tab or carriage return is a formula to a
 * spreadsheet (names and payloads come from people): it is prefixed with ' so it stays text.
 */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function recipientView(r: RecipientRow, channel: ChannelKind | undefined): RecipientView {
  const state: RecipientState =
    r.stored_state === 'queued' && r.message_status !== null
      ? recipientStateOf(r.message_status)
      : r.stored_state;
  const messageFailed = r.stored_state === 'queued' && state === 'failed';
  return {
    contact_id: r.contact_id,
    wa_id: r.wa_id,
    name: r.name,
    state,
    reason: messageFailed ? failureReason(r, channel) : r.reason,
    error_code: messageFailed ? r.error_code : null,
    variant: r.variant,
    message_id: r.message_id,
    send_at: isoTimeOrNull(r.send_at),
    replied_at: isoTimeOrNull(r.replied_at),
    reply_payload: r.reply_payload,
  };
}

/** A failure in the words of the channel that refused it (Messenger's 10 is not WhatsApp's). */
function failureReason(r: RecipientRow, channel: ChannelKind | undefined): string {
  if (r.error_code !== null) {
    return classifyProviderError({ code: r.error_code, httpStatus: null, ...(channel ? { channel } : {}) })
      .reason;
  }
  return r.error_message ?? r.error_class ?? 'failed without a reason';
}
