/**
 * SQLite's planner against the hot lookups, on the SQL the repositories really run (captured
 * from Kysely, then explained). A plan that walks a whole index instead of searching it is
 * invisible on a small test database and costs more with every row the table gains: an
 * `ORDER BY id` once made the contact look-up of every send walk all of an account's contacts.
 */
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedQueries } from '../../test/support/captured-sql';
import { openTestStore, type TestStore } from '../../test/support/stores';
import { countAudience } from './audience-query';
import { countReached, reachAtRank } from './campaign-plan-query';
import {
  campaignCountRows,
  deferPending,
  lastSendTimes,
  markQueued,
  QUEUE_SQL,
  replyStats,
  settlePending,
} from './campaign-recipients-repo';
import { MARKETING_SQL } from './consent-repo';
import { findContacts } from './contacts-repo';
import {
  markAccepted,
  markStaleSendsUnconfirmed,
  ROW_SQL,
  readDueMessages,
  settleExpiredDoubts,
} from './dispatch-repo';
import { claimDueDeliveries } from './events-repo';
import { findByIdempotencyKey, findMessagesByIds, listMessages } from './messages-repo';
import type { Database } from './schema';

/**
 * Runs `work` on a db that records each query's tree; returns SQLite's plan of each (its
 * details). `blind`: the plan made without looking at the bound values (NULL bound instead), as a
 * SQLite built without STAT4 plans every statement. better-sqlite3's own build has STAT4 and
 * re-plans a statement on every run when a value could change its plan; a literal spares that.
 */
async function plansOf(
  db: Kysely<Database>,
  work: (db: Kysely<Database>) => Promise<unknown>,
  opts: { blind?: boolean } = {},
): Promise<Array<{ sql: string; plan: string[] }>> {
  const out: Array<{ sql: string; plan: string[] }> = [];
  for (const q of await capturedQueries(db, work)) {
    const explained = await db.getExecutor().executeQuery<{ detail: string }>({
      ...q,
      sql: `EXPLAIN QUERY PLAN ${q.sql}`,
      parameters: opts.blind ? q.parameters.map(() => null) : q.parameters,
    });
    out.push({ sql: q.sql, plan: explained.rows.map((r) => r.detail) });
  }
  return out;
}

describe('query plans on SQLite', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore('sqlite');
  });
  afterAll(() => store.destroy());

  it('finds contacts by wa_id through the unique index, not by walking the account', async () => {
    const plans = await plansOf(store.db, (db) =>
      findContacts(db, 'acc_1', ['5491155550001', '5491155550002']),
    );
    expect(plans).toHaveLength(1);
    expect(plans[0]!.plan.join(' | ')).toMatch(
      /SEARCH contacts USING INDEX \S+ \(account_id=\? AND wa_id=\?\)/,
    );
    expect(plans[0]!.plan.join(' | ')).not.toMatch(/TEMP B-TREE|contacts_account_id/);
  });

  it('finds contacts by wa_id or BSUID through both indexes', async () => {
    const plans = await plansOf(store.db, (db) =>
      findContacts(db, 'acc_1', ['5491155550001', 'AR.0123456789ABCDEF']),
    );
    const plan = plans.map((p) => p.plan.join(' | ')).join(' / ');
    expect(plans).toHaveLength(2);
    expect(plan).toMatch(/SEARCH contacts USING INDEX \S+ \(account_id=\? AND wa_id=\?\)/);
    expect(plan).toMatch(/SEARCH contacts USING INDEX contacts_account_bsuid \(account_id=\? AND bsuid=\?\)/);
  });

  it('reads due messages from the claimable index and rows by primary key', async () => {
    const plans = await plansOf(store.db, async (db) => {
      await readDueMessages(db, { accountId: 'acc_1', now: Date.now(), limit: 10, skip: new Set() });
      await findMessagesByIds(db, ['msg_1', 'msg_2']);
    });
    expect(plans[0]!.plan.join(' | ')).toMatch(/USING (COVERING )?INDEX messages_claimable/);
    expect(plans[1]!.plan.join(' | ')).toMatch(
      /SEARCH messages USING INDEX sqlite_autoindex_messages_1 \(id=\?\)/,
    );
  });

  // The loops below run every few seconds whatever the load. Their partial indexes must be
  // chosen from the SQL text alone (the state written as a literal), not from the bound values:
  // otherwise SQLite re-plans the statement on every run, and without STAT4 it would walk every
  // message of the account or every delivery of the endpoint.
  const BLIND = { blind: true };
  it('sweeps sends left in doubt through the partial indexes of their state', async () => {
    const now = Date.now();
    const stale = await plansOf(
      store.db,
      (db) =>
        markStaleSendsUnconfirmed(db, {
          accountId: 'acc_1',
          workerId: 'w1',
          startedAt: now,
          now,
          graceMs: 1,
        }),
      BLIND,
    );
    expect(stale[0]!.plan.join(' | ')).toMatch(/USING INDEX messages_sending \(account_id=\?/);
    const settle = await plansOf(
      store.db,
      (db) => settleExpiredDoubts(db, { accountId: 'acc_1', now, policy: 'fail', limit: 10 }),
      BLIND,
    );
    expect(settle[0]!.plan.join(' | ')).toMatch(
      /USING (COVERING )?INDEX messages_unconfirmed \(account_id=\? AND doubt_until<\?\)/,
    );
  });

  it('claims due event deliveries from the pending partial indexes, not the delivery log', async () => {
    const plans = await plansOf(
      store.db,
      (db) =>
        claimDueDeliveries(db, { endpointId: 'ep_1', now: Date.now(), leaseMs: 1, limit: 10, token: 't' }),
      BLIND,
    );
    const plan = plans[0]!.plan.join(' | ');
    expect(plan).toMatch(/SEARCH d USING INDEX event_deliveries_(pending_by_position|due_by_endpoint)/);
    expect(plan).toMatch(/SEARCH e USING (COVERING )?INDEX event_deliveries_pending_by_key/);
    expect(plan).not.toMatch(/event_deliveries_log/);
  });

  it("probes an audience's undeliverable contacts (131026) through their partial index", async () => {
    const plans = await plansOf(
      store.db,
      (db) =>
        countAudience(db, {
          accountId: 'acc_1',
          match: { kind: 'all' },
          purpose: 'marketing',
          needs: [],
          frequencyCapMs: 0,
          now: Date.now(),
          sampleSize: 0,
        }),
      BLIND,
    );
    expect(plans[0]!.plan.join(' | ')).toMatch(/USING (COVERING )?INDEX messages_not_whatsapp_user/);
    expect(plans.map((p) => p.plan.join(' | ')).join(' / ')).not.toMatch(/messages_idempotency_unique/);
  });

  it("lists an account's newest messages from the primary key, and one contact's through messages_contact", async () => {
    // Through the idempotency index SQLite read every message of the account and sorted them.
    const all = await plansOf(store.db, (db) => listMessages(db, { accountId: 'acc_1', limit: 50 }));
    expect(all[0]!.plan.join(' | ')).toMatch(/^SCAN messages USING INDEX sqlite_autoindex_messages_1$/);
    const one = await plansOf(store.db, (db) =>
      listMessages(db, { accountId: 'acc_1', waId: '5491155550001', limit: 50 }),
    );
    // The contacts subquery is recorded on its own too; the list is the query on messages.
    const listed = one.find((p) => p.sql.startsWith('select * from "messages"'));
    expect(listed!.plan.join(' | ')).toMatch(
      /^SEARCH messages USING INDEX messages_contact \(contact_id=\?\)/,
    );
    const byKey = await plansOf(store.db, (db) => findByIdempotencyKey(db, 'acc_1', 'appt-123'));
    expect(byKey[0]!.plan.join(' | ')).toMatch(
      /SEARCH messages USING INDEX messages_idempotency_unique \(account_id=\? AND idempotency_key=\?\)/,
    );
  });

  it("counts the users a messaging limit has reached from the last day's primary-key range", async () => {
    // Not messages_contact read whole to skip the sort that DISTINCT and GROUP BY would need.
    for (const count of [
      (db: Kysely<Database>) => countReached(db, 'acc_1', Date.now() - 86_400_000),
      (db: Kysely<Database>) => reachAtRank(db, 'acc_1', Date.now() - 86_400_000, 3),
    ]) {
      const plans = await plansOf(store.db, count);
      const plan = plans.at(-1)!.plan.join(' | ');
      expect(plan).toMatch(/SEARCH messages USING INDEX sqlite_autoindex_messages_1 \(id>\?\)/);
      expect(plan).not.toMatch(/messages_contact/);
    }
  });

  it("moves a batch of a campaign's recipients by primary key, not through the pending ones", async () => {
    // Without statistics SQLite took `contact_id IN (…)` for more rows than "the campaign's
    // pending recipients" and read all of those (100,000 at a launch) for every batch.
    const ids = Array.from({ length: 200 }, (_, i) => `ctc_${i}`);
    const plans = await plansOf(store.db, async (db) => {
      await markQueued(db, {
        campaignId: 'cmp_1',
        items: ids.map((contactId, i) => ({ contactId, messageId: `msg_${i}`, variant: 'A' })),
        now: 1,
      });
      await settlePending(db, {
        campaignId: 'cmp_1',
        contactIds: ids,
        to: 'opted_out',
        reason: null,
        now: 1,
      });
      await deferPending(db, {
        campaignId: 'cmp_1',
        items: ids.map((contactId) => ({ contactId, sendAt: 5 })),
        now: 1,
      });
    });
    expect(plans).toHaveLength(3);
    for (const { plan } of plans) {
      expect(plan.join(' | ')).toMatch(
        /SEARCH campaign_recipients USING INDEX sqlite_autoindex_campaign_recipients_1 \(campaign_id=\? AND contact_id=\?\)/,
      );
      expect(plan.join(' | ')).not.toMatch(/campaign_recipients_due/);
    }
  });

  it("counts a campaign's recipients and messages from its indexes alone, reading no queued recipient", async () => {
    const plans = await plansOf(store.db, (db) => campaignCountRows(db, 'cmp_1'));
    // The capture holds each part of the union too; the statement run is the whole, the last.
    const plan = plans.at(-1)!.plan.join(' | ');
    expect(plan).toMatch(/^COMPOUND QUERY/);
    // The recipients: only the states counted, searched in the index (not the queued bulk).
    expect(plan).toMatch(
      /campaign_recipients USING COVERING INDEX campaign_recipients_due \(campaign_id=\? AND state=\?\)/,
    );
    // The messages: status, error, withdrawal and reply all in the campaign index, no row read.
    expect(plan).toMatch(/messages USING COVERING INDEX messages_campaign \(campaign_id=\?\)/);
    expect(plan).not.toMatch(/messages USING INDEX/);
  });

  it('counts replies by button from the index of the recipients who replied', async () => {
    const plans = await plansOf(store.db, (db) => replyStats(db, 'cmp_1'));
    expect(plans[0]!.plan.join(' | ')).toMatch(
      /campaign_recipients USING COVERING INDEX campaign_recipients_replied \(campaign_id=\?\)/,
    );
  });

  it('looks each contact of a batch up in messages_contact for its last send', async () => {
    const plans = await plansOf(store.db, (db) => lastSendTimes(db, ['ctc_1', 'ctc_2'], 0));
    expect(plans).toHaveLength(1);
    const plan = plans[0]!.plan.join(' | ');
    expect(plan).toMatch(
      /SEARCH m USING COVERING INDEX messages_contact \(contact_id=\? AND created_at>\?\)/,
    );
    expect(plan).not.toMatch(/SCAN m\b/);
  });

  it('records acceptances by primary key', async () => {
    const plans = await plansOf(store.db, (db) =>
      markAccepted(db, [{ id: 'msg_1', providerMessageId: 'wamid.1' }], 1),
    );
    expect(plans[0]!.plan.join(' | ')).toMatch(
      /SEARCH messages USING INDEX sqlite_autoindex_messages_1 \(id=\?\)/,
    );
  });

  it('finds each row of the per-row statements by primary key, and due rows in messages_claimable', async () => {
    // These run on the raw connection (sqlite-direct.ts), so they are explained from their text.
    const plan = async (text: string) => {
      const explained = await store.db.getExecutor().executeQuery<{ detail: string }>({
        sql: `EXPLAIN QUERY PLAN ${text}`,
        parameters: Array.from({ length: text.split('?').length - 1 }, () => null),
        query: sql.raw(text).toOperationNode(),
        queryId: { queryId: 'plan' },
      });
      return explained.rows.map((r) => r.detail).join(' | ');
    };
    expect(await plan(ROW_SQL.dueIds)).toMatch(/USING (COVERING )?INDEX messages_claimable/);
    for (const text of [ROW_SQL.posting, ROW_SQL.accepted, ROW_SQL.acceptedLate]) {
      expect(await plan(text)).toMatch(/^SEARCH messages USING INDEX sqlite_autoindex_messages_1 \(id=\?\)$/);
    }
    // The due rows of a list of ids and their contacts' consent, each by its key.
    expect(await plan(ROW_SQL.dueRows)).toMatch(
      /^SEARCH m USING INDEX sqlite_autoindex_messages_1 \(id=\?\) \| LIST SUBQUERY 1 \| SCAN json_each VIRTUAL TABLE INDEX \d+:? \| SEARCH c USING INDEX sqlite_autoindex_contacts_1 \(id=\?\)( LEFT-JOIN)?$/,
    );
    // A campaign's batch, queued inside the runner's transaction (sqlite-direct.ts).
    expect(await plan(QUEUE_SQL)).toMatch(
      /^SEARCH campaign_recipients USING INDEX sqlite_autoindex_campaign_recipients_1 \(campaign_id=\? AND contact_id=\?\)$/,
    );
    expect(await plan(MARKETING_SQL)).toMatch(
      /^SEARCH contacts USING INDEX sqlite_autoindex_contacts_1 \(id=\?\)( LEFT-JOIN)?$/,
    );
  });
});
