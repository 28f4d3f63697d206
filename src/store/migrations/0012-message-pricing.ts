import type { Kysely } from 'kysely';

/**
 * What Meta's status webhooks say a message is billed as (`pricing.category`, `pricing.billable`,
 * on `sent` and `delivered`), kept on the message so a campaign's cost is measured: the
 * delivered messages Meta marked billable, priced by the category Meta gave, rather than every
 * delivered message priced by the template's category. Null until a status carries `pricing`.
 * `billable` is 0 or 1 on both databases (one comparison in SQL, not a dialect's boolean).
 * A campaign reads them through its partial index (campaign_id, status): no index of their own.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('pricing_category', 'text').execute();
  await db.schema.alterTable('messages').addColumn('billable', 'integer').execute();
}
