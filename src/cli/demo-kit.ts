/**
 * What every `recontact demo` story shares: a whole Recontact in this process beside the
 * embedded sandbox, on free ports over real HTTP, a temporary SQLite file unless a database is
 * given, an API key, the timestamped narration, the checks whose failures decide the exit code,
 * and (for stories with a bot) an endpoint that verifies Recontact's signed events.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { request } from 'undici';
import { type App, type AppOptions, createApp } from '../app';
import { loadConfig } from '../config';
import { type EmbeddedSandbox, startEmbeddedSandbox } from '../embedded-sandbox';
import type { Role } from '../engine/access/api-keys';
import { newEndpointSecret, verifyEvent } from '../engine/events/signing';
import { pullTemplates } from '../engine/templates/sync';
import type { SandboxOptions } from '../sandbox/sandbox';

// The demos read our own API's JSON field by field, only to print it.
// biome-ignore lint/suspicious/noExplicitAny: see above
export type Json = Record<string, any>;

export interface DemoOptions {
  database?: string;
  port?: number;
  sandboxPort?: number;
}

export interface BotEvent {
  type: string;
  data: Json;
}

/** Receives Recontact's events, checks each signature over the raw bytes, keeps them in order. */
export interface DemoBot {
  url: string;
  secret: string;
  events: BotEvent[];
  /** Called for every verified event, in arrival order (not awaited: the bot answers 204 at once). */
  onEvent: (e: BotEvent) => void | Promise<void>;
  close(): Promise<void>;
}

export async function startDemoBot(): Promise<DemoBot> {
  const secret = newEndpointSecret();
  const bot = Fastify();
  const self: DemoBot = {
    url: '',
    secret,
    events: [],
    onEvent: () => {},
    close: () => bot.close(),
  };
  // Signatures are checked over the raw bytes, as any Standard Webhooks receiver does.
  bot.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  bot.post('/events', async (req, reply) => {
    const raw = req.body as string;
    if (!verifyEvent(secret, req.headers, raw)) return reply.status(401).send();
    const e = JSON.parse(raw) as BotEvent;
    self.events.push(e);
    void self.onEvent(e);
    return reply.status(204).send();
  });
  self.url = `${await bot.listen({ port: 0, host: '127.0.0.1' })}/events`;
  return self;
}

export interface DemoRun {
  app: App;
  embedded: EmbeddedSandbox;
  /** Recontact's base URL. */
  url: string;
  /** `+12.34s  who        text` on `out`, seconds of real time since the demo began. */
  say(who: string, text: string): void;
  out(s: string): void;
  /** Records a failure when `ok` is false; any failure makes the demo exit 1. */
  check(ok: boolean, what: string): void;
  failures: string[];
  /** Our own API with the demo's key; a string body goes as is, with `type`. */
  api(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    opts?: { headers?: Record<string, string>; type?: string },
  ): Promise<{ status: number; json: Json }>;
  /** Polls until `probe` gives a value; records a failure and gives undefined after `ms`. */
  waitFor<T>(
    what: string,
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    ms?: number,
  ): Promise<T | undefined>;
  /** Ends the demo: prints the failures, if any, or `success`; returns the exit code. */
  finish(success: string): number;
  close(): Promise<void>;
}

export interface DemoSetup {
  /** Names the temporary directory. */
  name: string;
  /** The demo's API key's name and role. */
  key: { name: string; role: Role };
  /** Where Recontact sends its events (a DemoBot), if anywhere. */
  bot?: DemoBot;
  /** One clock for Recontact and the sandbox (both judge windows by it). Default Date.now. */
  clock?: () => number;
  sandbox?: Partial<SandboxOptions>;
  app?: Partial<Omit<AppOptions, 'config' | 'clock'>>;
  /** Declare the sandbox's Messenger page as an account too (as `serve` does), after the number. */
  messenger?: boolean;
}

export async function startDemo(
  opts: DemoOptions,
  setup: DemoSetup,
  out: (s: string) => void,
): Promise<DemoRun> {
  const dir = mkdtempSync(join(tmpdir(), `recontact-${setup.name}-`));
  const t0 = Date.now();
  const failures: string[] = [];
  const base = loadConfig({
    // 0 (the default) lets the system pick free ports, so a demo runs beside `npm start`.
    PORT: String(opts.port ?? 0),
    SANDBOX_PORT: String(opts.sandboxPort ?? 0),
    LOG_LEVEL: 'silent',
    DATABASE_URL: opts.database ?? join(dir, 'demo.db'),
    // PostgreSQL (--database postgres://…) needs the key that encrypts the stored credentials.
    ...(process.env.RECONTACT_SECRET_KEY ? { RECONTACT_SECRET_KEY: process.env.RECONTACT_SECRET_KEY } : {}),
    ...(setup.bot ? { RECONTACT_EVENTS_URL: setup.bot.url, RECONTACT_EVENTS_SECRET: setup.bot.secret } : {}),
  });
  const embedded = await startEmbeddedSandbox(base, {
    delays: { sentMs: 150, deliveredMs: 400, readMs: 900, templateReviewMs: 500 },
    webhookBatchMs: 5,
    ...(setup.clock ? { now: setup.clock } : {}),
    ...setup.sandbox,
  });
  const config = Object.freeze({ ...base, whatsapp: embedded.whatsapp });
  const app = await createApp({
    config,
    ...(setup.clock ? { clock: setup.clock } : {}),
    ...(setup.messenger ? { declaredAccounts: [embedded.messenger] } : {}),
    ...setup.app,
  });
  const url = await app.listen(opts.port ?? 0, '127.0.0.1');
  embedded.connect(url);
  await pullTemplates(app.ctx, app.channel, app.accounts.all()[0]!);
  app.startWorkers();
  const key = (await app.apiKeys.create(setup.key.name, setup.key.role)).key;

  const run: DemoRun = {
    app,
    embedded,
    url,
    failures,
    out,
    say: (who, text) =>
      out(`${`+${((Date.now() - t0) / 1000).toFixed(2)}s`.padStart(8)}  ${who.padEnd(10)} ${text}\n`),
    check: (ok, what) => {
      if (!ok) failures.push(what);
    },
    async api(method, path, body, o = {}) {
      const res = await request(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': o.type ?? 'application/json' }),
          ...o.headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await res.body.text();
      return { status: res.statusCode, json: (text ? JSON.parse(text) : {}) as Json };
    },
    async waitFor(what, probe, ms = 20_000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const v = await probe();
        if (v !== undefined && v !== false) return v;
        await new Promise((r) => setTimeout(r, 25));
      }
      failures.push(`timed out after ${ms / 1000} s waiting for ${what}`);
      return undefined;
    },
    finish(success) {
      if (failures.length) {
        out(`\nDemo FAILED:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
        return 1;
      }
      out(`\n${success}\n`);
      return 0;
    },
    async close() {
      await embedded.sandbox.close();
      await app.stop();
      await setup.bot?.close();
      if (!opts.database) rmSync(dir, { recursive: true, force: true });
    },
  };
  return run;
}
