/** The messaging channels Recontact speaks, and who manages a channel account's row. */
export const CHANNEL_KINDS = ['whatsapp', 'messenger'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** env: the WHATSAPP_* shortcut; config: recontact.config.yaml; api: /v1/channel-accounts. */
export const ACCOUNT_SOURCES = ['env', 'config', 'api'] as const;
export type AccountSource = (typeof ACCOUNT_SOURCES)[number];

export function isChannelKind(v: unknown): v is ChannelKind {
  return typeof v === 'string' && (CHANNEL_KINDS as readonly string[]).includes(v);
}
