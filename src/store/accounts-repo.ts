import type { Kysely, Selectable } from 'kysely';
import type { ChannelAccount } from '../channels/channel';
import type { AccountSource } from '../domain/channels/channel-kind';
import { PLAIN_PREFIX, type SecretBox } from '../domain/secret-box';
import type { ChannelAccountsTable, Database } from './schema';

export type AccountRow = Selectable<ChannelAccountsTable>;

export interface AccountWithLimits extends ChannelAccount {
  name: string;
  throughputMps: number;
  /** WhatsApp's messaging limit as declared for this number; null: the process-wide setting. */
  messagingLimit: number | null;
  source: AccountSource;
  /** A disabled account sends nothing and takes no new work; null while enabled. */
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
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
    channel: row.channel,
    name: row.name,
    externalId: row.external_id,
    wabaId: row.waba_id,
    accessToken: open(box, row, 'access_token'),
    appSecret: open(box, row, 'app_secret'),
    verifyToken: open(box, row, 'verify_token'),
    baseUrl: row.base_url,
    graphVersion: row.graph_version,
    throughputMps: row.throughput_mps,
    messagingLimit: row.messaging_limit,
    source: row.source,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type AccountDeclaration = Omit<
  AccountWithLimits,
  'id' | 'disabledAt' | 'createdAt' | 'updatedAt' | 'messagingLimit'
> & { id: string; messagingLimit?: number | null };

/**
 * Inserts or refreshes a declared account (the WHATSAPP_* shortcut, the config file) by its
 * channel and external id: credentials and URLs may change between starts. A disabled account
 * stays disabled; `id` is used only for a new row.
 */
export async function upsertAccount(
  db: Kysely<Database>,
  box: SecretBox,
  a: AccountDeclaration,
  now: number,
): Promise<AccountWithLimits> {
  const values = {
    id: a.id,
    channel: a.channel,
    name: a.name,
    external_id: a.externalId,
    waba_id: a.wabaId,
    access_token: seal(box, a.accessToken, 'access_token'),
    app_secret: seal(box, a.appSecret, 'app_secret'),
    verify_token: seal(box, a.verifyToken, 'verify_token'),
    base_url: a.baseUrl,
    graph_version: a.graphVersion,
    throughput_mps: a.throughputMps,
    messaging_limit: a.messagingLimit ?? null,
    source: a.source,
    created_at: now,
    updated_at: now,
  };
  const { id: _id, created_at: _c, ...update } = values;
  await db
    .insertInto('channel_accounts')
    .values(values)
    .onConflict((oc) => oc.columns(['channel', 'external_id']).doUpdateSet(update))
    .execute();
  const row = await db
    .selectFrom('channel_accounts')
    .selectAll()
    .where('channel', '=', a.channel)
    .where('external_id', '=', a.externalId)
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
