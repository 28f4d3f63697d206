import type { Kysely, Selectable } from 'kysely';
import type { ChannelAccount } from '../channels/channel';
import type { ChannelAccountsTable, Database } from './schema';

export type AccountRow = Selectable<ChannelAccountsTable>;

export interface AccountWithLimits extends ChannelAccount {
  name: string;
  throughputMps: number;
}

export function toAccount(row: AccountRow): AccountWithLimits {
  return {
    id: row.id,
    name: row.name,
    phoneNumberId: row.phone_number_id,
    wabaId: row.waba_id,
    accessToken: row.access_token,
    appSecret: row.app_secret,
    verifyToken: row.verify_token,
    baseUrl: row.base_url,
    graphVersion: row.graph_version,
    throughputMps: row.throughput_mps,
  };
}

/** Inserts or refreshes an account by its phone-number id (credentials and URLs may change). */
export async function upsertAccount(
  db: Kysely<Database>,
  a: Omit<AccountWithLimits, 'id'> & { id: string },
  now: number,
): Promise<AccountWithLimits> {
  const values = {
    id: a.id,
    channel: 'whatsapp',
    name: a.name,
    phone_number_id: a.phoneNumberId,
    waba_id: a.wabaId,
    access_token: a.accessToken,
    app_secret: a.appSecret,
    verify_token: a.verifyToken,
    base_url: a.baseUrl,
    graph_version: a.graphVersion,
    throughput_mps: a.throughputMps,
    created_at: now,
  };
  const { id: _id, created_at: _c, ...update } = values;
  await db
    .insertInto('channel_accounts')
    .values(values)
    .onConflict((oc) => oc.column('phone_number_id').doUpdateSet(update))
    .execute();
  const row = await db
    .selectFrom('channel_accounts')
    .selectAll()
    .where('phone_number_id', '=', a.phoneNumberId)
    .executeTakeFirstOrThrow();
  return toAccount(row);
}

export async function listAccounts(db: Kysely<Database>): Promise<AccountWithLimits[]> {
  const rows = await db
    .selectFrom('channel_accounts')
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map(toAccount);
}
