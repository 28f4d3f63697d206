/**
 * What the least a durable sender must write costs here, beside the bare loop of the same run:
 * the bare loop's own client (one undici Pool, the same template body, the same number in
 * flight, the same sandbox in its own process) plus only the writes that "every message durably
 * recorded" needs, as raw prepared better-sqlite3 statements in the real migrated schema,
 * committed in groups (one transaction per turn of the event loop, as answers arrive). No
 * Kysely, pacing, leases, consent, events or reads of content. Three cases:
 *   accepted           each answer's row set to `accepted` with Meta's id (rows queued before);
 *   marked, accepted   also the `sending` mark before each post, whose commit the post waits
 *                      for (what keeps the sends in doubt after a crash to those in flight);
 *   campaign           each message inserted first, as a campaign creates it, then marked and
 *                      accepted.
 * SQLite's own checkpoints run inside the commits here (Recontact moves them to a thread of their
 * own), so if anything the true ceiling is a little higher.
 * The same cases on PostgreSQL (its server on the same two cores), through `pg` alone: each
 * group is one named prepared statement whose text never changes (the ids as arrays, `= ANY`,
 * `unnest`, `json_populate_recordset`), committed by itself, the next group gathered while the
 * previous statement is on its way — the fewest round trips and the least parsing and planning
 * a PostgreSQL sender can have. CPU per message is printed for the sender and, on PostgreSQL,
 * the server's processes, from /proc.
 * It is the ceiling of any dispatcher that records each message in this schema on this machine,
 * printed as a ratio to the bare loop, which runs again before and after every case at the same
 * number in flight (part of `npm run bench`, or alone: `node --import tsx
 * bench/dispatch-floor.ts`). Env: BENCH_MESSAGES (20000), BENCH_FLOOR_DIALECTS (sqlite,postgres).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { openStore } from '../src/store/database';
import { migrateToLatest } from '../src/store/migrate';
import { messageRow, T0 } from '../test/support/message-rows';
import { bareLoop, bareLoopAt, drive, templatePoster, templateSend } from './bare-loop';
import { postgresCpuSeconds, startProcess } from './procs';
import { freshDatabase, recontactInFlight } from './recontact-env';
import { migratedSqlite } from './sqlite-floor';

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
const DIALECTS = (process.env.BENCH_FLOOR_DIALECTS ?? 'sqlite,postgres').split(',') as Dialect[];
type Dialect = 'sqlite' | 'postgres';
type Case =
  | 'accepted'
  | 'marked, accepted'
  | 'campaign'
  | 'marked, accepted: one statement'
  | 'marked, accepted: narrow rows'
  | 'marked, accepted: appended'
  | 'campaign: appended';
const CASES: Case[] = ['accepted', 'marked, accepted', 'campaign'];
/**
 * PostgreSQL only: the same two writes, not as updates of the wide messages row. "narrow rows":
 * in a table of the send's state alone (key, state, times, Meta's id) with room left on each
 * page, so that an update touches no index and stays on its page (a HOT update). "appended":
 * each write is a new row of a narrow table (posted: key, worker, time; accepted: key, Meta's
 * id, time), nothing updated. What a different data model would leave room for. "campaign:
 * appended": each message inserted first, as a campaign creates it (the one write no data model
 * can skip: the message to send, durable before it is sent), then marked and accepted as appended
 * rows; no recipient row or frequency cap written, so it is the most a campaign could reach here.
 */
const PG_ONLY_CASES: Case[] = [
  'marked, accepted: one statement',
  'marked, accepted: narrow rows',
  'marked, accepted: appended',
  'campaign: appended',
];

interface CaseFigures {
  dialect: Dialect;
  name: Case;
  rate: number;
  /**
   * The bare loop at the same number in flight, run just before this case and just after it:
   * a shared machine's speed drifts by a fifth or more within minutes, so a case is compared
   * with the loops beside it, not with one measured minutes earlier.
   */
  bareBefore: number;
  bareAfter: number;
  /** CPU per message of the sending process, and of PostgreSQL's server processes (NaN on SQLite). */
  senderCpuUs: number;
  databaseCpuUs: number;
  /** Rows per transaction (SQLite) or statement (PostgreSQL), all writes of the timed sends. */
  rowsPerWrite: number;
}

/** A case's own figures, before the bare loops beside it are added. */
type Timed = Omit<CaseFigures, 'bareBefore' | 'bareAfter'>;

export interface DispatchFloorFigures {
  bare: { rate: number; concurrency: number; cpuUsPerMsg: number };
  /** Sends in flight in every case and in the bare loops beside them. */
  inFlight: number;
  cases: CaseFigures[];
}

/** Items added during one turn of the event loop are written in one transaction. */
class GroupCommit<T> {
  private items: T[] = [];
  private waiters: Array<() => void> = [];
  private queued = false;

  constructor(private readonly write: (items: T[]) => void) {}

  add(item: T): Promise<void> {
    this.items.push(item);
    if (!this.queued) {
      this.queued = true;
      setImmediate(() => this.flush());
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Transactions written so far. */
  writes = 0;

  private flush(): void {
    this.writes++;
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    this.queued = false;
    this.write(items);
    for (const w of waiters) w();
  }
}

/**
 * The same for an asynchronous write (a PostgreSQL statement): the items added while one write is
 * on its way are the next write, so there is never more than one, as in Recontact's group commit.
 */
class AsyncGroupCommit<T> {
  private items: T[] = [];
  private waiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  private running = false;
  /** Statements written so far. */
  writes = 0;

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    this.items.push(item);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.run());
    }
    return done;
  }

  private async run(): Promise<void> {
    while (this.items.length) {
      const items = this.items;
      const waiters = this.waiters;
      this.items = [];
      this.waiters = [];
      this.writes++;
      try {
        await this.write(items);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.running = false;
  }
}

const MESSAGE_COLUMNS = Object.keys(messageRow('x'));
const rowOf = (id: string) => ({
  ...messageRow(id, { account_id: 'acc_floor', contact_id: `ctc_${id}`, kind: 'template' }),
  content: JSON.stringify(templateSend(0, 'floor')),
});

async function sqliteCase(dir: string, url: string, which: Case, concurrency: number): Promise<Timed> {
  const db = await migratedSqlite(join(dir, `floor-${CASES.indexOf(which)}.db`));
  const ids = Array.from({ length: N }, (_, i) => `msg_${String(i).padStart(8, '0')}`);
  const insert = db.prepare(
    `INSERT INTO messages (${MESSAGE_COLUMNS.join(',')}) VALUES (${MESSAGE_COLUMNS.map((c) => `@${c}`).join(',')})`,
  );
  const insertAll = db.transaction((batch: readonly string[]) => {
    for (const id of batch) insert.run(rowOf(id));
  });
  if (which !== 'campaign') insertAll(ids);
  const mark = db.prepare(
    `UPDATE messages SET status = 'sending', attempts = attempts + 1, posted_at = ?, locked_by = 'floor',
       locked_until = ?, updated_at = ? WHERE id = ?`,
  );
  const accept = db.prepare(
    `UPDATE messages SET status = 'accepted', provider_message_id = ?, accepted_at = ?, locked_until = NULL,
       updated_at = ? WHERE id = ?`,
  );
  const inserts = new GroupCommit<string>(insertAll);
  const marks = new GroupCommit<string>(
    db.transaction((batch: string[]) => {
      const now = Date.now();
      for (const id of batch) mark.run(now, now + 60_000, now, id);
    }),
  );
  const accepts = new GroupCommit<{ id: string; wamid: string }>(
    db.transaction((batch: Array<{ id: string; wamid: string }>) => {
      const now = Date.now();
      for (const a of batch) accept.run(a.wamid, now, now, a.id);
    }),
  );
  const pool = new Pool(url, { connections: concurrency });
  const post = templatePoster(pool, 'floor');
  try {
    await drive(2_000, concurrency, async (i) => void (await post(i))); // warm-up, as the bare loop's
    const timed = await timedSends(concurrency, 'sqlite', which, [inserts, marks, accepts], async (i) => {
      const id = ids[i]!;
      if (which === 'campaign') await inserts.add(id);
      if (which !== 'accepted') await marks.add(id);
      return { recorded: accepts.add({ id, wamid: await post(i) }) };
    });
    const done = db
      .prepare(`SELECT COUNT(*) AS n FROM messages WHERE status = 'accepted' AND accepted_at >= ?`)
      .get(T0) as { n: number };
    if (done.n !== N) throw new Error(`${which}: ${done.n} of ${N} recorded as accepted`);
    return timed;
  } finally {
    await pool.close();
    db.close();
  }
}

/**
 * N sends, `concurrency` at a time, each one's recording awaited at the end; the rate and the CPU
 * per message of this process and (on PostgreSQL) of the server's processes.
 */
async function timedSends(
  concurrency: number,
  dialect: Dialect,
  name: Case,
  commits: Array<{ writes: number }>,
  send: (i: number) => Promise<{ recorded: Promise<void> }>,
): Promise<Timed> {
  const writes0 = commits.reduce((n, c) => n + c.writes, 0);
  const rowsWritten = N * (name === 'accepted' ? 1 : name.startsWith('campaign') ? 3 : 2);
  const recorded: Array<Promise<void>> = [];
  const cpu0 = process.cpuUsage();
  const db0 = dialect === 'postgres' ? postgresCpuSeconds() : Number.NaN;
  const t0 = performance.now();
  await drive(N, concurrency, async (i) => void recorded.push((await send(i)).recorded));
  await Promise.all(recorded);
  const rate = N / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  const databaseCpuUs = dialect === 'postgres' ? ((postgresCpuSeconds() - db0) * 1e6) / N : Number.NaN;
  const writes = commits.reduce((n, c) => n + c.writes, 0) - writes0;
  return {
    dialect,
    name,
    rate,
    senderCpuUs: (cpu.user + cpu.system) / N,
    databaseCpuUs,
    rowsPerWrite: rowsWritten / writes,
  };
}

/** The PostgreSQL statements, named: each is parsed once per connection and then only bound. */
const PG = {
  insert: {
    name: 'floor_insert',
    text: 'INSERT INTO messages SELECT * FROM json_populate_recordset(NULL::messages, $1::json)',
  },
  mark: {
    name: 'floor_mark',
    text: `UPDATE messages SET status = 'sending', attempts = attempts + 1, posted_at = $1, locked_by = 'floor',
             locked_until = $2, updated_at = $1 WHERE id = ANY($3::text[])`,
  },
  accept: {
    name: 'floor_accept',
    text: `UPDATE messages SET status = 'accepted', provider_message_id = v.wamid, accepted_at = $1,
             locked_until = NULL, updated_at = $1
             FROM unnest($2::text[], $3::text[]) AS v(id, wamid) WHERE messages.id = v.id`,
  },
  markAndAccept: {
    name: 'floor_mark_and_accept',
    text: `WITH accepted AS (
             UPDATE messages SET status = 'accepted', provider_message_id = v.wamid, accepted_at = $1,
                    locked_until = NULL, updated_at = $1
               FROM unnest($2::text[], $3::text[]) AS v(id, wamid) WHERE messages.id = v.id)
           UPDATE messages SET status = 'sending', attempts = attempts + 1, posted_at = $1, locked_by = 'floor',
                  locked_until = $4, updated_at = $1 WHERE id = ANY($5::text[])`,
  },
  narrowTable: `CREATE TABLE send_state (id text PRIMARY KEY, status text NOT NULL, attempts int NOT NULL,
                  posted_at bigint, locked_by text, locked_until bigint, provider_message_id text,
                  accepted_at bigint, updated_at bigint NOT NULL) WITH (fillfactor = 40)`,
  narrowFill: `INSERT INTO send_state (id, status, attempts, updated_at) SELECT id, 'queued', 0, $1
                 FROM unnest($2::text[]) AS id`,
  narrowMark: {
    name: 'floor_narrow_mark',
    text: `UPDATE send_state SET status = 'sending', attempts = attempts + 1, posted_at = $1, locked_by = 'floor',
             locked_until = $2, updated_at = $1 WHERE id = ANY($3::text[]) AND status = 'queued'`,
  },
  narrowAccept: {
    name: 'floor_narrow_accept',
    text: `UPDATE send_state SET status = 'accepted', provider_message_id = v.wamid, accepted_at = $1,
             locked_until = NULL, updated_at = $1
             FROM unnest($2::text[], $3::text[]) AS v(id, wamid) WHERE send_state.id = v.id`,
  },
  appendTables: [
    'CREATE TABLE sends_posted (message_id text PRIMARY KEY, worker text NOT NULL, posted_at bigint NOT NULL)',
    'CREATE TABLE sends_accepted (message_id text PRIMARY KEY, provider_message_id text NOT NULL, accepted_at bigint NOT NULL)',
  ],
  appendMark: {
    name: 'floor_append_mark',
    text: `INSERT INTO sends_posted (message_id, worker, posted_at) SELECT id, 'floor', $1 FROM unnest($2::text[]) AS id
             ON CONFLICT DO NOTHING`,
  },
  appendAccept: {
    name: 'floor_append_accept',
    text: `INSERT INTO sends_accepted (message_id, provider_message_id, accepted_at)
             SELECT id, wamid, $1 FROM unnest($2::text[], $3::text[]) AS v(id, wamid) ON CONFLICT DO NOTHING`,
  },
  accepted: {
    messages: `SELECT COUNT(*) AS n FROM messages WHERE status = 'accepted' AND accepted_at >= $1`,
    narrow: `SELECT COUNT(*) AS n FROM send_state WHERE status = 'accepted' AND accepted_at >= $1`,
    appended: 'SELECT COUNT(*) AS n FROM sends_accepted WHERE accepted_at >= $1',
  },
} as const;

async function postgresCase(url: string, which: Case, concurrency: number): Promise<Timed> {
  const dbUrl = await freshDatabase(
    'postgres',
    '',
    `recontact_floor_${[...CASES, ...PG_ONLY_CASES].indexOf(which)}`,
  );
  const store = await openStore({ url: dbUrl });
  await migrateToLatest(store.db);
  await store.close();
  // Three connections: one statement of each kind can be on its way at once.
  const db = new pg.Pool({ connectionString: dbUrl, max: 3 });
  const ids = Array.from({ length: N }, (_, i) => `msg_${String(i).padStart(8, '0')}`);
  const insertRows = async (batch: readonly string[]) => {
    await db.query({ ...PG.insert, values: [JSON.stringify(batch.map(rowOf))] });
  };
  const campaign = which === 'campaign' || which === 'campaign: appended';
  if (!campaign) for (let i = 0; i < N; i += 1_000) await insertRows(ids.slice(i, i + 1_000));
  const narrow = which === 'marked, accepted: narrow rows';
  const appended = which === 'marked, accepted: appended' || which === 'campaign: appended';
  if (narrow) {
    await db.query(PG.narrowTable);
    await db.query(PG.narrowFill, [T0, ids]);
  }
  if (appended) for (const t of PG.appendTables) await db.query(t);
  await db.query('ANALYZE');
  const inserts = new AsyncGroupCommit<string>(insertRows);
  const mark = narrow ? PG.narrowMark : appended ? PG.appendMark : PG.mark;
  const marks = new AsyncGroupCommit<string>(async (batch) => {
    const now = Date.now();
    await db.query({ ...mark, values: appended ? [now, batch] : [now, now + 60_000, batch] });
  });
  const accept = narrow ? PG.narrowAccept : appended ? PG.appendAccept : PG.accept;
  const accepts = new AsyncGroupCommit<{ id: string; wamid: string }>(async (batch) => {
    await db.query({
      ...accept,
      values: [Date.now(), batch.map((a) => a.id), batch.map((a) => a.wamid)],
    });
  });
  // One writer for both: the marks waiting and the answers received go in one statement.
  const both = new AsyncGroupCommit<{ id: string; wamid?: string }>(async (batch) => {
    const now = Date.now();
    const answered = batch.filter((b) => b.wamid !== undefined);
    await db.query({
      ...PG.markAndAccept,
      values: [
        now,
        answered.map((a) => a.id),
        answered.map((a) => a.wamid),
        now + 60_000,
        batch.filter((b) => b.wamid === undefined).map((b) => b.id),
      ],
    });
  });
  const pool = new Pool(url, { connections: concurrency });
  const post = templatePoster(pool, 'floor');
  try {
    await drive(2_000, concurrency, async (i) => void (await post(i))); // warm-up, as the bare loop's
    const timed = await timedSends(
      concurrency,
      'postgres',
      which,
      [inserts, marks, accepts, both],
      async (i) => {
        const id = ids[i]!;
        if (which === 'marked, accepted: one statement') {
          await both.add({ id });
          return { recorded: both.add({ id, wamid: await post(i) }) };
        }
        if (campaign) await inserts.add(id);
        if (which !== 'accepted') await marks.add(id);
        return { recorded: accepts.add({ id, wamid: await post(i) }) };
      },
    );
    const done = await db.query<{ n: string }>(
      narrow ? PG.accepted.narrow : appended ? PG.accepted.appended : PG.accepted.messages,
      [T0],
    );
    if (Number(done.rows[0]?.n) !== N)
      throw new Error(`postgres ${which}: ${done.rows[0]?.n} of ${N} recorded as accepted`);
    return timed;
  } finally {
    await pool.close();
    await db.end();
  }
}

export async function benchDispatchFloor(): Promise<DispatchFloorFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'recontact-dispatch-floor-'));
  const sandbox = await startProcess(
    ['bench/sandbox-process.ts'],
    { BENCH_STATUS_WEBHOOKS: '0' },
    /READY (\S+)/,
  );
  try {
    const bare = await bareLoop(sandbox.url, N);
    // As many in flight as Recontact gets in `npm run bench`: the bare loop's pick of 16 is often
    // noise, and a floor measured at 16 measures the latency, not the writes.
    const inFlight = recontactInFlight(bare.concurrency);
    const cases: CaseFigures[] = [];
    let bareBefore = (await bareLoopAt(sandbox.url, N, inFlight)).rate;
    for (const dialect of DIALECTS)
      for (const name of dialect === 'postgres' ? [...CASES, ...PG_ONLY_CASES] : CASES) {
        const figures =
          dialect === 'sqlite'
            ? await sqliteCase(dir, sandbox.url, name, inFlight)
            : await postgresCase(sandbox.url, name, inFlight);
        const bareAfter = (await bareLoopAt(sandbox.url, N, inFlight)).rate;
        cases.push({ ...figures, bareBefore, bareAfter });
        bareBefore = bareAfter;
      }
    return { bare, inFlight, cases };
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/** A case's rate against the mean of the two bare loops beside it. */
const floorRatio = (c: CaseFigures) => c.rate / ((c.bareBefore + c.bareAfter) / 2);

export function printDispatchFloorFigures(
  f: DispatchFloorFigures,
  write = (s: string) => process.stdout.write(s),
): void {
  write(
    `\nThe least a durable sender writes (${fmt(N)} sends, ${f.inFlight} in flight, raw prepared statements, group commit), beside the bare loop of the same run\n\n`,
  );
  write(
    '| database | case | msg/s | bare loop just before / after | ratio to their mean | CPU per message: sender / PostgreSQL server | rows per write |\n|---|---|---|---|---|---|---|\n',
  );
  write(
    `| — | bare undici loop (the best of 16, 64, 128 in flight) | ${fmt(f.bare.rate)} | — | 1.00 | ${fmt(f.bare.cpuUsPerMsg)} µs / — | — |\n`,
  );
  for (const c of f.cases) {
    const server = Number.isNaN(c.databaseCpuUs) ? '—' : `${fmt(c.databaseCpuUs)} µs`;
    write(
      `| ${c.dialect} | ${c.name} | ${fmt(c.rate)} | ${fmt(c.bareBefore)} / ${fmt(c.bareAfter)} | ${floorRatio(c).toFixed(2)} | ${fmt(c.senderCpuUs)} µs / ${server} | ${c.rowsPerWrite.toFixed(1)} |\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printDispatchFloorFigures(await benchDispatchFloor());
}
