/**
 * Campaign rows: the definition as written (JSON), the lifecycle state with its reason, and the
 * times that matter to an operator. State changes are conditional UPDATEs guarded by the
 * lifecycle's table (`sourcesOf`), so two processes pausing and completing the same campaign at
 * once cannot both win, and no code path can make a move the table does not allow.
 */
import type { Kysely, Selectable } from 'kysely';
import { CAMPAIGN_TRANSITIONS, type CampaignState, isTerminalCampaign } from '../domain/campaigns/lifecycle';
import { sourcesOf } from '../domain/lifecycle';
import type { CampaignsTable, Database } from './schema';

export type CampaignRow = Selectable<CampaignsTable>;

export interface CampaignRecord {
  id: string;
  accountId: string;
  name: string;
  state: CampaignState;
  stateReason: string | null;
  definition: Record<string, unknown>;
  templateName: string;
  recipients: number;
  materialisedAt: number | null;
  createdAt: number;
  updatedAt: number;
  launchedAt: number | null;
  finishedAt: number | null;
}

function fromRow(r: CampaignRow): CampaignRecord {
  const time = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: r.id,
    accountId: r.account_id,
    name: r.name,
    state: r.state,
    stateReason: r.state_reason,
    definition: JSON.parse(r.definition) as Record<string, unknown>,
    templateName: r.template_name,
    recipients: Number(r.recipients),
    materialisedAt: time(r.materialised_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    launchedAt: time(r.launched_at),
    finishedAt: time(r.finished_at),
  };
}

export interface NewCampaign {
  id: string;
  accountId: string;
  name: string;
  definition: Record<string, unknown>;
  templateName: string;
}

export async function insertCampaign(
  db: Kysely<Database>,
  c: NewCampaign,
  now: number,
): Promise<CampaignRecord> {
  const r = await db
    .insertInto('campaigns')
    .values({
      id: c.id,
      account_id: c.accountId,
      name: c.name,
      state: 'draft',
      state_reason: null,
      definition: JSON.stringify(c.definition),
      template_name: c.templateName,
      recipients: 0,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return fromRow(r);
}

export async function getCampaign(
  db: Kysely<Database>,
  accountId: string,
  id: string,
): Promise<CampaignRecord | undefined> {
  const r = await db
    .selectFrom('campaigns')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .executeTakeFirst();
  return r && fromRow(r);
}

/** Newest first; `beforeId` is the last id of the previous page. */
export async function listCampaigns(
  db: Kysely<Database>,
  accountId: string,
  f: { limit: number; beforeId?: string | undefined; states?: readonly CampaignState[] | undefined },
): Promise<CampaignRecord[]> {
  let q = db.selectFrom('campaigns').selectAll().where('account_id', '=', accountId);
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
  if (f.states?.length) q = q.where('state', 'in', [...f.states]);
  const rows = await q.orderBy('id', 'desc').limit(f.limit).execute();
  return rows.map(fromRow);
}

/** Replaces a draft's definition; 'missing' when there is no such campaign, 'not_draft' once launched. */
export async function replaceDraft(
  db: Kysely<Database>,
  accountId: string,
  id: string,
  c: { name: string; definition: Record<string, unknown>; templateName: string },
  now: number,
): Promise<CampaignRecord | 'missing' | 'not_draft'> {
  const r = await db
    .updateTable('campaigns')
    .set({
      name: c.name,
      definition: JSON.stringify(c.definition),
      template_name: c.templateName,
      updated_at: now,
    })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('state', '=', 'draft')
    .returningAll()
    .executeTakeFirst();
  if (r) return fromRow(r);
  return (await getCampaign(db, accountId, id)) ? 'not_draft' : 'missing';
}

/**
 * Moves a campaign to `to` if the lifecycle allows it from where it is now (and, when given,
 * only from `from`). Returns the row after the move, or undefined when it did not happen:
 * another process moved it first, or the move is not allowed.
 */
export async function moveCampaign(
  db: Kysely<Database>,
  id: string,
  to: CampaignState,
  opts: { now: number; reason?: string | null; from?: readonly CampaignState[] },
): Promise<CampaignRecord | undefined> {
  const allowed = sourcesOf(CAMPAIGN_TRANSITIONS, to).filter((s) => !opts.from || opts.from.includes(s));
  if (allowed.length === 0) return undefined;
  const r = await db
    .updateTable('campaigns')
    .set({
      state: to,
      state_reason: opts.reason ?? null,
      updated_at: opts.now,
      ...(to === 'scheduled' || to === 'running'
        ? { launched_at: (eb) => eb.fn.coalesce('launched_at', eb.val(opts.now)) }
        : {}),
      ...(isTerminalCampaign(to) ? { finished_at: opts.now } : {}),
    })
    .where('id', '=', id)
    .where('state', 'in', allowed)
    .returningAll()
    .executeTakeFirst();
  return r && fromRow(r);
}

/** Campaigns a runner has work for: launched and not finished, of the given accounts. */
export async function activeCampaigns(
  db: Kysely<Database>,
  accountIds: readonly string[],
): Promise<CampaignRecord[]> {
  if (accountIds.length === 0) return [];
  const rows = await db
    .selectFrom('campaigns')
    .selectAll()
    .where('state', 'in', ['scheduled', 'running', 'paused'])
    .where('account_id', 'in', [...accountIds])
    .orderBy('id')
    .execute();
  return rows.map(fromRow);
}

/**
 * Takes or renews the right to run a campaign: one runner per campaign at a time, another takes
 * over when the holder's heartbeat is older than `ttlMs` (it died). True when `holder` has it.
 */
export async function holdCampaign(
  db: Kysely<Database>,
  p: {
    id: string;
    holder: string;
    now: number;
    ttlMs: number;
    /**
     * Only while the campaign is in this state. Queuing asks for `running` inside its
     * transaction: a pause or cancel that committed since the runner read the campaign (in any
     * process) then stops the batch, rather than queuing messages the pause did not hold.
     */
    state?: CampaignState;
  },
): Promise<boolean> {
  let q = db.updateTable('campaigns').set({ holder: p.holder, heartbeat_at: p.now }).where('id', '=', p.id);
  if (p.state !== undefined) q = q.where('state', '=', p.state);
  const res = await q
    .where((eb) =>
      eb.or([
        eb('holder', 'is', null),
        eb('holder', '=', p.holder),
        eb('heartbeat_at', '<', p.now - p.ttlMs),
      ]),
    )
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Lets another runner take the campaign at once (this one is stopping). */
export async function letGoCampaigns(db: Kysely<Database>, holder: string): Promise<void> {
  await db
    .updateTable('campaigns')
    .set({ holder: null, heartbeat_at: null })
    .where('holder', '=', holder)
    .execute();
}

/** Records that the audience has been materialised, with the number of recipients to send to. */
export async function setMaterialised(
  db: Kysely<Database>,
  p: { id: string; recipients: number; now: number },
): Promise<void> {
  await db
    .updateTable('campaigns')
    .set({ recipients: p.recipients, materialised_at: p.now, updated_at: p.now })
    .where('id', '=', p.id)
    .execute();
}
