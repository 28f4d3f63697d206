/**
 * Migrating while someone else drops a schema in the same PostgreSQL database: Kysely's look-up
 * of its own tables reads every schema, so a schema dropped meanwhile fails it with 3F000 (seen
 * when test files ran in parallel). The look-up is read again; nothing was migrated before it.
 */
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, PG_URL } from '../../test/support/stores';
import { migrateToLatest } from './migrate';
import type { Database } from './schema';

describe.skipIf(!DIALECTS.includes('postgres'))('migrations on PostgreSQL', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  let db: Kysely<Database> | undefined;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };
  afterAll(async () => {
    await db?.destroy();
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it("read Kysely's tables again when a schema that is not ours vanished during the look-up", async () => {
    await admin(`CREATE SCHEMA ${schema}`);
    // The first scan of the catalogue fails as it does when another session drops a schema
    // between the scan and has_schema_privilege(): with PostgreSQL's own 3F000.
    let vanished = 0;
    class DroppingMidScan extends pg.Client {
      // pg's query() has a dozen overloads; only its text is looked at.
      override query(...args: any[]): any {
        const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
        if (vanished === 0 && typeof text === 'string' && text.includes('pg_attribute')) {
          vanished++;
          args.splice(0, args.length, `SELECT has_schema_privilege('t_dropped_meanwhile', 'USAGE')`);
        }
        return (pg.Client.prototype.query as any).apply(this, args);
      }
    }
    const pool = new pg.Pool({
      connectionString: PG_URL,
      max: 2,
      options: `-c search_path=${schema}`,
      Client: DroppingMidScan,
    });
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const applied = await migrateToLatest(db, schema);
    expect(vanished).toBe(1);
    expect(applied[0]).toBe('0001-initial');
    const tables = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM information_schema.tables
       WHERE table_schema = ${schema} AND table_name = 'messages'`.execute(db);
    expect(tables.rows[0]!.n).toBe(1);
  });
});
