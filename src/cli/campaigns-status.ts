/**
 * `recontact campaigns status ID [--watch]`: a campaign's funnel as a person follows it, read
 * from GET /v1/campaigns/{id} (the same view a bot or the dashboard reads).
 *
 * On a terminal it is a block redrawn in place every second — a progress bar of the recipients
 * settled, the funnel, the reply rate, replies by button and failures by reason — until the
 * campaign finishes (completed, cancelled, expired, failed to start) or Ctrl-C. Without a
 * terminal (a pipe, a log, CI) each refresh that changed something is one plain line with its
 * time, so the output stays a readable log; the details follow once at the end.
 */
import type { Command } from 'commander';
import type { CampaignView } from '../engine/campaigns/campaigns';
import { callApi, type RemoteOptions } from './api-client';
import type { CliWiring } from './campaign-wiring';
import { stdoutLines } from './output';

export interface CampaignsStatusOptions extends RemoteOptions {
  watch?: boolean;
  json?: boolean;
  out?: (line: string) => void;
  /** Where the redrawn block goes on a terminal; default process.stdout. */
  terminal?: Terminal;
  /** Milliseconds between refreshes with --watch (default 1,000). */
  intervalMs?: number;
  /** Stops --watch (Ctrl-C); default: SIGINT. */
  signal?: AbortSignal;
}

/** The part of a TTY stream the redraw needs. */
export interface Terminal {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

const FINISHED = new Set(['completed', 'cancelled', 'expired', 'failed_to_start']);
const REFRESH_MS = 1_000;
const BAR_WIDTH = 30;
/** sysexits' convention for a command stopped by Ctrl-C (128 + SIGINT). */
const INTERRUPTED = 130;

const EXIT_CODES = `
Exit codes:
  0   shown; with --watch, the campaign finished (completed, cancelled, expired, failed to start)
  1   Recontact refused (e.g. CAMPAIGN_NOT_FOUND) or could not be reached
  2   usage: a wrong flag or value
  78  invalid environment (RECONTACT_URL, RECONTACT_API_KEY)
  130 --watch stopped with Ctrl-C before the campaign finished`;

export function addCampaignStatusCommand(campaigns: Command, wiring: CliWiring): void {
  wiring
    .remote(
      campaigns
        .command('status')
        .description(
          "A campaign's live funnel: recipients, sent, delivered, read, replied, failed, reply rate",
        )
        .argument('<id>', 'campaign id (cmp_…), from `recontact campaigns list`')
        .option('--watch', 'refresh every second until the campaign finishes (Ctrl-C stops watching)'),
    )
    .addHelpText(
      'after',
      `
On a terminal the funnel is redrawn in place with a progress bar; piped or redirected, each
refresh that changed something prints one line with its time, and the details come at the end.

Examples:
  recontact campaigns status cmp_01JD2Q…
  recontact campaigns status cmp_01JD2Q… --watch
  recontact campaigns status cmp_01JD2Q… --watch > funnel.log
${EXIT_CODES}`,
    )
    .action(async (id: string, opts) => process.exit(await runCampaignsStatus(id, wiring.connected(opts))));
}

export async function runCampaignsStatus(id: string, o: CampaignsStatusOptions): Promise<number> {
  const out = o.out ?? stdoutLines;
  const read = () => callApi<CampaignView>(o, 'GET', `/v1/campaigns/${encodeURIComponent(id)}`);
  if (o.json) {
    out(JSON.stringify(await read(), null, 2));
    return 0;
  }
  const terminal = o.terminal ?? process.stdout;
  const tty = terminal.isTTY === true && o.out === undefined;
  if (!o.watch) {
    const view = await read();
    for (const line of tty ? statusBlock(view) : [statusLine(view), ...detailLines(view)]) out(line);
    return 0;
  }
  const stop = stopSignal(o.signal);
  const screen = tty ? new Redraw(terminal) : undefined;
  let last = '';
  let view: CampaignView | undefined;
  try {
    for (;;) {
      view = await read();
      if (screen) screen.draw(statusBlock(view));
      else {
        // The time is left out of the comparison: a quiet campaign prints nothing new.
        const line = statusLine(view);
        if (line !== last) out(`${clockTime()} ${line}`);
        last = line;
      }
      if (FINISHED.has(view.state)) break;
      if (await sleep(o.intervalMs ?? REFRESH_MS, stop.signal)) {
        if (!screen) out(`stopped watching: ${view.id} is still ${view.state}`);
        return INTERRUPTED;
      }
    }
  } finally {
    stop.dispose();
    screen?.end();
  }
  if (!screen) for (const line of detailLines(view)) out(line);
  return 0;
}

// ─── What is printed ──────────────────────────────────────────────────────────────────────

/** The funnel in the order a message moves, with Meta's "accepted" shown as sent. */
export function funnel(view: CampaignView): Array<[string, number]> {
  const c = view.counts;
  return [
    ['recipients', c.recipients],
    ['excluded', c.excluded],
    ['pending', c.pending],
    ['queued', c.queued],
    ['sent', c.accepted + c.sent],
    ['delivered', c.delivered],
    ['read', c.read],
    ['replied', c.replied],
    ['failed', c.failed],
    ['opted out', c.opted_out],
    ['expired', c.expired],
    ...(c.cancelled > 0 ? ([['cancelled', c.cancelled]] as Array<[string, number]>) : []),
  ];
}

export function funnelText(view: CampaignView): string {
  return funnel(view)
    .map(([k, n]) => `${k} ${n}`)
    .join(' · ');
}

/** Recipients with nothing more to wait for: excluded, or their message answered by Meta. */
function settled(view: CampaignView): { done: number; total: number } {
  const c = view.counts;
  return { done: c.recipients - c.pending - c.queued, total: c.recipients };
}

function percent(done: number, total: number): string {
  return total === 0 ? '0%' : `${Math.floor((done / total) * 100)}%`;
}

function stateText(view: CampaignView): string {
  return `${view.state.replaceAll('_', ' ')}${view.state_reason ? ` (${view.state_reason})` : ''}`;
}

/** One line: the state, the share settled and the funnel. */
export function statusLine(view: CampaignView): string {
  const s = settled(view);
  return `${view.id} ${stateText(view)} ${percent(s.done, s.total)} · ${funnelText(view)}`;
}

export function statusBlock(view: CampaignView): string[] {
  const s = settled(view);
  const filled = s.total === 0 ? 0 : Math.round((s.done / s.total) * BAR_WIDTH);
  return [
    `${view.id}  ${view.name} — ${stateText(view)}`,
    `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${percent(s.done, s.total)} settled (${s.done} of ${s.total})`,
    funnelText(view),
    ...detailLines(view),
  ];
}

/** Reply rate, replies by button, failures by reason, variants, cost: what is known so far. */
export function detailLines(view: CampaignView): string[] {
  const c = view.counts;
  const reached = c.delivered + c.read;
  const lines = [
    `reply rate ${view.reply_rate === null ? '–' : `${(view.reply_rate * 100).toFixed(1)}%`} (${c.replied} of ${reached} delivered)` +
      (view.median_reply_seconds === null ? '' : ` · median reply ${duration(view.median_reply_seconds)}`),
  ];
  const replies = Object.entries(view.replies_by_payload).sort((a, b) => b[1] - a[1]);
  if (replies.length > 0) lines.push(`replies: ${replies.map(([p, n]) => `${p} ${n}`).join(' · ')}`);
  for (const f of view.failures) lines.push(`failed ${f.count}: ${f.reason}`);
  const excluded = Object.entries(view.excluded_by_reason).sort((a, b) => b[1] - a[1]);
  if (excluded.length > 0) lines.push(`excluded: ${excluded.map(([r, n]) => `${r} ${n}`).join(' · ')}`);
  if (view.variants.length > 1) {
    for (const v of view.variants) {
      lines.push(
        `variant ${v.label}: ${v.recipients} recipients · ${v.delivered_or_later} delivered · ${v.replied} replied · reply rate ${v.reply_rate === null ? '–' : `${(v.reply_rate * 100).toFixed(1)}%`}`,
      );
    }
  }
  if (view.cost && view.cost.delivered > 0) {
    const basis = view.cost.basis === 'measured' ? 'as Meta billed' : view.cost.basis.replaceAll('_', ' ');
    lines.push(
      `cost ${view.cost.total_usd} ${view.cost.currency} (${basis}; rate card of ${view.cost.card.effective_from})`,
    );
  }
  return lines;
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

function clockTime(): string {
  return new Date().toISOString().slice(11, 19);
}

// ─── The terminal ─────────────────────────────────────────────────────────────────────────

/** Redraws a block of lines in place: up over the last one, clear to the end, write. */
class Redraw {
  private height = 0;
  constructor(private readonly t: Terminal) {
    // Hidden while redrawing so it does not flicker across the block.
    t.write('\x1b[?25l');
  }

  draw(lines: readonly string[]): void {
    const width = Math.max(20, (this.t.columns ?? 100) - 1);
    // A line wider than the terminal would wrap and throw the count of lines to go up off.
    const fitted = lines.map((l) => ([...l].length > width ? `${[...l].slice(0, width - 1).join('')}…` : l));
    this.t.write(`${this.height > 0 ? `\x1b[${this.height}A` : ''}\x1b[0J${fitted.join('\n')}\n`);
    this.height = fitted.length;
  }

  end(): void {
    this.t.write('\x1b[?25h');
  }
}

/** Ctrl-C ends the watch (the caller's signal in tests). */
function stopSignal(given: AbortSignal | undefined): { signal: AbortSignal; dispose(): void } {
  if (given) return { signal: given, dispose: () => {} };
  const controller = new AbortController();
  const onInt = () => controller.abort();
  process.once('SIGINT', onInt);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onInt) };
}

/** Waits `ms`; true when stopped first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
