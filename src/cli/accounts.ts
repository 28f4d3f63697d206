/**
 * `recontact accounts list`: the channel accounts of a running Recontact, through its API (an
 * admin key). Never a secret: the fingerprint tells two sets of credentials apart.
 */
import { callApi, type RemoteOptions } from './api-client';
import { stdoutLines } from './output';

export interface AccountsOptions extends RemoteOptions {
  json?: boolean;
  out?: (line: string) => void;
}

/** The fields of GET /v1/channel-accounts this command prints. */
interface AccountRow {
  id: string;
  channel: 'whatsapp' | 'messenger';
  name: string;
  phone_number_id?: string;
  page_id?: string;
  throughput_mps: number;
  disabled: boolean;
  source: string;
  secret_fingerprint: string;
  webhook_path: string;
}

const COLUMNS = [
  'NAME',
  'CHANNEL',
  'META ID',
  'STATUS',
  'MPS',
  'SOURCE',
  'FINGERPRINT',
  'WEBHOOK PATH',
] as const;

export function formatAccounts(list: AccountRow[]): string[] {
  if (list.length === 0) return ['No channel accounts.'];
  const rows = list.map((a) => [
    a.name,
    a.channel,
    a.phone_number_id ?? a.page_id ?? '-',
    a.disabled ? 'disabled' : 'enabled',
    String(a.throughput_mps),
    a.source,
    a.secret_fingerprint,
    a.webhook_path,
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ');
  return [line(COLUMNS), ...rows.map(line)];
}

export async function runAccountsList(o: AccountsOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  // Accounts are not per account: a --account given to every remote command must not reach the API.
  const { data } = await callApi<{ data: AccountRow[] }>(
    { url: o.url, apiKey: o.apiKey },
    'GET',
    '/v1/channel-accounts',
  );
  if (o.json) out(JSON.stringify(data, null, 2));
  else for (const l of formatAccounts(data)) out(l);
  return 0;
}
