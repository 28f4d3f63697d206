import type { Kysely, Selectable } from 'kysely';
import type { ChannelAccount } from '../channels/channel';
import { EXTERNAL_ID_FIELD } from '../domain/channels/account-rules';
import type { AccountSource, ChannelKind } from '../domain/channels/channel-kind';
import { RecontactError } from '../domain/errors';
import type { MessagingLimit } from '../domain/pacing/messaging-limit';
import { PLAIN_PREFIX, type SecretBox } from '../domain/secret-box';
import type { ChannelAccountsTable, Database } from './schema';

export type AccountRow = Selectable<ChannelAccountsTable>;

export interface AccountWithLimits extends ChannelAccount {
  name: string;
  throughputMps: number;
  /** WhatsApp's messaging limit as declared for this number; null: the process-wide setting. */
  messagingLimit: MessagingLimit | null;
  source: AccountSource;
  /** A disabled account sends nothing and takes no new work; null while enabled. */
  disabledAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** `messaging_limit` is an integer column: "unlimited" is stored as this. */
const UNLIMITED_STORED = -1;

const limitToRow = (l: MessagingLimit | null | undefined): number | null =>
  l === undefined || l === null ? null : l === 'unlimited' ? UNLIMITED_STORED : l;

const limitFromRow = (n: number | null): MessagingLimit | null =>
  n === null ? null : n === UNLIMITED_STORED ? 'unlimited' : n;

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
    messagingLimit: limitFromRow(row.messaging_limit),
    source: row.source,
    disabledAt: row.disabled_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export type AccountDeclaration = Omit<
  AccountWithLimits,
  'id' | 'disabledAt' | 'createdAt' | 'updatedAt' | 'messagingLimit'
> & { id: string; messagingLimit?: MessagingLimit | null };

/** The row for a declared account, its secrets sealed. */
function rowValues(box: SecretBox, a: AccountDeclaration, now: number) {
  return {
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
    messaging_limit: limitToRow(a.messagingLimit),
    source: a.source,
    created_at: now,
    updated_at: now,
  };
}

/**
 * Inserts or refreshes the account the WHATSAPP_* shortcut declares (and tests' accounts) by its
 * channel and external id: credentials and URLs may change between starts. A disabled account
 * stays disabled; `id` is used only for a new row. The config file has syncConfigAccounts.
 */
export async function upsertAccount(
  db: Kysely<Database>,
  box: SecretBox,
  a: AccountDeclaration,
  now: number,
): Promise<AccountWithLimits> {
  const values = rowValues(box, a, now);
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

/** An account by its id or, failing that, its name (URLs and people use names). */
export async function getAccount(
  db: Kysely<Database>,
  box: SecretBox,
  idOrName: string,
): Promise<AccountWithLimits | undefined> {
  const byId = await db
    .selectFrom('channel_accounts')
    .selectAll()
    .where('id', '=', idOrName)
    .executeTakeFirst();
  const row =
    byId ??
    (await db.selectFrom('channel_accounts').selectAll().where('name', '=', idOrName).executeTakeFirst());
  return row ? toAccount(row, box) : undefined;
}

/**
 * Refuses a name or a (channel, external id) another account already has, naming the field as
 * the API and the config file spell it. `self`: the account being changed, which may keep its own.
 */
async function assertFree(
  db: Kysely<Database>,
  want: { name?: string; channel?: ChannelKind; externalId?: string },
  self?: string,
): Promise<void> {
  if (want.name !== undefined) {
    let q = db.selectFrom('channel_accounts').select(['id', 'channel']).where('name', '=', want.name);
    if (self) q = q.where('id', '<>', self);
    const other = await q.executeTakeFirst();
    if (other) {
      throw new RecontactError(
        'ACCOUNT_CONFLICT',
        `The name "${want.name}" is taken by account ${other.id}`,
        {
          details: [{ path: 'name', message: `is already the name of ${other.channel} account ${other.id}` }],
          hint: 'Choose another name; names are unique because URLs name accounts by them.',
          data: { field: 'name', account_id: other.id },
        },
      );
    }
  }
  if (want.channel !== undefined && want.externalId !== undefined) {
    let q = db
      .selectFrom('channel_accounts')
      .select(['id', 'name'])
      .where('channel', '=', want.channel)
      .where('external_id', '=', want.externalId);
    if (self) q = q.where('id', '<>', self);
    const other = await q.executeTakeFirst();
    if (other) {
      const field = EXTERNAL_ID_FIELD[want.channel];
      throw new RecontactError(
        'ACCOUNT_CONFLICT',
        `The ${want.channel} ${field} ${want.externalId} is already account "${other.name}" (${other.id})`,
        {
          details: [{ path: field, message: `is already account "${other.name}" (${other.id})` }],
          hint: `Change that account instead (PATCH /v1/channel-accounts/${other.name}); one ${field} is one account.`,
          data: { field, account_id: other.id },
        },
      );
    }
  }
}

/** A unique constraint refused the write: SQLite and PostgreSQL say so differently. */
function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT_UNIQUE'));
}

/**
 * Inserts a new account (the API). A taken name or external id is ACCOUNT_CONFLICT naming the
 * field, also when another process took it between the check and the insert.
 */
export async function createAccount(
  db: Kysely<Database>,
  box: SecretBox,
  a: AccountDeclaration,
  now: number,
): Promise<AccountWithLimits> {
  await assertFree(db, a);
  try {
    await db
      .insertInto('channel_accounts')
      .values(rowValues(box, a, now))
      .execute();
  } catch (err) {
    if (isUniqueViolation(err)) await assertFree(db, a);
    throw err;
  }
  return (await getAccount(db, box, a.id))!;
}

/** What a change may touch; the channel and the external id are the account's identity and stay. */
export interface AccountChange {
  name?: string;
  wabaId?: string;
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
  throughputMps?: number;
  messagingLimit?: MessagingLimit | null;
  baseUrl?: string;
  graphVersion?: string;
  /** true: disabled now (or since it was); false: enabled. */
  disabled?: boolean;
}

/** Applies a partial change; returns the account as stored, or undefined when there is no such id. */
export async function updateAccount(
  db: Kysely<Database>,
  box: SecretBox,
  id: string,
  c: AccountChange,
  now: number,
): Promise<AccountWithLimits | undefined> {
  const row = await db.selectFrom('channel_accounts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return undefined;
  if (c.name !== undefined && c.name !== row.name) await assertFree(db, { name: c.name }, id);
  const set: Partial<AccountRow> = { updated_at: now };
  if (c.name !== undefined) set.name = c.name;
  if (c.wabaId !== undefined) set.waba_id = c.wabaId;
  if (c.accessToken !== undefined) set.access_token = seal(box, c.accessToken, 'access_token');
  if (c.appSecret !== undefined) set.app_secret = seal(box, c.appSecret, 'app_secret');
  if (c.verifyToken !== undefined) set.verify_token = seal(box, c.verifyToken, 'verify_token');
  if (c.throughputMps !== undefined) set.throughput_mps = c.throughputMps;
  if (c.messagingLimit !== undefined) set.messaging_limit = limitToRow(c.messagingLimit);
  if (c.baseUrl !== undefined) set.base_url = c.baseUrl;
  if (c.graphVersion !== undefined) set.graph_version = c.graphVersion;
  // The first disable time is kept: "disabled since" stays true when it is disabled again.
  if (c.disabled !== undefined) set.disabled_at = c.disabled ? (row.disabled_at ?? now) : null;
  try {
    await db.updateTable('channel_accounts').set(set).where('id', '=', id).execute();
  } catch (err) {
    if (isUniqueViolation(err) && c.name !== undefined) await assertFree(db, { name: c.name }, id);
    throw err;
  }
  return getAccount(db, box, id);
}

export function setDisabled(
  db: Kysely<Database>,
  box: SecretBox,
  id: string,
  disabled: boolean,
  now: number,
): Promise<AccountWithLimits | undefined> {
  return updateAccount(db, box, id, { disabled }, now);
}

/** An account the config file declares; `disabled` when the file says so, else left as it is. */
export type ConfigAccount = Omit<AccountDeclaration, 'id' | 'source'> & { disabled?: boolean };

export interface ConfigSync {
  created: string[];
  updated: string[];
  /** Accounts that were created through the API or the environment and are now the file's. */
  takenOver: Array<{ name: string; from: AccountSource }>;
  /** Accounts the file declared before and no longer does: disabled, now managed through the API. */
  removed: string[];
}

/**
 * Makes the stored accounts what the config file says, in one transaction (a file with a
 * conflict changes nothing). Each entry is found by its channel and external id. The file
 * decides whether an account is enabled when it says `disabled`; otherwise an account it newly
 * declares is enabled and one it already managed keeps its state (disabled through the API, it
 * stays so). Accounts it managed and no longer lists are disabled, not deleted (messages and
 * contacts point at them), and handed to the API: the file no longer speaks for them.
 * `conflict(i, err)`: turns a taken name into the caller's error (naming the file's entry).
 */
export async function syncConfigAccounts(
  db: Kysely<Database>,
  box: SecretBox,
  declared: ConfigAccount[],
  opts: { now: number; newId: () => string; conflict: (index: number, err: RecontactError) => Error },
): Promise<ConfigSync> {
  const { now } = opts;
  const out: ConfigSync = { created: [], updated: [], takenOver: [], removed: [] };
  await db.transaction().execute(async (trx) => {
    const kept: string[] = [];
    for (const [i, d] of declared.entries()) {
      const row = await trx
        .selectFrom('channel_accounts')
        .selectAll()
        .where('channel', '=', d.channel)
        .where('external_id', '=', d.externalId)
        .executeTakeFirst();
      try {
        await assertFree(trx, { name: d.name }, row?.id);
      } catch (err) {
        throw err instanceof RecontactError ? opts.conflict(i, err) : err;
      }
      const disabledAt =
        d.disabled === true
          ? (row?.disabled_at ?? now)
          : d.disabled === false || !row || row.source !== 'config'
            ? null
            : row.disabled_at;
      if (!row) {
        const id = opts.newId();
        await trx
          .insertInto('channel_accounts')
          .values({ ...rowValues(box, { ...d, id, source: 'config' }, now), disabled_at: disabledAt })
          .execute();
        kept.push(id);
        out.created.push(d.name);
        continue;
      }
      kept.push(row.id);
      if (row.source !== 'config') out.takenOver.push({ name: d.name, from: row.source });
      if (sameAsStored(box, row, d, disabledAt)) continue;
      const {
        id: _i,
        created_at: _c,
        ...values
      } = rowValues(box, { ...d, id: row.id, source: 'config' }, now);
      await trx
        .updateTable('channel_accounts')
        .set({ ...values, disabled_at: disabledAt })
        .where('id', '=', row.id)
        .execute();
      out.updated.push(d.name);
    }
    let gone = trx
      .selectFrom('channel_accounts')
      .select(['id', 'name', 'disabled_at'])
      .where('source', '=', 'config');
    if (kept.length > 0) gone = gone.where('id', 'not in', kept);
    for (const r of await gone.execute()) {
      await trx
        .updateTable('channel_accounts')
        .set({ source: 'api', disabled_at: r.disabled_at ?? now, updated_at: now })
        .where('id', '=', r.id)
        .execute();
      out.removed.push(r.name);
    }
  });
  return out;
}

/** Whether writing `d` would change nothing (secrets compared opened: each seal differs). */
function sameAsStored(box: SecretBox, row: AccountRow, d: ConfigAccount, disabledAt: number | null): boolean {
  return (
    row.source === 'config' &&
    row.name === d.name &&
    row.waba_id === d.wabaId &&
    row.base_url === d.baseUrl &&
    row.graph_version === d.graphVersion &&
    row.throughput_mps === d.throughputMps &&
    row.messaging_limit === limitToRow(d.messagingLimit) &&
    row.disabled_at === disabledAt &&
    open(box, row, 'access_token') === d.accessToken &&
    open(box, row, 'app_secret') === d.appSecret &&
    open(box, row, 'verify_token') === d.verifyToken
  );
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
