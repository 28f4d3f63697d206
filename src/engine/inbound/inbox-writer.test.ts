/**
 * The inbox writer's group commit on both databases: bodies accepted together are all stored,
 * each request resolved only after its row is committed, in one transaction on PostgreSQL (one
 * xmin); a row that cannot go in (an id taken twice) fails its own request only.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/support/engine-context';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import type { EngineContext } from '../context';
import { InboxWriter } from './inbox-writer';

const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('webhook inbox writer on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    ctx = testContext(store, () => T0);
  });
  afterEach(() => store.destroy());

  const stored = async () =>
    store.db
      .selectFrom('webhook_inbox')
      .select(['id', 'body', 'status', 'received_at'])
      .orderBy('id')
      .execute();

  it('stores bodies written together, each resolved once committed', async () => {
    const writer = new InboxWriter(ctx);
    const bodies = Array.from({ length: 50 }, (_, i) => ({
      id: `whk_${String(i).padStart(3, '0')}`,
      channel: 'whatsapp',
      body: `{"n":${i},"text":"comillas \\" y barra \\\\ y ñ"}`,
    }));
    await Promise.all(
      bodies.map(async (b) => {
        await writer.write(b);
        // Resolved: the row is there for any other connection to read.
        const row = await store.db
          .selectFrom('webhook_inbox')
          .select('body')
          .where('id', '=', b.id)
          .executeTakeFirst();
        expect(row?.body).toBe(b.body);
      }),
    );
    const rows = await stored();
    expect(rows).toEqual(bodies.map((b) => ({ id: b.id, body: b.body, status: 'pending', received_at: T0 })));
    if (dialect === 'postgres') {
      // One transaction for all of them: they share the inserting transaction's id.
      const xmins = await sql<{
        n: string;
      }>`SELECT count(DISTINCT xmin::text) AS n FROM webhook_inbox`.execute(store.db);
      expect(Number(xmins.rows[0]!.n)).toBe(1);
    }
  });

  it('fails only the request whose row cannot go in', async () => {
    const writer = new InboxWriter(ctx);
    await writer.write({ id: 'whk_taken', channel: 'whatsapp', body: '{"first":true}' });
    const results = await Promise.allSettled([
      writer.write({ id: 'whk_a', channel: 'whatsapp', body: '{"a":1}' }),
      writer.write({ id: 'whk_taken', channel: 'whatsapp', body: '{"second":true}' }),
      writer.write({ id: 'whk_b', channel: 'messenger', body: '{"b":1}' }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const rows = await stored();
    expect(rows.map((r) => [r.id, r.body])).toEqual([
      ['whk_a', '{"a":1}'],
      ['whk_b', '{"b":1}'],
      ['whk_taken', '{"first":true}'],
    ]);
  });
});
