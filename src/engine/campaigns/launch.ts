/**
 * Launch: a draft becomes running (or scheduled, when its first send time is ahead), and its
 * audience is materialised into recipient rows in the same transaction — each matching contact
 * once, with its exclusion reason or its send time (the schedule read in the contact's own time
 * zone, quiet hours applied). From then on contact changes do not move the campaign, except that
 * an opt-out before a recipient's send still skips them (runner.ts).
 *
 * Decisions where the issue is silent:
 *   - A launch is idempotent: launching a campaign already launched answers with it as it is.
 *   - A launch whose templates are not ready (not APPROVED, of another category than the
 *     definition says, or AUTHENTICATION) is refused with CAMPAIGN_NOT_READY and the campaign
 *     stays a draft, so it can be fixed and launched again. failed_to_start is for a scheduled
 *     campaign whose template stopped being approved before its start.
 *   - Recipients whose local send time falls at or after the expiry are materialised as expired
 *     (reason send_time_after_expiry): they are counted, never queued.
 *   - Quiet hours: the schedule's, else the account's (CAMPAIGN_QUIET_HOURS); a schedule that
 *     writes `"quiet_hours": null` has none, whatever the account's default.
 *   - The channel's send policy is asked of every variant's template, at create and at launch:
 *     a Messenger page sends only Utility Messages, so a MARKETING template (or a campaign that
 *     says category MARKETING) is refused with SEND_POLICY_REFUSED naming the rule. Templates
 *     do not depend on the window, so no recipient is left out for it; a Messenger contact who
 *     never wrote to the page (no PSID conversation) is excluded as `never_wrote`.
 */
import type { CampaignDefinition } from '../../domain/campaigns/definition';
import { applyCommand } from '../../domain/campaigns/lifecycle';
import {
  type QuietHours,
  recipientTimeZone,
  type Schedule,
  sendTimeFor,
} from '../../domain/campaigns/schedule';
import { decideSend, type PolicyRefusal } from '../../domain/channels/send-policy';
import { checkNeeds } from '../../domain/contacts/audience';
import { RecontactError } from '../../domain/errors';
import { accountChannel } from '../../store/account-channel';
import {
  contactTimeZones,
  materialiseRecipients,
  type SendTimes,
} from '../../store/campaign-recipients-repo';
import { type CampaignRecord, getCampaign, moveCampaign, setMaterialised } from '../../store/campaigns-repo';
import { accountCapHours } from '../contacts/audiences';
import type { EngineContext } from '../context';
import type { EventBus } from '../events/event-bus';
import { campaignEvent } from './campaign-events';
import { audienceOf, checkPlannable, HOUR_MS, neededValues, type TemplateFacts, templateFacts } from './plan';
import { campaignTally } from './results';

export interface CampaignDeps {
  events: EventBus;
  /** Wakes the runner (and through it the dispatcher) after a change. */
  wake: () => void;
  /**
   * The account's quiet hours (CAMPAIGN_QUIET_HOURS) for a campaign whose schedule has no
   * `quiet_hours` key; absent or null: none. `"quiet_hours": null` in a schedule means none.
   */
  quietHours?: QuietHours | null;
}

export async function launchCampaign(
  ctx: EngineContext,
  deps: CampaignDeps,
  accountId: string,
  id: string,
): Promise<{ record: CampaignRecord; launched: boolean }> {
  const record = await getCampaign(ctx.store.db, accountId, id);
  if (!record) throw campaignNotFound(id);
  if (record.state !== 'draft') return { record, launched: false };
  const checked = checkPlannable(record.definition, 'definition', deps.quietHours ?? null);
  if (!checked.ok) {
    throw new RecontactError(
      'INPUT_INVALID',
      `Campaign "${id}" no longer passes today's rules: ${checked.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
      {
        details: checked.problems,
        hint: 'Replace the draft with PUT /v1/campaigns/{id}, fixing each part named in details.',
      },
    );
  }
  const { definition: def, schedule } = checked.value;
  const templates = await templateFacts(ctx, accountId, def, []);
  await checkChannelPolicy(ctx, accountId, def, templates, { campaign: id });
  checkReady(id, def, templates);
  const audience = await audienceOf(ctx, accountId, def.audience);
  const needs = checkNeeds(neededValues(def.variants, []), 'needs', []);
  const capHours = def.frequencyCapHours ?? (await accountCapHours(ctx, accountId));
  const now = ctx.clock();
  const sendTimes = await sendTimesOf(ctx, accountId, schedule, now);
  const first = firstSendAt(sendTimes);
  const move = applyCommand('draft', 'launch', { startsLater: first !== null && first > now });
  if (!move.ok) throw new RecontactError('CAMPAIGN_STATE_CONFLICT', move.reason);

  const { db } = ctx.store;
  const moved = await db.transaction().execute(async (trx) => {
    const row = await moveCampaign(trx, id, move.to, { now, from: ['draft'] });
    if (!row) return undefined; // launched by another request meanwhile
    await materialiseRecipients(trx, {
      campaignId: id,
      scan: {
        accountId,
        match: audience.match,
        purpose: templates.purpose,
        needs,
        frequencyCapMs: capHours * HOUR_MS,
        now,
      },
      sendTimes,
      now,
    });
    await setMaterialised(trx, { id, recipients: 0, now });
    const materialised = { ...row, materialisedAt: now };
    const tally = await campaignTally(trx, materialised);
    await setMaterialised(trx, { id, recipients: tally.counts.recipients, now });
    const launched = { ...materialised, recipients: tally.counts.recipients };
    if (move.to === 'running')
      await deps.events.emit(trx, [campaignEvent('campaign.started', launched, tally.counts)]);
    return launched;
  });
  if (!moved) {
    const current = await getCampaign(db, accountId, id);
    return { record: current ?? record, launched: false };
  }
  ctx.log.info({ campaign: id, state: moved.state, recipients: moved.recipients }, 'campaign launched');
  deps.wake();
  return { record: moved, launched: true };
}

/** Each time zone's send time, computed once (a contact's zone decides theirs). */
async function sendTimesOf(
  ctx: EngineContext,
  accountId: string,
  schedule: Schedule,
  now: number,
): Promise<SendTimes> {
  const at = (timeZone: string | null) => {
    const t = sendTimeFor(schedule, { timeZone }, now);
    return t.kind === 'at' ? t.at : null;
  };
  const byZone = new Map<string, number | null>();
  const zoned = schedule.localTime !== null || schedule.quietHours !== null;
  if (zoned) {
    for (const zone of await contactTimeZones(ctx.store.db, accountId)) {
      // An unknown zone name falls back as the schedule says; its time is the fallback's.
      if (recipientTimeZone(schedule, zone) === zone) byZone.set(zone, at(zone));
    }
  }
  return { fallback: at(null), byZone };
}

function firstSendAt(t: SendTimes): number | null {
  let first: number | null = t.fallback;
  for (const at of t.byZone.values()) if (at !== null && (first === null || at < first)) first = at;
  return first;
}

/**
 * Refuses a campaign whose templates the account's channel may never send (a MARKETING template
 * from a Messenger page): SEND_POLICY_REFUSED with each variant's path and the rule. A template
 * not known yet is the launch's CAMPAIGN_NOT_READY, unless the campaign's own category already
 * says what the policy refuses. `facts` are read when not given (at create).
 */
export async function checkChannelPolicy(
  ctx: EngineContext,
  accountId: string,
  def: CampaignDefinition,
  facts?: TemplateFacts,
  at: { campaign?: string; pathPrefix?: string } = {},
): Promise<void> {
  const channel = (await accountChannel(ctx.store.db, accountId)) ?? 'whatsapp';
  const templates = facts ?? (await templateFacts(ctx, accountId, def, []));
  const prefix = at.pathPrefix ?? '';
  const split = def.variants.length > 1;
  const problems: Array<{ path: string; message: string }> = [];
  let first: PolicyRefusal | undefined;
  const ask = (category: string) =>
    decideSend({
      channel,
      content: 'template',
      templateCategory: category,
      lastInboundAt: null,
      lastUserMessageAt: null,
      now: 0,
    });
  templates.variants.forEach(({ view }, i) => {
    const category = view.category ?? def.category;
    if (category === undefined || category === null) return;
    const v = ask(category);
    if (v.ok) return;
    first ??= v;
    problems.push({
      path: `${prefix}${split ? `variants[${i}].template` : 'template'}`,
      message: `"${view.name}" (${view.language}) is ${category}: ${v.reason}`,
    });
  });
  if (def.category !== undefined && problems.length === 0) {
    const v = ask(def.category);
    if (!v.ok) {
      first = v;
      problems.push({ path: `${prefix}category`, message: `${def.category}: ${v.reason}` });
    }
  }
  if (!first) return;
  const which = at.campaign ? `Campaign "${at.campaign}"` : 'This campaign';
  throw new RecontactError(
    'SEND_POLICY_REFUSED',
    `${which} cannot be sent from a ${channel} account: ${first.reason}`,
    {
      details: problems,
      hint: first.hint,
      data: { rule: first.rule, channel, intent: first.intent },
    },
  );
}

function checkReady(id: string, def: CampaignDefinition, templates: TemplateFacts): void {
  const problems: Array<{ path: string; message: string }> = [];
  const split = def.variants.length > 1;
  templates.variants.forEach(({ view }, i) => {
    const path = split ? `variants[${i}].template` : 'template';
    if (view.status === null) {
      problems.push({
        path,
        message: `"${view.name}" (${view.language}) is not known to Recontact: pull it from Meta (recontact templates pull) or push it`,
      });
    } else if (!view.ready) {
      problems.push({
        path,
        message: `"${view.name}" (${view.language}) is ${view.status} at Meta, not APPROVED`,
      });
    }
    if (view.category === 'AUTHENTICATION') {
      problems.push({
        path,
        message: `"${view.name}" is AUTHENTICATION: one-time codes go one by one, not as a campaign`,
      });
    } else if (def.category !== undefined && view.category !== null && view.category !== def.category) {
      problems.push({
        path,
        message: `"${view.name}" is ${view.category} at Meta but the campaign says category ${def.category}`,
      });
    }
  });
  if (problems.length === 0) return;
  throw new RecontactError(
    'CAMPAIGN_NOT_READY',
    `Campaign "${id}" cannot be launched: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    {
      details: problems,
      hint: 'It stays a draft. Wait for Meta to approve the template (recontact templates pull), or fix the definition (PUT /v1/campaigns/{id}), then launch again.',
    },
  );
}

export function campaignNotFound(id: string): RecontactError {
  return new RecontactError('CAMPAIGN_NOT_FOUND', `No campaign "${id}" on this account`, {
    hint: 'GET /v1/campaigns lists the campaigns of the account (pass account_id for another account).',
  });
}
