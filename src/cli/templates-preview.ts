/**
 * `recontact templates preview NAME --language L [--body v ...] [--header-text t] [--button v ...]
 * [--contact PHONE]`: what the user will see, drawn as a phone bubble (or --json). Values are
 * written as for `recontact send`; a contact fills NAMED variables that are not given.
 * Exit 0 when the preview was shown, even with values missing (they are listed).
 */
import type { PreviewReport } from '../engine/templates/preview';
import { formatBubble } from './templates-bubble';
import { callApi, type RemoteOptions, reportError, stdoutLines } from './templates-client';

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

const NAMED_VALUE = /^[a-z_][a-z0-9_]*=/;

/** `name=value` pairs make a NAMED body; plain values are positional, in order. */
function bodyValues(values: string[]): string[] | Record<string, string> {
  if (values.length === 0 || !values.every((v) => NAMED_VALUE.test(v))) return values;
  return Object.fromEntries(values.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
}

/** `payload=…`, `url_suffix=…`, `coupon_code=…`, `-` to skip; a bare value is a payload. */
function buttonValue(v: string): Record<string, string> | null {
  if (v === '-') return null;
  const m = /^(payload|url_suffix|coupon_code)=(.*)$/s.exec(v);
  return m ? { [m[1]!]: m[2]! } : { payload: v };
}

export function previewRequest(name: string, o: TemplatesPreviewOptions): Record<string, unknown> {
  return {
    name,
    language: o.language,
    ...(o.body?.length ? { body: bodyValues(o.body) } : {}),
    ...(o.headerText !== undefined ? { header: { text: o.headerText } } : {}),
    ...(o.headerImage !== undefined ? { header: { image: { link: o.headerImage } } } : {}),
    ...(o.button?.length ? { buttons: o.button.map(buttonValue) } : {}),
    ...(o.contact !== undefined ? { contact: o.contact } : {}),
  };
}

export async function runTemplatesPreview(name: string, o: TemplatesPreviewOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  try {
    const report = await callApi<PreviewReport>(o, 'POST', '/v1/templates/preview', previewRequest(name, o));
    if (o.json) out(JSON.stringify(report, null, 2));
    else for (const line of formatBubble(report)) out(line);
    return 0;
  } catch (err) {
    return reportError(err, out);
  }
}
