import type { Kysely, Selectable } from 'kysely';
import { withRowLock } from './row-locks';
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
        status: 'pending' as const,
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
  endpoint_id: string;
  type: string;
  payload: string;
  created_at: number;
  url: string;
  secret: string;
  /** This claim's token: the result is recorded only under it. */
  lease_token: string;
}

/** What the deliverer reads of an endpoint: where it is and how healthy. */
const HEALTH_COLUMNS = [
  'id',
  'url',
  'consecutive_failures',
  'failing_since_at',
  'breaker_until',
  'breaker_opens',
  'marked_failing_at',
] as const;

/** An enabled endpoint as the deliverer sees it: where, and how healthy. */
export type DeliveryEndpoint = Pick<EndpointRow, (typeof HEALTH_COLUMNS)[number]>;

export async function listDeliveryEndpoints(db: Kysely<Database>): Promise<DeliveryEndpoint[]> {
  return db
    .selectFrom('event_endpoints')
    .select(HEALTH_COLUMNS)
    .where('enabled', '=', 1)
    .orderBy('id')
    .execute();
}

/**
 * Leases up to `limit` due deliveries of one endpoint (endpoints are claimed apart, so one with
 * a backlog never crowds out the others). The lease is one UPDATE whose WHERE re-checks every
 * row, so a row another worker leased meanwhile is left out; the rows that carry our token are
 * ours.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  p: { endpointId: string; now: number; leaseMs: number; limit: number; token: string },
): Promise<DueDelivery[]> {
  if (p.limit <= 0) return [];
  const candidates = await db
    .selectFrom('event_deliveries')
    .select('id')
    .where('endpoint_id', '=', p.endpointId)
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', p.now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', p.now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(p.limit)
    .execute();
  if (candidates.length === 0) return [];
  await db
    .updateTable('event_deliveries')
    .set({ locked_until: p.now + p.leaseMs, lease_token: p.token })
    .where(
      'id',
      'in',
      candidates.map((c) => c.id),
    )
    .where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', p.now)]))
    .execute();
  const rows = await db
    .selectFrom('event_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .innerJoin('event_endpoints as ep', 'ep.id', 'd.endpoint_id')
    .select([
      'd.id',
      'd.attempts',
      'd.event_id',
      'd.endpoint_id',
      'e.type',
      'e.payload',
      'e.created_at',
      'ep.url',
      'ep.secret',
    ])
    .where(
      'd.id',
      'in',
      candidates.map((c) => c.id),
    )
    .where('d.lease_token', '=', p.token)
    .orderBy('d.next_attempt_at')
    .orderBy('d.id')
    .execute();
  return rows.map((r) => ({ ...r, lease_token: p.token }));
}

/** One attempt's result, to be recorded under the lease it was made with. */
export interface DeliveryResult {
  id: string;
  leaseToken: string;
  eventId: string;
  endpointId: string;
  /** 1 for the first attempt. */
  attempt: number;
  startedAt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  /** delivered; or failed with the next attempt's time, null when the schedule is used up. */
  outcome: { delivered: true } | { delivered: false; nextAttemptAt: number | null };
  attemptLogId: string;
}

/**
 * Records results in the caller's transaction: the delivery log (every attempt, whatever
 * became of its lease) and, fenced by the lease token, the deliveries themselves. Returns the
 * ids whose delivery row changed; a result whose lease was lost changes nothing there.
 */
export async function recordDeliveryResults(
  db: Kysely<Database>,
  results: readonly DeliveryResult[],
  now: number,
): Promise<Set<string>> {
  if (results.length === 0) return new Set();
  for (let i = 0; i < results.length; i += 200) {
    await db
      .insertInto('event_delivery_attempts')
      .values(
        results.slice(i, i + 200).map((r) => ({
          id: r.attemptLogId,
          delivery_id: r.id,
          event_id: r.eventId,
          endpoint_id: r.endpointId,
          attempt: r.attempt,
          started_at: r.startedAt,
          duration_ms: r.durationMs,
          status_code: r.statusCode,
          error: r.error === null ? null : r.error.slice(0, 1000),
          outcome: r.outcome.delivered ? 'delivered' : 'failed',
        })),
      )
      // A commit whose answer was lost (the database went away at that moment) is recorded
      // again later: the log keeps one row per attempt, and the fenced updates below match
      // nothing the second time.
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }
  const applied = new Set<string>();
  for (const r of results) {
    const o = r.outcome;
    const res = await db
      .updateTable('event_deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        locked_until: null,
        lease_token: null,
        ...(o.delivered
          ? { status: 'delivered' as const, delivered_at: now }
          : {
              last_error: (r.error ?? 'failed').slice(0, 1000),
              ...(o.nextAttemptAt === null
                ? { status: 'failed' as const }
                : { next_attempt_at: o.nextAttemptAt }),
            }),
      }))
      .where('id', '=', r.id)
      .where('lease_token', '=', r.leaseToken)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) applied.add(r.id);
  }
  return applied;
}

/**
 * Gives back whatever a claim leased under `token`: used when the claim's answer was lost (the
 * database went away while it ran), so the rows need not wait for the lease to run out.
 */
export async function releaseLeaseToken(db: Kysely<Database>, token: string): Promise<void> {
  await db
    .updateTable('event_deliveries')
    .set({ locked_until: null, lease_token: null })
    .where('lease_token', '=', token)
    .where('status', '=', 'pending')
    .execute();
}

/** Hands leased deliveries back untried (stopping, or a request aborted before it could matter). */
export async function releaseDeliveries(
  db: Kysely<Database>,
  leases: ReadonlyArray<{ id: string; leaseToken: string }>,
): Promise<void> {
  for (const l of leases) {
    await db
      .updateTable('event_deliveries')
      .set({ locked_until: null, lease_token: null })
      .where('id', '=', l.id)
      .where('lease_token', '=', l.leaseToken)
      .where('status', '=', 'pending')
      .execute();
  }
}

export type EndpointHealthRow = Pick<EndpointRow, (typeof HEALTH_COLUMNS)[number]>;

/** Endpoints' health, locked until the caller's transaction ends (results from several workers). */
export async function lockEndpointHealth(
  db: Kysely<Database>,
  ids: readonly string[],
): Promise<EndpointHealthRow[]> {
  if (ids.length === 0) return [];
  const q = db
    .selectFrom('event_endpoints')
    .select(HEALTH_COLUMNS)
    .where('id', 'in', [...ids])
    // A fixed order: two workers locking the same endpoints never wait on each other in a cycle.
    .orderBy('id');
  return withRowLock(db, q, { forUpdate: true }).execute();
}

export async function saveEndpointHealth(
  db: Kysely<Database>,
  id: string,
  h: {
    consecutive_failures: number;
    failing_since_at: number | null;
    breaker_until: number | null;
    breaker_opens: number;
    marked_failing_at: number | null;
  },
  p: { lastError?: string | null; lastDeliveredAt?: number },
): Promise<void> {
  await db
    .updateTable('event_endpoints')
    .set({
      ...h,
      ...(p.lastError === undefined ? {} : { last_error: p.lastError?.slice(0, 1000) ?? null }),
      ...(p.lastDeliveredAt === undefined ? {} : { last_delivered_at: p.lastDeliveredAt }),
    })
    .where('id', '=', id)
    .execute();
}

/** The delivery log of one delivery, oldest attempt first. */
export async function attemptsOfDelivery(db: Kysely<Database>, deliveryId: string) {
  return db
    .selectFrom('event_delivery_attempts')
    .selectAll()
    .where('delivery_id', '=', deliveryId)
    .orderBy('attempt')
    .orderBy('started_at')
    .execute();
}

export async function deliveriesOfEvent(db: Kysely<Database>, eventId: string) {
  return db.selectFrom('event_deliveries').selectAll().where('event_id', '=', eventId).execute();
}
