import type { ChannelKind } from '../../domain/channels/channel-kind';
import type { MessagingLimit } from '../../domain/pacing/messaging-limit';

/**
 * Where the messaging limit a campaign keeps to comes from: the account's own (declared through
 * the API or the config file), the process-wide MESSAGING_LIMIT (configured, or the sandbox's
 * none, or Meta's starting 250 assumed), or the channel (a Messenger page has no such limit).
 */
export type LimitSource = 'account' | 'configured' | 'sandbox' | 'assumed' | 'channel';

/**
 * The limit for one account's campaigns. Meta's unique-users limit is WhatsApp's: a page is
 * never held back by it, and a number that declares its own does not share the process-wide one.
 */
export function accountMessagingLimit(
  account: { channel: ChannelKind; messagingLimit: MessagingLimit | null } | undefined,
  fallback: { messagingLimit: MessagingLimit; messagingLimitSource: LimitSource },
): { messagingLimit: MessagingLimit; messagingLimitSource: LimitSource } {
  if (account?.channel === 'messenger')
    return { messagingLimit: 'unlimited', messagingLimitSource: 'channel' };
  if (account?.messagingLimit != null)
    return { messagingLimit: account.messagingLimit, messagingLimitSource: 'account' };
  return fallback;
}
