/**
 * What /metrics reads from the database at scrape time: the state every process shares (queues,
 * inbox, outbox, leases), so whichever process is scraped reports the same figures. Each read
 * must stay cheap on a large database: every count below is answered from a partial index that
 * holds only the rows in that state, so its cost grows with the backlog, never with history.
 * Both engines use a partial index only when the query repeats its condition as a literal, hence
 * `sql.lit` and one statement per state.
 */
import { type Kysely, sql } from 'kysely';
import type { MessageStatus } from '../domain/message';
import type { Database } from './schema';

/**
 * The non-terminal message states, each counted on its own partial index (messages_claimable,
 * messages_sending, messages_unconfirmed, messages_in_doubt, messages_held / messages_hold_until).
 */
export const QUEUE_STATES = [
  'queued',
  'sending',
  'unconfirmed',
  'in_doubt',
  'held',
] as const satisfies readonly MessageStatus[];
export type QueueState = (typeof QUEUE_STATES)[number];

export interface QueueDepth {
  accountId: string;
  status: QueueState;
  count: number;
}

/** Messages per account in each non-terminal state. */
export async function queueDepths(db: Kysely<Database>): Promise<QueueDepth[]> {
  const parts = await Promise.all(
    QUEUE_STATES.map(async (status): Promise<QueueDepth[]> => {
      if (status === 'held') return heldDepths(db);
      const rows = await db
        .selectFrom('messages')
        .select(['account_id', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('status', '=', sql.lit(status))
        .groupBy('account_id')
        .execute();
      return rows.map((r) => ({ accountId: r.account_id, status, count: Number(r.n) }));
    }),
  );
  return parts.flat();
}

/**
 * Held messages are grouped here, not in SQL: their indexes do not start with the account, and
 * SQLite without statistics (no ANALYZE is ever run) would rather walk a whole index in account
 * order for a GROUP BY than read the few held rows.
 */
async function heldDepths(db: Kysely<Database>): Promise<QueueDepth[]> {
  const rows = await db
    .selectFrom('messages')
    .select('account_id')
    .where('status', '=', sql.lit('held'))
    .execute();
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.account_id, (counts.get(r.account_id) ?? 0) + 1);
  return [...counts].map(([accountId, count]) => ({ accountId, status: 'held', count }));
}

export interface InboxBacklog {
  pending: number;
  /** When the oldest body still waiting was received (ms epoch); null when none waits. */
  oldestReceivedAt: number | null;
}

/** Webhook bodies stored and acknowledged but not applied yet (partial index webhook_inbox_pending). */
export async function inboxBacklog(db: Kysely<Database>): Promise<InboxBacklog> {
  const [count, oldest] = await Promise.all([
    db
      .selectFrom('webhook_inbox')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('status', '=', sql.lit('pending'))
      .executeTakeFirstOrThrow(),
    // Ids grow with arrival time: the first in id order is the oldest.
    db
      .selectFrom('webhook_inbox')
      .select('received_at')
      .where('status', '=', sql.lit('pending'))
      .orderBy('id')
      .limit(1)
      .executeTakeFirst(),
  ]);
  return { pending: Number(count.n), oldestReceivedAt: oldest ? Number(oldest.received_at) : null };
}

export interface EndpointBacklog {
  endpointId: string;
  pending: number;
  /** When the first pending delivery in position order was created (ms epoch); null when none. */
  headCreatedAt: number | null;
  consecutiveFailures: number;
  /** Marked `failing` (domain/endpoint-health.ts). */
  failing: boolean;
  /** Its circuit breaker holds deliveries back until then (ms epoch); null when closed. */
  breakerUntil: number | null;
}

/**
 * Each enabled endpoint's outbox and health. Pending deliveries are counted on the partial index
 * event_deliveries_pending_by_position; the head is one step into the same index.
 */
export async function endpointBacklogs(db: Kysely<Database>): Promise<EndpointBacklog[]> {
  const [endpoints, counts] = await Promise.all([
    db
      .selectFrom('event_endpoints as ep')
      .select([
        'ep.id',
        'ep.consecutive_failures',
        'ep.marked_failing_at',
        'ep.breaker_until',
        (eb) =>
          eb
            .selectFrom('event_deliveries as d')
            .select('d.created_at')
            .whereRef('d.endpoint_id', '=', 'ep.id')
            .where('d.status', '=', sql.lit('pending'))
            .orderBy('d.position')
            .limit(1)
            .as('head_created_at'),
      ])
      .where('ep.enabled', '=', 1)
      .orderBy('ep.id')
      .execute(),
    db
      .selectFrom('event_deliveries')
      .select(['endpoint_id', (eb) => eb.fn.countAll<number | string>().as('n')])
      .where('status', '=', sql.lit('pending'))
      .groupBy('endpoint_id')
      .execute(),
  ]);
  const pending = new Map(counts.map((c) => [c.endpoint_id, Number(c.n)]));
  return endpoints.map((ep) => ({
    endpointId: ep.id,
    pending: pending.get(ep.id) ?? 0,
    headCreatedAt: ep.head_created_at === null ? null : Number(ep.head_created_at),
    consecutiveFailures: Number(ep.consecutive_failures),
    failing: ep.marked_failing_at !== null,
    breakerUntil: ep.breaker_until === null ? null : Number(ep.breaker_until),
  }));
}

export interface LeaseHolding {
  accountId: string;
  holder: string;
  expiresAt: number;
}

/** Which worker paces which account, until when (one small row per account). */
export async function leaseHoldings(db: Kysely<Database>): Promise<LeaseHolding[]> {
  const rows = await db
    .selectFrom('account_leases')
    .select(['account_id', 'holder', 'expires_at'])
    .orderBy('account_id')
    .execute();
  return rows.map((r) => ({ accountId: r.account_id, holder: r.holder, expiresAt: Number(r.expires_at) }));
}

export interface AccountLabel {
  accountId: string;
  name: string;
  channel: string;
  disabled: boolean;
}

/** The accounts' names and channels, so dashboards can show a name beside an account id. */
export async function accountLabels(db: Kysely<Database>): Promise<AccountLabel[]> {
  const rows = await db
    .selectFrom('channel_accounts')
    .select(['id', 'name', 'channel', 'disabled_at'])
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    accountId: r.id,
    name: r.name,
    channel: r.channel,
    disabled: r.disabled_at !== null,
  }));
}
