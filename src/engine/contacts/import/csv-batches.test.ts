/**
 * The reading half of an import, without a database: a 2 GiB record (the "2 GB line")
 * costs neither memory nor the rows after it, and batches carry exact record counts.
 */
import { createReadStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { type CsvBatch, csvBatches, FirstLines } from './csv-batches';
import { csvBatchesInWorker } from './csv-worker';
import { NO_OPTIONS } from './import-test-support';

async function collect(source: AsyncIterable<Uint8Array>, batchSize = 1_000, skipRecords = 0) {
  const batches: CsvBatch[] = [];
  for await (const b of csvBatches(source, {
    options: NO_OPTIONS,
    batchSize,
    maxRecordChars: 65_536,
    skipRecords,
  })) {
    batches.push(b);
  }
  return batches;
}

describe('csvBatches', () => {
  it('rejects a 2 GiB record by its line and reads the rows after it, in flat memory', {
    timeout: 120_000,
  }, async () => {
    const MiB = 1024 * 1024;
    const total = 2 * 1024 * MiB;
    const xs = Buffer.alloc(MiB, 'x');
    async function* file() {
      yield Buffer.from('phone,name\n+54 9 11 4000-0001,Before\n+54 9 11 4000-0002,');
      // Produced lazily, never held: the same 1 MiB buffer, 2,048 times.
      for (let sent = 0; sent < total; sent += MiB) yield xs;
      yield Buffer.from('\n+54 9 11 4000-0003,"After\nthe long line"\n+54 9 11 4000-0004,Last\n');
    }
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const timer = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 50);
    let batches: CsvBatch[];
    try {
      batches = await collect(Readable.from(file(), { objectMode: false }));
    } finally {
      clearInterval(timer);
    }
    const seconds = (performance.now() - started) / 1000;
    const rows = batches.flatMap((b) => b.rows);
    const rejects = batches.flatMap((b) => b.rejects);
    expect(rows.map((r) => [r.line, r.name])).toEqual([
      [2, 'Before'],
      [4, 'After\nthe long line'],
      [6, 'Last'],
    ]);
    expect(rejects).toEqual([
      {
        line: 3,
        column: null,
        reason: `the record is longer than 65,536 characters (2,147 million); it was skipped unread`,
        value: null,
      },
    ]);
    expect(batches.at(-1)!.recordsRead).toBe(4);
    expect(batches.at(-1)!.bytesRead).toBeGreaterThan(total);
    // The record was never held: memory grew by far less than its size.
    expect(rssPeak - rssBefore).toBeLessThan(200 * MiB);
    console.info(
      `2 GiB record skipped in ${seconds.toFixed(1)} s, RSS +${Math.round((rssPeak - rssBefore) / MiB)} MiB`,
    );
  });

  it('counts records across batches and skips the ones a previous run committed, duplicates still found', async () => {
    const lines = ['phone'];
    for (let i = 0; i < 25; i++) lines.push(`+54911400000${String(i % 20).padStart(2, '0')}`);
    const text = `${lines.join('\n')}\n`;
    const all = await collect(Readable.from([Buffer.from(text)]), 10);
    expect(all.map((b) => b.recordsRead)).toEqual([10, 20, 25]);
    expect(all.flatMap((b) => b.rows)).toHaveLength(20);
    expect(all.flatMap((b) => b.rejects).map((r) => r.line)).toEqual([22, 23, 24, 25, 26]);
    // Resumed after 20 records: only the last five come out, still known as duplicates.
    const resumed = await collect(Readable.from([Buffer.from(text)]), 10, 20);
    expect(resumed.flatMap((b) => b.rows)).toEqual([]);
    expect(resumed.flatMap((b) => b.rejects).map((r) => r.reason)).toEqual(
      [0, 1, 2, 3, 4].map(
        (k) =>
          `+549114000000${k} already appears on line ${k + 2} of this file; the first occurrence was kept`,
      ),
    );
  });
});

describe('FirstLines', () => {
  it('remembers the first line of every number, as a Map would', () => {
    const table = new FirstLines();
    const map = new Map<number, number>();
    let seed = 42;
    for (let line = 2; line < 200_000; line++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const key = 10_000_000 + (seed % 1_000_000) * 1_000_003;
      if (!map.has(key)) {
        map.set(key, line);
        expect(table.get(key)).toBeUndefined();
        table.set(key, line);
      }
    }
    for (const [key, line] of map) expect(table.get(key)).toBe(line);
    expect(table.get(999_999_999_999_999)).toBeUndefined();
  });
});

describe('csvBatchesInWorker', () => {
  it('reads on a worker thread what csvBatches reads on this one, errors included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'recontact-worker-'));
    const file = join(dir, 'contacts.csv');
    const lines = ['phone,name,plan'];
    for (let i = 0; i < 3_000; i++)
      lines.push(`${i % 7 === 0 ? 'x' : '+54 9 11 4000-'}${String(i).padStart(4, '0')},P${i},gold`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const o = { options: NO_OPTIONS, batchSize: 1_000, maxRecordChars: 65_536 };
    const here: CsvBatch[] = [];
    for await (const b of csvBatches(createReadStream(file, { highWaterMark: 256 * 1024 }), o)) here.push(b);
    const there: CsvBatch[] = [];
    // No fallback: this fails if the thread does not start.
    for await (const b of csvBatchesInWorker(file, o, false)) there.push(b);
    expect(there).toEqual(here);
    expect(there.map((b) => b.recordsRead)).toEqual([1_000, 2_000, 3_000, 3_000]);
    writeFileSync(file, 'name\nAna\n');
    await expect(async () => {
      for await (const _ of csvBatchesInWorker(file, o, false)) {
        // nothing: the header is refused before any batch
      }
    }).rejects.toThrow('The file cannot be imported: the header has no "phone" column');
  });
});
