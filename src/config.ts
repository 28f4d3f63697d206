/**
 * Configuration is read from the environment once, here, validated, frozen and passed down.
 * Nothing else in src/ reads process.env.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { RecontactError } from './domain/errors';

const intFrom = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

const envSchema = z.object({
  PORT: intFrom(3000, 0, 65535),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().min(1).default('./data/recontact.db'),
  SQLITE_SYNCHRONOUS: z.enum(['NORMAL', 'FULL']).default('NORMAL'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RECONTACT_PUBLIC_URL: z.url().optional(),
  RECONTACT_API_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
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
  DISPATCH_CONCURRENCY: intFrom(64, 1, 4096),
  DISPATCH_BATCH_SIZE: intFrom(500, 1, 10_000),
  DISPATCH_LEASE_MS: intFrom(60_000, 1_000, 3_600_000),
  DISPATCH_RECOVERY_GRACE_MS: intFrom(120_000, 0, 86_400_000),
  DISPATCH_MAX_ATTEMPTS: intFrom(10, 1, 100),
  WORKER_ID: z.string().min(1).optional(),
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
  logLevel: Env['LOG_LEVEL'];
  publicUrl: string | undefined;
  bootstrapApiKey: string | undefined;
  events: { url: string; secret: string | undefined } | undefined;
  /** Meta credentials; when absent, `serve` embeds the sandbox and points the account at it. */
  whatsapp: WhatsAppAccountConfig | undefined;
  sandbox: { port: number; graphVersion: string; throughputMps: number };
  dispatch: {
    concurrency: number;
    batchSize: number;
    leaseMs: number;
    recoveryGraceMs: number;
    maxAttempts: number;
  };
  workerId: string;
}

const META_VARS = [
  'WHATSAPP_PHONE_NUMBER_ID',
  'WHATSAPP_WABA_ID',
  'WHATSAPP_ACCESS_TOKEN',
  'WHATSAPP_APP_SECRET',
  'WHATSAPP_VERIFY_TOKEN',
] as const;

export function loadConfig(env: Record<string, string | undefined> = process.env): Readonly<Config> {
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
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    sqliteSynchronous: e.SQLITE_SYNCHRONOUS,
    logLevel: e.LOG_LEVEL,
    publicUrl: e.RECONTACT_PUBLIC_URL,
    bootstrapApiKey: e.RECONTACT_API_KEY,
    events: e.RECONTACT_EVENTS_URL
      ? { url: e.RECONTACT_EVENTS_URL, secret: e.RECONTACT_EVENTS_SECRET }
      : undefined,
    whatsapp,
    sandbox: {
      port: e.SANDBOX_PORT,
      graphVersion: e.WHATSAPP_GRAPH_VERSION,
      throughputMps: e.WHATSAPP_THROUGHPUT_MPS,
    },
    dispatch: {
      concurrency: e.DISPATCH_CONCURRENCY,
      batchSize: e.DISPATCH_BATCH_SIZE,
      leaseMs: e.DISPATCH_LEASE_MS,
      recoveryGraceMs: e.DISPATCH_RECOVERY_GRACE_MS,
      maxAttempts: e.DISPATCH_MAX_ATTEMPTS,
    },
    workerId: e.WORKER_ID ?? `${hostname()}-${process.pid}`,
  });
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
