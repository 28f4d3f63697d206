/** `recontact send`: a thin client of the REST API, so it behaves exactly as the bot's calls do. */
import { request } from 'undici';

export interface SendOptions {
  to: string;
  template?: string;
  language?: string;
  body?: string[];
  button?: string[];
  headerText?: string;
  headerImage?: string;
  text?: string;
  metadata?: string;
  idempotencyKey?: string;
  wait?: boolean;
  url: string;
  apiKey?: string;
}

export async function send(o: SendOptions, out = (s: string) => process.stdout.write(s)): Promise<number> {
  if (!o.apiKey) {
    out('error: no API key. Pass --api-key or set RECONTACT_API_KEY (serve prints one on first start).\n');
    return 2;
  }
  let body: Record<string, unknown>;
  try {
    body = buildBody(o);
  } catch (err) {
    out(`error: ${(err as Error).message}\n`);
    return 2;
  }
  const headers: Record<string, string> = {
    authorization: `Bearer ${o.apiKey}`,
    'content-type': 'application/json',
    ...(o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {}),
  };
  const res = await request(`${o.url.replace(/\/$/, '')}/v1/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
  });
  const json = (await res.body.json()) as Record<string, unknown>;
  if (res.statusCode >= 400) {
    const e = json.error as {
      code: string;
      message: string;
      details?: Array<{ path?: string; message: string }>;
      hint?: string;
    };
    out(`error ${e.code} (HTTP ${res.statusCode}): ${e.message}\n`);
    for (const d of e.details ?? []) out(`  ${d.path ? `${d.path}: ` : ''}${d.message}\n`);
    if (e.hint) out(`  hint: ${e.hint}\n`);
    return 1;
  }
  out(`${res.statusCode === 200 ? 'already queued' : 'queued'}: ${json.id} → ${json.to} (${json.status})\n`);
  if (o.wait) return follow(o, String(json.id), headers, out);
  return 0;
}

function buildBody(o: SendOptions): Record<string, unknown> {
  const body: Record<string, unknown> = { to: o.to };
  if (o.metadata) {
    try {
      body.metadata = JSON.parse(o.metadata);
    } catch {
      throw new Error(`--metadata is not valid JSON: ${o.metadata}`);
    }
  }
  if (o.text !== undefined) {
    if (o.template) throw new Error('use either --text or --template, not both');
    body.text = { body: o.text };
    return body;
  }
  if (!o.template || !o.language) throw new Error('--template and --language are required (or use --text)');
  const values = o.body ?? [];
  const named = values.length > 0 && values.every((v) => /^[a-z_][a-z0-9_]*=/.test(v));
  body.template = {
    name: o.template,
    language: o.language,
    ...(values.length
      ? {
          body: named
            ? Object.fromEntries(values.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]))
            : values,
        }
      : {}),
    ...(o.headerText ? { header: { text: o.headerText } } : {}),
    ...(o.headerImage ? { header: { image: { link: o.headerImage } } } : {}),
    ...(o.button ? { buttons: o.button.map(buttonParam) } : {}),
  };
  return body;
}

function buttonParam(v: string): Record<string, string> | null {
  if (v === '-') return null;
  const m = /^(payload|url_suffix|coupon_code)=(.*)$/.exec(v);
  return m ? { [m[1]!]: m[2]! } : { payload: v };
}

async function follow(o: SendOptions, id: string, headers: Record<string, string>, out: (s: string) => void) {
  const seen = new Set<string>();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const res = await request(`${o.url.replace(/\/$/, '')}/v1/messages/${id}`, { headers });
    const m = (await res.body.json()) as {
      status: string;
      replied_at: string | null;
      error: { message: string } | null;
      timeline: Array<{ status: string; at: string }>;
    };
    for (const t of m.timeline) {
      const key = `${t.status}@${t.at}`;
      if (!seen.has(key)) {
        seen.add(key);
        out(`  ${t.at}  ${t.status}\n`);
      }
    }
    if (m.status === 'failed') {
      out(`failed: ${m.error?.message}\n`);
      return 1;
    }
    if (m.replied_at || m.status === 'read') return 0;
    await new Promise((r) => setTimeout(r, 500));
  }
  out('still not read after 2 minutes; check GET /v1/messages/{id} later\n');
  return 0;
}
