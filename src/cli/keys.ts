/**
 * `recontact keys list|create|revoke|rotate`: API keys of a running Recontact, through its API
 * (RECONTACT_URL, RECONTACT_API_KEY with the admin role), so the same rules hold as for any
 * caller: the last admin key cannot be revoked, a key is shown once.
 */
import type { ApiKeyView } from '../engine/access/api-keys';
import { callApi, type RemoteOptions } from './api-client';
import { UsageError } from './errors';
import { stdoutLines } from './output';

export interface KeysOptions extends RemoteOptions {
  json?: boolean;
  out?: (line: string) => void;
  /** Milliseconds since the epoch, for --expires-in (tests pin it). */
  now?: () => number;
}

type CreatedKey = ApiKeyView & { key: string };

const ROLES = ['viewer', 'sender', 'admin'] as const;
const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** "30d", "12h", "2w", "90m" → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([mhdw])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2]!]! : 0;
  if (ms <= 0) {
    throw new UsageError(
      `--expires-in must be a number and a unit (m, h, d or w), like 30d, 12h, 2w or 90m; got "${text}"`,
    );
  }
  return ms;
}

function expiresAt(o: KeysOptions & { expiresIn?: string | undefined }): string | undefined {
  if (o.expiresIn === undefined) return undefined;
  return new Date((o.now ?? Date.now)() + parseDuration(o.expiresIn)).toISOString();
}

/** Keys are not per account: a --account given to every remote command must not reach the API. */
const remote = (o: RemoteOptions): RemoteOptions => ({ url: o.url, apiKey: o.apiKey });

const when = (iso: string | null) => (iso === null ? '-' : `${iso.slice(0, 16).replace('T', ' ')}Z`);

const COLUMNS = ['ID', 'NAME', 'ROLE', 'PREFIX', 'STATUS', 'CREATED', 'LAST USED', 'EXPIRES'] as const;

export function formatKeys(list: ApiKeyView[]): string[] {
  if (list.length === 0) return ['No API keys.'];
  const rows = list.map((k) => [
    k.id,
    k.name,
    k.role,
    k.prefix ? `${k.prefix}…` : '-',
    k.status === 'revoked' ? `revoked ${when(k.revoked_at)}` : k.status,
    when(k.created_at),
    when(k.last_used_at),
    when(k.expires_at),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ');
  return [line(COLUMNS), ...rows.map(line)];
}

function showKey(k: CreatedKey, what: string, out: (line: string) => void): void {
  const expiry = k.expires_at ? `, expires ${k.expires_at}` : ', does not expire';
  out(`${what} ${k.id} "${k.name}" (${k.role}${expiry}). The key, shown this once:`);
  out(k.key);
}

export async function runKeysList(o: KeysOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const { data } = await callApi<{ data: ApiKeyView[] }>(remote(o), 'GET', '/v1/api-keys');
  if (o.json) out(JSON.stringify(data, null, 2));
  else for (const l of formatKeys(data)) out(l);
  return 0;
}

export async function runKeysCreate(
  o: KeysOptions & { name: string; role: string; expiresIn?: string },
): Promise<number> {
  const out = o.out ?? stdoutLines;
  if (!(ROLES as readonly string[]).includes(o.role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}; got "${o.role}"`);
  }
  const expires_at = expiresAt(o);
  const created = await callApi<CreatedKey>(remote(o), 'POST', '/v1/api-keys', {
    name: o.name,
    role: o.role,
    ...(expires_at ? { expires_at } : {}),
  });
  if (o.json) out(JSON.stringify(created, null, 2));
  else showKey(created, 'created', out);
  return 0;
}

export async function runKeysRevoke(id: string, o: KeysOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  await callApi<undefined>(remote(o), 'DELETE', `/v1/api-keys/${encodeURIComponent(id)}`);
  if (o.json) out(JSON.stringify({ id, revoked: true }));
  else out(`revoked ${id}: every process sharing the database refuses it within a second`);
  return 0;
}

export async function runKeysRotate(id: string, o: KeysOptions & { expiresIn?: string }): Promise<number> {
  const out = o.out ?? stdoutLines;
  const expires_at = expiresAt(o);
  const created = await callApi<CreatedKey & { replaces: string }>(
    remote(o),
    'POST',
    `/v1/api-keys/${encodeURIComponent(id)}/rotate`,
    expires_at ? { expires_at } : {},
  );
  if (o.json) out(JSON.stringify(created, null, 2));
  else showKey(created, `${id} is revoked; its replacement is`, out);
  return 0;
}
