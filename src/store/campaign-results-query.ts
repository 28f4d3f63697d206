/**
 * What a campaign's results read beyond its live counts (campaign-recipients-repo): failures by
 * Meta's code, time to reply, the funnel of each A/B variant, the delivered messages by where
 * they went and what Meta billed them as, and the recipients page by page. Each is one or two
 * aggregate statements over the campaign's own rows — the recipients by their key (campaign_id,
 * …), the messages by their partial campaign index — so a 100,000-recipient campaign answers in
 * a few rows, and nothing here runs in the runner's per-second tally.
 */
import { type Kysely, type SqlBool, sql } from 'kysely';
import type { RecipientState, StoredRecipientState } from '../domain/campaigns/lifecycle';
import type { MessageStatus } from '../domain/message';
import { WITHDRAWN } from './campaign-recipients-repo';
import type { Database } from './schema';

/** Failed messages of the campaign (withdrawn ones are cancelled or expired, not failed). */
export async function messageFailures(
  db: Kysely<Database>,
  campaignId: string,
): Promise<Array<{ code: number | null; errorClass: string | null; message: string | null; n: number }>> {
  const rows = await db
    .selectFrom('messages')
    .select([
      'error_code',
      'error_class',
      sql<string | null>`MIN(error_message)`.as('message'),
      sql<number>`COUNT(*)`.as('n'),
    ])
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'failed')
    .where((eb) => eb.or([eb('error_class', 'is', null), eb('error_class', '!=', WITHDRAWN)]))
    .groupBy(['error_code', 'error_class'])
    .execute();
  return rows.map((r) => ({
    code: r.error_code === null ? null : Number(r.error_code),
    errorClass: r.error_class,
    message: r.message,
    n: Number(r.n),
  }));
}

/** Recipients that failed before a send (a value the template needs was gone), by reason. */
export async function storedFailures(
  db: Kysely<Database>,
  campaignId: string,
): Promise<Array<{ reason: string | null; n: number }>> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['reason', sql<number>`COUNT(*)`.as('n')])
    .where('campaign_id', '=', campaignId)
    .where('state', '=', 'failed')
    .groupBy('reason')
    .execute();
  return rows.map((r) => ({ reason: r.reason, n: Number(r.n) }));
}

/**
 * The median time from a message leaving (Meta's `sent`, else its acceptance) to its
 * recipient's first reply, in ms; null when nobody replied. Two statements: how many replies,
 * then the one or two in the middle, so no list of times is brought back.
 */
export async function medianReplyMs(db: Kysely<Database>, campaignId: string): Promise<number | null> {
  // The recipient's own replied_at (recordRecipientReply): filtered before the join, so only
  // those who replied are looked up in the messages.
  const delay = sql<number>`r.replied_at - COALESCE(m.sent_at, m.accepted_at)`;
  const replied = () =>
    db
      .selectFrom('campaign_recipients as r')
      .innerJoin('messages as m', 'm.id', 'r.message_id')
      .where('r.campaign_id', '=', campaignId)
      .where('r.replied_at', 'is not', null)
      .where(sql<SqlBool>`COALESCE(m.sent_at, m.accepted_at) IS NOT NULL`);
  const counted = await replied().select(sql<number>`COUNT(*)`.as('n')).executeTakeFirstOrThrow();
  const n = Number(counted.n);
  if (n === 0) return null;
  const middle = await replied()
    .select(delay.as('d'))
    .orderBy(delay)
    .limit(n % 2 === 0 ? 2 : 1)
    .offset(Math.floor((n - 1) / 2))
    .execute();
  const values = middle.map((r) => Math.max(0, Number(r.d)));
  return values.reduce((s, v) => s + v, 0) / values.length;
}

/** Recipients given each variant (when queued), by their message's status, with their replies. */
export async function variantFunnel(
  db: Kysely<Database>,
  campaignId: string,
): Promise<Array<{ variant: string; status: MessageStatus | null; n: number; replied: number }>> {
  const rows = await db
    .selectFrom('campaign_recipients as r')
    .leftJoin('messages as m', 'm.id', 'r.message_id')
    .select([
      'r.variant',
      'm.status',
      sql<number>`COUNT(*)`.as('n'),
      sql<number>`COUNT(COALESCE(r.replied_at, m.replied_at))`.as('replied'),
    ])
    .where('r.campaign_id', '=', campaignId)
    .where('r.variant', 'is not', null)
    .groupBy(['r.variant', 'm.status'])
    .execute();
  return rows.map((r) => ({
    variant: r.variant!,
    status: r.status,
    n: Number(r.n),
    replied: Number(r.replied),
  }));
}

/** Leading characters of a number that tell its country: "+", a calling code and national digits. */
const COUNTRY_KEY_LENGTH = 6;

export interface DeliveredGroup {
  /** The group's lowest number (wa_id digits), whose country stands for the group's. */
  sampleWaId: string;
  /** Meta's `pricing.category`; null when no status carried pricing. */
  pricingCategory: string | null;
  /** Meta's `pricing.billable` (1, 0), or null. */
  billable: number | null;
  /** The template's category when queued (MARKETING, UTILITY, …). */
  templateCategory: string | null;
  n: number;
}

/**
 * The campaign's delivered (or read) messages — what Meta charges for — grouped by the first
 * digits of the number (a calling code and enough national digits to tell, say, the United
 * States from Canada), and by what Meta billed them as.
 */
export async function deliveredGroups(db: Kysely<Database>, campaignId: string): Promise<DeliveredGroup[]> {
  // A literal, not a parameter: PostgreSQL groups by an expression only when SELECT repeats it.
  const key = sql<string>`substr(to_wa, 1, ${sql.lit(COUNTRY_KEY_LENGTH - 1)})`;
  const rows = await db
    .selectFrom('messages')
    .select([
      sql<string>`MIN(to_wa)`.as('sample'),
      'pricing_category',
      'billable',
      'template_category',
      sql<number>`COUNT(*)`.as('n'),
    ])
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', ['delivered', 'read'])
    .groupBy([key, 'pricing_category', 'billable', 'template_category'])
    .execute();
  return rows.map((r) => ({
    sampleWaId: r.sample,
    pricingCategory: r.pricing_category,
    billable: r.billable === null ? null : Number(r.billable),
    templateCategory: r.template_category,
    n: Number(r.n),
  }));
}

// ─── Recipients, page by page ─────────────────────────────────────────────────────────────

/** What `state=` accepts: each recipient state, and `replied` (whatever the state). */
export type RecipientFilter = RecipientState | 'replied';

export interface RecipientRow {
  contact_id: string;
  wa_id: string;
  name: string | null;
  stored_state: StoredRecipientState;
  reason: string | null;
  variant: string | null;
  send_at: number | null;
  message_id: string | null;
  message_status: MessageStatus | null;
  error_code: number | null;
  error_class: string | null;
  error_message: string | null;
  replied_at: number | null;
  reply_payload: string | null;
}

/** Message statuses that stand for each state of a queued recipient. */
const QUEUED_STATUSES: Partial<Record<RecipientState, readonly MessageStatus[]>> = {
  queued: ['queued', 'sending', 'unconfirmed', 'in_doubt'],
  accepted: ['accepted'],
  sent: ['sent'],
  delivered: ['delivered'],
  read: ['read'],
};

/** Keys read per step of a page: how far one statement looks for rows of the states asked. */
const KEY_WINDOW = 5000;

/**
 * A page of the campaign's recipients in contact-id order (keyset: after `afterContactId`),
 * of any of `states` when given. The stored state decides every state but those of a queued
 * recipient, which are its message's status (lifecycle.ts).
 *
 * Read in windows of keys: the primary key alone gives the window's last key, then only the
 * rows up to it are joined with their contact and message and filtered. One joined statement
 * over the whole campaign with ORDER BY … LIMIT is fast only while PostgreSQL knows how many
 * rows the campaign has; just after a launch materialised 100,000 rows its statistics still say
 * a few dozen, and it sorted the whole campaign for every page (37 s for a CSV export). A window
 * bounds each statement whatever the plan.
 */
export async function recipientsPage(
  db: Kysely<Database>,
  p: {
    campaignId: string;
    states?: readonly RecipientFilter[];
    afterContactId?: string;
    limit: number;
    /** Keys per window (tests); default the larger of `limit` and KEY_WINDOW. */
    window?: number;
  },
): Promise<RecipientRow[]> {
  const out: RecipientRow[] = [];
  let after = p.afterContactId;
  const window = p.window ?? Math.max(p.limit, KEY_WINDOW);
  for (;;) {
    let keys = db
      .selectFrom('campaign_recipients')
      .select('contact_id')
      .where('campaign_id', '=', p.campaignId)
      .orderBy('contact_id')
      .offset(window - 1)
      .limit(1);
    if (after !== undefined) keys = keys.where('contact_id', '>', after);
    // Undefined: fewer than a window left, this is the last one.
    const upper = (await keys.executeTakeFirst())?.contact_id;
    out.push(
      ...(await joinedRows(db, {
        campaignId: p.campaignId,
        states: p.states,
        after,
        upper,
        limit: p.limit - out.length,
      })),
    );
    if (out.length >= p.limit || upper === undefined) return out;
    after = upper;
  }
}

async function joinedRows(
  db: Kysely<Database>,
  p: {
    campaignId: string;
    states?: readonly RecipientFilter[] | undefined;
    after: string | undefined;
    upper: string | undefined;
    limit: number;
  },
): Promise<RecipientRow[]> {
  let q = db
    .selectFrom('campaign_recipients as r')
    .innerJoin('contacts as c', 'c.id', 'r.contact_id')
    .leftJoin('messages as m', 'm.id', 'r.message_id')
    .select([
      'r.contact_id',
      'c.wa_id',
      'c.name',
      'r.state as stored_state',
      'r.reason',
      'r.variant',
      'r.send_at',
      'r.message_id',
      'm.status as message_status',
      'm.error_code',
      'm.error_class',
      'm.error_message',
      sql<number | null>`COALESCE(r.replied_at, m.replied_at)`.as('replied_at'),
      'r.reply_payload',
    ])
    .where('r.campaign_id', '=', p.campaignId);
  if (p.after !== undefined) q = q.where('r.contact_id', '>', p.after);
  if (p.upper !== undefined) q = q.where('r.contact_id', '<=', p.upper);
  const states = p.states;
  if (states !== undefined && states.length > 0) {
    q = q.where((eb) =>
      eb.or(
        states.map((state) => {
          if (state === 'replied') return sql<SqlBool>`COALESCE(r.replied_at, m.replied_at) IS NOT NULL`;
          if (state === 'failed') {
            return eb.or([
              eb('r.state', '=', 'failed'),
              eb.and([eb('r.state', '=', 'queued'), eb('m.status', '=', 'failed')]),
            ]);
          }
          const statuses = QUEUED_STATUSES[state];
          if (statuses === undefined) return eb('r.state', '=', state as StoredRecipientState);
          const byStatus = eb.and([eb('r.state', '=', 'queued'), eb('m.status', 'in', [...statuses])]);
          // A recipient queued in a transaction whose message is not visible yet is queued too.
          return state === 'queued'
            ? eb.or([byStatus, eb.and([eb('r.state', '=', 'queued'), eb('m.id', 'is', null)])])
            : byStatus;
        }),
      ),
    );
  }
  const rows = await q.orderBy('r.contact_id').limit(p.limit).execute();
  return rows.map((r) => ({
    ...r,
    send_at: r.send_at === null ? null : Number(r.send_at),
    error_code: r.error_code === null ? null : Number(r.error_code),
    replied_at: r.replied_at === null ? null : Number(r.replied_at),
  }));
}
