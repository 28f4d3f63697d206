/** `recontact templates list`: the database's view of the templates, one line per language. */
import type { TemplateView } from '../api/routes/templates';
import { callApi, type RemoteOptions } from './api-client';
import { stdoutLines } from './output';

export interface TemplatesListOptions extends RemoteOptions {
  json?: boolean;
  out?: (line: string) => void;
}

const COLUMNS = ['NAME', 'LANGUAGE', 'CATEGORY', 'STATUS', 'QUALITY', 'REJECTED REASON'] as const;

export function formatList(list: TemplateView[]): string[] {
  if (list.length === 0)
    return ['No templates. Push a file (`recontact templates push FILE`) or pull Meta’s state.'];
  const rows = list.map((t) => [
    t.name,
    t.language,
    t.category,
    t.status,
    t.quality_score ?? '-',
    t.rejected_reason ?? '-',
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ');
  return [line(COLUMNS), ...rows.map(line)];
}

export async function runTemplatesList(o: TemplatesListOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const { data } = await callApi<{ data: TemplateView[] }>(o, 'GET', '/v1/templates');
  if (o.json) out(JSON.stringify(data, null, 2));
  else for (const l of formatList(data)) out(l);
  return 0;
}
