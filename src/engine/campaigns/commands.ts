/**
 * Pause, resume, cancel, and the runner's own moves (start, complete, expire, fail to start).
 * Each is one transaction: the state move (guarded by the lifecycle, so two processes cannot
 * both win), what it does to the outbox, and its event. The outbox part is what makes a command
 * take effect at once, in whichever process it is asked: a pause holds the campaign's queued
 * messages out of the dispatcher's reach (one already buffered is refused at its `sending`
 * mark), a cancel or an expiry withdraws them, a resume gives them back. What has left for Meta
 * stays sent; nothing is ever sent twice.
 *
 * Repeating a command is harmless: pausing a paused campaign, resuming a running one or
 * cancelling a cancelled one answers with the campaign as it is.
 */

import type { Kysely } from 'kysely';
import { applyCommand, type CampaignState, isTerminalCampaign } from '../../domain/campaigns/lifecycle';
import { RecontactError } from '../../domain/errors';
import {
  hasMessages,
  holdQueued,
  nextSendAt,
  releaseHeld,
  settlePending,
  withdrawQueued,
} from '../../store/campaign-recipients-repo';
import { type CampaignRecord, getCampaign, moveCampaign } from '../../store/campaigns-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import { campaignEvent, campaignFailedToStartEvent, campaignPausedEvent } from './campaign-events';
import { type CampaignDeps, campaignNotFound } from './launch';
import { campaignTally } from './results';

export async function pauseCampaign(
  ctx: EngineContext,
  deps: CampaignDeps,
  accountId: string,
  id: string,
  by: PausedBy = { kind: 'operator' },
): Promise<CampaignRecord> {
  const record = await current(ctx, accountId, id);
  if (record.state === 'paused') return record;
  const move = applyCommand(record.state, 'pause', { startsLater: false });
  if (!move.ok) throw conflict(record, move.reason);
  const now = ctx.clock();
  const moved = await ctx.store.db.transaction().execute((trx) => pauseWithin(trx, deps, record, by, now));
  if (!moved) return raced(ctx, accountId, id, 'paused');
  ctx.log.info(
    { campaign: id, by: by.kind, reason: by.kind === 'guard' ? by.reason : null },
    'campaign paused',
  );
  return moved;
}

export type PausedBy = { kind: 'operator' } | { kind: 'guard'; reason: string };

/**
 * The pause itself, inside the caller's transaction (a webhook's, when Meta lowers the number's
 * quality): the move, the hold of the campaign's queued messages and campaign.paused commit
 * together with what caused them. Undefined when the campaign was no longer where `record` says.
 */
export async function pauseWithin(
  trx: Kysely<Database>,
  deps: CampaignDeps,
  record: CampaignRecord,
  by: PausedBy,
  now: number,
): Promise<CampaignRecord | undefined> {
  const reason = by.kind === 'guard' ? by.reason : null;
  const row = await moveCampaign(trx, record.id, 'paused', { now, reason, from: [record.state] });
  if (!row) return undefined;
  await holdQueued(trx, record.id, now);
  const { counts } = await campaignTally(trx, row);
  await deps.events.emit(trx, [campaignPausedEvent(row, counts, by.kind)]);
  return row;
}

export async function resumeCampaign(
  ctx: EngineContext,
  deps: CampaignDeps,
  accountId: string,
  id: string,
): Promise<CampaignRecord> {
  const record = await current(ctx, accountId, id);
  if (record.state === 'running' || record.state === 'scheduled') return record;
  const now = ctx.clock();
  const next = await nextSendAt(ctx.store.db, id);
  // Back to scheduled only when nothing has been queued yet and the first send is still ahead
  // (excluded or expired-at-launch recipients do not make a campaign "started").
  const startsLater = next !== null && next > now && !(await hasMessages(ctx.store.db, id));
  const move = applyCommand(record.state, 'resume', { startsLater });
  if (!move.ok) throw conflict(record, move.reason);
  const moved = await ctx.store.db.transaction().execute(async (trx) => {
    const row = await moveCampaign(trx, id, move.to, { now, from: ['paused'] });
    if (!row) return undefined;
    await releaseHeld(trx, id, now);
    const { counts } = await campaignTally(trx, row);
    await deps.events.emit(trx, [campaignEvent('campaign.resumed', row, counts)]);
    return row;
  });
  if (!moved) return raced(ctx, accountId, id, move.to);
  ctx.log.info({ campaign: id, state: moved.state }, 'campaign resumed');
  deps.wake();
  return moved;
}

export async function cancelCampaign(
  ctx: EngineContext,
  deps: CampaignDeps,
  accountId: string,
  id: string,
): Promise<CampaignRecord> {
  const record = await current(ctx, accountId, id);
  if (record.state === 'cancelled') return record;
  const move = applyCommand(record.state, 'cancel', { startsLater: false });
  if (!move.ok) throw conflict(record, move.reason);
  const moved = await endCampaign(ctx, deps, record, 'cancelled', 'cancelled by request');
  if (!moved) return raced(ctx, accountId, id, 'cancelled');
  ctx.log.info({ campaign: id }, 'campaign cancelled');
  return moved;
}

/**
 * Ends a launched campaign: cancelled (by request) or expired (its expiry passed). Pending
 * recipients and queued messages that have not left are withdrawn; undefined when another
 * process moved the campaign first.
 */
export async function endCampaign(
  ctx: EngineContext,
  deps: CampaignDeps,
  record: CampaignRecord,
  to: 'cancelled' | 'expired',
  reason: string,
): Promise<CampaignRecord | undefined> {
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await moveCampaign(trx, record.id, to, { now, from: [record.state] });
    if (!row) return undefined;
    if (record.materialisedAt !== null) {
      await settlePending(trx, { campaignId: record.id, to, reason, now });
      await withdrawQueued(trx, { campaignId: record.id, to, reason, now });
    }
    const { counts } = await campaignTally(trx, row);
    if (record.materialisedAt !== null || to === 'cancelled')
      await deps.events.emit(trx, [
        campaignEvent(to === 'cancelled' ? 'campaign.cancelled' : 'campaign.expired', row, counts),
      ]);
    return row;
  });
}

/** The runner's moves that need no outbox work: start (scheduled → running) and complete. */
export async function advanceCampaign(
  ctx: EngineContext,
  deps: CampaignDeps,
  record: CampaignRecord,
  to: 'running' | 'completed',
): Promise<CampaignRecord | undefined> {
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await moveCampaign(trx, record.id, to, { now, from: [record.state] });
    if (!row) return undefined;
    const { counts } = await campaignTally(trx, row);
    await deps.events.emit(trx, [
      campaignEvent(to === 'running' ? 'campaign.started' : 'campaign.completed', row, counts),
    ]);
    return row;
  });
}

/** A scheduled campaign that cannot start (its template stopped being approved). */
export async function failToStart(
  ctx: EngineContext,
  deps: CampaignDeps,
  record: CampaignRecord,
  reason: string,
): Promise<CampaignRecord | undefined> {
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await moveCampaign(trx, record.id, 'failed_to_start', { now, reason, from: [record.state] });
    if (!row) return undefined;
    await settlePending(trx, { campaignId: record.id, to: 'cancelled', reason, now });
    await deps.events.emit(trx, [campaignFailedToStartEvent(row, reason)]);
    return row;
  });
}

async function current(ctx: EngineContext, accountId: string, id: string): Promise<CampaignRecord> {
  const record = await getCampaign(ctx.store.db, accountId, id);
  if (!record) throw campaignNotFound(id);
  return record;
}

/** Another process moved the campaign between our read and our write: where is it now? */
async function raced(
  ctx: EngineContext,
  accountId: string,
  id: string,
  wanted: CampaignState,
): Promise<CampaignRecord> {
  const now = await current(ctx, accountId, id);
  if (now.state === wanted) return now;
  throw conflict(now, `the campaign became ${now.state.replaceAll('_', ' ')} meanwhile`);
}

function conflict(record: CampaignRecord, reason: string): RecontactError {
  return new RecontactError('CAMPAIGN_STATE_CONFLICT', `Campaign "${record.id}": ${reason}`, {
    data: { state: record.state, state_reason: record.stateReason },
    hint: isTerminalCampaign(record.state)
      ? 'A finished campaign stays as it is; create a new one (POST /v1/campaigns) to send again.'
      : 'GET /v1/campaigns/{id} shows its state; pause a running or scheduled campaign, resume a paused one, cancel any unfinished one.',
  });
}
