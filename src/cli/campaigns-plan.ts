/**
 * `recontact campaigns plan ID [--contact C]`: what launching a campaign would do, asked of a
 * running Recontact (POST /v1/campaigns/{id}/plan) and printed for a person: who it reaches and
 * who is left out and why, when, at what cost by the rate card of which date, and what would
 * stop a launch. `--json` prints the API's answer as is.
 */
import type { Command } from 'commander';
import type { CampaignPlan, ContactPreview } from '../engine/campaigns/plan';
import { callApi, type RemoteOptions } from './api-client';
import type { CliWiring } from './campaign-wiring';
import { stdoutLines } from './output';

export interface CampaignsPlanOptions extends RemoteOptions {
  contact?: string;
  json?: boolean;
  out?: (line: string) => void;
}

const EXIT_CODES = `
Exit codes:
  0   planned (warnings, if any, are printed with the plan)
  1   Recontact refused (e.g. CAMPAIGN_NOT_FOUND, CONTACT_NOT_FOUND) or could not be reached
  2   usage: a wrong flag or value
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)`;

export function addCampaignPlanCommand(campaigns: Command, wiring: CliWiring): void {
  wiring
    .remote(
      campaigns
        .command('plan')
        .description(
          'What launching a campaign would do: recipients, exclusions by reason, ETA, cost; nothing is sent',
        )
        .argument('<id>', 'campaign id (cmp_…), from `recontact campaigns list`')
        .option(
          '--contact <contact>',
          'also show the message one contact would get: id (ctc_…), phone or BSUID',
        ),
    )
    .addHelpText(
      'after',
      `\nExamples:\n  recontact campaigns plan cmp_01JD2Q…\n  recontact campaigns plan cmp_01JD2Q… --contact "+54 9 11 5555-1234"\n${EXIT_CODES}`,
    )
    .action(async (id: string, opts) => process.exit(await runCampaignsPlan(id, wiring.connected(opts))));
}

export async function runCampaignsPlan(id: string, o: CampaignsPlanOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const query = new URLSearchParams();
  if (o.account) query.set('account_id', o.account);
  if (o.contact !== undefined) query.set('contact', o.contact);
  // The query is built here whole: callApi would append a second "?account_id=".
  const plan = await callApi<CampaignPlan>(
    { ...o, account: undefined },
    'POST',
    `/v1/campaigns/${encodeURIComponent(id)}/plan${query.size ? `?${query}` : ''}`,
  );
  if (o.json) out(JSON.stringify(plan, null, 2));
  else for (const line of formatPlan(plan)) out(line);
  return 0;
}

// ─── Printing ─────────────────────────────────────────────────────────────────────────────

export function formatPlan(p: CampaignPlan): string[] {
  return [
    `plan of ${p.campaign_id ?? 'an unsaved campaign'} at ${p.planned_at}`,
    `recipients: ${p.recipients} of ${p.matched} matched (${p.purpose}, frequency cap ${p.frequency_cap_hours} h)`,
    ...exclusionLines(p),
    ...templateLines(p),
    ...whenLines(p),
    ...costLines(p),
    ...(p.preview ? previewLines(p.preview) : []),
    ...(p.warnings.length ? ['warnings:', ...p.warnings.map((w) => `  ! ${w}`)] : []),
  ];
}

function exclusionLines(p: CampaignPlan): string[] {
  const reasons = Object.entries(p.excluded).filter(([, n]) => (n ?? 0) > 0);
  if (reasons.length === 0) return ['excluded: none'];
  const total = reasons.reduce((s, [, n]) => s + (n ?? 0), 0);
  return [
    `excluded: ${total}`,
    ...reasons
      .sort(([, a], [, b]) => (b ?? 0) - (a ?? 0))
      .map(([reason, n]) => `  ${reason.padEnd(16)} ${n}`),
  ];
}

function templateLines(p: CampaignPlan): string[] {
  const split = p.template.variants.length > 1;
  return p.template.variants.map((v) => {
    const language = v.contact_language ? `contact's language, else ${v.language}` : v.language;
    return `template${split ? ` ${v.label} (weight ${v.weight})` : ''}: ${v.name} · ${language} · ${v.status ?? 'not known to Recontact'}${v.category ? ` · ${v.category}` : ''}${v.ready ? '' : ' · NOT READY'}`;
  });
}

function whenLines(p: CampaignPlan): string[] {
  const s = p.schedule;
  const m = p.messaging_limit;
  const e = p.eta;
  const starts =
    s.first_send_at === null
      ? 'no send'
      : s.last_send_at !== null && s.last_send_at !== s.first_send_at
        ? `from ${s.first_send_at} to ${s.last_send_at} (${s.time_zones} time zones)`
        : `at ${s.first_send_at}`;
  const limit =
    m.limit === 'unlimited'
      ? `messaging limit: unlimited (${m.source})`
      : `messaging limit: ${m.limit} users / 24 h (${m.source}), ${m.reached ?? 0} reached lately; ${m.go_now} go at once, ${m.waiting} wait${m.last_slot_at ? ` (last slot ${m.last_slot_at})` : ''}`;
  return [
    `starts: ${starts}${s.expires_at ? ` · expires ${s.expires_at}${s.expiring ? ` (${s.expiring} would expire)` : ''}` : ''}`,
    `pace: ${e.pace_per_second}/s (${e.pace_source}) · ${e.sending_seconds} s of sending`,
    limit,
    `eta: ${e.finishes_at ?? 'nothing to send'}${e.limited_by ? ` (limited by ${e.limited_by.replace('_', ' ')})` : ''}`,
  ];
}

function costLines(p: CampaignPlan): string[] {
  const c = p.cost;
  const countries = p.by_country
    .slice(0, 5)
    .map((b) => `${b.country ?? 'unknown'} ${b.recipients}`)
    .join(' · ');
  const more = p.by_country.length > 5 ? ` · ${p.by_country.length - 5} more` : '';
  return [
    `cost: ${c.total_usd} ${c.currency} for ${c.charged} message(s) (${c.pricing_categories.join(', ')}), rate card effective ${c.card.effective_from}${c.card.name ? ` (${c.card.name})` : ''}`,
    ...c.by_market.map(
      (m) => `  ${m.market.padEnd(24)} ${String(m.messages).padStart(8)} × ${m.unit_usd} = ${m.usd}`,
    ),
    ...(countries ? [`countries: ${countries}${more}`] : []),
    ...c.notes.map((n) => `  note: ${n.message}`),
    ...(c.card.sources.length ? [`prices from: ${c.card.sources.map((s) => s.url).join(', ')}`] : []),
  ];
}

function previewLines(v: ContactPreview): string[] {
  const who = `${v.contact.name ?? v.contact.wa_id} (${v.contact.id})`;
  const status = !v.in_audience
    ? 'not in the audience'
    : v.excluded_reason
      ? `excluded: ${v.excluded_reason}`
      : 'would receive it';
  return [
    `preview for ${who}: ${status} · variant ${v.variant}`,
    ...(v.template ? [`  template: ${JSON.stringify(v.template)}`] : []),
    ...(v.metadata && Object.keys(v.metadata).length ? [`  metadata: ${JSON.stringify(v.metadata)}`] : []),
    ...v.missing.map(
      (m) =>
        `  missing ${m.attribute ? `attribute ${m.attribute}` : m.field ? `field ${m.field}` : 'a value'} (${m.problem}) for ${m.path}`,
    ),
  ];
}
