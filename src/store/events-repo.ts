import { CompiledQuery, type ExpressionBuilder, type Kysely, type Selectable, sql } from 'kysely';
import { chunks } from './chunks';
import { indexLiteral, notIndexed } from './index-literal';
import { directPg, jsonInsert, jsonRows, type NamedStatement } from './pg-direct';
import { takesRowLocks, withRowLock } from './row-locks';
import type { Database, EventEndpointsTable } from './schema';
import { directSqlite } from './sqlite-direct';

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
  // Nobody will deliver them, and a pending delivery keeps its event from being pruned.
  await db
    .deleteFrom('event_deliveries')
    .where('endpoint_id', '=', id)
    .where('status', '=', 'pending')
    .execute();
  return Number(res.numDeletedRows) > 0;
}

export interface NewEvent {
  id: string;
  type: string;
  payload: string;
  /** Events of one key reach each endpoint in position order; null: unordered. */
  orderingKey: string | null;
}

/**
 * Writes events in the caller's transaction, into the backlog: the sequencer moves them into
 * `events` with positions, sequence numbers and deliveries once the transaction committed
 * (sequencePending).
 */
export async function insertEvents(db: Kysely<Database>, events: NewEvent[], now: number): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({
    id: e.id,
    type: e.type,
    payload: e.payload,
    created_at: now,
    ordering_key: e.orderingKey,
  }));
  const pg = directPg(db);
  for (const part of chunks(rows, pg ? 500 : 200)) {
    if (pg) await pg(PG_EVENT_SQL.insertEvents, [jsonRows(part, EVENT_COLUMNS)]);
    else await db.insertInto('event_backlog').values(part).execute();
  }
}

const EVENT_COLUMNS = ['id', 'type', 'payload', 'created_at', 'ordering_key'] as const;
const DELIVERY_COLUMNS = [
  'id',
  'event_id',
  'endpoint_id',
  'status',
  'next_attempt_at',
  'locked_until',
  'last_error',
  'created_at',
  'delivered_at',
  'ordering_key',
  'position',
] as const;

/**
 * The same writes on PostgreSQL, one named statement per batch whatever its length (pg-direct.ts):
 * every status webhook applied writes an event, and the sequencer then moves it.
 */
export const PG_EVENT_SQL = {
  insertEvents: jsonInsert('event_backlog_insert', 'event_backlog', EVENT_COLUMNS),
  /**
   * Moves events from the backlog into `events` with their positions: one statement, each row
   * read and deleted once. The rows are found by `created_at = ANY` on the key's first column,
   * filtered by id, whatever the statistics: a join on the unnest was planned, while the backlog
   * had never been analysed, as a scan of the whole backlog.
   */
  moveBacklog: {
    name: 'event_backlog_move',
    text: `WITH moved AS (
             DELETE FROM event_backlog WHERE created_at = ANY($1::bigint[]) AND id = ANY($2::text[])
             RETURNING id, type, payload, created_at, ordering_key)
           INSERT INTO events (id, type, payload, created_at, ordering_key, position, sequence)
           SELECT m.id, m.type, m.payload, m.created_at, m.ordering_key, v.position, v.sequence
             FROM moved m JOIN unnest($2::text[], $3::bigint[], $4::bigint[]) AS v(id, position, sequence)
               ON v.id = m.id`,
  },
  keySequences: {
    name: 'event_key_sequences_read',
    text: 'SELECT ordering_key, last_sequence FROM event_key_sequences WHERE ordering_key = ANY($1::text[])',
  },
  positions: {
    name: 'events_positions',
    text: `UPDATE events SET position = v.position, sequence = v.sequence
             FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, position, sequence)
            WHERE events.id = v.id`,
  },
  lastSequences: {
    name: 'event_key_sequences_write',
    text: `INSERT INTO event_key_sequences (ordering_key, last_sequence)
           SELECT v.ordering_key, v.last_sequence FROM unnest($1::text[], $2::bigint[]) AS v(ordering_key, last_sequence)
           ON CONFLICT (ordering_key) DO UPDATE SET last_sequence = excluded.last_sequence`,
  },
  insertDeliveries: jsonInsert('event_deliveries_insert', 'event_deliveries', DELIVERY_COLUMNS),
} as const satisfies Record<string, NamedStatement>;

/**
 * Whether committed events wait for a position: in the backlog, or (written before migration
 * 0021, or by an older process) in `events` without one. Cheap: the backlog's first key, and a
 * partial index that holds only the latter.
 */
export async function hasUnsequencedEvents(db: Kysely<Database>): Promise<boolean> {
  // One statement: the deliverer asks on every turn, and most turns find nothing.
  const row = await db
    .selectNoFrom((eb) => [
      eb.exists(eb.selectFrom('event_backlog').select('id').limit(1)).as('backlog'),
      eb.exists(eb.selectFrom('events').select('id').where('position', 'is', null).limit(1)).as('legacy'),
    ])
    .executeTakeFirstOrThrow();
  // A boolean on PostgreSQL, 0 or 1 on SQLite.
  return Number(row.backlog) === 1 || Number(row.legacy) === 1;
}

/**
 * The sequencer's step, in one short transaction of its own: takes the one-row lock, gives the committed events that have no
 * position yet, in (created_at, id) order, the next positions and the next sequence number of
 * their key, and creates their deliveries to the endpoints subscribed now. Returns how many
 * events were sequenced. A reader that saw position N has seen every event up to N: positions
 * are given only here, one transaction after another, and become visible at its commit.
 */
export async function sequencePending(
  db: Kysely<Database>,
  p: { now: number; limit: number; newDeliveryId: () => string },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // A write first: it takes the row lock on PostgreSQL and the write lock on SQLite before
    // anything is read, so two sequencers (processes) never work from the same snapshot.
    const lock = await trx
      .updateTable('event_sequencer')
      .set((eb) => ({ last_position: eb.ref('last_position') }))
      .where('id', '=', 1)
      .returning('last_position')
      .executeTakeFirstOrThrow();
    const events = await pendingEvents(trx, p.limit);
    if (events.length === 0) return 0;
    const keys = [...new Set(events.flatMap((e) => (e.ordering_key === null ? [] : [e.ordering_key])))];
    const pg = directPg(trx);
    const last = new Map<string, number>();
    for (let i = 0; i < keys.length; i += 500) {
      const part = keys.slice(i, i + 500);
      const rows = pg
        ? await pg<{ ordering_key: string; last_sequence: number }>(PG_EVENT_SQL.keySequences, [part])
        : await trx
            .selectFrom('event_key_sequences')
            .select(['ordering_key', 'last_sequence'])
            .where('ordering_key', 'in', part)
            .execute();
      for (const r of rows) last.set(r.ordering_key, Number(r.last_sequence));
    }
    let position = Number(lock.last_position);
    const assigned = events.map((e) => {
      position += 1;
      let sequence: number | null = null;
      if (e.ordering_key !== null) {
        sequence = (last.get(e.ordering_key) ?? 0) + 1;
        last.set(e.ordering_key, sequence);
      }
      return { ...e, position, sequence };
    });
    await placeEvents(trx, assigned);
    const touched = keys.map((k) => ({ ordering_key: k, last_sequence: last.get(k)! }));
    for (let i = 0; i < touched.length; i += 500) {
      const part = touched.slice(i, i + 500);
      if (pg) {
        await pg(PG_EVENT_SQL.lastSequences, [
          part.map((t) => t.ordering_key),
          part.map((t) => t.last_sequence),
        ]);
        continue;
      }
      await trx
        .insertInto('event_key_sequences')
        .values(touched.slice(i, i + 500))
        .onConflict((oc) =>
          oc
            .column('ordering_key')
            .doUpdateSet((eb) => ({ last_sequence: eb.ref('excluded.last_sequence') })),
        )
        .execute();
    }
    const endpoints = (
      await trx.selectFrom('event_endpoints').select(['id', 'event_types']).where('enabled', '=', 1).execute()
    ).map((ep) => ({ id: ep.id, types: new Set(JSON.parse(ep.event_types) as string[]) }));
    const deliveries = assigned.flatMap((a) =>
      endpoints
        .filter((ep) => ep.types.has('*') || ep.types.has(a.type))
        .map((ep) => ({
          id: p.newDeliveryId(),
          event_id: a.id,
          endpoint_id: ep.id,
          status: 'pending' as const,
          next_attempt_at: p.now,
          locked_until: null,
          last_error: null,
          created_at: p.now,
          delivered_at: null,
          ordering_key: a.ordering_key,
          position: a.position,
        })),
    );
    for (let i = 0; i < deliveries.length; i += 200) {
      if (pg) {
        await pg(PG_EVENT_SQL.insertDeliveries, [jsonRows(deliveries.slice(i, i + 200), DELIVERY_COLUMNS)]);
        continue;
      }
      await trx
        .insertInto('event_deliveries')
        .values(deliveries.slice(i, i + 200))
        .execute();
    }
    await trx.updateTable('event_sequencer').set({ last_position: position }).where('id', '=', 1).execute();
    return events.length;
  });
}

interface PendingEvent {
  id: string;
  type: string;
  ordering_key: string | null;
  created_at: number;
  /** In the backlog (moved into `events`), or in `events` without a position (given one there). */
  inBacklog: boolean;
}

/**
 * The next `limit` events waiting for a position, oldest first: the backlog's, and any left in
 * `events` without one (see hasUnsequencedEvents). On PostgreSQL the backlog rows are locked until
 * the sequencer commits, so an erasure that redacts them waits and then finds them in `events`
 * (erasure-repo.ts redacts the backlog first, then `events`).
 */
async function pendingEvents(trx: Kysely<Database>, limit: number): Promise<PendingEvent[]> {
  const columns = ['id', 'type', 'ordering_key', 'created_at'] as const;
  const backlog = await withRowLock(
    trx,
    trx.selectFrom('event_backlog').select(columns).orderBy('created_at').orderBy('id').limit(limit),
    { forUpdate: true },
  ).execute();
  const legacy = await trx
    .selectFrom('events')
    .select(columns)
    .where('position', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
  const all = [
    ...backlog.map((e) => ({ ...e, created_at: Number(e.created_at), inBacklog: true })),
    ...legacy.map((e) => ({ ...e, created_at: Number(e.created_at), inBacklog: false })),
  ];
  if (legacy.length) {
    all.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }
  return all.slice(0, limit);
}

type Placed = PendingEvent & { position: number; sequence: number | null };

/** Writes the positions given: backlog events moved into `events` with theirs, the others updated. */
async function placeEvents(trx: Kysely<Database>, assigned: Placed[]): Promise<void> {
  const moved = assigned.filter((a) => a.inBacklog);
  const pg = directPg(trx);
  for (const part of chunks(moved, 300)) {
    if (pg) {
      await pg(PG_EVENT_SQL.moveBacklog, [
        part.map((a) => a.created_at),
        part.map((a) => a.id),
        part.map((a) => a.position),
        part.map((a) => a.sequence),
      ]);
      continue;
    }
    const sqlite = directSqlite(trx);
    if (!sqlite) {
      // Another Kysely instance over the store's connections (a plan test's, say): the same
      // statements as Kysely texts.
      await moveByKysely(trx, part);
      continue;
    }
    await sqlite((prepare) => {
      const move = prepare(SQLITE_MOVE.insert);
      const remove = prepare(SQLITE_MOVE.remove);
      for (const a of part) {
        if (move.run(a.position, a.sequence, a.created_at, a.id).changes !== 1) {
          throw new Error(`event ${a.id} left the backlog before it was sequenced`);
        }
        remove.run(a.created_at, a.id);
      }
    });
  }
  for (const part of chunks(
    assigned.filter((a) => !a.inBacklog),
    300,
  )) {
    if (pg) {
      await pg(PG_EVENT_SQL.positions, [
        part.map((a) => a.id),
        part.map((a) => a.position),
        part.map((a) => a.sequence),
      ]);
      continue;
    }
    const values = sql.join(
      part.map((a) => sql`(${a.id}, cast(${a.position} as bigint), cast(${a.sequence} as bigint))`),
    );
    // column1..3 are the names both databases give the columns of a VALUES list.
    await sql`UPDATE events SET position = v.column2, sequence = v.column3 FROM (VALUES ${values}) AS v WHERE events.id = v.column1`.execute(
      trx,
    );
  }
}

async function moveByKysely(trx: Kysely<Database>, part: Placed[]): Promise<void> {
  if (takesRowLocks(trx)) {
    const params = [
      part.map((a) => a.created_at),
      part.map((a) => a.id),
      part.map((a) => a.position),
      part.map((a) => a.sequence),
    ];
    await trx.executeQuery(CompiledQuery.raw(PG_EVENT_SQL.moveBacklog.text, params));
    return;
  }
  for (const a of part) {
    await sql`INSERT INTO events (id, type, payload, created_at, ordering_key, position, sequence)
              SELECT id, type, payload, created_at, ordering_key, ${a.position}, ${a.sequence}
                FROM event_backlog WHERE created_at = ${a.created_at} AND id = ${a.id}`.execute(trx);
    await sql`DELETE FROM event_backlog WHERE created_at = ${a.created_at} AND id = ${a.id}`.execute(trx);
  }
}

/** The move on SQLite, one row at a time by the backlog's key (sqlite-direct.ts). */
const SQLITE_MOVE = {
  insert: `INSERT INTO events (id, type, payload, created_at, ordering_key, position, sequence)
           SELECT id, type, payload, created_at, ordering_key, ?, ? FROM event_backlog
            WHERE created_at = ? AND id = ?`,
  remove: 'DELETE FROM event_backlog WHERE created_at = ? AND id = ?',
};

export interface DueDelivery {
  id: string;
  attempts: number;
  event_id: string;
  endpoint_id: string;
  type: string;
  payload: string;
  created_at: number;
  position: number | null;
  ordering_key: string | null;
  sequence: number | null;
  replay: number;
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
 * a backlog never crowds out the others), in position order, and only the head of each ordering
 * key: a delivery waits while an earlier delivery of its key to this endpoint is pending (in
 * flight, or waiting for its retry), so one contact's failing event holds back that contact's
 * later events only. The lease is one UPDATE whose WHERE re-checks every row, so a row another
 * worker leased meanwhile is left out; the rows that carry our token are ours.
 */
export async function claimDueDeliveries(
  db: Kysely<Database>,
  p: { endpointId: string; now: number; leaseMs: number; limit: number; token: string },
): Promise<DueDelivery[]> {
  if (p.limit <= 0) return [];
  const candidates = await db
    .selectFrom('event_deliveries as d')
    .select('d.id')
    .where('d.endpoint_id', '=', p.endpointId)
    .where('d.status', '=', indexLiteral('pending'))
    .where('d.next_attempt_at', '<=', p.now)
    .where((eb) => eb.or([eb('d.locked_until', 'is', null), eb('d.locked_until', '<=', p.now)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('event_deliveries as e')
            .select('e.id')
            .whereRef('e.endpoint_id', '=', 'd.endpoint_id')
            .whereRef('e.ordering_key', '=', 'd.ordering_key')
            .where('e.status', '=', indexLiteral('pending'))
            .whereRef('e.position', '<', 'd.position'),
        ),
      ),
    )
    .orderBy('d.position')
    .orderBy('d.id')
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
      'd.replay',
      'e.type',
      'e.payload',
      'e.created_at',
      'e.position',
      'e.ordering_key',
      'e.sequence',
      'ep.url',
      'ep.secret',
    ])
    .where(
      'd.id',
      'in',
      candidates.map((c) => c.id),
    )
    .where('d.lease_token', '=', p.token)
    .orderBy('d.position')
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
      .where(notIndexed('status'), '=', 'pending')
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
      .where(notIndexed('status'), '=', 'pending')
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

/** A sequenced event as replay, the stream and the API read it. */
export interface StoredEvent {
  id: string;
  type: string;
  payload: string;
  created_at: number;
  position: number;
  ordering_key: string | null;
  sequence: number | null;
}

/** Sequenced events after `after`, by position; only those of `types` / `orderingKey` when given. */
export async function listEventsAfter(
  db: Kysely<Database>,
  p: { after: number; limit: number; types?: readonly string[]; orderingKey?: string; until?: number },
): Promise<StoredEvent[]> {
  let q = db
    .selectFrom('events')
    .select(['id', 'type', 'payload', 'created_at', 'position', 'ordering_key', 'sequence'])
    .where('position', '>', p.after)
    .orderBy('position')
    .limit(p.limit);
  if (p.until !== undefined) q = q.where('position', '<=', p.until);
  if (p.types?.length) q = q.where('type', 'in', [...p.types]);
  if (p.orderingKey !== undefined) q = q.where('ordering_key', '=', p.orderingKey);
  const rows = await q.execute();
  return rows as StoredEvent[];
}

/** The position of an event, null when it is unknown (pruned, or never was) or not yet sequenced. */
export async function positionOfEvent(db: Kysely<Database>, id: string): Promise<number | null | undefined> {
  const row = await db.selectFrom('events').select('position').where('id', '=', id).executeTakeFirst();
  if (row !== undefined) return row.position;
  const waiting = await db.selectFrom('event_backlog').select('id').where('id', '=', id).executeTakeFirst();
  return waiting === undefined ? undefined : null;
}

/** The last position of the events created before `time` (0 when none): a time as a cursor. */
export async function lastPositionBefore(db: Kysely<Database>, time: number): Promise<number> {
  const row = await db
    .selectFrom('events')
    .select((eb) => eb.fn.max('position').as('p'))
    .where('created_at', '<', time)
    .where('position', 'is not', null)
    .executeTakeFirst();
  return Number(row?.p ?? 0);
}

/** The last position given so far. */
export async function lastPosition(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('event_sequencer')
    .select('last_position')
    .where('id', '=', 1)
    .executeTakeFirst();
  return Number(row?.last_position ?? 0);
}

export async function findEndpoint(db: Kysely<Database>, id: string) {
  return db.selectFrom('event_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * New deliveries to one endpoint of the events with a position in (after, until] and one of
 * `types`, marked as replays; the events keep their id, so the bot can tell a replay from news.
 * Written page by page, each page in its own statement. Returns how many.
 */
export async function insertReplayDeliveries(
  db: Kysely<Database>,
  p: { endpointId: string; after: number; until: number; types: readonly string[] | null; now: number },
  newId: () => string,
): Promise<number> {
  let cursor = p.after;
  let count = 0;
  for (;;) {
    let q = db
      .selectFrom('events')
      .select(['id', 'position', 'ordering_key'])
      .where('position', '>', cursor)
      .where('position', '<=', p.until)
      .orderBy('position')
      .limit(500);
    if (p.types) q = q.where('type', 'in', [...p.types]);
    const page = await q.execute();
    if (page.length === 0) return count;
    await db
      .insertInto('event_deliveries')
      .values(
        page.map((e) => ({
          id: newId(),
          event_id: e.id,
          endpoint_id: p.endpointId,
          status: 'pending' as const,
          next_attempt_at: p.now,
          locked_until: null,
          last_error: null,
          created_at: p.now,
          delivered_at: null,
          ordering_key: e.ordering_key,
          position: e.position,
          replay: 1,
        })),
      )
      .execute();
    count += page.length;
    cursor = Number(page[page.length - 1]!.position);
  }
}

export type DeliveryStatusFilter = 'pending' | 'delivered' | 'failed';

/** One endpoint's deliveries, newest first, each with its attempts (oldest first). */
export async function listDeliveriesOfEndpoint(
  db: Kysely<Database>,
  p: { endpointId: string; status?: DeliveryStatusFilter; before?: string; limit: number },
) {
  let q = db
    .selectFrom('event_deliveries as d')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select([
      'd.id',
      'd.event_id',
      'd.status',
      'd.attempts',
      'd.next_attempt_at',
      'd.last_error',
      'd.created_at',
      'd.delivered_at',
      'd.replay',
      'e.type',
      'e.position',
      'e.ordering_key',
      'e.sequence',
    ])
    .where('d.endpoint_id', '=', p.endpointId)
    .orderBy('d.id', 'desc')
    .limit(p.limit);
  if (p.status) q = q.where('d.status', '=', p.status);
  if (p.before) q = q.where('d.id', '<', p.before);
  const deliveries = await q.execute();
  const attempts =
    deliveries.length === 0
      ? []
      : await db
          .selectFrom('event_delivery_attempts')
          .selectAll()
          .where(
            'delivery_id',
            'in',
            deliveries.map((d) => d.id),
          )
          .orderBy('attempt')
          .orderBy('started_at')
          .execute();
  const byDelivery = new Map<string, typeof attempts>();
  for (const a of attempts) {
    const list = byDelivery.get(a.delivery_id) ?? [];
    list.push(a);
    byDelivery.set(a.delivery_id, list);
  }
  return deliveries.map((d) => ({ ...d, attempt_log: byDelivery.get(d.id) ?? [] }));
}

/**
 * Deletes up to `limit` sequenced events created before `before` with their settled deliveries
 * and attempt logs. An event with a pending delivery is kept, whatever its age: a delivery is
 * never lost to retention. Returns how many events were deleted.
 */
export async function pruneEvents(
  db: Kysely<Database>,
  p: { before: number; limit: number },
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const old = await trx
      .selectFrom('events as e')
      .select('e.id')
      .where('e.created_at', '<', p.before)
      .where('e.position', 'is not', null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('event_deliveries as d')
              .select('d.id')
              .whereRef('d.event_id', '=', 'e.id')
              .where('d.status', '=', 'pending'),
          ),
        ),
      )
      .orderBy('e.created_at')
      .orderBy('e.id')
      .limit(p.limit)
      .execute();
    if (old.length === 0) return 0;
    const ids = old.map((e) => e.id);
    // Re-checked in each statement: a replay may have added a pending delivery meanwhile.
    await trx
      .deleteFrom('event_delivery_attempts')
      .where('event_id', 'in', ids)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(pendingDeliveries(selectFrom).whereRef('d.id', '=', 'event_delivery_attempts.delivery_id')),
        ),
      )
      .execute();
    await trx
      .deleteFrom('event_deliveries')
      .where('event_id', 'in', ids)
      .where('status', '!=', 'pending')
      .execute();
    const res = await trx
      .deleteFrom('events')
      .where('id', 'in', ids)
      .where(({ not, exists, selectFrom }) =>
        not(exists(pendingDeliveries(selectFrom).whereRef('d.event_id', '=', 'events.id'))),
      )
      .executeTakeFirst();
    return Number(res.numDeletedRows);
  });
}

/** Pending deliveries, for "keep what one still waits for": a subquery the pruner correlates. */
function pendingDeliveries(selectFrom: ExpressionBuilder<Database, keyof Database>['selectFrom']) {
  return selectFrom('event_deliveries as d').select('d.id').where('d.status', '=', 'pending');
}
