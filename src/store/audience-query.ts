/**
 * An audience definition as SQL that runs unchanged in meaning on SQLite and PostgreSQL, and
 * the one scan that counts it: every matching contact gets the first exclusion reason that
 * applies to it (a CASE, evaluated in order), and a GROUP BY on that reason gives the count and
 * every exclusion at once.
 *
 * - Tags go through contact_tags (`id IN (SELECT contact_id … WHERE tag = ?)`): an index seek
 *   per tag, a hash semi-join on PostgreSQL, instead of reading 1,000,000 JSON arrays.
 * - Attributes are read from the JSON text: `json_extract(attributes, '$.city')` on SQLite,
 *   `(attributes::jsonb -> 'city')` on PostgreSQL. Those exact expressions are what an index
 *   must be built on for a filter to use it (see attributeIndexSql and the README). Values keep
 *   their JSON type: 30 never equals "30", and `<`/`>` only compare values of the same type.
 * - Attribute names are checked against a strict pattern before they get here and are written
 *   as literals, so that the expression matches the index; values are always parameters.
 * - "Not a WhatsApp user" (131026) is a join on the few contacts that have such a failure since
 *   they last wrote, not a subquery per contact.
 * - On a Messenger page the address is the PSID, which exists only once the person wrote to the
 *   page: a contact of a page that never wrote (imported, created by hand) is `never_wrote`, not
 *   `invalid_number`. The account's channel is one uncorrelated subquery, evaluated once.
 */
import { CompiledQuery, type Expression, type Kysely, type RawBuilder, type SqlBool, sql } from 'kysely';
import type {
  AttributeCondition,
  AudienceFilter,
  AudiencePurpose,
  ExclusionReason,
  Need,
} from '../domain/contacts/audience';
import type { AttributeValue } from '../domain/contacts/contact-fields';
import { WHATSAPP_WINDOW } from '../domain/window';
import { indexLiteral } from './index-literal';
import { takesRowLocks } from './row-locks';
import type { Database } from './schema';

/** Meta's "message undeliverable: not a WhatsApp user". */
export const NOT_A_WHATSAPP_USER = 131026;

type Cond = RawBuilder<SqlBool>;
const TRUE: Cond = sql<SqlBool>`1 = 1`;

/** The contacts an audience selects, before exclusions. */
export type AudienceMatch =
  | { kind: 'all' }
  | { kind: 'filter'; filter: AudienceFilter }
  | { kind: 'ids'; ids: readonly string[] };

export interface AudienceScan {
  accountId: string;
  match: AudienceMatch;
  purpose: AudiencePurpose;
  needs: readonly Need[];
  /** Marketing sent to a contact less than this long ago excludes it (0: no cap). */
  frequencyCapMs: number;
  now: number;
  sampleSize: number;
}

export interface AudienceSampleRow {
  id: string;
  wa_id: string;
  name: string | null;
}

export interface AudienceCounts {
  count: number;
  excluded: Partial<Record<ExclusionReason, number>>;
  sample: AudienceSampleRow[];
}

const and = (conds: Cond[]): Cond =>
  conds.length === 0 ? TRUE : sql<SqlBool>`(${sql.join(conds, sql` AND `)})`;
const or = (conds: Cond[]): Cond =>
  conds.length === 0 ? sql<SqlBool>`1 = 0` : sql<SqlBool>`(${sql.join(conds, sql` OR `)})`;

/** The WHERE condition of a filter over `contacts` (the account is the caller's condition). */
export async function filterCondition(
  db: Kysely<Database>,
  accountId: string,
  f: AudienceFilter,
  now: number,
): Promise<Cond> {
  const pg = takesRowLocks(db);
  const conds: Cond[] = [];
  const common = await commonTags(db, accountId, [...f.tags.all, ...f.tags.any, ...f.tags.none]);
  const has = (tag: string): Cond => (common.has(tag) ? inTagsText(pg, tag) : tagged(accountId, [tag]));
  for (const tag of f.tags.all) conds.push(has(tag));
  if (f.tags.any.length) {
    const rare = f.tags.any.filter((t) => !common.has(t));
    conds.push(
      or([
        ...(rare.length ? [tagged(accountId, rare)] : []),
        ...f.tags.any.filter((t) => common.has(t)).map((t) => inTagsText(pg, t)),
      ]),
    );
  }
  for (const tag of f.tags.none) {
    // NOT EXISTS, not NOT IN: PostgreSQL plans it as an anti-join instead of a subplan per row.
    conds.push(
      common.has(tag)
        ? sql<SqlBool>`NOT ${inTagsText(pg, tag)}`
        : sql<SqlBool>`NOT EXISTS (SELECT 1 FROM contact_tags nt WHERE nt.account_id = ${accountId} AND nt.contact_id = contacts.id AND nt.tag = ${tag})`,
    );
  }
  for (const c of f.attributes) conds.push(attributeCondition(pg, c));
  const windowStart = now - WHATSAPP_WINDOW.durationMs;
  if (f.window === 'open') conds.push(sql<SqlBool>`contacts.last_inbound_at > ${windowStart}`);
  // Closing within d: last + 24 h - now <= d. Both bounds are one range on (account_id,
  // last_inbound_at), so the few contacts about to lose their window are read from that index.
  if (f.windowClosesWithinMs !== undefined)
    conds.push(sql<SqlBool>`contacts.last_inbound_at <= ${windowStart + f.windowClosesWithinMs}`);
  if (f.window === 'closed') {
    conds.push(
      sql<SqlBool>`(contacts.last_inbound_at IS NULL OR contacts.last_inbound_at <= ${windowStart})`,
    );
  }
  if (f.lastInboundBefore !== undefined)
    conds.push(sql<SqlBool>`contacts.last_inbound_at < ${f.lastInboundBefore}`);
  if (f.lastInboundAfter !== undefined)
    conds.push(sql<SqlBool>`contacts.last_inbound_at > ${f.lastInboundAfter}`);
  return and(conds);
}

/**
 * A tag carried by at least this many contacts is tested on the contact's own sorted JSON array
 * (one substring search per row of a scan the count makes anyway); a rarer one through
 * contact_tags, an index seek per contact that has it. Measured on 1,000,000 contacts: a tag on
 * 30% of them costs 0.2 s as text and 0.5 s as a semi-join; a tag on 100 costs a few
 * milliseconds through the index and a whole scan as text.
 */
export const COMMON_TAG_ROWS = 5_000;

/** Which of `tags` are common on the account: a probe of at most COMMON_TAG_ROWS index entries each. */
async function commonTags(
  db: Kysely<Database>,
  accountId: string,
  tags: readonly string[],
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const tag of new Set(tags)) {
    const probe = db
      .selectFrom('contact_tags')
      .select('contact_id')
      .where('account_id', '=', accountId)
      .where('tag', '=', tag)
      .limit(COMMON_TAG_ROWS)
      .as('probe');
    const row = await db.selectFrom(probe).select(sql<number>`COUNT(*)`.as('n')).executeTakeFirst();
    if (Number(row?.n ?? 0) >= COMMON_TAG_ROWS) out.add(tag);
  }
  return out;
}

/** Through contact_tags: the contacts that have one of `tags`. */
function tagged(accountId: string, tags: readonly string[]): Cond {
  return sql<SqlBool>`contacts.id IN (SELECT ct.contact_id FROM contact_tags ct WHERE ct.account_id = ${accountId} AND ct.tag ${
    tags.length === 1 ? sql`= ${tags[0]}` : sql`IN (${sql.join(tags)})`
  })`;
}

/**
 * On the contact's own `tags`, a sorted JSON array written by JSON.stringify: `"vip"` occurs in
 * it exactly when "vip" is one of the tags (a quote inside a tag is escaped, so no tag can hold
 * another's quoted form).
 */
function inTagsText(pg: boolean, tag: string): Cond {
  const text = JSON.stringify(tag);
  return pg
    ? sql<SqlBool>`strpos(contacts.tags, ${text}) > 0`
    : sql<SqlBool>`instr(contacts.tags, ${text}) > 0`;
}

/** The expression an attribute is read through; build an index on exactly this to speed up filters on it. */
export function attributeExpression(pg: boolean, name: string): RawBuilder<unknown> {
  return pg
    ? sql`(contacts.attributes::jsonb -> ${sql.lit(name)})`
    : sql`json_extract(contacts.attributes, ${sql.lit(jsonPath(name))})`;
}

/** `CREATE INDEX` for an attribute used in filters, per database (what the README tells operators to run). */
export function attributeIndexSql(pg: boolean, name: string): string {
  const index = `contacts_attr_${name.replace(/[^A-Za-z0-9_]/g, '_').toLowerCase()}`;
  return pg
    ? `CREATE INDEX ${index} ON contacts (account_id, ((attributes::jsonb -> '${name}')))`
    : `CREATE INDEX ${index} ON contacts (account_id, json_extract(attributes, '${jsonPath(name)}'))`;
}

function jsonPath(name: string): string {
  // A name with "." or "-" is quoted, or SQLite would read it as a nested path.
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `$.${name}` : `$."${name}"`;
}

function attributeCondition(pg: boolean, c: AttributeCondition): Cond {
  const value = attributeExpression(pg, c.name);
  const type = pg
    ? sql`jsonb_typeof(${value})`
    : sql`json_type(contacts.attributes, ${sql.lit(jsonPath(c.name))})`;
  const present = sql<SqlBool>`${value} IS NOT NULL`;
  const absent = pg ? sql<SqlBool>`${value} IS NULL` : sql<SqlBool>`${type} IS NULL`;
  const isNumber = pg ? sql<SqlBool>`${type} = 'number'` : sql<SqlBool>`${type} IN ('integer', 'real')`;
  const isText = pg ? sql<SqlBool>`${type} = 'string'` : sql<SqlBool>`${type} = 'text'`;
  const literal = (v: AttributeValue) => (pg ? sql`CAST(${JSON.stringify(v)} AS jsonb)` : sql`${v}`);
  const equals = (values: readonly AttributeValue[]): Cond => {
    const parts: Cond[] = [];
    if (pg) {
      parts.push(
        values.length === 1
          ? sql<SqlBool>`${value} = ${literal(values[0]!)}`
          : sql<SqlBool>`${value} IN (${sql.join(values.map(literal))})`,
      );
      return or(parts);
    }
    // SQLite's json_extract gives 1/0 for true/false: booleans are told apart by json_type.
    const strings = values.filter((v): v is string => typeof v === 'string');
    const numbers = values.filter((v): v is number => typeof v === 'number');
    for (const b of values.filter((v): v is boolean => typeof v === 'boolean')) {
      parts.push(sql<SqlBool>`${type} = ${b ? 'true' : 'false'}`);
    }
    if (strings.length) parts.push(sql<SqlBool>`${value} IN (${sql.join(strings)})`);
    if (numbers.length) parts.push(sql<SqlBool>`(${isNumber} AND ${value} IN (${sql.join(numbers)}))`);
    return or(parts);
  };
  // The cheap test first: the stored text must hold the key (and the value) for the exact,
  // JSON-parsing test to have a chance; most rows fail it without being parsed.
  const key = rawAttributeText(pg, [`${JSON.stringify(c.name)}:`]);
  switch (c.op) {
    case '=':
      return sql<SqlBool>`(${rawAttributeText(pg, pairTexts(c.name, [c.value]))} AND ${equals([c.value])})`;
    case '!=':
      return sql<SqlBool>`NOT COALESCE(${equals([c.value])}, FALSE)`;
    case 'in':
      return sql<SqlBool>`(${rawAttributeText(pg, pairTexts(c.name, c.value))} AND ${equals(c.value)})`;
    case '<':
    case '>': {
      const guard = typeof c.value === 'number' ? isNumber : isText;
      const op = sql.raw(c.op);
      return sql<SqlBool>`(${key} AND ${guard} AND ${value} ${op} ${literal(c.value)})`;
    }
    case 'exists':
      return c.value === false ? absent : sql<SqlBool>`(${key} AND ${present})`;
  }
}

/**
 * Attributes are stored as JSON.stringify writes them (no spaces, every key once), and a quote
 * inside a value is escaped, so `"city":` occurs in the text exactly when the attribute exists,
 * and `"city":"Rosario"` exactly when it holds that string (a number or boolean is followed by
 * "," or "}"). A plain substring search (strpos, instr: no pattern characters, case-sensitive)
 * is a prefilter with no false negatives, about five times cheaper than parsing the JSON.
 */
function pairTexts(name: string, values: readonly AttributeValue[]): string[] {
  return values.flatMap((v) => {
    const pair = `${JSON.stringify(name)}:${JSON.stringify(v)}`;
    return typeof v === 'string' ? [pair] : [`${pair},`, `${pair}}`];
  });
}

function rawAttributeText(pg: boolean, texts: readonly string[]): Cond {
  return or(
    texts.map((t) =>
      pg
        ? sql<SqlBool>`strpos(contacts.attributes, ${t}) > 0`
        : sql<SqlBool>`instr(contacts.attributes, ${t}) > 0`,
    ),
  );
}

/** Why a matching contact would not receive the message: the first reason that applies, or NULL. */
function reasonExpression(
  db: Kysely<Database>,
  scan: AudienceScan,
  undeliverable: boolean,
): RawBuilder<string | null> {
  const pg = takesRowLocks(db);
  const optedOut =
    scan.purpose === 'marketing'
      ? sql`contacts.all_consent = 'opted_out' OR contacts.marketing_consent = 'opted_out'`
      : sql`contacts.all_consent = 'opted_out'`;
  // A contact needs an address Meta can deliver to: a phone, or a business-scoped user id.
  const noAddress = sql`contacts.phone_e164 IS NULL AND contacts.bsuid IS NULL AND contacts.wa_id NOT LIKE '%.%'`;
  const notOnWhatsApp = undeliverable
    ? sql`undeliverable.failed_at > COALESCE(contacts.last_inbound_at, 0)`
    : sql`1 = 0`;
  const missing = scan.needs.map((n): Cond => {
    if ('attribute' in n) {
      const v = attributeExpression(pg, n.attribute);
      return pg
        ? sql<SqlBool>`(${v} IS NULL OR ${v} = CAST('""' AS jsonb))`
        : sql<SqlBool>`(json_type(contacts.attributes, ${sql.lit(jsonPath(n.attribute))}) IS NULL OR ${v} = '')`;
    }
    const column = sql.ref(`contacts.${n.field === 'phone' ? 'phone_e164' : n.field}`);
    return sql<SqlBool>`(${column} IS NULL OR ${column} = '')`;
  });
  const onMessenger = sql`COALESCE((SELECT channel FROM channel_accounts WHERE id = ${scan.accountId}), 'whatsapp') = 'messenger'`;
  const capped =
    scan.purpose === 'marketing' && scan.frequencyCapMs > 0
      ? sql`contacts.last_marketing_at > ${scan.now - scan.frequencyCapMs}`
      : sql`1 = 0`;
  return sql<string | null>`CASE
    WHEN contacts.erased_at IS NOT NULL THEN 'erased'
    WHEN ${optedOut} THEN 'opted_out'
    WHEN (${onMessenger}) AND contacts.last_inbound_at IS NULL THEN 'never_wrote'
    WHEN NOT (${onMessenger}) AND ((${noAddress}) OR (${notOnWhatsApp})) THEN 'invalid_number'
    WHEN ${or(missing)} THEN 'missing_value'
    WHEN ${capped} THEN 'frequency_cap'
    ELSE NULL END`;
}

/** The contacts an audience matches, with the reason each would be left out. */
async function matchCondition(db: Kysely<Database>, scan: AudienceScan): Promise<Cond> {
  if (scan.match.kind === 'all') return TRUE;
  if (scan.match.kind === 'filter') return filterCondition(db, scan.accountId, scan.match.filter, scan.now);
  return scan.match.ids.length === 0
    ? sql<SqlBool>`1 = 0`
    : sql<SqlBool>`contacts.id IN (${sql.join(scan.match.ids)})`;
}

function scanQuery(db: Kysely<Database>, scan: AudienceScan, match: Cond, undeliverable: boolean) {
  const failures = db
    .selectFrom('messages')
    .select(['contact_id', sql<number>`MAX(created_at)`.as('failed_at')])
    .where('account_id', '=', scan.accountId)
    .where('error_code', '=', indexLiteral(NOT_A_WHATSAPP_USER))
    .groupBy('contact_id')
    .as('undeliverable');
  // Without any such failure on the account (the usual case) the join is left out altogether.
  const base = undeliverable
    ? db.selectFrom('contacts').leftJoin(failures, 'undeliverable.contact_id', 'contacts.id')
    : db.selectFrom('contacts');
  return base
    .where('contacts.account_id', '=', scan.accountId)
    .where(match as Expression<SqlBool>)
    .select([
      'contacts.id',
      'contacts.wa_id',
      'contacts.name',
      reasonExpression(db, scan, undeliverable).as('reason'),
    ]);
}

/**
 * The scan countAudience groups, for other aggregates over the same audience (a campaign plan
 * groups those it would reach by country and time zone): one row per matched contact with its
 * exclusion `reason` (NULL: it would receive the message) and the columns such a plan reads.
 */
export async function scanAudience(db: Kysely<Database>, scan: Omit<AudienceScan, 'sampleSize'>) {
  const full: AudienceScan = { ...scan, sampleSize: 0 };
  const undeliverable = await hasUndeliverable(db, scan.accountId);
  return scanQuery(db, full, await matchCondition(db, full), undeliverable).select([
    'contacts.phone_e164',
    'contacts.time_zone',
    'contacts.last_inbound_at',
  ]);
}

/** Whether any send of the account failed with "not a WhatsApp user" (an index probe). */
async function hasUndeliverable(db: Kysely<Database>, accountId: string): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select('contact_id')
    .where('account_id', '=', accountId)
    .where('error_code', '=', indexLiteral(NOT_A_WHATSAPP_USER))
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Count, exclusions per reason and a sample. The sample is any `sampleSize` of those counted
 * (no ORDER BY, so the database stops at the first ones it meets instead of sorting them all),
 * given in id order; when no more than `sampleSize` are counted it is all of them.
 */
export async function countAudience(db: Kysely<Database>, scan: AudienceScan): Promise<AudienceCounts> {
  const undeliverable = await hasUndeliverable(db, scan.accountId);
  const match = await matchCondition(db, scan);
  const rows = await db
    .selectFrom(scanQuery(db, scan, match, undeliverable).as('scanned'))
    .select(['scanned.reason', sql<number>`COUNT(*)`.as('n')])
    .groupBy('scanned.reason')
    .execute();
  let count = 0;
  const excluded: Partial<Record<ExclusionReason, number>> = {};
  for (const r of rows) {
    if (r.reason === null) count = Number(r.n);
    else excluded[r.reason as ExclusionReason] = Number(r.n);
  }
  const sample =
    count === 0 || scan.sampleSize === 0
      ? []
      : await db
          .selectFrom(scanQuery(db, scan, match, undeliverable).as('scanned'))
          .select(['scanned.id', 'scanned.wa_id', 'scanned.name'])
          .where('scanned.reason', 'is', null)
          .limit(scan.sampleSize)
          .execute();
  sample.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { count, excluded, sample };
}

/** The plan a database chooses for a count (for checking that an attribute index is used). */
export async function explainAudienceCount(db: Kysely<Database>, scan: AudienceScan): Promise<string> {
  const query = db
    .selectFrom(
      scanQuery(db, scan, await matchCondition(db, scan), await hasUndeliverable(db, scan.accountId)).as(
        'scanned',
      ),
    )
    .select(['scanned.reason', sql<number>`COUNT(*)`.as('n')])
    .groupBy('scanned.reason')
    .compile();
  const pg = takesRowLocks(db);
  const prefix = pg ? 'EXPLAIN ' : 'EXPLAIN QUERY PLAN ';
  const result = await db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(prefix + query.sql, [...query.parameters]),
  );
  return result.rows.map((r) => String(pg ? r['QUERY PLAN'] : r.detail)).join('\n');
}
