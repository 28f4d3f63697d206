/**
 * Configuration is read from the environment once, here, validated, frozen and passed down.
 * Nothing else in src/ reads process.env.
 */
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { type AccountsFile, configFilePath, loadAccountsFile } from './config-file';
import { parseQuietHoursText, type QuietHours } from './domain/campaigns/schedule';
import { RecontactError } from './domain/errors';
import { parseIsoDuration } from './domain/iso-duration';
import { type MessagingLimit, parseMessagingLimit } from './domain/pacing/messaging-limit';
import { KEY_FORMAT_HINT, parseSecretKey } from './domain/secret-box';
import { checkTargetUrl } from './domain/url-policy';
import { DEFAULT_RETAINED_MESSAGES } from './sandbox/state';
import { DEFAULT_SQLITE_CACHE_MB, isPostgresUrl } from './store/database';

/** POSTs in flight per worker when DISPATCH_CONCURRENCY is not set. */
export const DEFAULT_DISPATCH_CONCURRENCY = 64;

/** A whole number within bounds; every way to miss them gets the same plain rule, not zod's wording. */
const intFrom = (def: number, min: number, max: number) => {
  const rule = `must be a whole number from ${min} to ${max}`;
  return z.coerce.number({ error: rule }).int(rule).min(min, rule).max(max, rule).default(def);
};

const METRICS_PORT_RULE = 'must be a port number from 0 (any free port) to 65535';

/** Far above any real path or URL; it bounds what a start-up error can quote. */
const MAX_DATABASE_URL = 4_096;
/** PostgreSQL keeps the first NAMEDATALEN - 1 bytes of a user or database name and drops the rest. */
const PG_NAME_BYTES = 63;
const pgNamesFit = (u: URL) =>
  [u.username, u.pathname.slice(1)].every((name) => {
    try {
      return Buffer.byteLength(decodeURIComponent(name)) <= PG_NAME_BYTES;
    } catch {
      return true; // a malformed escape is the driver's to report, with the URL it cannot read
    }
  });

const envSchema = z.object({
  PORT: intFrom(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .min(1)
    .max(MAX_DATABASE_URL, {
      message: `is longer than ${MAX_DATABASE_URL} characters: write a file path or a postgres:// URL`,
      abort: true,
    })
    .default('./data/recontact.db')
    // The value is never echoed: it may carry a password.
    .refine(
      (v) => !isPostgresUrl(v) || URL.canParse(v),
      'is not a valid PostgreSQL URL: write postgres://user:password@host:5432/database, with any special character in the user or password percent-encoded (%40 for @)',
    )
    .refine(
      (v) => !isPostgresUrl(v) || !URL.canParse(v) || pgNamesFit(new URL(v)),
      `names a PostgreSQL user or database longer than ${PG_NAME_BYTES} bytes, which PostgreSQL would silently cut short (and connect to another database): use a shorter name`,
    ),
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  SQLITE_BUSY_TIMEOUT_MS: intFrom(5_000, 0, 60_000),
  SQLITE_CACHE_MB: intFrom(DEFAULT_SQLITE_CACHE_MB, 1, 4_096),
  DATABASE_STATEMENT_TIMEOUT_MS: intFrom(30_000, 100, 3_600_000),
  DATABASE_CONNECT_TIMEOUT_MS: intFrom(5_000, 100, 600_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RECONTACT_PUBLIC_URL: z.url().optional(),
  RECONTACT_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  RECONTACT_SECRET_KEY: z.string().optional(),
  RECONTACT_SECRET_KEY_PREVIOUS: z.string().optional(),
  RECONTACT_CONFIG: z.string().optional(),
  RECONTACT_EVENTS_URL: z.url().optional(),
  RECONTACT_EVENTS_SECRET: z
    .string()
    .regex(
      /^whsec_[A-Za-z0-9+/=]{16,}$/,
      'must look like whsec_<base64>, at least 16 characters after the prefix',
    )
    .optional(),
  WHATSAPP_PHONE_NUMBER_ID: z.string().regex(/^\d+$/, 'must be digits (Meta phone-number id)').optional(),
  WHATSAPP_WABA_ID: z.string().regex(/^\d+$/, 'must be digits (WhatsApp Business Account id)').optional(),
  WHATSAPP_ACCESS_TOKEN: z.string().min(1).optional(),
  WHATSAPP_APP_SECRET: z.string().min(1).optional(),
  WHATSAPP_VERIFY_TOKEN: z.string().min(1).optional(),
  WHATSAPP_BASE_URL: z.url().default('https://graph.facebook.com'),
  WHATSAPP_GRAPH_VERSION: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v25.0')
    .default('v25.0'),
  WHATSAPP_THROUGHPUT_MPS: intFrom(80, 1, 100_000),
  SANDBOX_PORT: intFrom(3001, 0, 65535),
  SANDBOX_RETAINED_MESSAGES: intFrom(DEFAULT_RETAINED_MESSAGES, 1, 10_000_000),
  RECONTACT_ALLOW_PRIVATE_TARGETS: z.stringbool({ error: 'must be true or false' }).optional(),
  TRUST_PROXY: z
    .string()
    .regex(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, {
      message:
        "must be false, true, a number of proxy hops (e.g. 1), or the proxies' addresses or CIDR ranges separated by commas (e.g. 10.0.0.0/8,127.0.0.1)",
    })
    .default('false'),
  RATE_LIMIT_PER_KEY: intFrom(60_000, 0, 100_000_000),
  RATE_LIMIT_PER_IP: intFrom(6_000, 0, 100_000_000),
  RATE_LIMIT_AUTH_FAILURES_PER_IP: intFrom(300, 0, 100_000_000),
  DISPATCH_CONCURRENCY: intFrom(DEFAULT_DISPATCH_CONCURRENCY, 1, 4096),
  DISPATCH_BATCH_SIZE: intFrom(500, 1, 10_000),
  DISPATCH_LEASE_MS: intFrom(60_000, 1_000, 3_600_000),
  DISPATCH_RECOVERY_GRACE_MS: intFrom(120_000, 0, 86_400_000),
  DISPATCH_MAX_ATTEMPTS: intFrom(10, 1, 100),
  DISPATCH_IN_DOUBT: z
    .enum(['resend', 'fail'], { message: 'must be "resend" (at least once) or "fail" (at most once)' })
    .default('fail'),
  WORKER_ID: z.string().min(1).optional(),
  IMPORT_MAX_BYTES: intFrom(2 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
  IMPORT_SPOOL_DIR: z.string().min(1).optional(),
  RATE_CARD_FILE: z.string().min(1).optional(),
  MESSAGING_LIMIT: z.string().optional(),
  CAMPAIGN_QUIET_HOURS: z.string().optional(),
  EVENT_RETENTION: z.string().optional(),
  WEBHOOK_INBOX_RETENTION: z.string().optional(),
  WINDOW_EXPIRING_LEAD: z.string().optional(),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  METRICS_PORT: z
    .string()
    .regex(/^\d{1,5}$/, METRICS_PORT_RULE)
    .transform(Number)
    .refine((n) => n <= 65_535, METRICS_PORT_RULE)
    .optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

export type Env = z.infer<typeof envSchema>;

export interface WhatsAppAccountConfig {
  phoneNumberId: string;
  wabaId: string;
  accessToken: string;
  appSecret: string;
  verifyToken: string;
  baseUrl: string;
  graphVersion: string;
  throughputMps: number;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  sqliteSynchronous: 'NORMAL' | 'FULL';
  /** SQLite's page cache, in MB (SQLITE_CACHE_MB). */
  sqliteCacheMb: number;
  /** How long the store waits on a lock, a statement, a connection before giving up (then: 503). */
  databaseTimeouts: { sqliteBusyMs: number; statementMs: number; connectMs: number };
  logLevel: Env['LOG_LEVEL'];
  publicUrl: string | undefined;
  bootstrapApiKey: string | undefined;
  /**
   * Encrypts the Meta credentials stored in the database. Without `key`, SQLite keeps a generated
   * one beside its file; PostgreSQL refuses to start. `previous` still decrypt after a rotation.
   */
  secrets: { key: Buffer | undefined; previous: readonly Buffer[] };
  events: { url: string; secret: string | undefined } | undefined;
  /** How long events stay readable and replayable (EVENT_RETENTION, default P30D), in ms. */
  eventRetentionMs: number;
  /** How long applied webhook bodies are kept (WEBHOOK_INBOX_RETENTION, default P7D), in ms; null: for good. */
  webhookInboxRetentionMs: number | null;
  /** window.expiring comes this long before a window closes (WINDOW_EXPIRING_LEAD, default PT1H), in ms. */
  windowExpiringLeadMs: number;
  /**
   * The WHATSAPP_* shortcut for one number. When it is absent and the config file declares no
   * account, `serve` embeds the sandbox and points an account at it.
   */
  whatsapp: WhatsAppAccountConfig | undefined;
  /**
   * recontact.config.yaml (src/config-file.ts), read and checked here; its accounts are written
   * at start. Undefined when no file is named or found: accounts it wrote earlier stay as they are.
   */
  accountsFile: AccountsFile | undefined;
  /** The embedded sandbox; `retainedMessages` bounds what it keeps of every send (sandbox/state.ts). */
  sandbox: { port: number; graphVersion: string; throughputMps: number; retainedMessages: number };
  /**
   * Whether event webhooks may target loopback, private, link-local... addresses. Off unless set,
   * or unless the embedded sandbox runs (no Meta credentials: local development).
   */
  allowPrivateTargets: boolean;
  /**
   * Which X-Forwarded-For/-Proto to believe (Fastify's trustProxy): behind a load balancer that
   * terminates https, so client addresses (rate limits) and the session cookie's Secure flag are right.
   */
  trustProxy: boolean | number | string[];
  /** Requests per minute and process; 0 turns a limit off. */
  rateLimits: { perKey: number; perIp: number; authFailuresPerIp: number };
  dispatch: {
    concurrency: number;
    batchSize: number;
    leaseMs: number;
    recoveryGraceMs: number;
    maxAttempts: number;
    /** What happens to a send still unconfirmed after the grace: see src/domain/message.ts. */
    inDoubtPolicy: 'resend' | 'fail';
  };
  workerId: string;
  /**
   * CSV contact imports: the largest upload accepted, and where uploads wait for their job
   * (default: an `imports` folder beside the SQLite file, else ./data/imports).
   */
  imports: { maxBytes: number; spoolDir: string };
  /**
   * What a campaign plan prices and paces by: the rate card file (read and checked when the app
   * starts), and the business portfolio's messaging limit with where it came from: set in
   * MESSAGING_LIMIT; none for the embedded sandbox (a demo is not throttled by surprise); or,
   * talking to Meta without one set, 250, the level every portfolio starts at, since assuming
   * more than the portfolio has makes Meta fail the sends beyond it.
   */
  /**
   * GET /metrics: besides an API key of any role, a bearer token of its own (METRICS_TOKEN) for
   * Prometheus; and where `recontact worker` serves it (METRICS_PORT, none when unset).
   */
  metrics: { token: string | undefined; port: number | undefined; host: string };
  campaigns: {
    rateCardFile: string;
    messagingLimit: MessagingLimit;
    messagingLimitSource: 'configured' | 'sandbox' | 'assumed';
    /**
     * The account's quiet hours (CAMPAIGN_QUIET_HOURS, e.g. "21:00-09:00"), on each recipient's
     * clock, for campaigns whose schedule gives none; null: none (the default).
     */
    quietHours: QuietHours | null;
  };
}

/** Meta's USD card shipped with Recontact, found from this file rather than the working directory. */
const SHIPPED_RATE_CARD = fileURLToPath(new URL('../rate-cards/meta-whatsapp-2026-10.json', import.meta.url));
/** The level Meta starts every business portfolio at. */
const STARTING_MESSAGING_LIMIT = 250;

const META_VARS = [
  'WHATSAPP_PHONE_NUMBER_ID',
  'WHATSAPP_WABA_ID',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
] as const;

export interface LoadOptions {
  /** `--config <file>`: wins over RECONTACT_CONFIG. */
  configFile?: string;
  /** serve and worker: read ./recontact.config.yaml when nothing else names a file and it exists. */
  lookForConfigFile?: boolean;
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  opts: LoadOptions = {},
): Readonly<Config> {
  const parsed = envSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid environment configuration', {
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      hint: 'Fix the variables named above; see "Configuration" in the README.',
    });
  }
  const e = parsed.data;
  const given = META_VARS.filter((k) => e[k] !== undefined);
  if (given.length > 0 && given.length < META_VARS.length) {
    const missing = META_VARS.filter((k) => e[k] === undefined);
    throw new RecontactError('CONFIG_INVALID', 'Incomplete WhatsApp credentials', {
      details: missing.map((k) => ({
        path: k,
        message: 'is required when any WHATSAPP_* credential is set',
      })),
      hint: 'Set all five WhatsApp variables to talk to Meta, or none to use the embedded sandbox.',
    });
  }
  if (e.RECONTACT_EVENTS_SECRET && !e.RECONTACT_EVENTS_URL) {
    throw new RecontactError(
      'CONFIG_INVALID',
      'RECONTACT_EVENTS_SECRET is set without RECONTACT_EVENTS_URL',
      {
        details: [{ path: 'RECONTACT_EVENTS_URL', message: 'is required with RECONTACT_EVENTS_SECRET' }],
        hint: 'Set the URL that should receive events, or remove the secret.',
      },
    );
  }
  const secrets = secretKeys(e);
  const whatsapp: WhatsAppAccountConfig | undefined =
    given.length === META_VARS.length
      ? {
          phoneNumberId: e.WHATSAPP_PHONE_NUMBER_ID!,
          wabaId: e.WHATSAPP_WABA_ID!,
          accessToken: e.WHATSAPP_ACCESS_TOKEN!,
          appSecret: e.WHATSAPP_APP_SECRET!,
          verifyToken: e.WHATSAPP_VERIFY_TOKEN!,
          baseUrl: e.WHATSAPP_BASE_URL,
          graphVersion: e.WHATSAPP_GRAPH_VERSION,
          throughputMps: e.WHATSAPP_THROUGHPUT_MPS,
        }
      : undefined;
  const where = configFilePath(opts.configFile, e.RECONTACT_CONFIG, opts.lookForConfigFile === true);
  const accountsFile = where ? loadAccountsFile(where, env) : undefined;
  if (whatsapp && accountsFile) {
    const twice = accountsFile.accounts.find(
      (a) => a.channel === 'whatsapp' && a.externalId === whatsapp.phoneNumberId,
    );
    if (twice) {
      throw new RecontactError(
        'CONFIG_INVALID',
        `Phone-number id ${whatsapp.phoneNumberId} is declared twice`,
        {
          details: [
            {
              path: 'WHATSAPP_PHONE_NUMBER_ID',
              message: `is also account "${twice.name}" in ${accountsFile.path}`,
            },
          ],
          hint: 'Declare each number once: keep it in the config file and unset the WHATSAPP_* variables.',
        },
      );
    }
  }
  // Talking to Meta (credentials given, in the environment or the file) rather than the sandbox.
  const meta = whatsapp !== undefined || (accountsFile?.accounts.length ?? 0) > 0;
  const allowPrivateTargets = e.RECONTACT_ALLOW_PRIVATE_TARGETS ?? !meta;
  if (e.RECONTACT_EVENTS_URL) {
    const target = checkTargetUrl(e.RECONTACT_EVENTS_URL, { allowPrivate: allowPrivateTargets });
    if (!target.ok) {
      throw new RecontactError('CONFIG_INVALID', 'RECONTACT_EVENTS_URL is not an allowed webhook target', {
        details: [{ path: 'RECONTACT_EVENTS_URL', message: `${target.message} (rule: ${target.rule})` }],
        hint: target.hint,
      });
    }
  }
  const campaigns = campaignSettings(e, meta);
  const eventRetentionMs = eventRetention(e.EVENT_RETENTION);
  const webhookInboxRetentionMs = webhookInboxRetention(e.WEBHOOK_INBOX_RETENTION);
  const windowExpiringLeadMs = windowExpiringLead(e.WINDOW_EXPIRING_LEAD);
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    sqliteCacheMb: e.SQLITE_CACHE_MB,
    databaseTimeouts: {
      sqliteBusyMs: e.SQLITE_BUSY_TIMEOUT_MS,
      statementMs: e.DATABASE_STATEMENT_TIMEOUT_MS,
      connectMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    },
    logLevel: e.LOG_LEVEL,
    publicUrl: e.RECONTACT_PUBLIC_URL,
    bootstrapApiKey: e.RECONTACT_API_KEY,
    secrets,
    events: e.RECONTACT_EVENTS_URL
      ? { url: e.RECONTACT_EVENTS_URL, secret: e.RECONTACT_EVENTS_SECRET }
      : undefined,
    eventRetentionMs,
    webhookInboxRetentionMs,
    windowExpiringLeadMs,
    whatsapp,
    accountsFile,
    sandbox: {
      port: e.SANDBOX_PORT,
      graphVersion: e.WHATSAPP_GRAPH_VERSION,
      throughputMps: e.WHATSAPP_THROUGHPUT_MPS,
      retainedMessages: e.SANDBOX_RETAINED_MESSAGES,
    },
    allowPrivateTargets,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    rateLimits: {
      perKey: e.RATE_LIMIT_PER_KEY,
      perIp: e.RATE_LIMIT_PER_IP,
      authFailuresPerIp: e.RATE_LIMIT_AUTH_FAILURES_PER_IP,
    },
    dispatch: {
      concurrency: e.DISPATCH_CONCURRENCY,
      batchSize: e.DISPATCH_BATCH_SIZE,
      leaseMs: e.DISPATCH_LEASE_MS,
      recoveryGraceMs: e.DISPATCH_RECOVERY_GRACE_MS,
      maxAttempts: e.DISPATCH_MAX_ATTEMPTS,
      inDoubtPolicy: e.DISPATCH_IN_DOUBT,
    },
    workerId: e.WORKER_ID ?? `${hostname()}-${process.pid}`,
    imports: {
      maxBytes: e.IMPORT_MAX_BYTES,
      spoolDir: e.IMPORT_SPOOL_DIR ?? defaultSpoolDir(e.DATABASE_URL),
    },
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    campaigns,
  });
}

function campaignSettings(e: Env, meta: boolean): Config['campaigns'] {
  const rateCardFile = e.RATE_CARD_FILE === undefined ? SHIPPED_RATE_CARD : resolve(e.RATE_CARD_FILE);
  const quiet = parseQuietHoursText(e.CAMPAIGN_QUIET_HOURS ?? '', 'CAMPAIGN_QUIET_HOURS');
  if (!quiet.ok) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid CAMPAIGN_QUIET_HOURS', {
      details: quiet.problems,
      hint: 'Write the hours no campaign message may arrive, on each recipient\'s clock, as FROM-TO (e.g. "21:00-09:00"), or unset it for none.',
    });
  }
  const quietHours = quiet.value;
  if (e.MESSAGING_LIMIT === undefined) {
    return meta
      ? {
          rateCardFile,
          messagingLimit: STARTING_MESSAGING_LIMIT,
          messagingLimitSource: 'assumed',
          quietHours,
        }
      : { rateCardFile, messagingLimit: 'unlimited', messagingLimitSource: 'sandbox', quietHours };
  }
  const limit = parseMessagingLimit(e.MESSAGING_LIMIT, 'MESSAGING_LIMIT');
  if (!limit.ok) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid MESSAGING_LIMIT', {
      details: limit.problems,
      hint: "Set the business portfolio's messaging limit as WhatsApp Manager shows it (250, 2000, 10000, 100000 or unlimited), or unset it.",
    });
  }
  return { rateCardFile, messagingLimit: limit.value, messagingLimitSource: 'configured', quietHours };
}

const DEFAULT_EVENT_RETENTION_MS = 30 * 86_400_000;
/** Below an hour a bot back from a short outage could not replay what it missed. */
const MIN_EVENT_RETENTION_MS = 3_600_000;

function eventRetention(text: string | undefined): number {
  if (text === undefined) return DEFAULT_EVENT_RETENTION_MS;
  const ms = parseIsoDuration(text);
  if (ms === null || ms < MIN_EVENT_RETENTION_MS) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid EVENT_RETENTION', {
      details: [
        {
          path: 'EVENT_RETENTION',
          message:
            ms === null
              ? `must be an ISO 8601 duration in weeks, days, hours, minutes or seconds, got "${text}"`
              : `must be at least one hour (PT1H), got "${text}"`,
        },
      ],
      hint: 'Write how long events stay readable and replayable, e.g. P30D (the default), P7D or PT12H.',
    });
  }
  return ms;
}

const DEFAULT_WEBHOOK_INBOX_RETENTION_MS = 7 * 86_400_000;

function webhookInboxRetention(text: string | undefined): number | null {
  if (text === undefined) return DEFAULT_WEBHOOK_INBOX_RETENTION_MS;
  if (text.trim().toLowerCase() === 'forever') return null;
  const ms = parseIsoDuration(text);
  // An hour at least: a body is applied within seconds, and a person tracing a problem needs it.
  if (ms === null || ms < 3_600_000) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid WEBHOOK_INBOX_RETENTION', {
      details: [
        {
          path: 'WEBHOOK_INBOX_RETENTION',
          message:
            ms === null
              ? `must be an ISO 8601 duration in weeks, days, hours, minutes or seconds, or "forever", got "${text}"`
              : `must be at least one hour (PT1H), got "${text}"`,
        },
      ],
      hint: 'Write how long applied webhook bodies are kept, e.g. P7D (the default), P30D, or forever to keep them all.',
    });
  }
  return ms;
}

const DEFAULT_WINDOW_EXPIRING_LEAD_MS = 3_600_000;
/** A window lasts 24 hours: the warning must come after it opened. */
const MAX_WINDOW_EXPIRING_LEAD_MS = 23 * 3_600_000;

function windowExpiringLead(text: string | undefined): number {
  if (text === undefined) return DEFAULT_WINDOW_EXPIRING_LEAD_MS;
  const ms = parseIsoDuration(text);
  if (ms === null || ms < 60_000 || ms > MAX_WINDOW_EXPIRING_LEAD_MS) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid WINDOW_EXPIRING_LEAD', {
      details: [
        {
          path: 'WINDOW_EXPIRING_LEAD',
          message:
            ms === null
              ? `must be an ISO 8601 duration in hours, minutes or seconds, got "${text}"`
              : `must be from one minute (PT1M) to 23 hours (PT23H), got "${text}"`,
        },
      ],
      hint: 'Write how long before a window closes window.expiring should come, e.g. PT1H (the default) or PT15M.',
    });
  }
  return ms;
}

/** Uploads live beside the SQLite file they are imported into; PostgreSQL and :memory: use ./data. */
function defaultSpoolDir(databaseUrl: string): string {
  if (isPostgresUrl(databaseUrl) || databaseUrl === ':memory:') return join('data', 'imports');
  return join(dirname(databaseUrl), 'imports');
}

/** The secret keys, checked for shape; the values never appear in an error. */
function secretKeys(e: Env): Config['secrets'] {
  const problems: { path: string; message: string }[] = [];
  let key: Buffer | undefined;
  if (e.RECONTACT_SECRET_KEY !== undefined) {
    const r = parseSecretKey(e.RECONTACT_SECRET_KEY);
    if ('key' in r) key = r.key;
    else problems.push({ path: 'RECONTACT_SECRET_KEY', message: r.error });
  } else if (isPostgresUrl(e.DATABASE_URL)) {
    problems.push({
      path: 'RECONTACT_SECRET_KEY',
      message: 'is required with PostgreSQL: it encrypts the Meta credentials stored in the database',
    });
  }
  const previous: Buffer[] = [];
  const old = (e.RECONTACT_SECRET_KEY_PREVIOUS ?? '').split(',').map((s) => s.trim());
  old.forEach((text, i) => {
    if (text === '') return;
    const r = parseSecretKey(text);
    if ('key' in r) previous.push(r.key);
    else problems.push({ path: `RECONTACT_SECRET_KEY_PREVIOUS[${i}]`, message: r.error });
  });
  if (previous.length > 0 && key === undefined && problems.length === 0) {
    problems.push({
      path: 'RECONTACT_SECRET_KEY',
      message:
        'is required with RECONTACT_SECRET_KEY_PREVIOUS: old keys only decrypt, the current one encrypts',
    });
  }
  if (problems.length > 0) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid secret key configuration', {
      details: problems,
      hint: `${KEY_FORMAT_HINT} Several previous keys are separated by commas. See "Secrets at rest" in the README.`,
    });
  }
  return { key, previous };
}

function stripEmpty(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

const DEFAULT_RECONTACT_URL = 'http://127.0.0.1:3000';

// The CLI only needs to find a running Recontact, so it validates just these: a bad server
// variable (DATABASE_URL, WHATSAPP_*) must not stop `recontact send` from a developer's shell.
const cliEnvSchema = z.object({
  RECONTACT_URL: z
    .url({
      protocol: /^https?$/,
      error: (i) =>
        `must be the http(s) address of a running Recontact, like ${DEFAULT_RECONTACT_URL}, got "${String(i.input)}"`,
    })
    .default(DEFAULT_RECONTACT_URL),
  RECONTACT_API_KEY: z
    .string()
    .min(16, 'must be at least 16 characters (the key `npm start` printed, rk_…)')
    .optional(),
  SANDBOX_PORT: intFrom(3001, 0, 65535),
});

export interface CliConfig {
  /** Where the running Recontact answers, without a trailing slash. */
  url: string;
  apiKey: string | undefined;
  /** The port `recontact sandbox` listens on by default. */
  sandboxPort: number;
}

/** What the `recontact` command reads from the environment; flags override it. */
export function loadCliConfig(env: Record<string, string | undefined> = process.env): Readonly<CliConfig> {
  const parsed = cliEnvSchema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    throw new RecontactError('CONFIG_INVALID', 'Invalid environment for the recontact command', {
      details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      hint: 'Fix or unset the variables named, or pass --url / --api-key instead.',
    });
  }
  const e = parsed.data;
  return Object.freeze({
    url: e.RECONTACT_URL.replace(/\/+$/, ''),
    apiKey: e.RECONTACT_API_KEY,
    sandboxPort: e.SANDBOX_PORT,
  });
}

function parseTrustProxy(v: string): boolean | number | string[] {
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((a) => a.trim());
}
