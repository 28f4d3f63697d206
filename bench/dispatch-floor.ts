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
 * It is the ceiling of any dispatcher that records each message in this schema on this machine,
 * printed as a ratio to the bare loop (part of `npm run bench`, or alone: `node --import tsx
 * bench/dispatch-floor.ts`). Env: BENCH_MESSAGES (20000).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { messageRow, T0 } from '../test/support/message-rows';
import { bareLoop, drive, templatePoster, templateSend } from './bare-loop';
import { startProcess } from './procs';
import { migratedSqlite } from './sqlite-floor';

const N = Number(process.env.BENCH_MESSAGES ?? 20_000);
type Case = 'accepted' | 'marked, accepted' | 'campaign';
const CASES: Case[] = ['accepted', 'marked, accepted', 'campaign'];

export interface DispatchFloorFigures {
  bare: { rate: number; concurrency: number };
  cases: Array<{ name: Case; rate: number }>;
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

  private flush(): void {
    const items = this.items;
    const waiters = this.waiters;
    this.items = [];
    this.waiters = [];
    this.queued = false;
    this.write(items);
    for (const w of waiters) w();
  }
}

const MESSAGE_COLUMNS = Object.keys(messageRow('x'));
const rowOf = (id: string) => ({
  ...messageRow(id, { account_id: 'acc_floor', contact_id: `ctc_${id}`, kind: 'template' }),
  content: JSON.stringify(templateSend(0, 'floor')),
});

async function oneCase(dir: string, url: string, which: Case, concurrency: number): Promise<number> {
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
    const recorded: Array<Promise<void>> = [];
    const t0 = performance.now();
    await drive(N, concurrency, async (i) => {
      const id = ids[i]!;
      if (which === 'campaign') await inserts.add(id);
      if (which !== 'accepted') await marks.add(id);
      recorded.push(accepts.add({ id, wamid: await post(i) }));
    });
    await Promise.all(recorded);
    const rate = N / ((performance.now() - t0) / 1000);
    const done = db
      .prepare(`SELECT COUNT(*) AS n FROM messages WHERE status = 'accepted' AND accepted_at >= ?`)
      .get(T0) as { n: number };
    if (done.n !== N) throw new Error(`${which}: ${done.n} of ${N} recorded as accepted`);
    return rate;
  } finally {
    await pool.close();
    db.close();
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
    const cases: DispatchFloorFigures['cases'] = [];
    for (const name of CASES)
      cases.push({ name, rate: await oneCase(dir, sandbox.url, name, bare.concurrency) });
    return { bare, cases };
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export function printDispatchFloorFigures(
  f: DispatchFloorFigures,
  write = (s: string) => process.stdout.write(s),
): void {
  write(
    `\nThe least a durable sender writes, on SQLite (${fmt(N)} sends, ${f.bare.concurrency} in flight, raw prepared statements, group commit), beside the bare loop of the same run\n\n`,
  );
  write('| case | msg/s | ratio to the bare loop |\n|---|---|---|\n');
  write(`| bare undici loop | ${fmt(f.bare.rate)} | 1.00 |\n`);
  for (const c of f.cases) write(`| ${c.name} | ${fmt(c.rate)} | ${(c.rate / f.bare.rate).toFixed(2)} |\n`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  printDispatchFloorFigures(await benchDispatchFloor());
}
