import { type Kysely, sql } from 'kysely';

/**
 * Event delivery that survives slow and failing endpoints:
 * - every attempt is logged (when, how long, status code, error), so a delivery can be
 *   explained and replayed later;
 * - a claim writes a lease token, and the result is recorded only under that token, so a
 *   delivery whose lease ran out is never settled by two workers;
 * - each endpoint carries its health: the circuit breaker and the `failing` mark;
 * - due deliveries are found per endpoint (endpoints are claimed apart from each other).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('event_delivery_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('endpoint_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('outcome', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('event_delivery_attempts_delivery')
    .on('event_delivery_attempts')
    .columns(['delivery_id', 'attempt'])
    .execute();

  await db.schema.alterTable('event_deliveries').addColumn('lease_token', 'text').execute();
  await db.schema.dropIndex('event_deliveries_due').execute();
  await db.schema
    .createIndex('event_deliveries_due_by_endpoint')
    .on('event_deliveries')
    .columns(['endpoint_id', 'next_attempt_at', 'id'])
    .where(sql.ref('status'), '=', 'pending')
    .execute();

  const endpoints = db.schema.alterTable('event_endpoints');
  await endpoints.addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await endpoints.addColumn('failing_since_at', 'bigint').execute();
  await endpoints.addColumn('breaker_until', 'bigint').execute();
  await endpoints.addColumn('breaker_opens', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await endpoints.addColumn('marked_failing_at', 'bigint').execute();
  await endpoints.addColumn('last_error', 'text').execute();
  await endpoints.addColumn('last_delivered_at', 'bigint').execute();
}
