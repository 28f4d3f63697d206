/**
 * Migrating while someone else changes their tables in the same PostgreSQL database: Kysely's
 * look-up of its own tables reads every schema, so a schema dropped meanwhile fails it with 3F000
 * and a column renamed or dropped with 42703 (both seen when test files ran in parallel). The
 * look-up is read again; nothing was migrated before it.
 */
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, PG_URL } from '../../test/support/stores';
import { migrateToLatest } from './migrate';
import type { Database } from './schema';

describe.skipIf(!DIALECTS.includes('postgres'))('migrations on PostgreSQL', () => {
  const schemas: string[] = [];
  const dbs: Kysely<Database>[] = [];
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
    for (const db of dbs) await db.destroy();
    for (const schema of schemas) await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it.each([
    // Another session dropped a schema between the scan and has_schema_privilege().
    ['a schema', '3F000', `SELECT has_schema_privilege('t_dropped_meanwhile', 'USAGE')`],
    // Another session renamed a column between the scan and pg_get_serial_sequence().
    ['a column', '42703', `SELECT pg_get_serial_sequence('pg_catalog.pg_class', 'renamed_meanwhile')`],
  ])(
    "reads Kysely's tables again when %s that is not ours vanished during the look-up (%s)",
    async (_what, _code, failing) => {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      schemas.push(schema);
      await admin(`CREATE SCHEMA ${schema}`);
      // The first scan of the catalogue fails as PostgreSQL fails it when that happens.
      let vanished = 0;
      class ChangingMidScan extends pg.Client {
        // pg's query() has a dozen overloads; only its text is looked at.
        override query(...args: any[]): any {
          const text = typeof args[0] === 'string' ? args[0] : args[0]?.text;
          if (vanished === 0 && typeof text === 'string' && text.includes('pg_attribute')) {
            vanished++;
            args.splice(0, args.length, failing);
          }
          return (pg.Client.prototype.query as any).apply(this, args);
        }
      }
      const pool = new pg.Pool({
        connectionString: PG_URL,
        max: 2,
        options: `-c search_path=${schema}`,
        Client: ChangingMidScan,
      });
      const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
      dbs.push(db);
      const applied = await migrateToLatest(db, schema);
      expect(vanished).toBe(1);
      expect(applied[0]).toBe('0001-initial');
      const tables = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM information_schema.tables
       WHERE table_schema = ${schema} AND table_name = 'messages'`.execute(db);
      expect(tables.rows[0]!.n).toBe(1);
    },
  );
});
