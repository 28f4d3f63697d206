/**
 * Requests and answers of /v1/channel-accounts (OpenAPI at /docs). The create body is also the
 * shape of an entry of recontact.config.yaml (src/config-file.ts reads it with this schema), so
 * the API and the file can never disagree on what an account is. No answer schema has a field
 * for a secret: reads show `secret_fingerprint` instead.
 */
import { z } from 'zod';
import {
  ACCOUNT_ID_PREFIX,
  ACCOUNT_NAME_PATTERN,
  ACCOUNT_NAME_RULE,
  DEFAULT_BASE_URL,
  DEFAULT_GRAPH_VERSION,
  GRAPH_VERSION_PATTERN,
  META_ID_PATTERN,
  THROUGHPUT,
} from '../domain/channels/account-rules';
import { ACCOUNT_SOURCES, CHANNEL_KINDS, type ChannelKind } from '../domain/channels/channel-kind';
import { MESSAGING_TIERS } from '../domain/pacing/messaging-limit';

const required =
  (what: string) =>
  (i: { input: unknown }): string =>
    i.input === undefined ? `is required ${what}` : 'must be a string';

export const accountName = z
  .string({ error: required('(the account’s name in URLs and requests)') })
  .regex(ACCOUNT_NAME_PATTERN, ACCOUNT_NAME_RULE)
  .refine((n) => !n.startsWith(ACCOUNT_ID_PREFIX), {
    message: `must not start with "${ACCOUNT_ID_PREFIX}": account ids do, and a URL names an account by either`,
  })
  .describe('Unique; lowercase letters, digits, "-" and "_"; names the account in URLs (its webhook path)');

const metaId = (what: string, channel: ChannelKind) =>
  z
    .string({ error: required(`on a ${channel} account (${what})`) })
    .regex(META_ID_PATTERN, `must be digits only (${what}, as Meta shows it)`)
    .describe(`${what}, digits`);

const secret = (what: string, channel?: ChannelKind) =>
  z
    .string({ error: required(channel ? `on a ${channel} account (${what})` : `(${what})`) })
    .min(1, `must not be empty (${what})`)
    .max(4096, 'must be at most 4096 characters')
    .describe(`${what}. Write-only: encrypted at rest, never returned or logged`);

const throughput = (channel: ChannelKind) => {
  const t = THROUGHPUT[channel];
  return z
    .number({ error: 'must be a whole number of messages per second' })
    .int('must be a whole number of messages per second')
    .min(t.min, `must be from ${t.min} to ${t.max} messages per second on ${channel}`)
    .max(t.max, `must be from ${t.min} to ${t.max} messages per second on ${channel}`);
};

const LIMIT_WORDS = `must be the business portfolio's messaging limit, ${MESSAGING_TIERS.join(', ')}, or null for the process-wide MESSAGING_LIMIT`;

export const messagingLimit = z
  .union([z.literal(MESSAGING_TIERS.filter((t) => t !== 'unlimited') as number[]), z.literal('unlimited')], {
    error: LIMIT_WORDS,
  })
  .nullable()
  .describe(
    'WhatsApp’s messaging limit (distinct users a day outside the window) as WhatsApp Manager shows it; null: MESSAGING_LIMIT',
  );

const baseUrl = z
  .string()
  .max(2048)
  .describe(`Where the Graph API answers (default ${DEFAULT_BASE_URL}); a sandbox URL for tests`);
const graphVersion = z
  .string()
  .regex(GRAPH_VERSION_PATTERN, 'must look like v25.0')
  .describe(`Graph API version (default ${DEFAULT_GRAPH_VERSION})`);

/** The fields of the other channel, refused with words that say where they belong. */
const OTHER_CHANNEL: Record<ChannelKind, Record<string, string>> = {
  whatsapp: { page_id: 'phone_number_id', page_token: 'access_token' },
  messenger: { phone_number_id: 'page_id', waba_id: '', access_token: 'page_token', messaging_limit: '' },
};

function unknownKeys(channel: ChannelKind | undefined) {
  return (i: { code?: string; keys?: string[] }): string | undefined => {
    if (i.code !== 'unrecognized_keys') return undefined;
    const words = (i.keys ?? []).map((k) => {
      const instead = channel ? OTHER_CHANNEL[channel][k] : undefined;
      if (instead === undefined) return `"${k}" is not a field of a channel account`;
      return instead
        ? `"${k}" belongs to the other channel; a ${channel} account takes "${instead}"`
        : `"${k}" has no meaning on a ${channel} account`;
    });
    return `${words.join('; ')} (see /docs)`;
  };
}

export const whatsappAccountBody = z.strictObject(
  {
    channel: z.literal('whatsapp'),
    name: accountName,
    phone_number_id: metaId('the phone-number id', 'whatsapp'),
    waba_id: metaId('the WhatsApp Business Account id', 'whatsapp'),
    access_token: secret('the system-user access token', 'whatsapp'),
    app_secret: secret('the Meta app secret that signs webhooks', 'whatsapp'),
    verify_token: secret('the token of the webhook verification handshake', 'whatsapp'),
    throughput_mps: throughput('whatsapp')
      .default(THROUGHPUT.whatsapp.default)
      .describe('Messages per second for this number: 80 by default, up to 1000 after Meta upgrades it'),
    messaging_limit: messagingLimit.default(null),
    base_url: baseUrl.default(DEFAULT_BASE_URL),
    graph_version: graphVersion.default(DEFAULT_GRAPH_VERSION),
  },
  { error: unknownKeys('whatsapp') },
);

export const messengerAccountBody = z.strictObject(
  {
    channel: z.literal('messenger'),
    name: accountName,
    page_id: metaId('the Facebook page id', 'messenger'),
    page_token: secret('the page access token', 'messenger'),
    app_secret: secret('the Meta app secret that signs webhooks', 'messenger'),
    verify_token: secret('the token of the webhook verification handshake', 'messenger'),
    throughput_mps: throughput('messenger')
      .default(THROUGHPUT.messenger.default)
      .describe('Messages per second for this page (default 20; a page above about 40/s loses its inbox)'),
    base_url: baseUrl.default(DEFAULT_BASE_URL),
    graph_version: graphVersion.default(DEFAULT_GRAPH_VERSION),
  },
  { error: unknownKeys('messenger') },
);

export const createAccountBody = z
  .discriminatedUnion('channel', [whatsappAccountBody, messengerAccountBody], {
    error: (i) =>
      i.code === 'invalid_union'
        ? `must be one of ${CHANNEL_KINDS.map((c) => `"${c}"`).join(', ')}`
        : undefined,
  })
  .describe('A WhatsApp number or a Messenger page. Secrets are write-only.');
export type CreateAccountBody = z.infer<typeof createAccountBody>;

const IDENTITY =
  'cannot be changed: it is the account’s identity at Meta, which its contacts and messages belong to; create another account instead';

export const patchAccountBody = z
  .strictObject(
    {
      name: accountName.optional(),
      waba_id: z
        .string()
        .regex(META_ID_PATTERN, 'must be digits only (the WhatsApp Business Account id)')
        .optional(),
      access_token: secret('WhatsApp: the system-user access token').optional(),
      page_token: secret('Messenger: the page access token').optional(),
      app_secret: secret('the Meta app secret').optional(),
      verify_token: secret('the webhook verification token').optional(),
      throughput_mps: z
        .number({ error: 'must be a whole number of messages per second' })
        .int('must be a whole number of messages per second')
        .positive('must be at least 1 message per second')
        .optional()
        .describe('Messages per second: WhatsApp 1–1000, Messenger 1–300'),
      messaging_limit: messagingLimit.optional(),
      base_url: baseUrl.optional(),
      graph_version: graphVersion.optional(),
      disabled: z
        .boolean({ error: 'must be true or false' })
        .optional()
        .describe(
          'true: the account sends nothing and takes no new work (its rows stay); false: enabled again',
        ),
    },
    {
      error: (i) => {
        if (i.code !== 'unrecognized_keys') return undefined;
        return i.keys
          .map((k) =>
            ['channel', 'phone_number_id', 'page_id'].includes(k)
              ? `"${k}" ${IDENTITY}`
              : `"${k}" is not a field of a channel account`,
          )
          .join('; ');
      },
    },
  )
  .describe(
    'Only the fields given change. Accounts declared in the config file or the WHATSAPP_* variables accept `disabled` only.',
  );
export type PatchAccountBody = z.infer<typeof patchAccountBody>;

export const accountParams = z.object({
  account: z.string().min(1).max(100).describe('The account id (acc_…) or its name'),
});

const iso = z.iso.datetime();

const common = {
  id: z.string(),
  name: z.string(),
  throughput_mps: z.number().int(),
  base_url: z.string().describe('Credentials in the URL, if any, are shown as ***'),
  graph_version: z.string(),
  disabled: z.boolean().describe('A disabled account sends nothing and takes no new work; its rows stay'),
  disabled_at: iso.nullable(),
  source: z
    .enum(ACCOUNT_SOURCES)
    .describe(
      'Who manages it: api (this API), config (recontact.config.yaml: change it there), env (the WHATSAPP_* variables)',
    ),
  secret_fingerprint: z
    .string()
    .describe(
      'A 12-hex-digit digest of the token, app secret and verify token: equal when the credentials are, and reveals none',
    ),
  webhook_path: z
    .string()
    .describe(
      'This account’s own webhook URL path; its signature is checked with this account’s app secret only',
    ),
  created_at: iso,
  updated_at: iso,
};

export const accountViewSchema = z
  .discriminatedUnion('channel', [
    z.object({
      channel: z.literal('whatsapp'),
      phone_number_id: z.string(),
      waba_id: z.string().nullable(),
      messaging_limit: z.union([z.number().int(), z.literal('unlimited')]).nullable(),
      ...common,
    }),
    z.object({ channel: z.literal('messenger'), page_id: z.string(), ...common }),
  ])
  .meta({ id: 'ChannelAccount', description: 'A channel account, without its secrets' });

export const accountListSchema = z.object({ data: z.array(accountViewSchema) });
