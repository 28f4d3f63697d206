/**
 * `recontact campaigns create FILE | show ID | list`: campaign drafts on a running Recontact,
 * through the same POST/GET /v1/campaigns a bot or the dashboard uses.
 *
 * A campaign file holds exactly the API's JSON body, in YAML or JSON (by its extension). It is
 * parsed here only for its syntax (a mistake names its line and column); the definition itself is
 * checked by the server, and each problem it names (`body.template.body[0]`) is printed with the
 * line and column of the file where that part is written.
 */
import { readFile, stat } from 'node:fs/promises';
import { type Command, InvalidArgumentError } from 'commander';
import type { CampaignSummaryView, CampaignView, VariantTemplateView } from '../engine/campaigns/campaigns';
import { callApi, type RemoteOptions } from './api-client';
import type { CliWiring } from './campaign-wiring';
import { funnelText } from './campaigns-status';
import { ApiCallError, CommandFailed, UsageError } from './errors';
import { stdoutLines } from './output';

type Out = (line: string) => void;

interface Printing {
  json?: boolean;
  out?: Out;
}

export type CampaignsCreateOptions = RemoteOptions & Printing;
export type CampaignsShowOptions = RemoteOptions & Printing;
export interface CampaignsListOptions extends RemoteOptions, Printing {
  state?: string;
  limit?: number;
  cursor?: string;
}

// ─── Commands ─────────────────────────────────────────────────────────────────────────────

const EXAMPLE_FILE = `
A campaign file is the JSON body of POST /v1/campaigns, in YAML (.yaml, .yml) or JSON (.json):

  name: Descuento taxi 10%
  template:
    name: taxi_discount
    language: { contact_language: true, fallback: es_AR }   # or simply: es_AR
    header: { image: { link: "https://cdn.example/taxi.jpg" } }
    body:                                      # values for {{1}}, {{2}}, … in order
      - { field: first_name, default: cliente }     # name, first_name or phone
      - { attribute: discount, default: "10%" }     # a contact attribute
    buttons: [ { payload: TAXI_YES }, { payload: STOP_PROMOS }, { url_suffix: taxi10 }, { coupon_code: TAXI10 } ]
  audience: { filter: { tags: { all: [patient] } } }  # or {all: true}, {list: …}, {audience_id: aud_…}
  schedule:
    local_time: { time: "10:00", weekday: monday }  # on each contact's clock; or at: ISO time
    quiet_hours: { from: "21:00", to: "09:00" }
  metadata: { offer: taxi10, plan: { attribute: plan } }

A full example: examples/taxi-discount.campaign.yaml`;

const CREATE_EXIT_CODES = `
Exit codes:
  0   created: the draft's id and state are printed
  1   the file does not parse (its line and column are named), or Recontact refused the
      campaign (every problem listed with its line in the file) or could not be reached
  2   usage: a wrong flag, or the file cannot be read (nothing was sent)
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)`;

const READ_EXIT_CODES = `
Exit codes:
  0   shown
  1   Recontact refused (e.g. CAMPAIGN_NOT_FOUND) or could not be reached
  2   usage: a wrong flag or value
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)`;

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100)
    throw new InvalidArgumentError('must be a whole number from 1 to 100');
  return n;
}

export function addCampaignCommands(campaigns: Command, wiring: CliWiring): void {
  wiring
    .remote(
      campaigns
        .command('create')
        .description(
          'Create a campaign draft from a YAML or JSON file (nothing is sent until it is launched)',
        )
        .argument('<file>', 'campaign file: .yaml, .yml or .json'),
    )
    .addHelpText(
      'after',
      `${EXAMPLE_FILE}

Examples:
  recontact campaigns create examples/taxi-discount.campaign.yaml
  recontact campaigns create spring.campaign.json --json
${CREATE_EXIT_CODES}`,
    )
    .action(async (file: string, opts) =>
      process.exit(await runCampaignsCreate(file, wiring.connected(opts))),
    );

  wiring
    .remote(
      campaigns
        .command('show')
        .description('One campaign: state, template status, audience, schedule, counts')
        .argument('<id>', 'campaign id (cmp_…), from `recontact campaigns list`'),
    )
    .addHelpText('after', `\nExample:\n  recontact campaigns show cmp_01JD2Q…\n${READ_EXIT_CODES}`)
    .action(async (id: string, opts) => process.exit(await runCampaignsShow(id, wiring.connected(opts))));

  wiring
    .remote(
      campaigns
        .command('list')
        .description('The campaigns of the account, newest first')
        .option(
          '--state <states>',
          'only these states, separated by commas: draft, scheduled, running, paused, …',
        )
        .option('--limit <n>', 'how many, 1 to 100 (default 20)', parseLimit)
        .option('--cursor <cursor>', 'the next page, as the previous page printed it'),
    )
    .addHelpText(
      'after',
      `\nExamples:\n  recontact campaigns list\n  recontact campaigns list --state draft,scheduled --limit 50\n${READ_EXIT_CODES}`,
    )
    .action(async (opts) => process.exit(await runCampaignsList(wiring.connected(opts))));
}

type RunCommand = 'launch' | 'pause' | 'resume' | 'cancel';

const RUN_COMMANDS: Record<RunCommand, { description: string; done: string; more: string }> = {
  launch: {
    description: 'Launch a draft: its audience is taken once and its sends start (or are scheduled)',
    done: 'launched',
    more: 'Launching a campaign already launched changes nothing and shows it as it is.',
  },
  pause: {
    description: 'Pause a running or scheduled campaign: nothing more of it leaves once this answers',
    done: 'paused',
    more: 'Messages Meta already has stay sent. Pausing a paused campaign changes nothing.',
  },
  resume: {
    description: 'Resume a paused campaign where it stopped; nothing is sent twice',
    done: 'resumed',
    more: 'Resuming a running campaign changes nothing.',
  },
  cancel: {
    description: 'Cancel a campaign: recipients not yet sent are never sent',
    done: 'cancelled',
    more: 'Queued messages are withdrawn unsent; what Meta already has stays sent. It cannot be undone.',
  },
};

const RUN_EXIT_CODES = `
Exit codes:
  0   done: the campaign's state and counts are printed
  1   Recontact refused (CAMPAIGN_STATE_CONFLICT with the reason, CAMPAIGN_NOT_READY,
      CAMPAIGN_NOT_FOUND) or could not be reached
  2   usage: a wrong flag or value
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)`;

/** `recontact campaigns launch|pause|resume|cancel ID`. */
export function addCampaignRunCommands(campaigns: Command, wiring: CliWiring): void {
  for (const command of ['launch', 'pause', 'resume', 'cancel'] as const) {
    const about = RUN_COMMANDS[command];
    wiring
      .remote(
        campaigns
          .command(command)
          .description(about.description)
          .argument('<id>', 'campaign id (cmp_…), from `recontact campaigns list`'),
      )
      .addHelpText(
        'after',
        `\n${about.more}\n\nExample:\n  recontact campaigns ${command} cmp_01JD2Q…\n${RUN_EXIT_CODES}`,
      )
      .action(async (id: string, opts) =>
        process.exit(await runCampaignCommand(command, id, wiring.connected(opts))),
      );
  }
}

export async function runCampaignCommand(
  command: RunCommand,
  id: string,
  o: CampaignsShowOptions,
): Promise<number> {
  const out = o.out ?? stdoutLines;
  const view = await callApi<CampaignView>(o, 'POST', `/v1/campaigns/${encodeURIComponent(id)}/${command}`);
  if (o.json) {
    out(JSON.stringify(view, null, 2));
    return 0;
  }
  const reason = view.state_reason ? ` (${view.state_reason})` : '';
  out(`${RUN_COMMANDS[command].done} campaign ${view.id}: now ${view.state.replaceAll('_', ' ')}${reason}`);
  out(funnelText(view));
  if (view.state === 'running' || view.state === 'scheduled' || view.state === 'paused') {
    out(`follow it: recontact campaigns status ${view.id} --watch`);
  }
  return 0;
}

export async function runCampaignsCreate(file: string, o: CampaignsCreateOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const parsed = await readCampaignFile(file);
  let view: CampaignView;
  try {
    view = await callApi<CampaignView>(o, 'POST', '/v1/campaigns', parsed.body);
  } catch (err) {
    throw refusalInFile(err, file, parsed, o.json === true, out);
  }
  if (o.json) out(JSON.stringify(view, null, 2));
  else for (const line of formatCreated(view)) out(line);
  return 0;
}

export async function runCampaignsShow(id: string, o: CampaignsShowOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const view = await callApi<CampaignView>(o, 'GET', `/v1/campaigns/${encodeURIComponent(id)}`);
  if (o.json) out(JSON.stringify(view, null, 2));
  else for (const line of formatCampaign(view)) out(line);
  return 0;
}

export async function runCampaignsList(o: CampaignsListOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const query = new URLSearchParams();
  if (o.account) query.set('account_id', o.account);
  if (o.state) query.set('state', o.state);
  if (o.limit !== undefined) query.set('limit', String(o.limit));
  if (o.cursor) query.set('cursor', o.cursor);
  // The query is built here whole: callApi would append a second "?account_id=".
  const page = await callApi<{ data: CampaignSummaryView[]; next_cursor: string | null }>(
    { ...o, account: undefined },
    'GET',
    `/v1/campaigns${query.size ? `?${query}` : ''}`,
  );
  if (o.json) out(JSON.stringify(page, null, 2));
  else for (const line of formatList(page.data, page.next_cursor, listFlags(o))) out(line);
  return 0;
}

/** The filters of this page, repeated for the next one. */
function listFlags(o: CampaignsListOptions): string {
  return `${o.account ? ` --account ${o.account}` : ''}${o.state ? ` --state ${o.state}` : ''}${o.limit !== undefined ? ` --limit ${o.limit}` : ''}`;
}

// ─── The file ─────────────────────────────────────────────────────────────────────────────

/** The API's body limit: a larger file would be refused by the server anyway. */
const MAX_FILE_BYTES = 256 * 1024;
/** Campaigns nest a few levels; far deeper flow collections are refused before parsing. */
const MAX_FLOW_DEPTH = 64;

interface ParsedFile {
  body: unknown;
  /** "line:column" in the file of a JSON path such as "body.template.body[0]", if found. */
  locate(path: string): string | undefined;
}

async function readCampaignFile(file: string): Promise<ParsedFile> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_FILE_BYTES) {
      throw new Error(
        `${st.size} bytes; a campaign file has at most ${MAX_FILE_BYTES} (an inline list of contacts belongs in a saved audience or a CSV import)`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === '') throw new CommandFailed(`${file} is empty; ${SHAPE_HINT}`);
  const yaml = await import('yaml');
  const lines = new yaml.LineCounter();
  const depth = flowDepthExceeded(yaml, text);
  if (depth >= 0) {
    throw new CommandFailed(
      `${file}:${where(text, depth)}: nests lists and mappings more than ${MAX_FLOW_DEPTH} levels deep; check for unbalanced [ or {`,
    );
  }
  const doc = yaml.parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const body = isJsonFile(file, text) ? parseJson(text, file) : yamlBody(doc, file, lines);
  return { body, locate: (path) => locate(doc, lines, path) };
}

const SHAPE_HINT =
  'a campaign file is a mapping with name, template, audience… (see `recontact campaigns create --help`)';

function isJsonFile(file: string, text: string): boolean {
  if (/\.json$/i.test(file)) return true;
  if (/\.ya?ml$/i.test(file)) return false;
  return /^\s*[[{]/.test(text);
}

type YamlModule = typeof import('yaml');
type YamlDocument = ReturnType<YamlModule['parseDocument']>;
type LineCounter = InstanceType<YamlModule['LineCounter']>;

/** "line:column" of an offset, counted from the text (the counter is filled only by a parse). */
function where(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

/** The offset where flow collections ([ or {) open more than MAX_FLOW_DEPTH deep, or -1. */
function flowDepthExceeded(yaml: YamlModule, text: string): number {
  let depth = 0;
  let offset = 0;
  for (const token of new yaml.Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > MAX_FLOW_DEPTH) return offset;
    } else if (token === ']' || token === '}') depth--;
    offset += token.length;
  }
  return -1;
}

function yamlBody(doc: YamlDocument, file: string, lines: LineCounter): unknown {
  const err = doc.errors[0];
  if (err) {
    const pos = lines.linePos(err.pos[0]);
    const message = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    const hint =
      err.code === 'DUPLICATE_KEY'
        ? 'a key appears twice in the same mapping'
        : 'YAML is indentation-sensitive: check the indentation there, and quote texts that contain ": " or start with "{", "[", "*", "&" or "!"';
    throw new CommandFailed(`${file}:${pos.line}:${pos.col}: invalid YAML: ${message}; ${hint}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new CommandFailed(
      `${file}: invalid YAML: ${(e as Error).message}; write repeated parts out instead of anchors (&) and aliases (*)`,
    );
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const position = /position (\d+)/.exec(message);
    const at = position ? where(text, Number(position[1])) : undefined;
    throw new CommandFailed(
      `${file}${at ? `:${at}` : ''}: invalid JSON: ${message.replace(/ in JSON at position \d+.*$/s, '')}; check for a missing or trailing comma, an unquoted key or an unclosed bracket`,
    );
  }
}

/** "body.template.body[0].attribute" → ["template", "body", 0, "attribute"]. */
function pathSegments(path: string): Array<string | number> | undefined {
  if (path !== 'body' && !path.startsWith('body.') && !path.startsWith('body[')) return undefined;
  const segments: Array<string | number> = [];
  for (const m of path.slice(4).matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(m[2] === undefined ? m[1]! : Number(m[2]));
  }
  return segments;
}

/** Where a path is written in the file: the node itself, else the nearest part around it. */
function locate(doc: YamlDocument, lines: LineCounter, path: string): string | undefined {
  if (doc.errors.length > 0) return undefined;
  const segments = pathSegments(path);
  if (!segments) return undefined;
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) {
      const pos = lines.linePos(range[0]);
      return `${pos.line}:${pos.col}`;
    }
  }
  return undefined;
}

/**
 * A refusal that names parts of the body is shown against the file: one line per problem with
 * where it is written. --json keeps the API's error, its paths given their place in the file.
 */
function refusalInFile(err: unknown, file: string, parsed: ParsedFile, json: boolean, out: Out): unknown {
  if (!(err instanceof ApiCallError)) return err;
  const details = (err.error.details ?? []).filter((d) => d.path && pathSegments(d.path));
  if (details.length === 0) return err;
  const placed = (err.error.details ?? []).map((d) => {
    const at = d.path ? parsed.locate(d.path) : undefined;
    const path = d.path ? d.path.replace(/^body\.?/, '') || '(the whole file)' : undefined;
    return {
      ...d,
      ...(path !== undefined ? { path: at ? `${file}:${at} ${path}` : `${file} ${path}` } : {}),
    };
  });
  if (json) return new ApiCallError(err.status, { ...err.error, details: placed });
  out(
    `${file}: ${placed.length} problem${placed.length === 1 ? '' : 's'} (${err.error.code}); nothing was created:`,
  );
  for (const d of placed) out(`  ${d.path ? `${d.path}: ` : ''}${d.message}`);
  return new CommandFailed(
    `Recontact refused ${file} (${err.error.code}, HTTP ${err.status}): fix the problems listed above and run the command again`,
  );
}

// ─── Printing ─────────────────────────────────────────────────────────────────────────────

function formatCreated(view: CampaignView): string[] {
  return [
    `created campaign ${view.id} (${view.state}): ${view.name}`,
    ...templateLines(view.template.variants),
    ...templateWarnings(view.template.variants),
    `next: recontact campaigns plan ${view.id}   (who it reaches, who is left out and why, when, at what cost)`,
  ];
}

function languageText(v: VariantTemplateView): string {
  return v.contact_language ? `contact's language, else ${v.language}` : v.language;
}

function templateLines(variants: readonly VariantTemplateView[]): string[] {
  const split = variants.length > 1;
  return variants.map(
    (v) =>
      `template${split ? ` ${v.label} (weight ${v.weight})` : ''}: ${v.name} · ${languageText(v)} · ${v.status ?? 'not known to Recontact'}${v.category ? ` · ${v.category}` : ''}`,
  );
}

/** What a launch would stumble on, said now so it can be fixed while the campaign is a draft. */
function templateWarnings(variants: readonly VariantTemplateView[]): string[] {
  return variants.flatMap((v) => {
    if (v.status === null) {
      return [
        `warning: Recontact has no template ${v.name} in ${v.language}${v.languages.length ? ` (it has ${v.languages.join(', ')})` : ''}: push it (recontact templates push FILE) or pull Meta's state (recontact templates pull) before launch`,
      ];
    }
    if (v.status !== 'APPROVED') {
      return [
        `warning: template ${v.name} ${v.language} is ${v.status} at Meta; it must be APPROVED before launch`,
      ];
    }
    return [];
  });
}

const COUNT_KEYS = [
  'recipients',
  'excluded',
  'pending',
  'queued',
  'sent',
  'delivered',
  'read',
  'replied',
  'failed',
  'expired',
] as const;

function formatCampaign(view: CampaignView): string[] {
  const d = view.definition;
  const times = [
    `created ${view.created_at}`,
    `updated ${view.updated_at}`,
    ...(view.launched_at ? [`launched ${view.launched_at}`] : []),
    ...(view.finished_at ? [`finished ${view.finished_at}`] : []),
  ];
  return [
    `${view.id}  ${view.name}`,
    `state: ${view.state}${view.state_reason ? ` (${view.state_reason})` : ''}`,
    ...(view.template.variants.length
      ? templateLines(view.template.variants)
      : [`template: ${view.template.name}`]),
    `audience: ${compact(d.audience)}`,
    `schedule: ${d.schedule === undefined || d.schedule === null ? 'at launch' : compact(d.schedule)}`,
    ...(d.pace !== undefined ? [`pace: ${String(d.pace)} messages/s`] : []),
    ...(d.metadata !== undefined ? [`metadata: ${compact(d.metadata)}`] : []),
    `counts: ${COUNT_KEYS.map((k) => `${k} ${view.counts[k]}`).join(' · ')}${view.state === 'draft' ? ' (filled once launched)' : ''}`,
    ...Object.entries(view.replies_by_payload).map(([payload, n]) => `  replies ${payload}: ${n}`),
    times.join(' · '),
    ...(view.state === 'draft' ? templateWarnings(view.template.variants) : []),
  ];
}

/** One line of JSON for a part of the definition, cut so the line stays readable. */
function compact(value: unknown): string {
  const text = JSON.stringify(value) ?? 'none';
  return text.length > 160 ? `${text.slice(0, 159)}…` : text;
}

const LIST_COLUMNS = ['ID', 'STATE', 'TEMPLATE', 'RECIPIENTS', 'CREATED', 'NAME'] as const;

function formatList(
  list: readonly CampaignSummaryView[],
  nextCursor: string | null,
  flags: string,
): string[] {
  if (list.length === 0)
    return ['No campaigns. Create one: recontact campaigns create FILE (see --help for a file).'];
  const rows = list.map((c) => [
    c.id,
    c.state,
    c.template.name,
    String(c.counts.recipients),
    c.created_at.slice(0, 16).replace('T', ' '),
    c.name,
  ]);
  const widths = LIST_COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => [...r[i]!].length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length))).join('  ');
  return [
    line(LIST_COLUMNS),
    ...rows.map(line),
    ...(nextCursor ? [`more: recontact campaigns list${flags} --cursor ${nextCursor}`] : []),
  ];
}
