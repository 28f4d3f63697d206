/**
 * Recontact as a separate OS process, so tests can kill -9 it. Configured by environment like
 * `serve`, plus TEST_PG_SCHEMA for the PostgreSQL schema of the test. Prints "READY <url>".
 */
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { pullTemplates } from '../../src/engine/templates/sync';
import { isPostgresUrl } from '../../src/store/database';
import { TEST_SECRET_KEY } from './stores';

const env = process.env;
// As the test stores do: PostgreSQL needs a key, SQLite keeps its own beside the database file.
const config = loadConfig(
  isPostgresUrl(env.DATABASE_URL ?? '') && !env.RECONTACT_SECRET_KEY
    ? { ...env, RECONTACT_SECRET_KEY: TEST_SECRET_KEY }
    : env,
);
const app = await createApp({
  config,
  ...(process.env.TEST_PG_SCHEMA ? { pgSchema: process.env.TEST_PG_SCHEMA } : {}),
  dispatcher: { pollMs: 20 },
});
const url = await app.listen();
for (const a of app.accounts.all()) await pullTemplates(app.ctx, app.channel, a);
app.startWorkers();
process.stdout.write(`READY ${url}\n`);
