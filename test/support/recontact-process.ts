/**
 * Recontact as a separate OS process, so tests can kill -9 it. Configured by environment like
 * `serve`, plus, for tests only: TEST_PG_SCHEMA (the PostgreSQL schema of the test),
 * TEST_ACCOUNT_LEASE_MS (how long a dead worker keeps its account), TEST_CAMPAIGN_HOLD_TTL_MS
 * and TEST_CAMPAIGN_POLL_MS (how soon another worker takes a dead one's campaigns, how often
 * the campaign loop looks). Prints "READY <url>".
 */
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { pullTemplates } from '../../src/engine/templates/sync';
import { isPostgresUrl } from '../../src/store/database';
import { TEST_SECRET_KEY } from './stores';

const env = process.env;
const ms = (name: string): number | undefined => {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${name} must be a whole number of milliseconds, got "${v}"`);
  return Number(v);
};
const accountLeaseMs = ms('TEST_ACCOUNT_LEASE_MS');
const holdTtlMs = ms('TEST_CAMPAIGN_HOLD_TTL_MS');
const campaignPollMs = ms('TEST_CAMPAIGN_POLL_MS');

// As the test stores do: PostgreSQL needs a key, SQLite keeps its own beside the database file.
const config = loadConfig(
  isPostgresUrl(env.DATABASE_URL ?? '') && !env.RECONTACT_SECRET_KEY
    ? { ...env, RECONTACT_SECRET_KEY: TEST_SECRET_KEY }
    : env,
);
const app = await createApp({
  config,
  ...(env.TEST_PG_SCHEMA ? { pgSchema: env.TEST_PG_SCHEMA } : {}),
  dispatcher: { pollMs: 20, ...(accountLeaseMs !== undefined ? { accountLeaseMs } : {}) },
  campaignRunner: {
    ...(holdTtlMs !== undefined ? { holdTtlMs } : {}),
    ...(campaignPollMs !== undefined ? { pollMs: campaignPollMs } : {}),
  },
});
const url = await app.listen();
for (const a of app.accounts.all()) await pullTemplates(app.ctx, app.channel, a);
app.startWorkers();
process.stdout.write(`READY ${url}\n`);
