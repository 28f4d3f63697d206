import type { Kysely, Selectable } from 'kysely';
import type { ChannelAccount } from '../channels/channel';
import { PLAIN_PREFIX, type SecretBox } from '../domain/secret-box';
import type { ChannelAccountsTable, Database } from './schema';

export type AccountRow = Selectable<ChannelAccountsTable>;

export interface AccountWithLimits extends ChannelAccount {
  name: string;
  throughputMps: number;
}

/** The credentials, encrypted in the row (SecretBox); everything else is stored as it is. */
const SECRET_COLUMNS = ['access_token', 'app_secret', 'verify_token'] as const;
type SecretColumn = (typeof SECRET_COLUMNS)[number];

function open(box: SecretBox, row: AccountRow, column: SecretColumn): string {
  return box.open(
    row[column],
    `channel_accounts.${column}`,
    `channel_accounts.${column} of account ${row.id}`,
  );
}

function seal(box: SecretBox, plain: string, column: SecretColumn): string {
  return box.seal(plain, `channel_accounts.${column}`);
}

function toAccount(row: AccountRow, box: SecretBox): AccountWithLimits {
  return {
    id: row.id,
    name: row.name,
    phoneNumberId: row.phone_number_id,
    wabaId: row.waba_id,
    accessToken: open(box, row, 'access_token'),
    appSecret: open(box, row, 'app_secret'),
    verifyToken: open(box, row, 'verify_token'),
    baseUrl: row.base_url,
    graphVersion: row.graph_version,
    throughputMps: row.throughput_mps,
  };
}

/** Inserts or refreshes an account by its phone-number id (credentials and URLs may change). */
export async function upsertAccount(
  db: Kysely<Database>,
  box: SecretBox,
  a: Omit<AccountWithLimits, 'id'> & { id: string },
  now: number,
): Promise<AccountWithLimits> {
  const values = {
    id: a.id,
    channel: 'whatsapp',
    name: a.name,
    phone_number_id: a.phoneNumberId,
    waba_id: a.wabaId,
    access_token: seal(box, a.accessToken, 'access_token'),
    app_secret: seal(box, a.appSecret, 'app_secret'),
    verify_token: seal(box, a.verifyToken, 'verify_token'),
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
  return toAccount(row, box);
}

export async function listAccounts(db: Kysely<Database>, box: SecretBox): Promise<AccountWithLimits[]> {
  const rows = await db
    .selectFrom('channel_accounts')
    .selectAll()
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => toAccount(r, box));
}

/**
 * Re-encrypts stored credentials with the box's current key. `plaintext` touches only values
 * from before encryption existed (done at every start: harmless while processes with other keys
 * run); `all` also re-seals values under a previous key (`recontact secrets rotate`, once every
 * process has the new key). Every stored value is opened first, so a key that cannot read them
 * throws SECRET_KEY_INVALID before it has written anything other processes could not read.
 * Each row is written only if nobody changed it meanwhile. Returns how many rows were rewritten.
 */
export async function resealAccountSecrets(
  db: Kysely<Database>,
  box: SecretBox,
  scope: 'plaintext' | 'all',
): Promise<number> {
  const rows = await db.selectFrom('channel_accounts').selectAll().orderBy('id').execute();
  for (const row of rows) toAccount(row, box);
  let rewritten = 0;
  for (const row of rows) {
    const stale = SECRET_COLUMNS.filter((c) =>
      scope === 'plaintext' ? row[c].startsWith(PLAIN_PREFIX) : !box.isCurrent(row[c]),
    );
    if (stale.length === 0) continue;
    const set: Partial<Record<SecretColumn, string>> = {};
    for (const c of stale) set[c] = seal(box, open(box, row, c), c);
    let q = db.updateTable('channel_accounts').set(set).where('id', '=', row.id);
    for (const c of stale) q = q.where(c, '=', row[c]);
    const r = await q.executeTakeFirst();
    rewritten += Number(r.numUpdatedRows) > 0 ? 1 : 0;
  }
  return rewritten;
}
