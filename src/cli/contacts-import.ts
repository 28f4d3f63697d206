/**
 * `recontact contacts import FILE`: uploads the file to a running Recontact (the same
 * POST /v1/contacts/import a bot or the dashboard uses), follows the job with a progress bar on
 * a terminal (plain lines otherwise), prints the summary and the first rejects, and writes every
 * reject to a CSV beside the file. Rejected rows do not fail the command (exit 0, printed);
 * --strict makes any reject exit 1. A file refused as a whole, or a failed job, exits 1.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { callApi, type RemoteOptions } from './api-client';
import { ApiCallError, type ApiErrorBody, CommandFailed, UnreachableError, UsageError } from './errors';

export interface ContactsImportOptions extends RemoteOptions {
  tag?: string[];
  map?: string[];
  phoneColumn?: string;
  consent?: string;
  defaultCountry?: string;
  rejects?: string;
  strict?: boolean;
  json?: boolean;
}

interface ImportView {
  id: string;
  state: 'running' | 'done' | 'failed';
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  rows_read: number;
  bytes_read: number;
  size_bytes: number;
  progress: number;
  error: { code: string; message: string } | null;
  rejects: Array<{ line: number; column: string | null; reason: string }>;
}

type Out = (s: string) => void;

export async function runContactsImport(
  file: string,
  o: ContactsImportOptions,
  out: Out = (s) => process.stdout.write(s),
  err: Out = (s) => process.stderr.write(s),
  tty = Boolean(process.stderr.isTTY),
): Promise<number> {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error('not a regular file');
    size = st.size;
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  if (o.consent !== undefined && o.consent !== 'opted-in') {
    throw new UsageError(`--consent takes "opted-in" only, not "${o.consent}"`);
  }
  for (const m of o.map ?? []) {
    if (!/^[^=]+=[^=]+$/.test(m))
      throw new UsageError(`--map "${m}" is not column=attribute, e.g. --map Nombre=name`);
  }
  const query = new URLSearchParams();
  if (o.account) query.append('account_id', o.account);
  for (const t of o.tag ?? []) query.append('tag', t);
  for (const m of o.map ?? []) query.append('map', m);
  if (o.phoneColumn) query.append('phone_column', o.phoneColumn);
  if (o.consent) query.append('consent', o.consent);
  if (o.defaultCountry) query.append('default_country', o.defaultCountry);
  query.append('filename', basename(file));

  const started = Date.now();
  const { id } = await upload(o, `/v1/contacts/import?${query}`, file);
  if (!o.json) out(`import ${id}: ${basename(file)} (${formatBytes(size)}) accepted\n`);
  const job = await follow(o, id, started, err, tty && !o.json);
  const seconds = (Date.now() - started) / 1000;
  if (job.state === 'failed') {
    throw new CommandFailed(`import ${id} failed: ${job.error?.message ?? 'unknown reason'}`);
  }
  const rejectsPath = o.rejects ?? `${file.replace(/\.csv$/i, '')}.rejects.csv`;
  if (job.rejected > 0) await saveRejects(o, id, rejectsPath);
  if (o.json) {
    out(`${JSON.stringify({ ...job, rejects_file: job.rejected > 0 ? rejectsPath : null })}\n`);
  } else {
    const rate = job.rows_read / Math.max(seconds, 0.001);
    out(
      `done: ${fmt(job.created)} created, ${fmt(job.updated)} updated, ${fmt(job.unchanged)} unchanged, ${fmt(job.rejected)} rejected (${fmt(job.rows_read)} rows in ${seconds.toFixed(1)} s, ${fmt(rate)} rows/s)\n`,
    );
    if (job.rejected > 0) {
      for (const r of job.rejects.slice(0, 10)) {
        out(`  line ${r.line}${r.column ? `, ${r.column}` : ''}: ${r.reason}\n`);
      }
      if (job.rejected > 10) out(`  … and ${fmt(job.rejected - 10)} more\n`);
      out(`rejected rows: ${rejectsPath} (fix them there and import that file; the rest is already in)\n`);
    }
  }
  return o.strict && job.rejected > 0 ? 1 : 0;
}

async function upload(o: RemoteOptions, path: string, file: string): Promise<{ id: string }> {
  if (!o.apiKey) {
    throw new UsageError(
      'no API key: pass --api-key or set RECONTACT_API_KEY (`npm start` prints one on its first start)',
    );
  }
  const base = o.url.replace(/\/+$/, '');
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(`${base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${o.apiKey}`, 'content-type': 'text/csv' },
      body: createReadStream(file),
      // A big file takes longer than undici's default to be spooled and answered.
      headersTimeout: 600_000,
      bodyTimeout: 600_000,
    });
  } catch (e) {
    throw new UnreachableError(base, e);
  }
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.statusCode !== 202) {
    const error = (json as { error?: ApiErrorBody } | undefined)?.error;
    throw new ApiCallError(
      res.statusCode,
      error && typeof error.message === 'string'
        ? error
        : {
            code: 'NOT_RECONTACT',
            message: `POST ${base}${path.split('?')[0]} answered HTTP ${res.statusCode}, not Recontact's JSON`,
            hint: 'Check that RECONTACT_URL (or --url) is the address `npm start` printed.',
          },
    );
  }
  return json as { id: string };
}

async function follow(
  o: RemoteOptions,
  id: string,
  started: number,
  err: Out,
  bar: boolean,
): Promise<ImportView> {
  let lastLine = 0;
  for (;;) {
    const job = await callApi<ImportView>(o, 'GET', `/v1/imports/${encodeURIComponent(id)}`);
    const seconds = (Date.now() - started) / 1000;
    const rate = job.rows_read / Math.max(seconds, 0.001);
    if (bar) {
      const width = 30;
      const filled = Math.round(job.progress * width);
      err(
        `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(job.progress * 100)).padStart(3)}%  ${fmt(job.rows_read)} rows  ${fmt(rate)} rows/s  ${fmt(job.rejected)} rejected `,
      );
      if (job.state !== 'running') err('\n');
    } else if (job.state === 'running' && Date.now() - lastLine >= 2_000) {
      lastLine = Date.now();
      err(`${Math.floor(job.progress * 100)}% ${fmt(job.rows_read)} rows, ${fmt(rate)} rows/s\n`);
    }
    if (job.state !== 'running') return job;
    await new Promise((r) => setTimeout(r, bar ? 200 : 500));
  }
}

async function saveRejects(o: RemoteOptions, id: string, path: string): Promise<void> {
  const base = o.url.replace(/\/+$/, '');
  const query = o.account ? `?account_id=${encodeURIComponent(o.account)}` : '';
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(`${base}/v1/imports/${encodeURIComponent(id)}/rejects.csv${query}`, {
      headers: { authorization: `Bearer ${o.apiKey}` },
    });
  } catch (e) {
    throw new UnreachableError(base, e);
  }
  if (res.statusCode !== 200) {
    const text = await res.body.text();
    throw new CommandFailed(
      `could not fetch the rejects of ${id} (HTTP ${res.statusCode}): ${text.slice(0, 200)}`,
    );
  }
  await pipeline(Readable.from(res.body), createWriteStream(path));
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function formatBytes(n: number): string {
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KB`;
  return `${n} bytes`;
}
