/**
 * `npm run bench:growth`: does Recontact slow down as its database fills? For each database,
 * the same three figures (bench/growth/measure.ts) on an empty database and on one holding
 * BENCH_GROWTH_CONTACTS (1,000,000) contacts and BENCH_GROWTH_PAST (1,000,000) past messages
 * with their timelines (bench/growth/fill.ts):
 *   (1) API intake of BENCH_GROWTH_MESSAGES (20,000) template sends, durable before each 202;
 *   (2) their dispatch by a worker process, first to last acceptance;
 *   (3) GET /v1/contacts/{phone}/window, p50 and p99 of BENCH_GROWTH_LOOKUPS (5,000) look-ups of
 *       existing contacts, 4 in flight (on the full database: random stored contacts).
 * The two databases are measured in alternation, BENCH_GROWTH_ROUNDS (5) rounds, the order
 * swapped each round so a machine getting busier does not favour either; each figure is the
 * median of its rounds. Half of each round's sends go to numbers no stored contact has (new
 * contacts that land between stored ones), the same on both databases; the other half to
 * existing contacts (on the full database, random ones of the book). The empty database is made
 * anew each round.
 * Prints both rows and the change, marking what is worse by more than 10%; asserts nothing.
 * `--json FILE` writes the figures. Env: BENCH_DIALECTS (sqlite,postgres), BENCH_PG_URL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { type FillFigures, fillHistory, freshNumber, storedNumber, tidyAsAutovacuum } from './growth/fill';
import { measureRound, type RoundFigures } from './growth/measure';
import { startProcess } from './procs';
import { freshDatabase } from './recontact-env';

/** Worse than this fraction of the empty database's figure is outside the target. */
const TOLERANCE = 0.1;
const WINDOW_CONCURRENCY = 4;
const DISPATCH_CONCURRENCY = 64;

function positiveInt(name: string, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new Error(`${name} must be a whole number from 1 to ${max.toLocaleString('en-US')}; got "${raw}"`);
  return n;
}

function parseArgs(argv: string[]): { json?: string } {
  const out: { json?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      const file = argv[++i];
      if (!file || file.startsWith('--')) throw new Error('--json needs a file name: --json growth.json');
      out.json = file;
    } else if (a.startsWith('--json=')) {
      out.json = a.slice('--json='.length);
    } else {
      throw new Error(`unknown argument "${a}"; the only option is --json FILE`);
    }
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
const MESSAGES = positiveInt('BENCH_GROWTH_MESSAGES', 20_000);
const CONTACTS = positiveInt('BENCH_GROWTH_CONTACTS', 1_000_000, 1_000_000);
const PAST = positiveInt('BENCH_GROWTH_PAST', 1_000_000);
// Six free residues modulo 7 (fill.ts): one set of new numbers per round.
const ROUNDS = positiveInt('BENCH_GROWTH_ROUNDS', 5, 6);
const LOOKUPS = positiveInt('BENCH_GROWTH_LOOKUPS', 5_000);
const DIALECTS = (process.env.BENCH_DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim());
for (const d of DIALECTS)
  if (d !== 'sqlite' && d !== 'postgres')
    throw new Error(`BENCH_DIALECTS lists "${d}"; each must be sqlite or postgres`);

type Figure = 'intake' | 'dispatch' | 'windowP50' | 'windowP99';
const FIGURES: readonly Figure[] = ['intake', 'dispatch', 'windowP50', 'windowP99'];
/** Rates are worse when lower, latencies when higher. */
const HIGHER_IS_BETTER: Record<Figure, boolean> = {
  intake: true,
  dispatch: true,
  windowP50: false,
  windowP99: false,
};

interface Side {
  rounds: RoundFigures[];
  median: Record<Figure, number>;
}

interface DialectResult {
  dialect: string;
  fill: FillFigures;
  empty: Side;
  full: Side;
  /** (full − empty) / empty, in %. */
  change: Record<Figure, number>;
  outside: Figure[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function side(rounds: RoundFigures[]): Side {
  const m = {} as Record<Figure, number>;
  for (const f of FIGURES) m[f] = median(rounds.map((r) => r[f]));
  return { rounds, median: m };
}

async function benchDialect(dialect: string): Promise<DialectResult> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-bench-growth-'));
  const sandbox = await startProcess(
    ['bench/sandbox-process.ts'],
    { BENCH_STATUS_WEBHOOKS: '0' },
    /READY (\S+)/,
  );
  try {
    const fullUrl = await freshDatabase(dialect, dir, 'recontact_growth_full');
    const store = await openStore({ url: fullUrl, pgPoolSize: 2, pgStatementTimeoutMs: 3_600_000 });
    let fill: FillFigures;
    try {
      await migrateToLatest(store.db, store.schema);
      log(`${dialect}: writing ${fmt(CONTACTS)} contacts and ${fmt(PAST)} past messages…`);
      fill = await fillHistory(store, {
        contacts: CONTACTS,
        messages: PAST,
        now: Date.now(),
        log: (s) => log(`${dialect}: ${s}`),
      });
    } finally {
      await store.close();
    }
    const s = fill.seconds;
    log(
      `${dialect}: filled in ${(s.contacts + s.messages + s.timeline + s.analyze).toFixed(0)} s (contacts ${s.contacts.toFixed(0)} s, messages ${s.messages.toFixed(0)} s, ${fmt(fill.timelineRows)} timeline rows and ${fmt(fill.windowTimers)} window timers ${s.timeline.toFixed(0)} s, statistics ${s.analyze.toFixed(0)} s)`,
    );

    const slots = Math.max(1, Math.floor(MESSAGES / 2));
    const empty: RoundFigures[] = [];
    const full: RoundFigures[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Half the sends go to people new to the database (numbers that fall between stored
      // ones), the other half to people who exist: on the empty database the ones this round
      // just created (each number gets two sends, as in `npm run bench`), on the full one random
      // contacts of the book, so their rows and index entries are where real use finds them.
      const fresh = (i: number) => freshNumber(i % slots, slots, r + 1, CONTACTS);
      const pick = spread(CONTACTS, r);
      const stored = (i: number) => storedNumber(pick(i));
      const plan = (
        databaseUrl: string,
        which: string,
        to: (i: number) => string,
        lookup: (i: number) => string,
      ) => ({
        databaseUrl,
        sandboxUrl: sandbox.url,
        concurrency: DISPATCH_CONCURRENCY,
        messages: MESSAGES,
        to,
        lookups: LOOKUPS,
        lookup,
        windowConcurrency: WINDOW_CONCURRENCY,
        log: (line: string) => log(`${dialect} round ${r + 1} ${which}: ${line}`),
      });
      const runEmpty = async () => {
        const url = await freshDatabase(dialect, dir, `recontact_growth_empty_${r + 1}`);
        // The only contacts an empty database has are the ones this round created.
        const lookup = (i: number) => fresh((i * 7919) % slots);
        empty.push(await measureRound(plan(url, 'empty', fresh, lookup)));
      };
      const runFull = async () => {
        // The previous rounds' updates vacuumed away, as autovacuum would keep a live table.
        if (r > 0) {
          const store = await openStore({ url: fullUrl, pgPoolSize: 1, pgStatementTimeoutMs: 3_600_000 });
          await tidyAsAutovacuum(store).finally(() => store.close());
        }
        const to = (i: number) => (i < slots ? fresh(i) : stored(i));
        // Other stored contacts than the sends touched: looked up cold, as most of a book is.
        const lookup = (i: number) => stored(MESSAGES + i);
        full.push(await measureRound(plan(fullUrl, 'full', to, lookup)));
      };
      if (r % 2 === 0) {
        await runEmpty();
        await runFull();
      } else {
        await runFull();
        await runEmpty();
      }
    }
    const e = side(empty);
    const f = side(full);
    const change = {} as Record<Figure, number>;
    const outside: Figure[] = [];
    for (const k of FIGURES) {
      change[k] = ((f.median[k] - e.median[k]) / e.median[k]) * 100;
      const worse = HIGHER_IS_BETTER[k] ? -change[k] : change[k];
      if (worse > TOLERANCE * 100) outside.push(k);
    }
    return { dialect, fill, empty: e, full: f, change, outside };
  } finally {
    await sandbox.stop();
    if (dialect === 'postgres') await dropDatabases();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fixed pseudo-random order over n contacts (multiplicative hashing), different per round. */
function spread(n: number, round: number): (i: number) => number {
  return (i) => Number((BigInt(i + round * 1_000_003) * 2_654_435_761n) % BigInt(n));
}

async function dropDatabases(): Promise<void> {
  const pg = (await import('pg')).default;
  const { PG_URL } = await import('./recontact-env');
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  try {
    const names = [
      'recontact_growth_full',
      ...Array.from({ length: ROUNDS }, (_, r) => `recontact_growth_empty_${r + 1}`),
    ];
    for (const name of names) await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  } finally {
    await admin.end();
  }
}

function log(s: string) {
  process.stderr.write(`  ${s}\n`);
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(n).toFixed(1)}%`;
const NAMES: Record<string, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

function cell(r: DialectResult, k: Figure): string {
  const text = pct(r.change[k]);
  return r.outside.includes(k) ? `**${text} (outside 10%)**` : text;
}

const started = new Date();
const loadAtStart = loadavg()[0]!.toFixed(2);
const results: DialectResult[] = [];
for (const d of DIALECTS) {
  process.stdout.write(
    `running ${d}: ${fmt(MESSAGES)} sends, ${fmt(LOOKUPS)} window look-ups, ${ROUNDS} rounds, empty vs ${fmt(CONTACTS)} contacts + ${fmt(PAST)} past messages…\n`,
  );
  results.push(await benchDialect(d));
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const loadAtEnd = loadavg()[0]!.toFixed(2);
process.stdout.write(
  `\nCost growth — ${started.toISOString().slice(0, 10)}, machine: ${machine}, load average ${loadAtStart} at the start, ${loadAtEnd} at the end; ${fmt(MESSAGES)} sends, ${fmt(LOOKUPS)} look-ups at ${WINDOW_CONCURRENCY} in flight, median of ${ROUNDS} rounds\n\n`,
);
process.stdout.write(
  '| database | stored before the run | (1) API intake, durable | (2) dispatch, durable | (3) window p50 | (3) window p99 |\n|---|---|---|---|---|---|\n',
);
for (const r of results) {
  const name = NAMES[r.dialect] ?? r.dialect;
  const row = (what: string, s: Side) =>
    `| ${name} | ${what} | ${fmt(s.median.intake)} msg/s | ${fmt(s.median.dispatch)} msg/s | ${s.median.windowP50.toFixed(2)} ms | ${s.median.windowP99.toFixed(2)} ms |\n`;
  process.stdout.write(row('nothing', r.empty));
  process.stdout.write(
    row(
      `${fmt(r.fill.contacts)} contacts, ${fmt(r.fill.messages)} messages, ${fmt(r.fill.timelineRows)} timeline rows`,
      r.full,
    ),
  );
  process.stdout.write(
    `| ${name} | change | ${cell(r, 'intake')} | ${cell(r, 'dispatch')} | ${cell(r, 'windowP50')} | ${cell(r, 'windowP99')} |\n`,
  );
}
process.stdout.write('\nEach round (empty → full):\n');
for (const r of results) {
  for (const k of FIGURES) {
    const unit = k.startsWith('window') ? ' ms' : '';
    const vals = (s: Side) => s.rounds.map((x) => (unit ? x[k].toFixed(2) : fmt(x[k]))).join(', ');
    process.stdout.write(`  ${NAMES[r.dialect]} ${k}: ${vals(r.empty)} → ${vals(r.full)}${unit}\n`);
  }
}
const worse = results.flatMap((r) => r.outside.map((k) => `${NAMES[r.dialect]} ${k}`));
process.stdout.write(
  worse.length
    ? `\nWorse by more than 10% on the full database: ${worse.join(', ')}\n`
    : '\nEvery figure on the full database is within 10% of the empty one.\n',
);

if (args.json) {
  const json: Record<string, unknown> = {
    date: started.toISOString(),
    machine,
    load_average: { start: Number(loadAtStart), end: Number(loadAtEnd) },
    messages: MESSAGES,
    lookups: LOOKUPS,
    window_concurrency: WINDOW_CONCURRENCY,
    rounds: ROUNDS,
  };
  const figures = (s: RoundFigures | Side['median']) => ({
    intake: s.intake,
    dispatch: s.dispatch,
    window_p50_ms: s.windowP50,
    window_p99_ms: s.windowP99,
  });
  for (const r of results) {
    json[r.dialect] = {
      stored: {
        contacts: r.fill.contacts,
        messages: r.fill.messages,
        timeline_rows: r.fill.timelineRows,
        window_timers: r.fill.windowTimers,
        by_status: r.fill.byStatus,
        fill_seconds: r.fill.seconds,
      },
      empty: { ...figures(r.empty.median), rounds: r.empty.rounds.map(figures) },
      full: { ...figures(r.full.median), rounds: r.full.rounds.map(figures) },
      change_pct: {
        intake: r.change.intake,
        dispatch: r.change.dispatch,
        window_p50_ms: r.change.windowP50,
        window_p99_ms: r.change.windowP99,
      },
      outside_10_pct: r.outside,
    };
  }
  writeFileSync(args.json, `${JSON.stringify(json, null, 2)}\n`);
  process.stdout.write(`figures written to ${args.json}\n`);
}
