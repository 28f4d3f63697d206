/**
 * The bot's event subscriptions (webhook endpoints): created with a signing secret shown once,
 * listed with their health, removed. Deliveries are made by the sequencer for the endpoints
 * subscribed when it sequences an event, so a new endpoint receives the events sequenced after
 * it was created (earlier ones through a replay).
 */
import { RecontactError } from '../../domain/errors';
import { isoTimeOrNull } from '../../domain/iso-time';
import { checkTargetUrl } from '../../domain/url-policy';
import { deleteEndpoint, type EndpointRow, insertEndpoint, listEndpoints } from '../../store/events-repo';
import type { EngineContext } from '../context';
import { newEndpointSecret } from './signing';

export interface NewEndpoint {
  url: string;
  /** Event types, or "*" for all. */
  events: string[];
}

export interface CreatedEndpoint {
  id: string;
  url: string;
  events: string[];
  /** The signing secret: returned here and nowhere else. */
  secret: string;
}

/**
 * Subscribes a URL. Recontact will POST to it from inside the operator's network, so the URL
 * must pass the target policy (no private address unless `allowPrivate`): WEBHOOK_URL_FORBIDDEN.
 */
export async function createEndpoint(
  ctx: EngineContext,
  e: NewEndpoint,
  opts: { allowPrivate: boolean },
): Promise<CreatedEndpoint> {
  const target = checkTargetUrl(e.url, { allowPrivate: opts.allowPrivate });
  if (!target.ok) {
    throw new RecontactError('WEBHOOK_URL_FORBIDDEN', `The webhook URL is refused: ${target.message}`, {
      details: [{ path: 'body.url', message: target.message }],
      hint: target.hint,
      data: { rule: target.rule },
    });
  }
  const id = ctx.id('ep');
  const secret = newEndpointSecret();
  await insertEndpoint(ctx.store.db, { id, url: e.url, secret, eventTypes: e.events }, ctx.clock());
  return { id, url: e.url, events: e.events, secret };
}

/** Every subscription, oldest first, with its health (never its secret). */
export async function listEndpointsWithHealth(ctx: EngineContext) {
  const rows = await listEndpoints(ctx.store.db);
  const now = ctx.clock();
  return rows.map((r) => ({
    id: r.id,
    url: r.url,
    events: JSON.parse(r.event_types) as string[],
    enabled: r.enabled === 1,
    health: endpointHealthView(r, now),
  }));
}

export type EndpointListing = Awaited<ReturnType<typeof listEndpointsWithHealth>>[number];

/** Removes a subscription; WEBHOOK_ENDPOINT_NOT_FOUND if there is none with this id. */
export async function removeEndpoint(ctx: EngineContext, id: string): Promise<void> {
  if (!(await deleteEndpoint(ctx.store.db, id))) {
    throw new RecontactError('WEBHOOK_ENDPOINT_NOT_FOUND', `No webhook endpoint "${id}"`, {
      hint: 'GET /v1/webhook-endpoints lists the subscriptions and their ids (ep_…).',
    });
  }
}

/**
 * failing: marked by the deliverer (breaker kept opening, or a delivery used up its retries),
 * until its next success; paused: its breaker is open, deliveries wait; ok: otherwise.
 */
function endpointHealthView(r: EndpointRow, now: number) {
  const paused = r.breaker_until !== null && r.breaker_until > now;
  return {
    state: r.marked_failing_at !== null ? 'failing' : paused ? 'paused' : 'ok',
    failing_since: isoTimeOrNull(r.failing_since_at),
    consecutive_failures: r.consecutive_failures,
    paused_until: paused ? isoTimeOrNull(r.breaker_until) : null,
    last_error: r.last_error,
    last_delivered_at: isoTimeOrNull(r.last_delivered_at),
  };
}
