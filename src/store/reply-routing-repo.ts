/**
 * What reply routing recorded (reply_actions, migration 0015) and what it reads back: the
 * actions done for each reply, a message's replies with their actions, and a template's replies
 * counted per button.
 *
 * reply_actions is keyed (inbound_id, action_index) and only ever inserted: a second
 * application of the same reply fails on the key instead of passing silently.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema';

export interface ReplyActionRecord {
  inboundId: string;
  actionIndex: number;
  accountId: string;
  contactId: string;
  messageId: string | null;
  ruleSource: string;
  ruleIndex: number;
  ruleMatch: string;
  type: string;
  outcome: 'applied' | 'skipped' | 'failed';
  detail: string | null;
  ref: string | null;
}

/** The replies among `inboundIds` that routing already acted on. */
export async function routedInbound(
  db: Kysely<Database>,
  inboundIds: readonly string[],
): Promise<Set<string>> {
  if (inboundIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('reply_actions')
    .select('inbound_id')
    .distinct()
    .where('inbound_id', 'in', [...inboundIds])
    .execute();
  return new Set(rows.map((r) => r.inbound_id));
}

export async function insertReplyActions(
  db: Kysely<Database>,
  records: readonly ReplyActionRecord[],
  now: number,
): Promise<void> {
  if (records.length === 0) return;
  await db
    .insertInto('reply_actions')
    .values(
      records.map((r) => ({
        inbound_id: r.inboundId,
        action_index: r.actionIndex,
        account_id: r.accountId,
        contact_id: r.contactId,
        message_id: r.messageId,
        rule_source: r.ruleSource,
        rule_index: r.ruleIndex,
        rule_match: r.ruleMatch,
        type: r.type,
        outcome: r.outcome,
        detail: r.detail,
        ref: r.ref,
        created_at: now,
      })),
    )
    .execute();
}

export interface MessageReply {
  id: string;
  providerMessageId: string;
  type: string;
  text: string | null;
  payload: string | null;
  receivedAt: number;
  actions: ReplyActionRecord[];
}

/** The replies attributed to a message, oldest first, each with what routing did for it. */
export async function repliesOfMessage(db: Kysely<Database>, messageId: string): Promise<MessageReply[]> {
  const inbound = await db
    .selectFrom('inbound_messages')
    .select(['id', 'provider_message_id', 'type', 'text', 'payload', 'received_at'])
    .where('reply_to_message_id', '=', messageId)
    .orderBy('received_at')
    .orderBy('id')
    .limit(200)
    .execute();
  if (inbound.length === 0) return [];
  const actions = await db
    .selectFrom('reply_actions')
    .selectAll()
    .where(
      'inbound_id',
      'in',
      inbound.map((i) => i.id),
    )
    .orderBy('inbound_id')
    .orderBy('action_index')
    .execute();
  const byInbound = new Map<string, ReplyActionRecord[]>();
  for (const a of actions) {
    const list = byInbound.get(a.inbound_id) ?? [];
    list.push({
      inboundId: a.inbound_id,
      actionIndex: Number(a.action_index),
      accountId: a.account_id,
      contactId: a.contact_id,
      messageId: a.message_id,
      ruleSource: a.rule_source,
      ruleIndex: Number(a.rule_index),
      ruleMatch: a.rule_match,
      type: a.type,
      outcome: a.outcome as ReplyActionRecord['outcome'],
      detail: a.detail,
      ref: a.ref,
    });
    byInbound.set(a.inbound_id, list);
  }
  return inbound.map((i) => ({
    id: i.id,
    providerMessageId: i.provider_message_id,
    type: i.type,
    text: i.text,
    payload: i.payload,
    receivedAt: Number(i.received_at),
    actions: byInbound.get(i.id) ?? [],
  }));
}

/** The routing table given with a message (JSON as stored), or null. */
export async function messageRouting(db: Kysely<Database>, messageId: string): Promise<string | null> {
  const row = await db
    .selectFrom('messages')
    .select('routing')
    .where('id', '=', messageId)
    .executeTakeFirst();
  return row?.routing ?? null;
}

export interface ReplyCountRow {
  language: string | null;
  /** null for replies that were not a button (written text, media…). */
  payload: string | null;
  /** The button's label, for a button; null for the rest. */
  text: string | null;
  replies: number;
  contacts: number;
}

/**
 * The replies to an account's messages of one template, per language and per button (payload
 * and label); every reply that was not a button is counted in one row with payload null.
 * `totals` has one row per language: all its replies, and the distinct contacts who replied.
 */
export async function templateReplyCounts(
  db: Kysely<Database>,
  q: { accountId: string; name: string; language?: string },
): Promise<{ rows: ReplyCountRow[]; totals: ReplyCountRow[] }> {
  const base = () => {
    let query = db
      .selectFrom('inbound_messages as i')
      .innerJoin('messages as m', 'm.id', 'i.reply_to_message_id')
      .where('m.account_id', '=', q.accountId)
      .where('m.template_name', '=', q.name);
    if (q.language !== undefined) query = query.where('m.template_language', '=', q.language);
    return query;
  };
  const buttons = await base()
    .where('i.payload', 'is not', null)
    .select((eb) => [
      'm.template_language as language',
      'i.payload as payload',
      'i.text as text',
      eb.fn.countAll<string | number>().as('replies'),
      eb.fn.count<string | number>('i.contact_id').distinct().as('contacts'),
    ])
    .groupBy(['m.template_language', 'i.payload', 'i.text'])
    .execute();
  const other = await base()
    .where('i.payload', 'is', null)
    .select((eb) => [
      'm.template_language as language',
      eb.fn.countAll<string | number>().as('replies'),
      eb.fn.count<string | number>('i.contact_id').distinct().as('contacts'),
    ])
    .groupBy('m.template_language')
    .execute();
  const totals = await base()
    .select((eb) => [
      'm.template_language as language',
      eb.fn.countAll<string | number>().as('replies'),
      eb.fn.count<string | number>('i.contact_id').distinct().as('contacts'),
    ])
    .groupBy('m.template_language')
    .execute();
  const counted = (r: { language: string | null; replies: string | number; contacts: string | number }) => ({
    language: r.language,
    payload: null,
    text: null,
    replies: Number(r.replies),
    contacts: Number(r.contacts),
  });
  const rows = [
    ...buttons.map((r) => ({
      language: r.language,
      payload: r.payload,
      text: r.text,
      replies: Number(r.replies),
      contacts: Number(r.contacts),
    })),
    ...other.map(counted),
  ];
  return { rows, totals: totals.map(counted) };
}
