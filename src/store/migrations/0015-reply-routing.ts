import { type Kysely, sql } from 'kysely';

/**
 * Reply routing (domain/replies/reply-rules.ts).
 *
 * - `messages.routing`: the routing table given with a send (JSON), overriding its template's
 *   and its campaign's; null for nearly every message, so it costs the outbox nothing.
 * - `reply_actions`: one row per action a routing rule carried out for one reply, keyed
 *   (inbound_id, action_index). The key is the exactly-once guarantee made visible: routing
 *   runs in the webhook batch's transaction, and a second application of the same reply would
 *   collide here instead of answering, tagging or opting out twice without a trace.
 * - `inbound_messages_reply_to`: a message's replies (its routed actions, the per-button
 *   counts of a template) without scanning every inbound message; partial, because most
 *   inbound messages answer nothing.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('routing', 'text').execute();

  await db.schema
    .createTable('reply_actions')
    .addColumn('inbound_id', 'text', (c) => c.notNull())
    .addColumn('action_index', 'integer', (c) => c.notNull())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text')
    .addColumn('rule_source', 'text', (c) => c.notNull())
    .addColumn('rule_index', 'integer', (c) => c.notNull())
    .addColumn('rule_match', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('detail', 'text')
    .addColumn('ref', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('reply_actions_pk', ['inbound_id', 'action_index'])
    .execute();

  await db.schema
    .createIndex('inbound_messages_reply_to')
    .on('inbound_messages')
    .column('reply_to_message_id')
    .where(sql.ref('reply_to_message_id'), 'is not', null)
    .execute();
}
