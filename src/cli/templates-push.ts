/**
 * `recontact templates push FILE [--yes] [--dry-run]`: lint and plan (a dry run on the server),
 * show the plan, confirm, then create and edit at Meta through the running Recontact.
 * Confirmation is asked only on a terminal; in CI (stdin not a TTY) --yes or --dry-run is
 * required, so a pipeline never hangs on a prompt nor pushes by accident.
 * Exit: 0 done (or nothing to do), 1 lint errors, Meta's refusals or a declined prompt, 2 usage.
 */
import { createInterface } from 'node:readline/promises';
import type { PushReport } from '../engine/templates/push';
import { callApi, type RemoteOptions } from './api-client';
import { CommandFailed, UsageError } from './errors';
import { stdoutLines } from './output';
import { templateFileBody } from './templates-diff';
import { formatPlan, formatPushResults } from './templates-plan-format';

export interface TemplatesPushOptions extends RemoteOptions {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  out?: (line: string) => void;
  /** Whether stdin is a terminal (default: process.stdin.isTTY). */
  interactive?: boolean;
  /** Asks a yes/no question (default: readline on stdin/stdout). */
  confirm?: (question: string) => Promise<boolean>;
}

async function askOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export async function runTemplatesPush(file: string, o: TemplatesPushOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const interactive = o.interactive ?? process.stdin.isTTY === true;
  if (!o.yes && !o.dryRun && !interactive)
    throw new UsageError(
      'stdin is not a terminal, so push cannot ask for confirmation: pass --yes to push, or --dry-run to only show the plan',
    );
  const source = await templateFileBody(file);
  const plan = await callApi<PushReport>(o, 'POST', '/v1/templates/push', { ...source, dry_run: true });
  if (!o.json) for (const line of formatPlan(plan)) out(line);
  const { create, update } = plan.plan.counts;
  if (o.dryRun || create + update === 0) {
    if (o.json) out(JSON.stringify(plan, null, 2));
    else
      out(
        o.dryRun
          ? 'dry run: nothing was sent to Meta'
          : 'Nothing to push: Meta already has every template of the file.',
      );
    return 0;
  }
  if (!o.yes) {
    const ask = o.confirm ?? askOnTerminal;
    const what = [create ? `create ${create}` : '', update ? `edit ${update}` : '']
      .filter(Boolean)
      .join(' and ');
    if (!(await ask(`\n${what} template(s) at WABA ${plan.waba_id}? [y/N] `))) {
      out('Not pushed.');
      return 1;
    }
  }
  const done = await callApi<PushReport>(o, 'POST', '/v1/templates/push', source);
  if (o.json) out(JSON.stringify(done, null, 2));
  else {
    out('');
    for (const line of formatPushResults(done)) out(line);
  }
  if (!done.ok) {
    const failed = done.summary.failed;
    throw new CommandFailed(
      `Meta refused ${failed} template(s) of ${file} (listed above with its reasons); fix them and push again`,
    );
  }
  return 0;
}
