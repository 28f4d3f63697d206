/** `recontact send`: a thin client of the REST API, so it behaves exactly as the bot's calls do. */
import { callApi, callApiWithStatus, type RemoteOptions } from './api-client';
import { resolveButtons } from './button-values';
import { CommandFailed, UsageError } from './errors';
import { bodyValues } from './values';

export interface SendOptions extends RemoteOptions {
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
}

interface MessageView {
  id: string;
  to: string;
  status: string;
  replied_at: string | null;
  error: { message: string } | null;
  timeline: Array<{ status: string; at: string }>;
}

export async function send(o: SendOptions, out = (s: string) => process.stdout.write(s)): Promise<number> {
  const body = await buildBody(o);
  const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': o.idempotencyKey } : {};
  const sent = await callApiWithStatus<MessageView>(o, 'POST', '/v1/messages', body, headers);
  const m = sent.body;
  out(`${sent.status === 200 ? 'already queued' : 'queued'}: ${m.id} → ${m.to} (${m.status})\n`);
  return o.wait ? follow(o, m.id, out) : 0;
}

export async function buildBody(o: SendOptions): Promise<Record<string, unknown>> {
  const body: Record<string, unknown> = { to: o.to, ...(o.account ? { account_id: o.account } : {}) };
  if (o.metadata !== undefined) {
    try {
      body.metadata = JSON.parse(o.metadata);
    } catch (err) {
      throw new UsageError(
        `--metadata is not valid JSON (${(err as Error).message}): pass an object, e.g. '{"appointment_id":"appt-123"}'`,
      );
    }
  }
  if (o.text !== undefined) {
    if (o.template) throw new UsageError('use either --text or --template, not both');
    body.text = { body: o.text };
    return body;
  }
  if (!o.template || !o.language)
    throw new UsageError(
      '--template and --language are required for a template (or use --text for free-form text)',
    );
  if (o.headerText !== undefined && o.headerImage !== undefined)
    throw new UsageError('use either --header-text or --header-image, not both: a template has one header');
  const buttons = await resolveButtons(o, o.template, o.language, o.button);
  body.template = {
    name: o.template,
    language: o.language,
    ...(o.body?.length ? { body: bodyValues(o.body) } : {}),
    ...(o.headerText !== undefined ? { header: { text: o.headerText } } : {}),
    ...(o.headerImage !== undefined ? { header: { image: { link: o.headerImage } } } : {}),
    ...(buttons ? { buttons } : {}),
  };
  return body;
}

async function follow(o: SendOptions, id: string, out: (s: string) => void): Promise<number> {
  const seen = new Set<string>();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const m = await callApi<MessageView>(o, 'GET', `/v1/messages/${encodeURIComponent(id)}`);
    for (const t of m.timeline) {
      const key = `${t.status}@${t.at}`;
      if (!seen.has(key)) {
        seen.add(key);
        out(`  ${t.at}  ${t.status}\n`);
      }
    }
    if (m.status === 'failed') throw new CommandFailed(`message ${id} failed: ${m.error?.message}`);
    if (m.replied_at || m.status === 'read') return 0;
    await new Promise((r) => setTimeout(r, 500));
  }
  out('still not read after 2 minutes; check GET /v1/messages/{id} later\n');
  return 0;
}
