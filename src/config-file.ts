/**
 * recontact.config.yaml: channel accounts as code. Read once at start (src/config.ts), checked
 * whole, every problem named by file, line and path. Each entry has the shape of the body of
 * POST /v1/channel-accounts (the same schema reads both), plus an optional `disabled`. Any
 * string may be written as a `${ENV_VAR}` reference, resolved here, so the file can live in git
 * without its secrets; `$${` writes a literal `${`.
 *
 *   accounts:
 *     - channel: messenger
 *       name: clinic-page
 *       page_id: "1234567890"
 *       page_token: ${CLINIC_PAGE_TOKEN}
 *       app_secret: ${META_APP_SECRET}
 *       verify_token: ${META_VERIFY_TOKEN}
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';
import { createAccountBody } from './api/channel-account-schemas';
import { EXTERNAL_ID_FIELD } from './domain/channels/account-rules';
import type { ChannelKind } from './domain/channels/channel-kind';
import { RecontactError } from './domain/errors';
import type { MessagingLimit } from './domain/pacing/messaging-limit';
import { checkTargetUrl } from './domain/url-policy';

export const DEFAULT_CONFIG_FILE = 'recontact.config.yaml';

/** An account as the file declares it, secrets resolved. */
export interface FileAccount {
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
  /** Said by the file: the account is switched off (true) or on (false); absent: left as it is. */
  disabled?: boolean;
}

export interface AccountsFile {
  /** As given (flag, variable or default), for messages. */
  path: string;
  accounts: FileAccount[];
}

type Problem = { path: string; message: string };

/**
 * Which file to read: --config, else RECONTACT_CONFIG, else ./recontact.config.yaml when
 * `lookInWorkingDirectory` (serve, worker) and it exists; none otherwise.
 */
export function configFilePath(
  flag: string | undefined,
  envValue: string | undefined,
  lookInWorkingDirectory: boolean,
): { path: string; from: string } | undefined {
  if (flag !== undefined) return { path: flag, from: '--config' };
  if (envValue !== undefined && envValue !== '') return { path: envValue, from: 'RECONTACT_CONFIG' };
  if (lookInWorkingDirectory && existsSync(DEFAULT_CONFIG_FILE)) {
    return { path: DEFAULT_CONFIG_FILE, from: 'the working directory' };
  }
  return undefined;
}

function invalid(file: string, message: string, details: Problem[], hint?: string): RecontactError {
  return new RecontactError('CONFIG_INVALID', `${file}: ${message}`, {
    details,
    hint: hint ?? 'Fix the entries named above; each has the shape of POST /v1/channel-accounts (see /docs).',
    data: { file },
  });
}

export function loadAccountsFile(
  where: { path: string; from: string },
  env: Record<string, string | undefined>,
): AccountsFile {
  const file = where.path;
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw invalid(
      file,
      code === 'ENOENT'
        ? `the config file named by ${where.from} does not exist`
        : `cannot be read (${code})`,
      [{ path: file, message: `resolved to ${resolve(file)}` }],
      'Give the path of an existing recontact.config.yaml (see examples/recontact.config.yaml), or leave --config and RECONTACT_CONFIG unset.',
    );
  }
  return parseAccountsFile(file, text, env);
}

/** Parses and checks a config file's text; every problem at once, none of the values in them. */
export function parseAccountsFile(
  file: string,
  text: string,
  env: Record<string, string | undefined>,
): AccountsFile {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined) =>
    offset === undefined ? undefined : text.slice(0, offset).split('\n').length;
  if (doc.errors.length > 0) {
    throw invalid(
      file,
      'is not valid YAML',
      doc.errors.map((e) => ({
        path: `${file}:${lineOf(e.pos[0]) ?? '?'}`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
      'Check the indentation and the quoting at the lines named above.',
    );
  }
  const at = (path: Array<string | number>): string => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const line = lineOf(node?.range?.[0]);
    const shown = path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
    return line === undefined ? `${file}: ${shown}` : `${file}:${line}: ${shown}`;
  };
  if (!isMap(doc.contents)) {
    throw invalid(file, 'must be a mapping with an `accounts:` list', [
      { path: file, message: doc.contents === null ? 'the file is empty' : 'the top level is not a mapping' },
    ]);
  }
  const root = doc.toJS() as Record<string, unknown>;
  const unknown = Object.keys(root).filter((k) => k !== 'accounts');
  if (unknown.length > 0) {
    throw invalid(
      file,
      'has keys Recontact does not read',
      unknown.map((k) => ({
        path: at([k]),
        message: 'is not a config file key; the file holds `accounts:` only',
      })),
    );
  }
  if (!isSeq(doc.get('accounts', true))) {
    throw invalid(file, '`accounts:` must be a list', [
      { path: at(['accounts']), message: 'write one entry per account, each starting with "- channel: …"' },
    ]);
  }
  const entries = root.accounts as unknown[];
  const problems: Problem[] = [];
  const accounts: FileAccount[] = [];
  /** The entry each account came from. */
  const entryOf: number[] = [];
  for (const [i, entry] of entries.entries()) {
    const label = (field: string | undefined) => {
      const name = isRecord(entry) && typeof entry.name === 'string' ? ` (${entry.name})` : '';
      return { path: at(field === undefined ? ['accounts', i] : ['accounts', i, field]), name };
    };
    if (!isRecord(entry)) {
      problems.push({ path: at(['accounts', i]), message: 'must be a mapping of the account’s fields' });
      continue;
    }
    const resolved: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry)) {
      if (typeof v !== 'string') {
        resolved[k] = v;
        continue;
      }
      const r = resolveRefs(v, env);
      if (r.missing.length > 0) {
        const l = label(k);
        problems.push({
          path: l.path,
          message: `account${l.name}: ${r.missing.map((m) => `\${${m}}`).join(', ')} ${r.missing.length > 1 ? 'are' : 'is'} not set in the environment`,
        });
      }
      resolved[k] = r.value;
    }
    const { disabled, ...body } = resolved;
    if (disabled !== undefined && typeof disabled !== 'boolean') {
      problems.push({ path: label('disabled').path, message: 'must be true or false' });
    }
    const parsed = createAccountBody.safeParse(body);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = issue.path[0];
        const l = label(typeof field === 'string' ? field : undefined);
        problems.push({ path: l.path, message: `account${l.name}: ${issue.message}` });
      }
      continue;
    }
    const b = parsed.data;
    if (b.base_url !== undefined) {
      // The file is the operator's own: private addresses (a local sandbox) are theirs to use.
      const target = checkTargetUrl(b.base_url, { allowPrivate: true });
      if (!target.ok) problems.push({ path: label('base_url').path, message: target.message });
    }
    entryOf.push(i);
    accounts.push({
      channel: b.channel,
      name: b.name,
      externalId: b.channel === 'whatsapp' ? b.phone_number_id : b.page_id,
      wabaId: b.channel === 'whatsapp' ? b.waba_id : null,
      accessToken: b.channel === 'whatsapp' ? b.access_token : b.page_token,
      appSecret: b.app_secret,
      verifyToken: b.verify_token,
      throughputMps: b.throughput_mps,
      messagingLimit: b.channel === 'whatsapp' ? b.messaging_limit : null,
      baseUrl: b.base_url.replace(/\/+$/, ''),
      graphVersion: b.graph_version,
      ...(typeof disabled === 'boolean' ? { disabled } : {}),
    });
  }
  // Two entries for one name or one number: which one would win is not for Recontact to guess.
  const byName = new Map<string, number>();
  const byId = new Map<string, number>();
  for (const [i, a] of accounts.entries()) {
    const index = entryOf[i]!;
    const first = byName.get(a.name);
    if (first !== undefined) {
      problems.push({ path: at(['accounts', index, 'name']), message: `"${a.name}" is declared twice` });
    } else byName.set(a.name, i);
    const key = `${a.channel}:${a.externalId}`;
    const field = EXTERNAL_ID_FIELD[a.channel];
    if (byId.has(key)) {
      problems.push({
        path: at(['accounts', index, field]),
        message: `account (${a.name}): ${field} ${a.externalId} is already account "${accounts[byId.get(key)!]!.name}"`,
      });
    } else byId.set(key, i);
  }
  if (problems.length > 0) {
    throw invalid(
      file,
      `${problems.length} problem${problems.length > 1 ? 's' : ''} in the channel accounts`,
      problems,
    );
  }
  return { path: file, accounts };
}

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** `${NAME}` → the variable's value; `$${` → `${`. A variable unset or empty is reported. */
function resolveRefs(
  text: string,
  env: Record<string, string | undefined>,
): { value: string; missing: string[] } {
  const missing: string[] = [];
  const value = text.replace(REF, (m, name: string | undefined) => {
    if (name === undefined) return '${';
    const v = env[name];
    if (v === undefined || v === '') {
      missing.push(name);
      return m;
    }
    return v;
  });
  return { value, missing };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
