/**
 * `recontact templates pull` (alias `sync`): brings Meta's template state into Recontact's
 * database through the running instance, and says what changed.
 */
import type { PullChange, PullReport } from '../engine/templates/sync';
import { callApi, type RemoteOptions } from './api-client';
import { stdoutLines } from './output';

export interface TemplatesPullOptions extends RemoteOptions {
  json?: boolean;
  out?: (line: string) => void;
}

function changeLine(c: PullChange): string {
  const what = `${c.name} (${c.language})`;
  if (c.change === 'added') return `  added    ${what}  ${c.status}`;
  if (c.change === 'deleted') return `  deleted  ${what}  was ${c.previous_status}, no longer listed by Meta`;
  const status = c.fields.includes('status') ? `  ${c.previous_status} → ${c.status}` : '';
  return `  changed  ${what}  ${c.fields.join(', ')}${status}`;
}

export function formatPull(r: PullReport): string[] {
  return [
    `Pulled ${r.at_meta} template(s) from WABA ${r.waba_id} (account ${r.account_id}): ` +
      `${r.added} added, ${r.changed} changed, ${r.unchanged} unchanged, ${r.deleted} marked DELETED`,
    ...r.changes.map(changeLine),
  ];
}

export async function runTemplatesPull(o: TemplatesPullOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const report = await callApi<PullReport>(o, 'POST', '/v1/templates/pull');
  if (o.json) out(JSON.stringify(report, null, 2));
  else for (const line of formatPull(report)) out(line);
  return 0;
}
