import type { Kysely, Selectable } from 'kysely';
import type { Database, EventEndpointsTable } from './schema';

export type EndpointRow = Selectable<EventEndpointsTable>;

export async function listEndpoints(db: Kysely<Database>): Promise<EndpointRow[]> {
  return db.selectFrom('event_endpoints').selectAll().orderBy('created_at').orderBy('id').execute();
}

export async function insertEndpoint(
  db: Kysely<Database>,
  e: { id: string; url: string; secret: string; eventTypes: string[] },
  now: number,
) {
  await db
    .insertInto('event_endpoints')
    .values({
      id: e.id,
      url: e.url,
      secret: e.secret,
      event_types: JSON.stringify(e.eventTypes),
      created_at: now,
    })
    .execute();
}

export async function findEndpointByUrl(db: Kysely<Database>, url: string) {
  return db.selectFrom('event_endpoints').selectAll().where('url', '=', url).executeTakeFirst();
}

export async function updateEndpointSecret(db: Kysely<Database>, id: string, secret: string) {
  await db.updateTable('event_endpoints').set({ secret, enabled: 1 }).where('id', '=', id).execute();
}

export async function deleteEndpoint(db: Kysely<Database>, id: string): Promise<boolean> {
  const res = await db.deleteFrom('event_endpoints').where('id', '=', id).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export interface NewEvent {
  id: string;
  type: string;
  payload: string;
  endpointIds: string[];
  deliveryIds: string[];
}

export async function insertEvents(db: Kysely<Database>, events: NewEvent[], now: number): Promise<void> {
  if (events.length === 0) return;
  for (let i = 0; i < events.length; i += 200) {
    const part = events.slice(i, i + 200);
    await db
      .insertInto('events')
      .values(part.map((e) => ({ id: e.id, type: e.type, payload: e.payload, created_at: now })))
      .execute();
    const deliveries = part.flatMap((e) =>
      e.endpointIds.map((endpointId, k) => ({
        id: e.deliveryIds[k]!,
        event_id: e.id,
        endpoint_id: endpointId,
        status: 'pending',
        next_attempt_at: now,
        locked_until: null,
        last_error: null,
        created_at: now,
        delivered_at: null,
      })),
    );
    if (deliveries.length) await db.insertInto('event_deliveries').values(deliveries).execute();
  }
}

export interface DueDelivery {
  id: string;
  attempts: number;
  event_id: string;
  type: string;
  payload: string;
  created_at: number;
  url: string;
  secret: string;
}

/**
 * Leases due deliveries. Two statements (select, then a fenced update per row) keep it portable;
 * a row another worker leased in between is skipped because its update matches nothing.
 */
export async function claimDeliveries(
  db: Kysely<Database>,
  p: { now: number; leaseMs: number; limit: number },
): Promise<DueDelivery[]> {
  const rows = await db
    .selectFrom('event_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .innerJoin('event_endpoints as ep', 'ep.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.attempts',
      'd.event_id',
      'e.type',
      'e.payload',
      'e.created_at',
      'ep.url',
      'ep.secret',
    ])
    .where('d.status', '=', 'pending')
    .where('d.next_attempt_at', '<=', p.now)
    .where((eb) => eb.or([eb('d.locked_until', 'is', null), eb('d.locked_until', '<=', p.now)]))
    .orderBy('d.next_attempt_at')
    .orderBy('d.id')
    .limit(p.limit)
    .execute();
  const claimed: DueDelivery[] = [];
  for (const r of rows) {
    const res = await db
      .updateTable('event_deliveries')
      .set({ locked_until: p.now + p.leaseMs })
      .where('id', '=', r.id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', p.now)]))
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) claimed.push(r);
  }
  return claimed;
}

export async function markDelivered(db: Kysely<Database>, id: string, now: number) {
  await db
    .updateTable('event_deliveries')
    .set((eb) => ({
      status: 'delivered',
      delivered_at: now,
      locked_until: null,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', '=', id)
    .execute();
}

export async function markDeliveryAttemptFailed(
  db: Kysely<Database>,
  id: string,
  p: { error: string; nextAttemptAt: number | null },
) {
  await db
    .updateTable('event_deliveries')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: p.error.slice(0, 1000),
      locked_until: null,
      ...(p.nextAttemptAt === null ? { status: 'failed' } : { next_attempt_at: p.nextAttemptAt }),
    }))
    .where('id', '=', id)
    .execute();
}

export async function deliveriesOfEvent(db: Kysely<Database>, eventId: string) {
  return db.selectFrom('event_deliveries').selectAll().where('event_id', '=', eventId).execute();
}
