/**
 * `recontact templates preview NAME --language L [--body v ...] [--header-text t] [--button v ...]
 * [--contact PHONE]`: what the user will see, drawn as a phone bubble (or --json). Values are
 * written as for `recontact send`; a contact fills NAMED variables that are not given.
 * Exit 0 when a send with these values would be accepted now; 1 when it would be refused (values
 * missing or wrong, template not approved: the preview says why) or the call failed; 2 on usage.
 */
import type { PreviewReport } from '../engine/templates/preview';
import { callApi, type RemoteOptions } from './api-client';
import { resolveButtons } from './button-values';
import { CommandFailed, UsageError } from './errors';
import { stdoutLines } from './output';
import { formatBubble } from './templates-bubble';
import { bodyValues } from './values';

export interface TemplatesPreviewOptions extends RemoteOptions {
  language: string;
  body?: string[];
  headerText?: string;
  headerImage?: string;
  button?: string[];
  contact?: string;
  json?: boolean;
  out?: (line: string) => void;
}

export async function previewRequest(
  name: string,
  o: TemplatesPreviewOptions,
): Promise<Record<string, unknown>> {
  if (o.headerText !== undefined && o.headerImage !== undefined)
    throw new UsageError('use either --header-text or --header-image, not both: a template has one header');
  const buttons = await resolveButtons(o, name, o.language, o.button);
  return {
    name,
    language: o.language,
    ...(o.body?.length ? { body: bodyValues(o.body) } : {}),
    ...(o.headerText !== undefined ? { header: { text: o.headerText } } : {}),
    ...(o.headerImage !== undefined ? { header: { image: { link: o.headerImage } } } : {}),
    ...(buttons ? { buttons } : {}),
    ...(o.contact !== undefined ? { contact: o.contact } : {}),
  };
}

export async function runTemplatesPreview(name: string, o: TemplatesPreviewOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const report = await callApi<PreviewReport>(
    o,
    'POST',
    '/v1/templates/preview',
    await previewRequest(name, o),
  );
  if (o.json) out(JSON.stringify(report, null, 2));
  else for (const line of formatBubble(report)) out(line);
  if (!report.sendable) throw new CommandFailed(refusal(report));
  return 0;
}

/** Why a send would be refused, in one line; the preview above lists every problem. */
function refusal(r: PreviewReport): string {
  const t = r.template;
  const reasons: string[] = [];
  if (t.status !== 'APPROVED')
    reasons.push(
      `the template is ${t.status}${t.rejected_reason ? ` (${t.rejected_reason})` : ''}, not APPROVED`,
    );
  const [first, ...more] = r.problems;
  if (first)
    reasons.push(
      `${first.path ? `${first.path}: ` : ''}${first.message}${more.length ? ` (and ${more.length} more)` : ''}`,
    );
  return `a send of ${t.name} (${t.language}) with these values would be refused: ${reasons.join('; ')}; the preview above lists what to fix`;
}
