/**
 * SQLite checkpoints on a thread of their own. In WAL mode a commit appends to the WAL; now and
 * then the WAL's pages must be copied back into the database file (a checkpoint), with an fsync.
 * By default SQLite does that inside whichever commit crosses `wal_autocheckpoint`, and since
 * better-sqlite3 is synchronous, the whole process waits: a dispatcher with a hundred sends in
 * flight stops reading their answers for the length of a copy and an fsync (the profile of
 * issue 12 found those commits at about 1 ms on average, spikes far longer).
 *
 * Here the main connection never checkpoints; a worker thread with its own connection to the
 * same file runs PASSIVE checkpoints every `intervalMs`. PASSIVE never blocks a writer or waits
 * for a reader, so the main thread keeps committing while pages are copied. Durability does not
 * change: a commit is durable once it is in the WAL, whoever copies it later.
 *
 * The thread's code is plain JavaScript evaluated from a string, so it runs the same under tsx
 * (development, tests) and without it, and loads nothing of ours.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
let busy = false;
const timer = setInterval(() => {
  if (busy) return;
  busy = true;
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    // Another process's checkpoint, a database going away: the next tick tries again.
    parentPort.postMessage({ error: String(err && err.message || err) });
  } finally {
    busy = false;
  }
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.postMessage({ stopped: true });
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/**
 * Starts the checkpoint thread for the SQLite file at `path`. The caller has turned automatic
 * checkpoints off on its own connection; should the thread die, `onExit` turns them back on.
 */
export function startCheckpointer(
  path: string,
  opts: { intervalMs: number; onError(message: string): void; onExit(): void },
): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { path, driver, intervalMs: opts.intervalMs },
    // Small: the thread holds one connection and a timer.
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  // A checkpoint thread must never keep a finished process alive.
  worker.unref();
  let stopping = false;
  let lastError = '';
  worker.on('message', (m: { error?: string }) => {
    // The same failure every tick (a lock another process holds for long) is reported once.
    if (m.error && m.error !== lastError) opts.onError(m.error);
    lastError = m.error ?? '';
  });
  worker.on('error', (err) => opts.onError(err.message));
  worker.on('exit', () => {
    if (!stopping) opts.onExit();
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        if (stopping) return resolve();
        stopping = true;
        const done = () => resolve();
        worker.once('exit', done);
        worker.once('message', () => void worker.terminate());
        worker.postMessage('stop');
        // A thread stuck in a checkpoint is not waited for long: the last connection's close
        // checkpoints anyway.
        setTimeout(() => void worker.terminate(), 2_000).unref();
      }),
  };
}
