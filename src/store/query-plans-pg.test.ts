/**
 * PostgreSQL's planner against the dispatcher's writes, with the statistics a live database
 * has: taken (by autovacuum's ANALYZE) while the queue was empty, before the backlog now in it.
 * The messages_claimable partial index then looks nearly empty, and a statement that names its
 * rows by primary key and tests `status = 'queued'` as a fence was planned as a scan of that
 * whole index — every queued row, and every dead entry with its heap page, to mark 30 rows
 * `sending`. Dispatch on a database of 1,000,000 messages ran at a third of an empty one's rate.
 */
import { type Insertable, type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedQueries } from '../../test/support/captured-sql';
import { messageRow, T0 } from '../../test/support/message-rows';
import { preparedPlan } from '../../test/support/prepared-plan';
import { DIALECTS, openTestStore, type TestStore } from '../../test/support/stores';
import {
  ANALYZE_AFTER_RECIPIENTS,
  fenceRequeued,
  lastSendTimes,
  materialiseRecipients,
} from './campaign-recipients-repo';
import { bulkInsertContacts } from './contact-book-repo';
import { markPosting, PG_SQL, readDueMessages } from './dispatch-repo';
import { PG_EVENT_SQL, recordDeliveryResults, releaseDeliveries } from './events-repo';
import { holdMessages } from './held-messages-repo';
import type { Database, MessagesTable } from './schema';

const HISTORY = 3_000;
const BACKLOG = 3_000;

/** History accepted long ago, or the backlog queued since the statistics. */
function message(i: number, status: 'accepted' | 'queued'): Insertable<MessagesTable> {
  const id = `msg_${status === 'queued' ? 'q' : 'h'}${String(i).padStart(6, '0')}`;
  return messageRow(id, {
    account_id: 'acc_1',
    contact_id: `ctc_${i % 500}`,
    status,
    provider_message_id: status === 'accepted' ? `wamid.${id}` : null,
    attempts: status === 'accepted' ? 1 : 0,
    next_attempt_at: T0 + i,
    created_at: T0 + i,
    updated_at: T0 + i,
    accepted_at: status === 'accepted' ? T0 + i : null,
  });
}

/** PostgreSQL's plan of each statement `work` runs, with its own bound values. */
async function explained(
  store: TestStore,
  work: (db: Kysely<Database>) => Promise<unknown>,
): Promise<string[]> {
  const out: string[] = [];
  for (const q of await capturedQueries(store.db, work)) {
    const r = await store.db.getExecutor().executeQuery<{ 'QUERY PLAN': string }>({
      ...q,
      sql: `EXPLAIN ${q.sql}`,
    });
    out.push(r.rows.map((row) => row['QUERY PLAN']).join('\n'));
  }
  return out;
}

describe.runIf(DIALECTS.includes('postgres'))(
  'query plans on PostgreSQL, statistics older than the backlog',
  () => {
    let store: TestStore;
    const queued = Array.from({ length: 30 }, (_, i) => `msg_q${String(i * 97).padStart(6, '0')}`);

    beforeAll(async () => {
      store = await openTestStore('postgres');
      const insert = async (status: 'accepted' | 'queued', n: number) => {
        for (let i = 0; i < n; i += 500) {
          const rows = Array.from({ length: Math.min(500, n - i) }, (_, k) => message(i + k, status));
          await store.db.insertInto('messages').values(rows).execute();
        }
      };
      await insert('accepted', HISTORY);
      await deliveries('delivered', HISTORY);
      await sql`ANALYZE messages`.execute(store.db);
      await sql`ANALYZE event_deliveries`.execute(store.db);
      await insert('queued', BACKLOG);
      // An endpoint that was down a while: its deliveries wait.
      await deliveries('pending', BACKLOG);
    });
    afterAll(() => store.destroy());

    async function deliveries(status: 'delivered' | 'pending', n: number): Promise<void> {
      for (let i = 0; i < n; i += 500) {
        const rows = Array.from({ length: Math.min(500, n - i) }, (_, k) => ({
          id: `dlv_${status[0]}${String(i + k).padStart(6, '0')}`,
          event_id: `evt_${i + k}`,
          endpoint_id: 'ep_1',
          status,
          next_attempt_at: T0 + i + k,
          created_at: T0 + i + k,
          delivered_at: status === 'delivered' ? T0 + i + k : null,
          lease_token: status === 'pending' ? `lease_${i + k}` : null,
        }));
        await store.db.insertInto('event_deliveries').values(rows).execute();
      }
    }

    const plansOf = (work: (db: Kysely<Database>) => Promise<unknown>) => explained(store, work);

    it('marks rows sending, and reads them, by primary key however stale the statistics', async () => {
      const now = T0 + HISTORY + BACKLOG;
      const plans = await plansOf(async (db) => {
        await markPosting(db, 'w1', queued, now, 60_000);
        const due = await readDueMessages(db, {
          accountId: 'acc_1',
          now,
          limit: 10,
          skip: new Set(),
        });
        expect(due).toHaveLength(10);
      });
      expect(plans).toHaveLength(3);
      const [mark, dueIds, rows] = plans as [string, string, string];
      expect(mark).toMatch(/Index Scan using messages_pkey/);
      expect(mark).not.toMatch(/messages_claimable/);
      // Finding due rows is what the partial index is for; reading them whole is the key's job.
      expect(dueIds).toMatch(/messages_claimable/);
      expect(rows).toMatch(/Index Scan using messages_pkey/);
      expect(rows).not.toMatch(/messages_claimable/);
      // With them, their contacts' consent (the consent guard's), by the contacts' key.
      expect(rows).toMatch(/Index Scan using contacts_pkey/);
      expect(rows).not.toMatch(/Seq Scan on contacts/);
    });

    it("plans the dispatcher's named statements the same way, generic plan or custom", async () => {
      // Named statements (pg-direct.ts) are planned for their values the first five runs on a
      // connection, then by a generic plan that knows no values: both must take the same indexes.
      const now = T0 + HISTORY + BACKLOG;
      const ids = `ARRAY[${queued.map((id) => `'${id}'`).join(', ')}]`;
      const runs: Array<[keyof typeof PG_SQL, string]> = [
        ['posting', `${now}, 'w2', ${now + 60_000}, ${ids}`],
        ['dueIds', `'acc_1', ${now}, 10`],
        ['dueRows', ids],
        ['accepted', `${now}, ${ids}, ${ids}`],
      ];
      for (const mode of ['force_generic_plan', 'force_custom_plan']) {
        const plans = await store.db.connection().execute(async (conn) => {
          const out: Record<string, string> = {};
          await sql.raw(`SET plan_cache_mode = ${mode}`).execute(conn);
          try {
            for (const [key, values] of runs) {
              await sql.raw(`PREPARE plan_probe AS ${PG_SQL[key].text}`).execute(conn);
              try {
                const r = await sql
                  .raw<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE plan_probe(${values})`)
                  .execute(conn);
                out[key] = r.rows.map((row) => row['QUERY PLAN']).join('\n');
              } finally {
                await sql.raw('DEALLOCATE plan_probe').execute(conn);
              }
            }
          } finally {
            await sql.raw('RESET plan_cache_mode').execute(conn);
          }
          return out;
        });
        for (const key of ['posting', 'dueRows', 'accepted'] as const) {
          expect(plans[key], `${key}, ${mode}`).toMatch(/Index Scan using messages_pkey/);
          expect(plans[key], `${key}, ${mode}`).not.toMatch(/messages_claimable|Seq Scan on messages/);
        }
        expect(plans.dueIds, mode).toMatch(/messages_claimable/);
        expect(plans.dueRows, mode).toMatch(/Index Scan using contacts_pkey/);
        expect(plans.dueRows, mode).not.toMatch(/Seq Scan on contacts/);
      }
    });

    it('moves sequenced events out of a never-analysed backlog by its key, generic plan or custom', async () => {
      // The backlog is empty and was never analysed here, as in a new database when the named
      // statement is first planned; a join on the unnest was then planned as a scan of the
      // whole backlog, and kept.
      for (const mode of ['force_generic_plan', 'force_custom_plan'] as const) {
        const plan = await preparedPlan(
          store.db,
          PG_EVENT_SQL.moveBacklog.text,
          `ARRAY[${T0}, ${T0}]::bigint[], ARRAY['evt_a', 'evt_b'], ARRAY[1, 2]::bigint[], ARRAY[1, NULL]::bigint[]`,
          mode,
        );
        expect(plan, mode).toMatch(/Index Scan (using|on) event_backlog_pkey/);
        expect(plan, mode).not.toMatch(/Seq Scan on event_backlog/);
      }
    });

    it('fences requeued rows and holds fresh ones by primary key', async () => {
      const fence = await plansOf((db) => fenceRequeued(db, queued.slice(0, 5), T0));
      expect(fence.length).toBeGreaterThan(0);
      for (const plan of fence) expect(plan).not.toMatch(/messages_claimable/);
      const hold = await plansOf((db) =>
        holdMessages(db, [{ id: 'msg_q002999', holdUntil: T0 + 1, fallbackMessageId: 'msg_x' }]),
      );
      expect(hold[0]).toMatch(/Index Scan using messages_pkey/);
      expect(hold[0]).not.toMatch(/messages_claimable/);
    });

    it("records an event delivery's result, and hands a lease back, by primary key", async () => {
      const results = await plansOf((db) =>
        recordDeliveryResults(
          db,
          [
            {
              id: 'dlv_p000007',
              eventId: 'evt_7',
              endpointId: 'ep_1',
              leaseToken: 'lease_7',
              attempt: 1,
              startedAt: T0,
              durationMs: 3,
              statusCode: 200,
              error: null,
              outcome: { delivered: true },
              attemptLogId: 'dat_1',
            },
          ],
          T0,
        ),
      );
      const update = results.find((p) => p.startsWith('Update on event_deliveries'))!;
      expect(update).toMatch(/Index Scan using event_deliveries_pkey/);
      const release = await plansOf((db) =>
        releaseDeliveries(db, [{ id: 'dlv_p000008', leaseToken: 'lease_8' }]),
      );
      expect(release[0]).toMatch(/Index Scan using event_deliveries_pkey/);
    });
  },
);

/**
 * A new database (or one whose autovacuum is off): statistics say the tables are empty while a
 * campaign fills them. Each statement here was planned as a read of every pending recipient or
 * every message per batch — quadratic over a 100,000-recipient campaign.
 */
describe.runIf(DIALECTS.includes('postgres'))(
  'query plans on PostgreSQL, statistics taken while empty',
  () => {
    let store: TestStore;
    const contacts = Array.from(
      { length: ANALYZE_AFTER_RECIPIENTS },
      (_, i) => `ctc_${String(i).padStart(6, '0')}`,
    );

    beforeAll(async () => {
      store = await openTestStore('postgres');
      for (const table of ['messages', 'contacts', 'campaign_recipients'])
        await sql`ANALYZE ${sql.table(table)}`.execute(store.db);
      for (let i = 0; i < 3_000; i += 500) {
        const rows = Array.from({ length: 500 }, (_, k) =>
          messageRow(`msg_${String(i + k).padStart(6, '0')}`, {
            account_id: 'acc_1',
            contact_id: contacts[(i + k) % 500]!,
            status: 'sending',
          }),
        );
        await store.db.insertInto('messages').values(rows).execute();
      }
      await bulkInsertContacts(
        store.db,
        contacts.map((id, i) => ({
          id,
          accountId: 'acc_1',
          waId: `1650555${String(i).padStart(6, '0')}`,
          phoneE164: `+1650555${String(i).padStart(6, '0')}`,
          name: null,
          tags: [],
          attributes: {},
          lastInboundAt: null,
          lastMarketingAt: null,
          marketingConsent: 'unknown',
          createdAt: T0,
        })),
      );
    }, 60_000);
    afterAll(() => store.destroy());

    it("finds each contact's last send in messages_contact", async () => {
      const [plan] = await explained(store, (db) => lastSendTimes(db, contacts.slice(0, 300), 0));
      expect(plan).toMatch(/messages_contact/);
      expect(plan).not.toMatch(/Seq Scan on messages/);
    });

    it('refreshes the statistics when a launch adds many recipients', async () => {
      const added = await store.db.transaction().execute((trx) =>
        materialiseRecipients(trx, {
          campaignId: 'cmp_1',
          scan: {
            accountId: 'acc_1',
            match: { kind: 'all' },
            purpose: 'utility',
            needs: [],
            frequencyCapMs: 0,
            now: T0,
          },
          sendTimes: { fallback: T0, byZone: new Map() },
          now: T0,
        }),
      );
      expect(added).toBe(ANALYZE_AFTER_RECIPIENTS);
      // What the planner now believes: the campaign's rows, not the empty table of before. (At
      // 100,000 recipients that is what makes it look a batch up by key; at this test's size a
      // scan of the table costs as little, so the plan itself would prove nothing here.)
      const stats = await sql<{ reltuples: number }>`
        SELECT reltuples::float8 AS reltuples FROM pg_class
         WHERE oid = to_regclass('campaign_recipients')`.execute(store.db);
      expect(Number(stats.rows[0]!.reltuples)).toBe(ANALYZE_AFTER_RECIPIENTS);
    });
  },
);
