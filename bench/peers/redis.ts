/** BullMQ's connection from the bench's Redis URL (BENCH_REDIS_URL): host, port and database. */
import type { ConnectionOptions } from 'bullmq';

export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function redisConnection(url: string): ConnectionOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:') throw new Error(`BENCH_REDIS_URL must be a redis:// URL, got "${url}"`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`BENCH_REDIS_URL names no database number: "${url}"`);
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    // BullMQ's workers block on Redis; they must retry a command forever rather than fail it.
    maxRetriesPerRequest: null,
  };
}
