/** What every benchmark gives the Recontact processes it starts: a fresh database, the environment. */
import { join } from 'node:path';
import pg from 'pg';
import { DEFAULT_DISPATCH_CONCURRENCY } from '../src/config';
import { SANDBOX_ACCOUNT } from '../src/embedded-sandbox';

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const API_KEY = 'rk_bench_0123456789abcdef0123456789';
const BENCH_SECRET_KEY = Buffer.alloc(32, 'recontact-bench-').toString('base64');
export const GRAPH = 'v25.0';

export async function freshDatabase(dialect: string, dir: string, name: string): Promise<string> {
  if (dialect === 'sqlite') return join(dir, `${name}.db`);
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Recontact's sends in flight beside a bare loop that had `bareConcurrency`: as many, but never
 * fewer than Recontact's default. The bare loop tries 16, 64 and 128 and keeps the fastest, and on
 * a busy machine 16 can win by noise (its rates at 16 and 64 are close); Recontact at 16 batches
 * too little (2026-12-03, dispatch on PostgreSQL, alternating: 2,590–2,670 msg/s at 16 in flight,
 * 3,711–3,862 at 64), which measures the setting, not Recontact.
 */
export const recontactInFlight = (bareConcurrency: number): number =>
  Math.max(bareConcurrency, DEFAULT_DISPATCH_CONCURRENCY);

export function recontactEnv(
  sandboxUrl: string,
  databaseUrl: string,
  bareConcurrency: number,
): Record<string, string> {
  return {
    PORT: '0',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    RECONTACT_API_KEY: API_KEY,
    // PostgreSQL requires one; SQLite makes its own key file beside the database, as `npm start` does.
    ...(databaseUrl.startsWith('postgres') ? { RECONTACT_SECRET_KEY: BENCH_SECRET_KEY } : {}),
    WHATSAPP_PHONE_NUMBER_ID: SANDBOX_ACCOUNT.phoneNumberId,
    WHATSAPP_WABA_ID: SANDBOX_ACCOUNT.wabaId,
    WHATSAPP_ACCESS_TOKEN: SANDBOX_ACCOUNT.accessToken,
    WHATSAPP_APP_SECRET: SANDBOX_ACCOUNT.appSecret,
    WHATSAPP_VERIFY_TOKEN: SANDBOX_ACCOUNT.verifyToken,
    WHATSAPP_BASE_URL: sandboxUrl,
    WHATSAPP_GRAPH_VERSION: GRAPH,
    // Pacing is proven elsewhere; here the question is the engine's own overhead.
    WHATSAPP_THROUGHPUT_MPS: '100000',
    DISPATCH_CONCURRENCY: String(recontactInFlight(bareConcurrency)),
  };
}
