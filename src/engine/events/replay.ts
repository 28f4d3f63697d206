/**
 * Past events: listed by position (GET /v1/events), re-delivered to one endpoint
 * (POST /v1/webhook-endpoints/{id}/replay), and each endpoint's delivery log with its attempts.
 * Events are kept EVENT_RETENTION (retention.ts); a cursor older than that finds nothing.
 *
 * A cursor is a position ("1234"), an event id ("evt_…": that event's position) or, in a replay
 * range, an ISO 8601 time (the last position of the events recorded before it).
 */
import { RecontactError } from '../../domain/errors';
import { isoTime, isoTimeOrNull } from '../../domain/iso-time';
import {
  type DeliveryStatusFilter,
  findEndpoint,
  insertReplayDeliveries,
  lastPosition,
  lastPositionBefore,
  listDeliveriesOfEndpoint,
  listEventsAfter,
  positionOfEvent,
  type StoredEvent,
} from '../../store/events-repo';
import type { EngineContext } from '../context';
import { contactOfKey } from './ordering';
import { EVENT_TYPES, type EventType } from './schemas';
import type { EventSequencer } from './sequencer';

export const EVENTS_PAGE_MAX = 1_000;

/** The envelope the bot receives by webhook, as an object (GET /v1/events, the stream). */
export function eventEnvelope(e: StoredEvent, replay = false) {
  return {
    id: e.id,
    type: e.type as EventType,
    timestamp: isoTime(e.created_at),
    position: e.position,
    ordering_key: e.ordering_key,
    contact_id: contactOfKey(e.ordering_key),
    sequence: e.sequence,
    replay,
    data: JSON.parse(e.payload) as Record<string, unknown>,
  };
}

const badInput = (path: string, message: string, hint: string) =>
  new RecontactError('INPUT_INVALID', `Invalid ${path}: ${message}`, { details: [{ path, message }], hint });

/** A cursor as a position. `path` names the input in errors ("query.after", "Last-Event-ID"). */
export async function resolveCursor(
  ctx: EngineContext,
  value: string | number,
  path: string,
  opts: { times: boolean },
): Promise<number> {
  const text = String(value).trim();
  const forms = `a position (a whole number ≥ 0), an event id (evt_…)${opts.times ? ' or an ISO 8601 time' : ''}`;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  if (/^evt_[0-9A-Z]{26}$/.test(text)) {
    const position = await positionOfEvent(ctx.store.db, text);
    if (position === undefined || position === null) {
      throw badInput(
        path,
        `no event "${text}" is kept`,
        'It may be older than EVENT_RETENTION and pruned; give a position instead (the `position` of the last event you processed).',
      );
    }
    return position;
  }
  if (opts.times && /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(Date.parse(text))) {
    return lastPositionBefore(ctx.store.db, Date.parse(text));
  }
  throw badInput(path, `"${text.slice(0, 60)}" is not ${forms}`, `Give ${forms}.`);
}

/** Event types from a comma-separated list or an array; every one must be in the catalogue. */
export function parseTypes(
  value: string | readonly string[] | undefined,
  path: string,
): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (typeof value === 'string' ? value.split(',') : [...value])
    .map((t) => t.trim())
    .filter(Boolean);
  const known = new Set<string>(EVENT_TYPES);
  const unknown = list.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw badInput(
      path,
      `unknown event type${unknown.length > 1 ? 's' : ''} ${unknown.map((t) => `"${t.slice(0, 60)}"`).join(', ')}`,
      `Event types are: ${EVENT_TYPES.join(', ')}.`,
    );
  }
  return list.length ? list : undefined;
}

/** A page of events after a cursor, sequencing what committed just before (read-your-writes). */
export async function listEvents(
  ctx: EngineContext,
  sequencer: EventSequencer,
  q: { after: number; types?: string[]; contactId?: string; limit: number },
) {
  await sequencer.run();
  const rows = await listEventsAfter(ctx.store.db, {
    after: q.after,
    limit: q.limit,
    ...(q.types ? { types: q.types } : {}),
    ...(q.contactId ? { orderingKey: `contact:${q.contactId}` } : {}),
  });
  const last = await lastPosition(ctx.store.db);
  return {
    data: rows.map((r) => eventEnvelope(r)),
    // Where to continue: the last event listed, or (nothing listed) the current end.
    next_after: rows.length > 0 ? rows[rows.length - 1]!.position : Math.max(q.after, last),
    has_more: rows.length === q.limit,
  };
}

/** The newest position given so far: a stream without a cursor starts after it. */
export function currentPosition(ctx: EngineContext): Promise<number> {
  return lastPosition(ctx.store.db);
}

/**
 * One page of the live stream after `after`, up to the newest position read first (so a page
 * never runs past an end it did not see), with where the stream stands afterwards. With an
 * ordering key, only that subject's events (a template's history), read through its index.
 */
export async function streamPage(
  ctx: EngineContext,
  q: { after: number; limit: number; types?: string[]; orderingKey?: string },
) {
  const end = await lastPosition(ctx.store.db);
  const rows = await listEventsAfter(ctx.store.db, {
    after: q.after,
    until: end,
    limit: q.limit,
    ...(q.types ? { types: q.types } : {}),
    ...(q.orderingKey ? { orderingKey: q.orderingKey } : {}),
  });
  const full = rows.length === q.limit;
  return {
    events: rows.map((r) => ({ position: r.position, type: r.type, envelope: eventEnvelope(r) })),
    full,
    cursor: full ? rows[rows.length - 1]!.position : Math.max(q.after, end),
  };
}

export interface ReplayRange {
  after: string | number;
  until?: string | number | undefined;
  types?: string[] | undefined;
}

/** New deliveries, marked as replays, of the events in (after, until] to one endpoint. */
export async function replayToEndpoint(
  ctx: EngineContext,
  sequencer: EventSequencer,
  endpointId: string,
  range: ReplayRange,
) {
  const endpoint = await findEndpoint(ctx.store.db, endpointId);
  if (!endpoint) throw endpointNotFound(endpointId);
  const types = parseTypes(range.types, 'body.types');
  await sequencer.run();
  const end = await lastPosition(ctx.store.db);
  const after = await resolveCursor(ctx, range.after, 'body.after', { times: true });
  const until =
    range.until === undefined ? end : await resolveCursor(ctx, range.until, 'body.until', { times: true });
  if (until <= after) {
    throw new RecontactError(
      'INPUT_INVALID',
      `Invalid range: until (${until}) is not after after (${after})`,
      {
        details: [{ path: 'body.until', message: `resolves to position ${until}, not after ${after}` }],
        hint: 'A range is every event with after < position ≤ until; give an `until` later than `after`, or leave it out for "up to now".',
        data: { after, until, last_position: end },
      },
    );
  }
  const subscribed = JSON.parse(endpoint.event_types) as string[];
  const all = subscribed.includes('*');
  const wanted = types ?? (all ? null : subscribed);
  const notSubscribed = all ? [] : (types ?? []).filter((t) => !subscribed.includes(t));
  if (notSubscribed.length > 0) {
    throw new RecontactError(
      'INPUT_INVALID',
      `The endpoint is not subscribed to ${notSubscribed.join(', ')}`,
      {
        details: [
          { path: 'body.types', message: `not among the endpoint's events: ${subscribed.join(', ')}` },
        ],
        hint: 'Replay only the types this endpoint receives, or leave `types` out for all of them.',
      },
    );
  }
  const now = ctx.clock();
  const replayed = await insertReplayDeliveries(
    ctx.store.db,
    { endpointId, after, until: Math.min(until, end), types: wanted, now },
    () => ctx.id('dlv'),
  );
  return { endpoint_id: endpointId, after, until: Math.min(until, end), replayed };
}

/** One endpoint's deliveries, newest first, each with its attempts. */
export async function deliveryLog(
  ctx: EngineContext,
  endpointId: string,
  q: { status?: DeliveryStatusFilter; before?: string; limit: number },
) {
  if (!(await findEndpoint(ctx.store.db, endpointId))) throw endpointNotFound(endpointId);
  const rows = await listDeliveriesOfEndpoint(ctx.store.db, { endpointId, ...q });
  return {
    data: rows.map((d) => ({
      id: d.id,
      event_id: d.event_id,
      type: d.type,
      position: d.position,
      ordering_key: d.ordering_key,
      sequence: d.sequence,
      replay: d.replay === 1,
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: d.status === 'pending' ? isoTimeOrNull(d.next_attempt_at) : null,
      last_error: d.last_error,
      created_at: isoTime(d.created_at),
      delivered_at: isoTimeOrNull(d.delivered_at),
      attempt_log: d.attempt_log.map((a) => ({
        attempt: a.attempt,
        started_at: isoTime(a.started_at),
        duration_ms: a.duration_ms,
        status_code: a.status_code,
        outcome: a.outcome,
        error: a.error === null ? null : a.error.slice(0, 300),
      })),
    })),
    next_before: rows.length === q.limit ? rows[rows.length - 1]!.id : null,
  };
}

function endpointNotFound(id: string) {
  return new RecontactError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint "${id.slice(0, 60)}"`, {
    hint: 'GET /v1/webhook-endpoints lists the subscriptions and their ids (ep_…).',
  });
}
