/**
 * A campaign's recipients, and its messages in the one outbox.
 *
 * - Materialisation is one INSERT … SELECT over the audience scan, keyed (campaign_id,
 *   contact_id) with ON CONFLICT DO NOTHING: a second launch or a launch retried after a crash
 *   inserts nothing twice, and 100,000 rows cost one statement, not 100,000.
 * - Queuing reads the due `pending` rows with their contacts (on PostgreSQL locked and skipped
 *   by any other runner) and moves them to `queued` in the transaction that inserts their
 *   messages; the move is guarded by `state = 'pending'`, so a recipient is queued at most once.
 * - A queued recipient's later states are its message's status (lifecycle.ts): counts read the
 *   messages, by their campaign index, instead of copying every status onto the recipient.
 */
import { type Kysely, type SqlBool, sql, type Updateable } from 'kysely';
import {
  OPEN_MESSAGE_STATUSES,
  STORED_RECIPIENT_STATES,
  type StoredRecipientState,
} from '../domain/campaigns/lifecycle';
import type { MessageStatus } from '../domain/message';
import { type AudienceScan, scanAudience } from './audience-query';
import { chunks } from './chunks';
import { notIndexed } from './index-literal';
import { takesRowLocks } from './row-locks';
import type { CampaignRecipientsTable, Database } from './schema';
import { directSqlite } from './sqlite-direct';

/**
 * `next_attempt_at` of a paused campaign's queued messages: far beyond any claim's `now`, so the
 * dispatcher leaves them, and below 2^53 so both databases and JavaScript hold it exactly.
 */
export const HELD_AT = 8_000_000_000_000_000;

/** `error_class` of a message withdrawn from the outbox unsent (campaign cancelled or expired). */
export const WITHDRAWN = 'withdrawn';

/** Why a recipient whose local send time falls at or after the campaign's expiry is not sent. */
export const AFTER_EXPIRY = 'send_time_after_expiry';

export interface SendTimes {
  /** For contacts whose zone is not in `byZone` (and those with none); null: after the expiry. */
  fallback: number | null;
  byZone: ReadonlyMap<string, number | null>;
}

/** The account's contacts' time zones, for computing each zone's send time once. */
export async function contactTimeZones(db: Kysely<Database>, accountId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('contacts')
    .select('time_zone')
    .distinct()
    .where('account_id', '=', accountId)
    .where('time_zone', 'is not', null)
    .execute();
  return rows.map((r) => r.time_zone!);
}

/** Inserts the audience's recipients once; returns how many rows this call added. */
export async function materialiseRecipients(
  db: Kysely<Database>,
  p: {
    campaignId: string;
    scan: Omit<AudienceScan, 'sampleSize'>;
    sendTimes: SendTimes;
    now: number;
  },
): Promise<number> {
  const scanned = (await scanAudience(db, p.scan)).as('s');
  const sendAt = sendAtExpression(p.sendTimes);
  const res = await db
    .insertInto('campaign_recipients')
    .columns(['campaign_id', 'contact_id', 'state', 'reason', 'send_at', 'updated_at'])
    .expression(
      db
        .selectFrom(scanned)
        .select([
          sql<string>`${p.campaignId}`.as('campaign_id'),
          's.id',
          sql<StoredRecipientState>`CASE WHEN s.reason IS NOT NULL THEN 'excluded'
            WHEN ${sendAt} IS NULL THEN 'expired' ELSE 'pending' END`.as('state'),
          sql<string | null>`COALESCE(s.reason, CASE WHEN ${sendAt} IS NULL THEN ${AFTER_EXPIRY} END)`.as(
            'reason',
          ),
          sql<number | null>`CASE WHEN s.reason IS NULL THEN ${sendAt} END`.as('send_at'),
          sql<number>`${p.now}`.as('updated_at'),
        ])
        // SQLite reads "ON CONFLICT" after a bare SELECT as a join constraint: a WHERE ends it.
        .where(sql<SqlBool>`1 = 1`)
        .orderBy('s.id'),
    )
    .onConflict((oc) => oc.columns(['campaign_id', 'contact_id']).doNothing())
    .executeTakeFirst();
  const added = Number(res.numInsertedOrUpdatedRows ?? 0);
  // A bulk load, then statistics, as PostgreSQL's own advice goes: until autovacuum gets to it
  // (a minute at best, never if it is off), the planner believes what it saw before the launch
  // — often an empty table — and reads every pending recipient of the campaign to move a batch
  // of them (23 ms a batch for 100,000). Sampled, so bounded (≈ 0.1–0.3 s) however large the
  // table; it runs in the launch's transaction, which sees its own rows, and takes no lock that
  // blocks readers or writers.
  if (added >= ANALYZE_AFTER_RECIPIENTS && takesRowLocks(db))
    await sql`ANALYZE campaign_recipients`.execute(db);
  return added;
}

/** PostgreSQL: a launch that adds this many recipients refreshes the table's statistics. */
export const ANALYZE_AFTER_RECIPIENTS = 10_000;

function sendAtExpression(t: SendTimes) {
  const fallback = t.fallback === null ? sql`NULL` : sql`${t.fallback}`;
  if (t.byZone.size === 0) return sql`CAST(${fallback} AS BIGINT)`;
  const whens = [...t.byZone].map(
    ([zone, at]) => sql`WHEN ${zone} THEN ${at === null ? sql`NULL` : sql`${at}`}`,
  );
  return sql`CAST(CASE s.time_zone ${sql.join(whens, sql` `)} ELSE ${fallback} END AS BIGINT)`;
}

export interface CampaignCountRows {
  /** Recipients by stored state, but `queued`: those are counted by their messages. */
  stored: Array<{ state: StoredRecipientState; reason: string | null; n: number }>;
  /**
   * The campaign's messages by status and error, withdrawn ones left out; `error_code` only on
   * failures; `replied`, how many of them were replied to.
   */
  messages: Array<{ status: MessageStatus; error_code: number | null; n: number; replied: number }>;
}

/** Stored recipient states the counts read from the recipients themselves. */
const COUNTED_STORED = STORED_RECIPIENT_STATES.filter((s) => s !== 'queued');

/**
 * Both counts in ONE statement, so both are read from one snapshot: the runner moves recipients
 * from `pending` to `queued` in the transaction that writes their messages, and two statements
 * (each its own snapshot on PostgreSQL's READ COMMITTED, and on SQLite outside a transaction)
 * could see a recipient as pending in the first and its message in the second — counted twice.
 *
 * Cost: both halves are read from an index alone (migration 0022). The recipients' states are
 * searched in campaign_recipients_due, leaving out the `queued` bulk of a running or finished
 * campaign (those are counted by their messages); the messages are grouped from
 * messages_campaign, which carries each one's status, error, withdrawal and reply. On SQLite at
 * 100,000 sent: 20 ms, where reading every message took 80.
 */
export async function campaignCountRows(
  db: Kysely<Database>,
  campaignId: string,
): Promise<CampaignCountRows> {
  const recipients = db
    .selectFrom('campaign_recipients')
    .select([
      sql<string>`'r'`.as('side'),
      sql<string>`state`.as('state'),
      'reason',
      sql<number | null>`CAST(NULL AS INTEGER)`.as('error_code'),
      sql<number>`COUNT(*)`.as('n'),
      sql<number>`0`.as('replied'),
    ])
    .where('campaign_id', '=', campaignId)
    .where('state', 'in', COUNTED_STORED)
    .groupBy(['state', 'reason']);
  const messages = db
    .selectFrom('messages')
    .select([
      sql<string>`'m'`.as('side'),
      sql<string>`status`.as('state'),
      sql<string | null>`CAST(NULL AS TEXT)`.as('reason'),
      sql<number | null>`error_code`.as('error_code'),
      sql<number>`COUNT(*)`.as('n'),
      sql<number>`COUNT(replied_at)`.as('replied'),
    ])
    .where('campaign_id', '=', campaignId)
    // A send withdrawn by a cancel before it left is counted by its recipient, not as a failure.
    .where((eb) => eb.or([eb('error_class', 'is', null), eb('error_class', '!=', WITHDRAWN)]))
    .groupBy(['status', 'error_code']);
  const rows = await recipients.unionAll(messages).execute();
  const out: CampaignCountRows = { stored: [], messages: [] };
  for (const r of rows) {
    if (r.side === 'r') {
      out.stored.push({ state: r.state as StoredRecipientState, reason: r.reason, n: Number(r.n) });
    } else {
      out.messages.push({
        status: r.state as MessageStatus,
        error_code: r.error_code === null ? null : Number(r.error_code),
        n: Number(r.n),
        replied: Number(r.replied),
      });
    }
  }
  return out;
}

/** Whether any recipient still waits for its send time. */
export async function hasPending(db: Kysely<Database>, campaignId: string): Promise<boolean> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select('contact_id')
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The earliest send time still pending, or null when none is. */
export async function nextSendAt(db: Kysely<Database>, campaignId: string): Promise<number | null> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.min('send_at').as('at'))
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}

/** Whether the campaign has queued any message yet (withdrawn ones included). */
export async function hasMessages(db: Kysely<Database>, campaignId: string): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether any of the campaign's messages still owes an outcome (queued, sending, unconfirmed). */
export async function hasOpenMessages(db: Kysely<Database>, campaignId: string): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', [...OPEN_MESSAGE_STATUSES])
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** How many of the campaign's messages wait in the outbox, counted up to `cap`. */
export async function queuedDepth(db: Kysely<Database>, campaignId: string, cap: number): Promise<number> {
  const row = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('messages')
        .select('id')
        .where('campaign_id', '=', campaignId)
        .where('status', '=', 'queued')
        .limit(cap)
        .as('q'),
    )
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A due recipient with what its message is built from. */
export interface DueRecipient {
  contact_id: string;
  send_at: number;
  wa_id: string;
  bsuid: string | null;
  phone_e164: string | null;
  name: string | null;
  language: string | null;
  attributes: string;
  all_consent: string;
  marketing_consent: string;
  erased_at: number | null;
  last_inbound_at: number | null;
  time_zone: string | null;
}

/**
 * Due `pending` recipients, earliest first. Call inside the transaction that queues them: on
 * PostgreSQL the rows stay locked until it ends, and rows another runner holds are skipped.
 */
export async function dueRecipients(
  trx: Kysely<Database>,
  p: { campaignId: string; now: number; limit: number },
): Promise<DueRecipient[]> {
  const lock = takesRowLocks(trx) ? sql`FOR UPDATE OF r SKIP LOCKED` : sql``;
  const res = await sql<DueRecipient>`
    SELECT r.contact_id, r.send_at, c.wa_id, c.bsuid, c.phone_e164, c.name, c.language, c.attributes,
           c.all_consent, c.marketing_consent, c.erased_at, c.last_inbound_at, c.time_zone
      FROM campaign_recipients r JOIN contacts c ON c.id = r.contact_id
     WHERE r.campaign_id = ${p.campaignId} AND r.state = 'pending' AND r.send_at <= ${p.now}
     ORDER BY r.send_at, r.contact_id
     LIMIT ${p.limit}
     ${lock}`.execute(trx);
  return res.rows.map((r) => ({
    ...r,
    send_at: Number(r.send_at),
    erased_at: r.erased_at === null ? null : Number(r.erased_at),
    last_inbound_at: r.last_inbound_at === null ? null : Number(r.last_inbound_at),
  }));
}

/**
 * When each contact was last sent anything (messages created after `since`). One probe of
 * messages_contact per contact, newest first, written as a subquery per contact: as
 * `contact_id IN (…500 ids) GROUP BY`, PostgreSQL with statistics older than the messages (or
 * none yet, a new database's first minute) took the list for most of the table and read all of
 * it per batch: 51 ms a batch, quadratic in a campaign.
 */
export async function lastSendTimes(
  db: Kysely<Database>,
  contactIds: readonly string[],
  since: number,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunks(contactIds, 500)) {
    const res = await sql<{ contact_id: string; at: number | string | null }>`
      SELECT v.column1 AS contact_id,
             (SELECT MAX(m.created_at) FROM messages m
               WHERE m.contact_id = v.column1 AND m.created_at > ${since}) AS at
        FROM (VALUES ${sql.join(part.map((id) => sql`(${id})`))}) AS v`.execute(db);
    for (const r of res.rows) if (r.at !== null) out.set(r.contact_id, Number(r.at));
  }
  return out;
}

/**
 * Pending recipients of one campaign named by contact, and fenced by their state. SQLite, which
 * has no statistics, takes `contact_id IN (…)` for a handful of rows against "all of a campaign"
 * and reads every pending recipient through campaign_recipients_due instead of looking the batch
 * up by primary key: 9 ms a 200-row batch on a 100,000-recipient launch, an eighth of its time,
 * and quadratic in the campaign. Joined from a VALUES list, each is looked up by key. PostgreSQL
 * keeps the IN list: with statistics taken before the launch (an empty table), it hashes the
 * whole campaign for such a join, 1.8 s a batch.
 */
async function updatePending(
  db: Kysely<Database>,
  campaignId: string,
  contactIds: readonly string[],
  set: Updateable<CampaignRecipientsTable>,
  /** SQLite's join only: `message_id` from the VALUES list's second column, beside each contact. */
  messageIds?: readonly string[],
): Promise<number> {
  if (takesRowLocks(db)) {
    const res = await db
      .updateTable('campaign_recipients')
      .set(
        messageIds
          ? {
              ...set,
              message_id: sql<string>`CASE contact_id ${sql.join(
                contactIds.map((id, i) => sql`WHEN ${id} THEN ${messageIds[i]}`),
                sql` `,
              )} END`,
            }
          : set,
      )
      .where('campaign_id', '=', campaignId)
      .where('contact_id', 'in', contactIds)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(res.numUpdatedRows);
  }
  const values = sql.join(
    contactIds.map((id, i) => (messageIds ? sql`(${id}, ${messageIds[i]})` : sql`(${id})`)),
  );
  const assignments = Object.entries(set).map(
    ([column, value]) => sql`${sql.ref(column)} = ${value as string | number | null}`,
  );
  if (messageIds) assignments.push(sql`message_id = v.column2`);
  const res = await sql`
    UPDATE campaign_recipients SET ${sql.join(assignments)}
      FROM (VALUES ${values}) AS v
     WHERE campaign_recipients.campaign_id = ${campaignId}
       AND campaign_recipients.contact_id = v.column1
       AND ${notIndexed('campaign_recipients.state')} = 'pending'`.execute(db);
  return Number(res.numAffectedRows ?? 0);
}

/**
 * Moves pending recipients to `queued` with their message and variant. Returns how many moved:
 * fewer than asked means another runner took some, and the caller rolls its transaction back.
 */
export async function markQueued(
  trx: Kysely<Database>,
  p: {
    campaignId: string;
    items: ReadonlyArray<{ contactId: string; messageId: string; variant: string }>;
    now: number;
  },
): Promise<number> {
  const direct = directSqlite(trx);
  if (direct) {
    // SQLite: one prepared statement per recipient, found by its key (sqlite-direct.ts).
    return direct((prepare) => {
      const queue = prepare(QUEUE_SQL);
      let n = 0;
      for (const i of p.items)
        n += queue.run(i.variant, p.now, i.messageId, p.campaignId, i.contactId).changes;
      return n;
    });
  }
  let moved = 0;
  const byVariant = new Map<string, Array<{ contactId: string; messageId: string }>>();
  for (const i of p.items) {
    const list = byVariant.get(i.variant) ?? [];
    list.push(i);
    byVariant.set(i.variant, list);
  }
  for (const [variant, items] of byVariant) {
    for (const part of chunks(items, 400)) {
      // The message ids are the caller's: a look-up of each in messages would scan the
      // campaign's messages once per recipient on SQLite, which made a 100,000-recipient run
      // quadratic.
      moved += await updatePending(
        trx,
        p.campaignId,
        part.map((i) => i.contactId),
        { state: 'queued', variant, updated_at: p.now },
        part.map((i) => i.messageId),
      );
    }
  }
  return moved;
}

/** markQueued's change of one recipient; the state is a fence, never used to find the row (index-literal.ts). */
export const QUEUE_SQL = `UPDATE campaign_recipients SET state = 'queued', variant = ?, updated_at = ?, message_id = ?
                    WHERE campaign_id = ? AND contact_id = ? AND (state || '') = 'pending'`;

/** Ends pending recipients without a send (opted out, a value gone, expired, cancelled). */
export async function settlePending(
  db: Kysely<Database>,
  p: {
    campaignId: string;
    contactIds?: readonly string[];
    to: Extract<StoredRecipientState, 'opted_out' | 'failed' | 'expired' | 'cancelled'>;
    reason: string | null;
    now: number;
  },
): Promise<number> {
  const set = { state: p.to, reason: p.reason, updated_at: p.now };
  if (p.contactIds === undefined) {
    const all = await db
      .updateTable('campaign_recipients')
      .set(set)
      .where('campaign_id', '=', p.campaignId)
      .where('state', '=', 'pending')
      .executeTakeFirst();
    return Number(all.numUpdatedRows);
  }
  let n = 0;
  for (const part of chunks(p.contactIds, 500)) n += await updatePending(db, p.campaignId, part, set);
  return n;
}

/** Moves pending recipients' send times later (pair limit, messaging limit). */
export async function deferPending(
  db: Kysely<Database>,
  p: { campaignId: string; items: ReadonlyArray<{ contactId: string; sendAt: number }>; now: number },
): Promise<void> {
  const byTime = new Map<number, string[]>();
  for (const i of p.items) byTime.set(i.sendAt, [...(byTime.get(i.sendAt) ?? []), i.contactId]);
  for (const [sendAt, ids] of byTime) {
    for (const part of chunks(ids, 500))
      await updatePending(db, p.campaignId, part, { send_at: sendAt, updated_at: p.now });
  }
}

/**
 * Keeps the campaign's queued messages in the outbox but out of the dispatcher's reach (pause).
 * A row already in a worker's buffer is refused at its `sending` mark (dispatch-repo), so once
 * this commits nothing more of the campaign leaves.
 */
export async function holdQueued(db: Kysely<Database>, campaignId: string, now: number): Promise<number> {
  const res = await db
    .updateTable('messages')
    .set({ next_attempt_at: HELD_AT, updated_at: now })
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'queued')
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Gives held messages back to the dispatcher (resume). Leases are left to lapse on their own. */
export async function releaseHeld(db: Kysely<Database>, campaignId: string, now: number): Promise<number> {
  const res = await db
    .updateTable('messages')
    .set({ next_attempt_at: now, updated_at: now })
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'queued')
    .where('next_attempt_at', '>=', HELD_AT)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/**
 * Withdraws the campaign's messages that have not left (cancel, expiry): they become `failed`
 * with error class `withdrawn`, never posted (the `sending` mark requires `queued`), and their
 * recipients `to`. Returns the withdrawn message ids.
 */
export async function withdrawQueued(
  trx: Kysely<Database>,
  p: { campaignId: string; to: 'cancelled' | 'expired'; reason: string; now: number },
): Promise<string[]> {
  const rows = await trx
    .updateTable('messages')
    .set({
      status: 'failed',
      error_class: WITHDRAWN,
      error_message: p.reason,
      failed_at: p.now,
      updated_at: p.now,
    })
    .where('campaign_id', '=', p.campaignId)
    .where('status', '=', 'queued')
    .returning('id')
    .execute();
  const ids = rows.map((r) => r.id);
  for (const part of chunks(ids, 500)) {
    await trx
      .updateTable('campaign_recipients')
      .set({ state: p.to, reason: p.reason, updated_at: p.now })
      .where('campaign_id', '=', p.campaignId)
      .where('message_id', 'in', part)
      .execute();
  }
  return ids;
}

/** Records a reply to a campaign message: the first one per recipient counts. */
export async function recordRecipientReply(
  db: Kysely<Database>,
  p: { messageId: string; at: number; payload: string | null },
): Promise<void> {
  await db
    .updateTable('campaign_recipients')
    .set({ replied_at: p.at, reply_payload: p.payload, updated_at: p.at })
    .where('message_id', '=', p.messageId)
    .where('replied_at', 'is', null)
    .execute();
}

/** Replies by button payload ("" for a reply that was not a button), with time to reply. */
export async function replyStats(
  db: Kysely<Database>,
  campaignId: string,
): Promise<Array<{ variant: string | null; payload: string | null; n: number }>> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['variant', 'reply_payload as payload', sql<number>`COUNT(*)`.as('n')])
    .where('campaign_id', '=', campaignId)
    .where('replied_at', 'is not', null)
    .groupBy(['variant', 'reply_payload'])
    .execute();
  return rows.map((r) => ({ variant: r.variant, payload: r.payload, n: Number(r.n) }));
}

/**
 * Messages put back in the queue after a pause or an end (a retry after 429, a resend after a
 * doubt) must not slip past it: a paused or not yet started campaign's are held like the others,
 * a finished campaign's are withdrawn and their recipients end with the campaign. Called with the
 * requeued ids; 1:1 messages (no campaign) are untouched.
 */
export async function fenceRequeued(
  db: Kysely<Database>,
  ids: readonly string[],
  now: number,
): Promise<void> {
  for (const part of chunks(ids, 500)) {
    const campaignIn = (states: readonly string[]) =>
      sql<SqlBool>`campaign_id IN (SELECT c.id FROM campaigns c WHERE c.state IN (${sql.join(states)}))`;
    await db
      .updateTable('messages')
      .set({ next_attempt_at: HELD_AT })
      .where('id', 'in', part)
      .where(notIndexed('status'), '=', 'queued')
      .where(campaignIn(['paused', 'scheduled']))
      .execute();
    const withdrawn = await db
      .updateTable('messages')
      .set({
        status: 'failed',
        error_class: WITHDRAWN,
        error_message: 'the campaign ended before this message could be sent again',
        failed_at: now,
        updated_at: now,
      })
      .where('id', 'in', part)
      .where(notIndexed('status'), '=', 'queued')
      .where(campaignIn(['cancelled', 'expired', 'failed_to_start', 'completed']))
      .returning('id')
      .execute();
    if (withdrawn.length === 0) continue;
    await db
      .updateTable('campaign_recipients')
      .set({
        state: sql<StoredRecipientState>`(SELECT CASE WHEN c.state = 'expired' THEN 'expired' ELSE 'cancelled' END
          FROM campaigns c WHERE c.id = campaign_recipients.campaign_id)`,
        reason: 'the campaign ended before this message could be sent again',
        updated_at: now,
      })
      .where(
        'message_id',
        'in',
        withdrawn.map((r) => r.id),
      )
      .execute();
  }
}
