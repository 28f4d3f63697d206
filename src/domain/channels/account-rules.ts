/**
 * What a channel account may look like, whoever declares it (the API, the config file): the
 * name goes into a webhook URL, Meta's ids are digits, and each channel has its own pace.
 */
import { createHash } from 'node:crypto';
import type { ChannelKind } from './channel-kind';

/** Lowercase so a URL path and a person agree on it; 64 characters is plenty for a label. */
export const ACCOUNT_NAME_PATTERN = /^[a-z0-9_-]{1,64}$/;
export const ACCOUNT_NAME_RULE =
  'must be 1 to 64 lowercase letters, digits, "-" or "_" (it is part of the webhook URL /webhooks/{channel}/{name})';
/** Account ids start so; a name that did too could hide another account's id in a URL. */
export const ACCOUNT_ID_PREFIX = 'acc_';

export const META_ID_PATTERN = /^\d{1,32}$/;
export const GRAPH_VERSION_PATTERN = /^v\d+\.\d+$/;
export const DEFAULT_BASE_URL = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_VERSION = 'v25.0';

/**
 * Messages per second. WhatsApp: 80 per number by default, 1,000 after Meta's upgrade, no more.
 * Messenger: the Send API takes 300 calls/s per page, but a page sending more than about 40 a
 * second loses its inbox (reference §6), so the default stays well below.
 */
export const THROUGHPUT: Record<ChannelKind, { min: number; max: number; default: number }> = {
  whatsapp: { min: 1, max: 1_000, default: 80 },
  messenger: { min: 1, max: 300, default: 20 },
};

/** Meta's word for the account's id, as the API and the config file name it. */
export const EXTERNAL_ID_FIELD: Record<ChannelKind, 'phone_number_id' | 'page_id'> = {
  whatsapp: 'phone_number_id',
  messenger: 'page_id',
};

/** The field holding the token the adapter sends with: a system-user token, a page token. */
export const TOKEN_FIELD: Record<ChannelKind, 'access_token' | 'page_token'> = {
  whatsapp: 'access_token',
  messenger: 'page_token',
};

export function webhookPath(channel: ChannelKind, name: string): string {
  return `/webhooks/${channel}/${name}`;
}

/**
 * A short digest of an account's three secrets, so two people (or two processes' answers) can
 * tell whether they hold the same credentials without either showing them. 48 bits of a keyed
 * label over high-entropy tokens: enough to tell apart, far too little to guess from.
 */
export function secretFingerprint(s: {
  accessToken: string;
  appSecret: string;
  verifyToken: string;
}): string {
  return createHash('sha256')
    .update('recontact channel account secrets\0')
    .update(s.accessToken)
    .update('\0')
    .update(s.appSecret)
    .update('\0')
    .update(s.verifyToken)
    .digest('hex')
    .slice(0, 12);
}
