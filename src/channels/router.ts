/**
 * One face for every channel: the engine sends through an account and never asks which channel
 * it is on; the adapter is picked by `account.channel`. Webhook bodies arrive on a channel's own
 * path, so the ingest names the channel and the router picks the parser; the signature scheme
 * (X-Hub-Signature-256 over the raw bytes with the app secret) is Meta's on both.
 */
import type { ChannelKind } from '../domain/channels/channel-kind';
import { RecontactError } from '../domain/errors';
import type {
  Channel,
  ChannelAccount,
  OutboundMessage,
  ProviderResult,
  ProviderTemplate,
  SendResult,
  TemplateProvider,
  WebhookItem,
} from './channel';
import { verifySignature } from './graph/signature';

export type ChannelAdapter = Channel & TemplateProvider;

export interface ChannelSet extends TemplateProvider {
  send(account: ChannelAccount, message: OutboundMessage, signal?: AbortSignal): Promise<SendResult>;
  verifySignature(appSecret: string, rawBody: Buffer, signatureHeader: string | undefined): boolean;
  /** Parses a verified body that arrived on `kind`'s webhook path. */
  parseWebhook(kind: ChannelKind, rawBody: Buffer): WebhookItem[];
  /** The adapter for one channel (tests, the CLI). */
  adapter(kind: ChannelKind): ChannelAdapter;
  close(): Promise<void>;
}

export function createChannelSet(adapters: Partial<Record<ChannelKind, ChannelAdapter>>): ChannelSet {
  const adapter = (kind: ChannelKind): ChannelAdapter => {
    const a = adapters[kind];
    if (!a) {
      throw new RecontactError('INPUT_INVALID', `No ${kind} adapter is configured in this process`, {
        hint: 'This is a wiring error: createApp builds one adapter per channel.',
      });
    }
    return a;
  };
  return {
    send: (account, message, signal) => adapter(account.channel).send(account, message, signal),
    verifySignature,
    parseWebhook: (kind, raw) => adapter(kind).parseWebhook(raw),
    adapter,
    createTemplate: (
      account,
      definition,
    ): Promise<ProviderResult<{ providerTemplateId: string; status: string; category: string }>> =>
      adapter(account.channel).createTemplate(account, definition),
    listTemplates: (account): Promise<ProviderResult<ProviderTemplate[]>> =>
      adapter(account.channel).listTemplates(account),
    editTemplate: (account, id, change) => adapter(account.channel).editTemplate(account, id, change),
    async close() {
      await Promise.all(Object.values(adapters).map((a) => a?.close()));
    },
  };
}
