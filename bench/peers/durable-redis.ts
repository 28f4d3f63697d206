/**
 * A private Redis that writes every command to its append-only file before answering
 * (appendfsync always), so BullMQ's completions are as durable as a PostgreSQL commit. The shared
 * Redis at 127.0.0.1:6379 persists nothing (no AOF, no snapshots), which flatters BullMQ; this one
 * shows what durability costs it. It runs on a port of its own and is removed afterwards.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DurableRedis {
  url: string;
  stop(): Promise<void>;
}

/** Undefined when this machine has no redis-server to start. */
export async function startDurableRedis(): Promise<DurableRedis | undefined> {
  if (spawnSync('redis-server', ['--version']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'recontact-bench-redis-'));
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await ready(child, port);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

function ready(child: ChildProcess, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout!.resume();
        child.stdout!.removeAllListeners('data');
        resolve();
      }
    });
    child.once('exit', (code) =>
      reject(new Error(`redis-server on port ${port} exited with ${code}: ${out}`)),
    );
  });
}

/** A port the kernel just handed out and took back: free unless someone grabs it in between. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
