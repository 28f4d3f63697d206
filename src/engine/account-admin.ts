/**
 * Channel accounts managed through the API: create, change, disable. The rows belong to the
 * accounts repository; this file holds the rules the API adds: a base URL is a target this
 * server will call (the outbound URL policy), fields belong to one channel, and accounts the
 * config file or the WHATSAPP_* variables declare are theirs to change (the next start would
 * overwrite an API change), except for switching them off and on.
 */
import { EXTERNAL_ID_FIELD, THROUGHPUT, TOKEN_FIELD } from '../domain/channels/account-rules';
import type { ChannelKind } from '../domain/channels/channel-kind';
import { RecontactError } from '../domain/errors';
import type { MessagingLimit } from '../domain/pacing/messaging-limit';
import { checkTargetUrl } from '../domain/url-policy';
import {
  type AccountChange,
  type AccountWithLimits,
  createAccount,
  getAccount,
  listAccounts,
  updateAccount,
} from '../store/accounts-repo';
import type { AccountRegistry } from './accounts';
import type { EngineContext } from './context';

export interface NewChannelAccount {
  channel: ChannelKind;
  name: string;
  externalId: string;
  wabaId: string | null;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  throughputMps: number;
  messagingLimit: MessagingLimit | null;
  baseUrl: string;
  graphVersion: string;
}

/** A change as the API spells it: only what is given changes. */
export interface ChannelAccountPatch {
  name?: string | undefined;
  waba_id?: string | undefined;
  access_token?: string | undefined;
  page_token?: string | undefined;
  app_secret?: string | undefined;
  verify_token?: string | undefined;
  throughput_mps?: number | undefined;
  messaging_limit?: MessagingLimit | null | undefined;
  base_url?: string | undefined;
  graph_version?: string | undefined;
  disabled?: boolean | undefined;
}

export interface AdminOptions {
  /** Whether a base URL may point at a private address (config.allowPrivateTargets). */
  allowPrivateTargets: boolean;
}

/** Fresh from the database, not the cache: an admin reads what another process just wrote. */
export function listChannelAccounts(
  ctx: EngineContext,
  accounts: AccountRegistry,
): Promise<AccountWithLimits[]> {
  return listAccounts(ctx.store.db, accounts.secrets);
}

export async function getChannelAccount(
  ctx: EngineContext,
  accounts: AccountRegistry,
  idOrName: string,
): Promise<AccountWithLimits> {
  const a = await getAccount(ctx.store.db, accounts.secrets, idOrName);
  if (!a) {
    throw new RecontactError('ACCOUNT_NOT_FOUND', `No channel account "${idOrName}"`, {
      details: [{ path: 'account', message: 'is neither the id nor the name of a channel account' }],
      hint: 'GET /v1/channel-accounts lists them.',
    });
  }
  return a;
}

export async function createChannelAccount(
  ctx: EngineContext,
  accounts: AccountRegistry,
  input: NewChannelAccount,
  opts: AdminOptions,
): Promise<AccountWithLimits> {
  checkBaseUrl(input.baseUrl, opts);
  const created = await createAccount(
    ctx.store.db,
    accounts.secrets,
    {
      ...input,
      id: ctx.id('acc'),
      baseUrl: input.baseUrl.replace(/\/+$/, ''),
      // A Messenger page has no WABA and no messaging limit (WhatsApp's).
      wabaId: input.channel === 'whatsapp' ? input.wabaId : null,
      messagingLimit: input.channel === 'whatsapp' ? input.messagingLimit : null,
      source: 'api',
    },
    ctx.clock(),
  );
  await accounts.reload();
  return created;
}

export async function changeChannelAccount(
  ctx: EngineContext,
  accounts: AccountRegistry,
  idOrName: string,
  patch: ChannelAccountPatch,
  opts: AdminOptions,
): Promise<AccountWithLimits> {
  const current = await getChannelAccount(ctx, accounts, idOrName);
  const change = toChange(current, patch, opts);
  const updated = await updateAccount(ctx.store.db, accounts.secrets, current.id, change, ctx.clock());
  if (!updated) return getChannelAccount(ctx, accounts, idOrName);
  await accounts.reload();
  return updated;
}

/** Disabling keeps the row: its contacts, messages and campaigns still point at it. */
export function disableChannelAccount(
  ctx: EngineContext,
  accounts: AccountRegistry,
  idOrName: string,
): Promise<AccountWithLimits> {
  return changeChannelAccount(ctx, accounts, idOrName, { disabled: true }, { allowPrivateTargets: false });
}

function toChange(a: AccountWithLimits, p: ChannelAccountPatch, opts: AdminOptions): AccountChange {
  const given = (Object.keys(p) as Array<keyof ChannelAccountPatch>).filter((k) => p[k] !== undefined);
  const fields = given.filter((k) => k !== 'disabled');
  if (a.source !== 'api' && fields.length > 0) {
    const where =
      a.source === 'config'
        ? 'the config file (recontact.config.yaml, or the file --config or RECONTACT_CONFIG names)'
        : 'the WHATSAPP_* variables';
    throw new RecontactError(
      'ACCOUNT_READ_ONLY',
      `Channel account "${a.name}" is declared in ${where}; change it there`,
      {
        details: fields.map((f) => ({ path: f, message: `is set by ${where} at every start` })),
        hint: `Edit ${where} and restart; through the API only {"disabled": true|false} is accepted for this account.`,
        data: { source: a.source },
      },
    );
  }
  const problems: Array<{ path: string; message: string }> = [];
  const token = TOKEN_FIELD[a.channel];
  const otherToken = TOKEN_FIELD[a.channel === 'whatsapp' ? 'messenger' : 'whatsapp'];
  if (p[otherToken] !== undefined) {
    problems.push({ path: otherToken, message: `a ${a.channel} account takes "${token}" instead` });
  }
  if (a.channel === 'messenger') {
    for (const f of ['waba_id', 'messaging_limit'] as const) {
      if (p[f] !== undefined) problems.push({ path: f, message: 'has no meaning on a messenger account' });
    }
  }
  const t = THROUGHPUT[a.channel];
  if (p.throughput_mps !== undefined && (p.throughput_mps < t.min || p.throughput_mps > t.max)) {
    problems.push({
      path: 'throughput_mps',
      message: `must be from ${t.min} to ${t.max} messages per second on ${a.channel}, got ${p.throughput_mps}`,
    });
  }
  if (problems.length > 0) {
    throw new RecontactError('INPUT_INVALID', `The change does not fit ${a.channel} account "${a.name}"`, {
      details: problems,
      hint: `A ${a.channel} account's fields: see POST /v1/channel-accounts at /docs (its ${EXTERNAL_ID_FIELD[a.channel]} cannot change).`,
    });
  }
  if (p.base_url !== undefined) checkBaseUrl(p.base_url, opts);
  const c: AccountChange = {};
  if (p.name !== undefined) c.name = p.name;
  if (p.waba_id !== undefined) c.wabaId = p.waba_id;
  const tokenValue = p[token];
  if (tokenValue !== undefined) c.accessToken = tokenValue;
  if (p.app_secret !== undefined) c.appSecret = p.app_secret;
  if (p.verify_token !== undefined) c.verifyToken = p.verify_token;
  if (p.throughput_mps !== undefined) c.throughputMps = p.throughput_mps;
  if (p.messaging_limit !== undefined) c.messagingLimit = p.messaging_limit;
  if (p.base_url !== undefined) c.baseUrl = p.base_url.replace(/\/+$/, '');
  if (p.graph_version !== undefined) c.graphVersion = p.graph_version;
  if (p.disabled !== undefined) c.disabled = p.disabled;
  return c;
}

/**
 * This server will post the account's token to its base URL: the same rules as any URL given
 * through the API (no private address unless allowed, no credentials in the URL).
 */
function checkBaseUrl(url: string, opts: AdminOptions): void {
  const r = checkTargetUrl(url, { allowPrivate: opts.allowPrivateTargets });
  if (!r.ok) {
    throw new RecontactError('INPUT_INVALID', 'base_url is not an allowed target', {
      details: [{ path: 'base_url', message: `${r.message} (rule: ${r.rule})` }],
      hint: r.hint,
      data: { rule: r.rule },
    });
  }
}
