import { type Kysely, sql } from 'kysely';

/**
 * Conversations: window timers, waiting marks and the accounts' resume-contact rules.
 *
 * - `window_timers`: two rows per contact, `{contact_id}:expiring` and `{contact_id}:expired`,
 *   for the contact's current window only. `last_inbound_at` names the window a row belongs to:
 *   a new inbound message rewrites the row (due time recomputed, fired_at cleared) only when it
 *   is newer, so a timer of an old window can never fire for a new one. `fired_at` is the
 *   claim and the exactly-once mark; `outcome` says fired or skipped (window.expiring after a
 *   downtime that covered the whole lead time) or gone (the contact was merged or erased).
 *   The partial index (due_at) where fired_at is null is the worker's queue.
 * - `waiting_marks`: one row per mark; at most one active (not cleared) per contact, enforced
 *   by a partial unique index. `resume` is the rule in force (JSON, resolved when marked);
 *   `resume_due_at` is set while the resume template is still to be sent, and its partial
 *   index is the worker's second queue.
 * - `resume_rules`: one per account (JSON, checked when saved).
 *
 * Windows already open when this migration runs get their timers at the timer worker's first
 * pass (conversations/timer-worker.ts: catch-up), not here: the lead time is configuration.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('window_timers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('last_inbound_at', 'bigint', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('fired_at', 'bigint')
    .addColumn('outcome', 'text')
    .execute();
  await db.schema
    .createIndex('window_timers_due')
    .on('window_timers')
    .column('due_at')
    .where(sql.ref('fired_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('waiting_marks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('question', 'text')
    .addColumn('metadata', 'text')
    .addColumn('resume', 'text')
    .addColumn('resume_due_at', 'bigint')
    .addColumn('resume_message_id', 'text')
    .addColumn('resume_failure', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('resume_sent_at', 'bigint')
    .addColumn('resumed_at', 'bigint')
    .addColumn('cleared_at', 'bigint')
    .addColumn('cleared_by', 'text')
    .execute();
  await db.schema
    .createIndex('waiting_marks_active')
    .on('waiting_marks')
    .column('contact_id')
    .unique()
    .where(sql.ref('state'), '<>', 'cleared')
    .execute();
  await db.schema
    .createIndex('waiting_marks_resume_due')
    .on('waiting_marks')
    .column('resume_due_at')
    .where(sql.ref('resume_due_at'), 'is not', null)
    .execute();
  await db.schema
    .createIndex('waiting_marks_contact')
    .on('waiting_marks')
    .columns(['contact_id', 'id'])
    .execute();

  await db.schema
    .createTable('resume_rules')
    .addColumn('account_id', 'text', (c) => c.primaryKey())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
