import { type Kysely, sql } from 'kysely';
import type { Database } from './schema';

/**
 * Takes or renews the lease on an account in one statement: it succeeds when the account is
 * free, the lease has expired, or this holder already has it. Returns whether we hold it now.
 */
export async function acquireAccountLease(
  db: Kysely<Database>,
  p: { accountId: string; holder: string; now: number; ttlMs: number },
): Promise<boolean> {
  await sql`
    INSERT INTO account_leases (account_id, holder, expires_at)
    VALUES (${p.accountId}, ${p.holder}, ${p.now + p.ttlMs})
    ON CONFLICT (account_id) DO UPDATE
       SET holder = excluded.holder, expires_at = excluded.expires_at
     WHERE account_leases.holder = excluded.holder OR account_leases.expires_at <= ${p.now}`.execute(db);
  const row = await db
    .selectFrom('account_leases')
    .select('holder')
    .where('account_id', '=', p.accountId)
    .executeTakeFirst();
  return row?.holder === p.holder;
}

export async function releaseAccountLeases(db: Kysely<Database>, holder: string): Promise<void> {
  await db.deleteFrom('account_leases').where('holder', '=', holder).execute();
}
