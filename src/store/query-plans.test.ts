/**
 * SQLite's planner against the hot lookups, on the SQL the repositories really run (captured
 * from Kysely, then explained). A plan that walks a whole index instead of searching it is
 * invisible on a small test database and costs more with every row the table gains: an
 * `ORDER BY id` once made the contact look-up of every send walk all of an account's contacts.
 */
import type { Kysely, KyselyPlugin, RootOperationNode } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../../test/support/stores';
import { findContacts } from './contacts-repo';
import { readDueMessages } from './dispatch-repo';
import { findMessagesByIds } from './messages-repo';
import type { Database } from './schema';

/** Runs `work` on a db that records each query's tree; returns SQLite's plan of each (its details). */
async function plansOf(
  db: Kysely<Database>,
  work: (db: Kysely<Database>) => Promise<unknown>,
): Promise<Array<{ sql: string; plan: string[] }>> {
  const nodes: RootOperationNode[] = [];
  const recorder: KyselyPlugin = {
    transformQuery: ({ node }) => {
      nodes.push(node);
      return node;
    },
    transformResult: async ({ result }) => result,
  };
  await work(db.withPlugin(recorder));
  const out: Array<{ sql: string; plan: string[] }> = [];
  for (const node of nodes) {
    const q = db.getExecutor().compileQuery(node, { queryId: 'plan' });
    const explained = await db
      .getExecutor()
      .executeQuery<{ detail: string }>({ ...q, sql: `EXPLAIN QUERY PLAN ${q.sql}` });
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
});
