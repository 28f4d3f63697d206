/**
 * What a campaign plan reads beyond the audience's count: the recipients it would reach, grouped
 * by where their number is (for the rate card) and their time zone (for local-time schedules),
 * and the users the account has already reached in Meta's moving 24 hours (for the messaging
 * limit). Everything is aggregated in SQL, so a plan over 1,000,000 contacts returns a few hundred
 * rows rather than a million.
 *
 * The country of a number is decided in JS (libphonenumber), per group: numbers are grouped by
 * their first digits — the calling code and one more digit, or for a calling code shared by
 * several countries (+1, +7, +44…) the calling code and 3 national digits, which is what tells
 * the United States from Canada or the Dominican Republic (area codes) and Kazakhstan from Russia.
 * Each group keeps its lowest number, whose country stands for the group's.
 */
import { type Kysely, type SqlBool, sql } from 'kysely';
import { idFloor } from '../domain/ids';
import { type AudienceScan, scanAudience } from './audience-query';
import type { Database } from './schema';

export interface PlanGroupsQuery extends Omit<AudienceScan, 'sampleSize'> {
  /** Calling codes (digits, no "+") whose countries are told apart by the national digits. */
  sharedCallingCodes: readonly string[];
  /** A contact who wrote after this (epoch ms) still has an open window when the sends begin. */
  windowOpenAfter: number;
  /** Templates sent after this (epoch ms) still count against the messaging limit. */
  reachedAfter: number;
}

export interface PlanGroup {
  /** The leading digits of the number ("+549", "+1415"); null for contacts known by a BSUID only. */
  prefix: string | null;
  /** The lowest number of the group, whose country stands for the group's. */
  samplePhone: string | null;
  timeZone: string | null;
  /** Recipients in the group. */
  n: number;
  /** Of those, with a customer-service window open when the sends begin. */
  open: number;
  /** Of those, who would take a new messaging-limit slot (window closed, not reached lately). */
  needSlot: number;
}

/** Digits that follow a shared calling code in a group's key. */
const SHARED_CODE_DIGITS = 3;
/** Groups of a unique calling code: "+" and three digits hold any code (1 to 3 digits). */
const PLAIN_KEY_LENGTH = 4;

/** The recipients an audience would reach (no exclusion reason), grouped by number prefix and zone. */
export async function planGroups(db: Kysely<Database>, q: PlanGroupsQuery): Promise<PlanGroup[]> {
  const scanned = (await scanAudience(db, q)).as('scanned');
  const prefix = prefixKey(q.sharedCallingCodes);
  const reached = reachedContacts(db, q.accountId, q.reachedAfter);
  const rows = await db
    .selectFrom(scanned)
    .where('scanned.reason', 'is', null)
    .select([
      prefix.as('prefix'),
      'scanned.time_zone',
      sql<string | null>`MIN(scanned.phone_e164)`.as('sample_phone'),
      sql<number>`COUNT(*)`.as('n'),
      sql<number>`SUM(CASE WHEN scanned.last_inbound_at > ${q.windowOpenAfter} THEN 1 ELSE 0 END)`.as('open'),
      // Uncorrelated IN: both databases build the set of reached contacts once, not once a row.
      sql<number>`SUM(CASE WHEN scanned.last_inbound_at > ${q.windowOpenAfter} THEN 0
        WHEN scanned.id IN (${reached}) THEN 0 ELSE 1 END)`.as('need_slot'),
    ])
    .groupBy([prefix, 'scanned.time_zone'])
    .execute();
  return rows.map((r) => ({
    prefix: r.prefix,
    samplePhone: r.sample_phone,
    timeZone: r.time_zone,
    n: Number(r.n),
    open: Number(r.open),
    needSlot: Number(r.need_slot),
  }));
}

/** A group's key: the calling code and enough digits after it to know the country. */
function prefixKey(shared: readonly string[]) {
  // Literals, not parameters (the codes are checked digits): PostgreSQL groups by an expression
  // only when the SELECT repeats it exactly, and two parameters are never the same expression.
  const byLength = new Map<number, string[]>();
  for (const code of shared) {
    if (!/^\d{1,3}$/.test(code)) throw new RangeError(`a calling code is 1 to 3 digits, got "${code}"`);
    byLength.set(code.length, [...(byLength.get(code.length) ?? []), `+${code}`]);
  }
  const phone = sql.ref('scanned.phone_e164');
  const cases = [...byLength].map(
    ([length, codes]) =>
      sql`WHEN substr(${phone}, 1, ${sql.lit(length + 1)}) IN (${sql.join(codes.map((c) => sql.lit(c)))}) THEN substr(${phone}, 1, ${sql.lit(length + 1 + SHARED_CODE_DIGITS)})`,
  );
  return cases.length === 0
    ? sql<string | null>`substr(${phone}, 1, ${sql.lit(PLAIN_KEY_LENGTH)})`
    : sql<
        string | null
      >`CASE ${sql.join(cases, sql` `)} ELSE substr(${phone}, 1, ${sql.lit(PLAIN_KEY_LENGTH)}) END`;
}

/**
 * The contact as an expression, not the column: SQLite would group or de-duplicate by reading
 * messages_contact whole (every message of every contact, in contact order, to skip a sort)
 * instead of the day's range of the primary key. PostgreSQL plans it the same either way.
 */
const reachedContact = sql<string>`messages.contact_id || ''`;

/**
 * Contacts the account sent a template to after `after`, not failed: Meta's messaging limit
 * counts the distinct users reached with business-initiated templates outside an open window.
 * This counts every template, whatever the window was at the time, and from when it was queued
 * rather than delivered: the messages table does not say whether the window was open then, and
 * counting a few users too many makes the plan wait a little longer, never overshoot.
 */
function reachedContacts(db: Kysely<Database>, accountId: string, after: number) {
  return (
    db
      .selectFrom('messages')
      .select(reachedContact.as('contact_id'))
      // Ids grow with creation time: the primary key's range reads the last day's messages only
      // (a minute early, for a clock that stepped), where no index has created_at to search.
      .where('messages.id', '>=', idFloor('msg', Math.max(0, after - 60_000)))
      .where('messages.account_id', '=', accountId)
      .where('messages.kind', '=', 'template')
      .where('messages.status', '!=', 'failed')
      .where('messages.created_at', '>', after)
  );
}

/** How many distinct users the account reached after `after` (see reachedContacts). */
export async function countReached(db: Kysely<Database>, accountId: string, after: number): Promise<number> {
  const reached = reachedContacts(db, accountId, after).distinct().as('reached');
  const row = await db.selectFrom(reached).select(sql<number>`COUNT(*)`.as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

/**
 * The latest reach (epoch ms) of the `rank`-th user reached after `after`, oldest first
 * (1-based): when that user leaves Meta's window, the next slot frees.
 */
export async function reachAtRank(
  db: Kysely<Database>,
  accountId: string,
  after: number,
  rank: number,
): Promise<number | null> {
  if (!(Number.isInteger(rank) && rank >= 1)) throw new RangeError(`rank is 1 or more, got ${rank}`);
  const latest = reachedContacts(db, accountId, after)
    .clearSelect()
    .select([reachedContact.as('contact_id'), sql<number>`MAX(messages.created_at)`.as('at')])
    .groupBy(reachedContact)
    .as('latest');
  const row = await db
    .selectFrom(latest)
    .select('latest.at')
    .orderBy('latest.at')
    .orderBy('latest.contact_id')
    .limit(1)
    .offset(rank - 1)
    .executeTakeFirst();
  return row ? Number(row.at) : null;
}

/**
 * Whether one contact is in the audience, and if so why it would be left out (null: it would
 * receive the message); undefined when the audience does not select it.
 */
export async function contactVerdict(
  db: Kysely<Database>,
  scan: Omit<AudienceScan, 'sampleSize'>,
  contactId: string,
): Promise<{ reason: string | null } | undefined> {
  const scanned = (await scanAudience(db, scan)).as('scanned');
  const row = await db
    .selectFrom(scanned)
    .select('scanned.reason')
    .where(sql<SqlBool>`scanned.id = ${contactId}`)
    .executeTakeFirst();
  return row && { reason: row.reason };
}
