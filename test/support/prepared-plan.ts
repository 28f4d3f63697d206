/**
 * PostgreSQL's plan of a statement as a named statement gets it: PREPAREd, then EXPLAIN EXECUTE
 * with its values, on one connection, either as the generic plan (what a named statement runs
 * after its fifth execution, knowing no values) or as a custom one.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../../src/store/schema';

export async function preparedPlan(
  db: Kysely<Database>,
  text: string,
  values: string,
  mode: 'force_generic_plan' | 'force_custom_plan' = 'force_generic_plan',
): Promise<string> {
  return db.connection().execute(async (conn) => {
    await sql.raw(`SET plan_cache_mode = ${mode}`).execute(conn);
    await sql.raw(`PREPARE plan_probe AS ${text}`).execute(conn);
    try {
      const r = await sql
        .raw<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE plan_probe(${values})`)
        .execute(conn);
      return r.rows.map((row) => row['QUERY PLAN']).join('\n');
    } finally {
      await sql.raw('DEALLOCATE plan_probe').execute(conn);
      await sql.raw('RESET plan_cache_mode').execute(conn);
    }
  });
}
