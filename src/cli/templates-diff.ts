/**
 * `recontact templates diff FILE`: what a push would do, per template and language — create,
 * update (with each changed field), unchanged, only at Meta. Reads Meta through the running
 * Recontact; sends nothing. Exit 0 when the plan was shown, 1 on errors, 2 on usage errors.
 */
import { readFile } from 'node:fs/promises';
import type { DiffReport } from '../engine/templates/push';
import { callApi, type RemoteOptions } from './api-client';
import { UsageError } from './errors';
import { stdoutLines } from './output';
import { formatPlan } from './templates-plan-format';

export interface TemplatesDiffOptions extends RemoteOptions {
  json?: boolean;
  out?: (line: string) => void;
}

/** The file's text as the API takes it; a missing file is a usage error. */
export async function templateFileBody(file: string): Promise<{ file: string; file_name: string }> {
  try {
    return { file: await readFile(file, 'utf8'), file_name: file };
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

export async function runTemplatesDiff(file: string, o: TemplatesDiffOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const report = await callApi<DiffReport>(o, 'POST', '/v1/templates/diff', await templateFileBody(file));
  if (o.json) out(JSON.stringify(report, null, 2));
  else for (const line of formatPlan(report)) out(line);
  return 0;
}
