/**
 * The checkpoint thread: the main connection never checkpoints, yet the WAL's pages reach the
 * database file, and a store closes without waiting on the thread.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './database';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function until(probe: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('SQLite checkpoints on their own thread', () => {
  it('copies committed pages into the database file while the main connection only appends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recontact-ckpt-'));
    dirs.push(dir);
    const path = join(dir, 'x.db');
    const store = await openStore({ url: path });
    const auto = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(store.db);
    expect(Number(auto.rows[0]?.wal_autocheckpoint)).toBe(0);
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)`.execute(store.db);
    const before = statSync(path).size;
    // About 4 MB in 40 commits: without a checkpoint, all of it would stay in the WAL.
    for (let i = 0; i < 40; i++) {
      await store.db.transaction().execute(async (trx) => {
        for (let j = 0; j < 100; j++)
          await sql`INSERT INTO t (body) VALUES (${'x'.repeat(1_000)})`.execute(trx);
      });
    }
    await until(() => statSync(path).size > before + 3_000_000);
    const n = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM t`.execute(store.db);
    expect(Number(n.rows[0]?.n)).toBe(4_000);
    const t = Date.now();
    await store.close();
    expect(Date.now() - t).toBeLessThan(5_000);
    // Everything committed is in the file once the store is closed.
    const again = await openStore({ url: path });
    const m = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM t`.execute(again.db);
    expect(Number(m.rows[0]?.n)).toBe(4_000);
    await again.close();
  });

  it('keeps SQLite’s own checkpoints for an in-memory database', async () => {
    const store = await openStore({ url: ':memory:' });
    const auto = await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(store.db);
    expect(Number(auto.rows[0]?.wal_autocheckpoint)).toBe(2_000);
    await store.close();
  });
});
