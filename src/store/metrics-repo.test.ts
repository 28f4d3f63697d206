/**
 * The scrape-time reads of /metrics on both databases: what they count, and that each statement
 * on a table that grows (messages, webhook_inbox, event_deliveries) is answered from a partial
 * index of the rows in that state, never by reading the table (EXPLAIN, with sequential scans
 * discouraged on PostgreSQL so that a tiny test table shows the plan a large one would get).
 */
import { CompiledQuery, type Insertable, type KyselyPlugin } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageRow, T0 } from '../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import type { MessageStatus } from '../domain/message';
import { accountLabels, endpointBacklogs, inboxBacklog, leaseHoldings, queueDepths } from './metrics-repo';
import type { EventEndpointsTable, MessagesTable } from './schema';

function message(id: string, accountId: string, status: MessageStatus): Insertable<MessagesTable> {
  return messageRow(id, { account_id: accountId, status });
}

/** Partial indexes a scrape may read each growing table through. */
const PARTIAL_INDEXES =
  /messages_(claimable|sending|unconfirmed|in_doubt|held|hold_until)|webhook_inbox_pending|event_deliveries_pending_by_(position|key)/;
const GROWING_TABLE = /\b(messages|webhook_inbox|event_deliveries)\b/;

describe.each(DIALECTS)('metrics repository on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
    const { db } = store;
    const spread: Array<[string, MessageStatus, number]> = [
      ['acc_a', 'queued', 3],
      ['acc_b', 'queued', 1],
      ['acc_a', 'sending', 2],
      ['acc_b', 'unconfirmed', 1],
      ['acc_a', 'in_doubt', 1],
      ['acc_b', 'held', 2],
      // Terminal states are history, never queue depth.
      ['acc_a', 'accepted', 4],
      ['acc_a', 'read', 5],
      ['acc_b', 'failed', 2],
      ['acc_b', 'cancelled', 1],
    ];
    let n = 0;
    const rows = spread.flatMap(([acc, status, count]) =>
      Array.from({ length: count }, () => message(`msg_${String(++n).padStart(4, '0')}`, acc, status)),
    );
    await db.insertInto('messages').values(rows).execute();
    await db
      .insertInto('webhook_inbox')
      .values([
        { id: 'whk_1', channel: 'whatsapp', body: '{}', status: 'processed', received_at: T0 - 9_000 },
        { id: 'whk_2', channel: 'whatsapp', body: '{}', status: 'pending', received_at: T0 - 5_000 },
        { id: 'whk_3', channel: 'messenger', body: '{}', status: 'pending', received_at: T0 - 1_000 },
        { id: 'whk_4', channel: 'whatsapp', body: '{}', status: 'failed', received_at: T0 - 8_000 },
      ])
      .execute();
    // Every column given: a multi-row insert on SQLite writes NULL, not the default, for one left out.
    const endpoint = (id: string, over: Partial<Insertable<EventEndpointsTable>> = {}) => ({
      id,
      url: `https://bot.example/${id}`,
      secret: 's',
      event_types: '["*"]',
      created_at: T0,
      enabled: 1,
      consecutive_failures: 0,
      marked_failing_at: null,
      breaker_until: null,
      ...over,
    });
    await db
      .insertInto('event_endpoints')
      .values([
        endpoint('ep_ok'),
        endpoint('ep_bad', {
          consecutive_failures: 7,
          marked_failing_at: T0 - 100,
          breaker_until: T0 + 60_000,
        }),
        endpoint('ep_off', { enabled: 0 }),
      ])
      .execute();
    const delivery = (id: string, status: 'pending' | 'delivered' | 'failed', position: number) => ({
      id,
      event_id: `evt_${position}`,
      endpoint_id: 'ep_bad',
      status,
      next_attempt_at: T0,
      created_at: T0 - 10_000 + position * 1_000,
      ordering_key: `contact:ctc_${position}`,
      position,
    });
    await db
      .insertInto('event_deliveries')
      .values([
        delivery('dlv_1', 'delivered', 1),
        delivery('dlv_2', 'failed', 2),
        delivery('dlv_4', 'pending', 4),
        delivery('dlv_3', 'pending', 3),
      ])
      .execute();
    await db
      .insertInto('account_leases')
      .values([
        { account_id: 'acc_b', holder: 'worker-2', expires_at: T0 + 30_000 },
        { account_id: 'acc_a', holder: 'worker-1', expires_at: T0 - 1 },
      ])
      .execute();
    const account = (
      id: string,
      name: string,
      channel: 'whatsapp' | 'messenger',
      disabled: number | null,
    ) => ({
      id,
      channel,
      name,
      external_id: `${id}-ext`,
      waba_id: null,
      access_token: 't',
      app_secret: 's',
      verify_token: 'v',
      base_url: 'http://127.0.0.1:9',
      graph_version: 'v25.0',
      throughput_mps: 80,
      messaging_limit: null,
      source: 'api' as const,
      disabled_at: disabled,
      created_at: T0,
      updated_at: T0,
    });
    await db
      .insertInto('channel_accounts')
      .values([account('acc_a', 'clinic', 'whatsapp', null), account('acc_b', 'page', 'messenger', T0)])
      .execute();
  });
  afterAll(() => store.destroy());

  it('counts each non-terminal state per account, and nothing terminal', async () => {
    const depths = await queueDepths(store.db);
    const sorted = [...depths].sort((x, y) =>
      `${x.status}${x.accountId}`.localeCompare(`${y.status}${y.accountId}`),
    );
    expect(sorted).toEqual([
      { accountId: 'acc_b', status: 'held', count: 2 },
      { accountId: 'acc_a', status: 'in_doubt', count: 1 },
      { accountId: 'acc_a', status: 'queued', count: 3 },
      { accountId: 'acc_b', status: 'queued', count: 1 },
      { accountId: 'acc_a', status: 'sending', count: 2 },
      { accountId: 'acc_b', status: 'unconfirmed', count: 1 },
    ]);
  });

  it('reads the inbox backlog: pending bodies and when the oldest arrived', async () => {
    expect(await inboxBacklog(store.db)).toEqual({ pending: 2, oldestReceivedAt: T0 - 5_000 });
  });

  it("reads each enabled endpoint's pending deliveries, its head's age and its health", async () => {
    expect(await endpointBacklogs(store.db)).toEqual([
      {
        endpointId: 'ep_bad',
        pending: 2,
        headCreatedAt: T0 - 10_000 + 3_000,
        consecutiveFailures: 7,
        failing: true,
        breakerUntil: T0 + 60_000,
      },
      {
        endpointId: 'ep_ok',
        pending: 0,
        headCreatedAt: null,
        consecutiveFailures: 0,
        failing: false,
        breakerUntil: null,
      },
    ]);
  });

  it('reads the lease holders and the accounts', async () => {
    expect(await leaseHoldings(store.db)).toEqual([
      { accountId: 'acc_a', holder: 'worker-1', expiresAt: T0 - 1 },
      { accountId: 'acc_b', holder: 'worker-2', expiresAt: T0 + 30_000 },
    ]);
    expect(await accountLabels(store.db)).toEqual([
      { accountId: 'acc_a', name: 'clinic', channel: 'whatsapp', disabled: false },
      { accountId: 'acc_b', name: 'page', channel: 'messenger', disabled: true },
    ]);
  });

  it('reads the growing tables through partial indexes only', async () => {
    await store.db.connection().execute(async (conn) => {
      const captured: CompiledQuery[] = [];
      const capture: KyselyPlugin = {
        transformQuery: (args) => {
          captured.push(conn.getExecutor().compileQuery(args.node, args.queryId));
          return args.node;
        },
        transformResult: async (args) => args.result,
      };
      const db = conn.withPlugin(capture);
      await queueDepths(db);
      await inboxBacklog(db);
      await endpointBacklogs(db);
      const growing = captured.filter((q) => GROWING_TABLE.test(q.sql));
      expect(growing.length).toBe(5 + 2 + 2);
      if (dialect === 'postgres') await conn.executeQuery(CompiledQuery.raw('SET enable_seqscan = off'));
      try {
        for (const q of growing) {
          const prefix = dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN ';
          const plan = await conn.executeQuery<Record<string, string>>(
            CompiledQuery.raw(prefix + q.sql, [...q.parameters]),
          );
          const text = plan.rows.map((r) => r.detail ?? r['QUERY PLAN']).join('\n');
          expect(text, q.sql).toMatch(PARTIAL_INDEXES);
          // A read of a whole growing table: SQLite's "SCAN t" without an index, PostgreSQL's Seq Scan.
          expect(text, q.sql).not.toMatch(/^SCAN (messages|webhook_inbox|event_deliveries|d)$/m);
          expect(text, q.sql).not.toMatch(/Seq Scan on (messages|webhook_inbox|event_deliveries)\b/);
        }
      } finally {
        if (dialect === 'postgres') await conn.executeQuery(CompiledQuery.raw('RESET enable_seqscan'));
      }
    });
  });
});
