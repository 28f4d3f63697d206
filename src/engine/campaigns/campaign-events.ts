/** The campaign.* events (catalogue: engine/events/schemas.ts), built from a campaign row. */
import type { CampaignRecord } from '../../store/campaigns-repo';
import type { PendingEvent } from '../events/schemas';
import type { CampaignCounts } from './results';

export function campaignAbout(r: CampaignRecord) {
  return { id: r.id, account_id: r.accountId, name: r.name, state: r.state, state_reason: r.stateReason };
}

type CountedType =
  | 'campaign.started'
  | 'campaign.resumed'
  | 'campaign.progress'
  | 'campaign.completed'
  | 'campaign.cancelled'
  | 'campaign.expired';

export function campaignEvent(type: CountedType, r: CampaignRecord, counts: CampaignCounts): PendingEvent {
  return { type, data: { campaign: campaignAbout(r), counts } } as PendingEvent;
}

export function campaignPausedEvent(
  r: CampaignRecord,
  counts: CampaignCounts,
  by: 'operator' | 'guard',
): PendingEvent {
  return { type: 'campaign.paused', data: { campaign: campaignAbout(r), by, reason: r.stateReason, counts } };
}

export function campaignFailedToStartEvent(r: CampaignRecord, reason: string): PendingEvent {
  return { type: 'campaign.failed_to_start', data: { campaign: campaignAbout(r), reason } };
}
