/**
 * `recontact campaigns recipients ID [--state S] [--csv] [--out FILE]`: who a campaign reached
 * and what became of each, from GET /v1/campaigns/{id}/recipients. A page is printed as a table
 * (with the command for the next page); `--csv` streams the whole list as Recontact exports it,
 * to stdout or to `--out FILE` (written beside it first and renamed when complete, so a broken
 * download never leaves half a file under that name).
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type Command, InvalidArgumentError } from 'commander';
import { request } from 'undici';
import type { RecipientView } from '../engine/campaigns/results';
import { callApi, type RemoteOptions } from './api-client';
import type { CliWiring } from './campaign-wiring';
import { ApiCallError, type ApiErrorBody, UnreachableError, UsageError } from './errors';
import { stdoutLines } from './output';

export interface CampaignsRecipientsOptions extends RemoteOptions {
  state?: string;
  limit?: number;
  cursor?: string;
  csv?: boolean;
  out?: string;
  json?: boolean;
  /** Lines of the table (tests); default stdout. */
  print?: (line: string) => void;
  /** Where CSV goes without --out; default process.stdout. */
  csvSink?: Writable;
}

const STATES =
  'excluded, pending, queued, accepted, sent, delivered, read, failed, opted_out, expired, cancelled, replied';

const EXIT_CODES = `
Exit codes:
  0   listed, or the CSV written
  1   Recontact refused (e.g. CAMPAIGN_NOT_FOUND, a state it does not know) or could not be
      reached, or the file could not be written
  2   usage: a wrong flag or value
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)`;

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000)
    throw new InvalidArgumentError('must be a whole number from 1 to 1000');
  return n;
}

export function addCampaignRecipientsCommand(campaigns: Command, wiring: CliWiring): void {
  wiring
    .remote(
      campaigns
        .command('recipients')
        .description(
          "A campaign's recipients with each one's state, reason, variant and reply; or all as CSV",
        )
        .argument('<id>', 'campaign id (cmp_…), from `recontact campaigns list`')
        .option('--state <states>', `only these states, separated by commas: ${STATES}`)
        .option('--limit <n>', 'how many on this page, 1 to 1000 (default 100); not with --csv', parseLimit)
        .option('--cursor <cursor>', 'the next page, as the previous page printed it')
        .option('--csv', 'every recipient (of --state) as CSV, streamed')
        .option('--out <file>', 'write the CSV to this file instead of stdout (implies --csv)'),
    )
    .addHelpText(
      'after',
      `
The CSV has a header line and the columns contact_id, wa_id, name, state, reason, error_code,
variant, message_id, send_at, replied_at, reply_payload; a cell starting with = + - @ is
prefixed with ' so that a spreadsheet shows it as text.

Examples:
  recontact campaigns recipients cmp_01JD2Q… --state failed
  recontact campaigns recipients cmp_01JD2Q… --state replied --limit 50
  recontact campaigns recipients cmp_01JD2Q… --csv --out taxi-recipients.csv
${EXIT_CODES}`,
    )
    .action(async (id: string, opts) =>
      process.exit(await runCampaignsRecipients(id, wiring.connected(opts))),
    );
}

export async function runCampaignsRecipients(id: string, o: CampaignsRecipientsOptions): Promise<number> {
  const csv = o.csv === true || o.out !== undefined;
  if (csv && (o.limit !== undefined || o.cursor !== undefined)) {
    throw new UsageError('--csv exports every recipient: leave out --limit and --cursor (or use --state)');
  }
  if (csv && o.json) throw new UsageError('choose --csv or --json, not both');
  const query = new URLSearchParams();
  if (o.account) query.set('account_id', o.account);
  if (o.state) query.set('state', o.state);
  const base = `/v1/campaigns/${encodeURIComponent(id)}/recipients`;
  if (csv) {
    const rows = await downloadCsv(o, `${base}.csv${query.size ? `?${query}` : ''}`, o.out, o.csvSink);
    if (o.out !== undefined) (o.print ?? stdoutLines)(`wrote ${rows} recipient(s) to ${o.out}`);
    return 0;
  }
  if (o.limit !== undefined) query.set('limit', String(o.limit));
  if (o.cursor) query.set('cursor', o.cursor);
  // The query is built here whole: callApi would append a second "?account_id=".
  const page = await callApi<{ data: RecipientView[]; next_cursor: string | null }>(
    { ...o, account: undefined },
    'GET',
    `${base}${query.size ? `?${query}` : ''}`,
  );
  const print = o.print ?? stdoutLines;
  if (o.json) print(JSON.stringify(page, null, 2));
  else for (const line of formatPage(id, page.data, page.next_cursor, flags(o))) print(line);
  return 0;
}

function flags(o: CampaignsRecipientsOptions): string {
  return `${o.account ? ` --account ${o.account}` : ''}${o.state ? ` --state ${o.state}` : ''}${o.limit !== undefined ? ` --limit ${o.limit}` : ''}`;
}

const COLUMNS = ['CONTACT', 'WA_ID', 'STATE', 'VARIANT', 'REPLY', 'REASON', 'NAME'] as const;

function formatPage(
  id: string,
  rows: readonly RecipientView[],
  next: string | null,
  flagText: string,
): string[] {
  if (rows.length === 0) return ['No recipients (in these states).'];
  const cells = rows.map((r) => [
    r.contact_id,
    r.wa_id,
    r.state,
    r.variant ?? '-',
    r.replied_at === null ? '-' : (r.reply_payload ?? '(text)'),
    r.reason === null ? '-' : `${r.error_code === null ? '' : `${r.error_code} `}${short(r.reason)}`,
    r.name ?? '',
  ]);
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...cells.map((c) => [...c[i]!].length)));
  const line = (c: readonly string[]) =>
    c.map((v, i) => (i === c.length - 1 ? v : v + ' '.repeat(widths[i]! - [...v].length))).join('  ');
  return [
    line(COLUMNS),
    ...cells.map(line),
    ...(next ? [`more: recontact campaigns recipients ${id}${flagText} --cursor ${next}`] : []),
  ];
}

/** A long reason cut to keep the table's rows on one line; --json and --csv have it whole. */
function short(text: string): string {
  return [...text].length > 60 ? `${[...text].slice(0, 59).join('')}…` : text;
}

/**
 * Streams the CSV answer to `file` (through FILE.part, renamed at the end) or to `sink`, and
 * counts its rows as they pass. A refusal is read as Recontact's JSON error.
 */
async function downloadCsv(
  o: RemoteOptions,
  path: string,
  file: string | undefined,
  sink: Writable | undefined,
): Promise<number> {
  if (!o.apiKey) {
    throw new UsageError(
      'no API key: pass --api-key or set RECONTACT_API_KEY (`npm start` prints one on its first start)',
    );
  }
  const base = o.url.replace(/\/+$/, '');
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(`${base}${path}`, {
      headers: { authorization: `Bearer ${o.apiKey}`, accept: 'text/csv' },
    });
  } catch (err) {
    throw new UnreachableError(base, err);
  }
  if (res.statusCode >= 400) {
    const text = await res.body.text().catch(() => '');
    let error: ApiErrorBody | undefined;
    try {
      error = (JSON.parse(text) as { error?: ApiErrorBody }).error;
    } catch {
      error = undefined;
    }
    throw new ApiCallError(
      res.statusCode,
      error ?? {
        code: 'NOT_RECONTACT',
        message: `GET ${base}${path} answered HTTP ${res.statusCode}, not Recontact's JSON`,
        hint: 'Check that RECONTACT_URL (or --url) is the address `npm start` printed.',
      },
    );
  }
  let lines = 0;
  let quoted = false;
  const counter = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      // A line break inside a quoted cell is part of the value, not a new row ("" toggles twice).
      for (const byte of chunk) {
        if (byte === 0x22) quoted = !quoted;
        else if (byte === 0x0a && !quoted) lines++;
      }
      yield chunk;
    }
  };
  if (file === undefined) {
    const out = sink ?? process.stdout;
    // stdout stays open for what follows; a file sink is the caller's to end.
    await pipeline(
      res.body,
      counter,
      new Writable({ write: (c, _e, cb) => (out.write(c) ? cb() : out.once('drain', () => cb())) }),
    );
  } else {
    const part = `${file}.part`;
    try {
      await pipeline(res.body, counter, createWriteStream(part));
      await rename(part, file);
    } catch (err) {
      await rm(part, { force: true });
      throw err;
    }
  }
  // Less the header line.
  return Math.max(0, lines - 1);
}
