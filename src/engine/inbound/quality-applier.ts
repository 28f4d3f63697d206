/**
 * The auto-pause guard's quality trigger: Meta's `phone_number_quality_update` says the sending
 * number was FLAGGED (low quality: more complaints lower its messaging limit) or DOWNGRADEd (the
 * limit was lowered). Every running or scheduled campaign of the account then pauses with the
 * reason (qualityPauseReason) and a `campaign.paused` event by "guard"; an operator resumes it
 * once the quality is looked at. UPGRADE and UNFLAGGED resume nothing: that stays a person's call.
 *
 * The change names the number only by its display number, which Recontact does not store, so it
 * applies to every account of the WABA. Since October 2025 the messaging limit is the business
 * portfolio's, shared by all its numbers, so a downgrade touches them all anyway.
 *
 * The pauses commit in the ingest's transaction, with the webhook marked processed: a crash
 * cannot lose one.
 */

import type { Kysely } from 'kysely';
import type { PhoneQualityItem, WebhookItem } from '../../channels/channel';
import { qualityPauseReason } from '../../domain/campaigns/backoff';
import { activeCampaigns } from '../../store/campaigns-repo';
import type { Database } from '../../store/schema';
import type { AccountRegistry } from '../accounts';
import { pauseWithin } from '../campaigns/commands';
import type { CampaignDeps } from '../campaigns/launch';
import type { EngineContext } from '../context';

export interface QualityPause {
  accountIds: string[];
  reason: string;
  item: PhoneQualityItem;
}

/** The pauses the batch's quality updates call for (logging every update it reads). */
export function qualityPauses(
  ctx: EngineContext,
  accounts: Pick<AccountRegistry, 'all'>,
  items: readonly WebhookItem[],
): QualityPause[] {
  const out: QualityPause[] = [];
  for (const item of items) {
    if (item.kind !== 'phone_quality') continue;
    const accountIds = accounts
      .all()
      .filter((a) => a.wabaId === item.wabaId)
      .map((a) => a.id);
    const reason = qualityPauseReason({
      event: item.event,
      currentLimit: item.currentLimit ?? null,
      oldLimit: item.oldLimit ?? null,
    });
    const log = {
      waba: item.wabaId,
      number: item.displayPhoneNumber,
      event: item.event,
      current_limit: item.currentLimit,
      old_limit: item.oldLimit,
      accounts: accountIds,
    };
    if (accountIds.length === 0) {
      ctx.log.warn(log, 'phone number quality update for a WABA with no account here; ignored');
      continue;
    }
    if (reason === null) {
      ctx.log.info(log, 'phone number quality update');
      continue;
    }
    ctx.log.warn(log, 'phone number quality dropped: pausing the accounts’ campaigns');
    out.push({ accountIds, reason, item });
  }
  return out;
}

/**
 * Pauses every running or scheduled campaign of the accounts, inside the webhook's transaction:
 * the pause commits with the webhook marked processed, or neither does. Returns how many.
 */
export async function applyQualityPauses(
  ctx: EngineContext,
  deps: CampaignDeps,
  trx: Kysely<Database>,
  pauses: readonly QualityPause[],
): Promise<number> {
  let paused = 0;
  const now = ctx.clock();
  for (const p of pauses) {
    for (const c of await activeCampaigns(trx, p.accountIds)) {
      if (c.state !== 'running' && c.state !== 'scheduled') continue;
      if (await pauseWithin(trx, deps, c, { kind: 'guard', reason: p.reason }, now)) paused++;
    }
  }
  return paused;
}
