/**
 * The Channel port: what the engine needs from a messaging provider. One implementation per
 * folder (whatsapp/, messenger/); router.ts picks one by the account's channel and by the
 * webhook body's `object`. Adapters never touch storage: they turn our outbound messages into
 * HTTP calls and provider payloads into WebhookItems, nothing more.
 */
import type { ChannelKind } from '../domain/channels/channel-kind';
import type { MessengerMessaging } from '../domain/channels/send-policy';
import type { ProviderStatus } from '../domain/message';
import type { CloudTemplate } from '../domain/templates/model';

/** Everything an adapter needs to talk to one sending identity (a WhatsApp number, a Messenger page). */
export interface ChannelAccount {
  id: string;
  channel: ChannelKind;
  /** Meta's id of the identity: the phone-number id (WhatsApp) or the page id (Messenger). */
  externalId: string;
  /** WhatsApp Business Account id; null for a Messenger page. */
  wabaId: string | null;
  /** WhatsApp: the access token; Messenger: the page access token. */
  accessToken: string;
  /** Meta app secret: verifies X-Hub-Signature-256 on webhooks. */
  appSecret: string;
  /** Token Meta echoes in the GET verification handshake. */
  verifyToken: string;
  /** https://graph.facebook.com, or the sandbox's URL. */
  baseUrl: string;
  /** e.g. "v25.0". */
  graphVersion: string;
}

/**
 * Send payloads, already bound and validated by the domain: the adapter only wraps them.
 * `messaging` is Messenger's delivery mode as the send policy decided it when the message was
 * queued (domain/channels/send-policy.ts); WhatsApp has none.
 */
export type OutboundContent = (
  | { kind: 'template'; template: CloudTemplate }
  | { kind: 'text'; text: { body: string; preview_url?: boolean } }
  | { kind: 'interactive'; interactive: Record<string, unknown> }
) & { messaging?: MessengerMessaging };

export interface OutboundMessage {
  /** Our message id; travels as biz_opaque_callback_data and comes back on every status. */
  messageId: string;
  /**
   * The recipient. WhatsApp: a wa_id (Meta's digits-only form, E.164 without "+"), posted as
   * `to`, or a business-scoped user id ("US.1349…", domain/bsuid.ts), posted as `recipient`.
   * Messenger: the page-scoped id (PSID), posted as `recipient.id`.
   */
  to: string;
  content: OutboundContent;
  /**
   * `content` as stored (its JSON text), when the caller has it: an adapter may post from it
   * without reading `content`, which the caller may then parse only on demand.
   */
  contentJson?: string;
  /** Quote an earlier provider message id (reply context). */
  replyToProviderId?: string;
}

export interface ProviderErrorInfo {
  /** Meta's error code (e.g. 131047), or null for transport failures. */
  code: number | null;
  /** HTTP status of a synchronous error; null for transport errors and webhook-reported errors. */
  httpStatus: number | null;
  title: string;
  details?: string;
  /**
   * Meta's error_subcode, when it sent one. Messenger tells most of its refusals apart only by
   * it (10/2018278 is the closed window, 551/1545041 an unavailable person).
   */
  subcode?: number;
  /** Seconds from a Retry-After header, when Meta sent one. */
  retryAfterSeconds?: number;
  /**
   * The adapter refused the message before anything was sent, because the provider would refuse
   * it as it is (e.g. a text longer than Messenger's 2,000 characters): never retried.
   */
  rejectedLocally?: boolean;
  /**
   * The request may have reached the provider before it failed (a timeout or a reset after
   * the body was written, an abort): it may have been accepted. WhatsApp has no idempotency
   * key, so such a send must not simply be retried; see the dispatcher's doubt handling.
   */
  ambiguous?: boolean;
}

export type SendResult =
  | { ok: true; providerMessageId: string; waId?: string; userId?: string; messageStatus?: string }
  | { ok: false; error: ProviderErrorInfo };

export interface InboundItem {
  kind: 'inbound';
  /** The account's externalId: the phone-number id or the page id the person wrote to. */
  externalId: string;
  providerMessageId: string;
  /**
   * The user's wa_id (digits), or their BSUID when Meta omitted the wa_id (a user with a
   * username): either way the address this message came from.
   */
  from: string;
  /** The user's business-scoped user id (from_user_id), when Meta sent one. */
  fromUserId?: string;
  profileName?: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /**
   * Meta's message type: text, button, interactive, image, ...; on Messenger also postback,
   * quick_reply, reaction and referral (each reopens the window there).
   */
  type: string;
  /**
   * False for an action that reopens the window but is not a message (a Messenger reaction,
   * postback or referral): Messenger's HUMAN_AGENT 7 days count from messages only.
   */
  isMessage?: boolean;
  text?: string;
  /** Quick-reply button tap on a template (type "button"); Messenger quick replies and postbacks too. */
  button?: { payload: string; text: string };
  /** Reply-button or list choice on an interactive message. */
  interactiveReply?: { id: string; title: string; description?: string };
  /** The provider id of the message this one answers, when the user replied in context. */
  contextProviderId?: string;
  raw: unknown;
}

export interface StatusItem {
  kind: 'status';
  externalId: string;
  providerMessageId: string;
  status: ProviderStatus;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** The recipient's wa_id, or their BSUID when Meta omitted the wa_id. */
  recipientId?: string;
  /** The recipient's business-scoped user id (recipient_user_id), when Meta sent one. */
  recipientUserId?: string;
  /** Our message id, echoed from biz_opaque_callback_data. */
  ourMessageId?: string;
  errors?: Array<{ code: number; title: string; message?: string; details?: string }>;
  pricing?: { billable?: boolean; pricing_model?: string; type?: string; category?: string };
  raw: unknown;
}

export interface TemplateStatusItem {
  kind: 'template_status';
  wabaId: string;
  event: string;
  providerTemplateId: string;
  name: string;
  language: string;
  reason?: string;
  details?: string;
  raw: unknown;
}

export interface TemplateQualityItem {
  kind: 'template_quality';
  wabaId: string;
  providerTemplateId: string;
  name: string;
  language: string;
  previousScore?: string;
  newScore: string;
  raw: unknown;
}

export interface TemplateCategoryItem {
  kind: 'template_category';
  wabaId: string;
  providerTemplateId: string;
  name: string;
  language: string;
  previousCategory?: string;
  newCategory: string;
  raw: unknown;
}

export interface SystemErrorItem {
  kind: 'system_error';
  externalId?: string;
  errors: Array<{ code: number; title: string; message?: string; details?: string }>;
  raw: unknown;
}

/**
 * Meta's `user_preferences` field: the user stopped or resumed a category of messages (today
 * only "marketing_messages") from the WhatsApp client. Either address may be absent: a user with
 * a username may come with `userId` (BSUID) only.
 */
export interface UserPreferenceItem {
  kind: 'user_preference';
  externalId: string;
  /** The user's wa_id (digits), when Meta sent it. */
  waId?: string;
  /** The user's business-scoped user id (BSUID), when Meta sent it. */
  userId?: string;
  /** e.g. "marketing_messages"; other categories are passed on as they come. */
  category: string;
  value: 'stop' | 'resume';
  /** Meta's human-readable text, e.g. "User requested to stop marketing messages". */
  detail?: string;
  /** When the user changed the preference, milliseconds since the epoch. */
  at: number;
  raw: unknown;
}

/**
 * A user's address changed (Meta's system messages `user_changed_number` and
 * `user_changed_user_id`, or a `user_id_update` change some BSPs forward). Not a message from
 * the user: it opens no window and reaches the bot only through the contact it relabels.
 */
export interface IdentityChangeItem {
  kind: 'identity_change';
  externalId: string;
  /** `number`: the user moved to another phone; `user_id`: only their BSUID changed. */
  change: 'number' | 'user_id';
  /** Meta's id of the system message; absent for a forwarded user_id_update. */
  providerMessageId?: string;
  /** The wa_id before the change (the system message's `from`), when Meta sent it. */
  waId?: string;
  /** The new wa_id (system.new_wa_id), for a number change. */
  newWaId?: string;
  /** The BSUID before the change, when known. */
  previousUserId?: string;
  /** The BSUID after the change, when known. */
  userId?: string;
  /** Milliseconds since the epoch. */
  timestamp: number;
  raw: unknown;
}

/**
 * Meta's `phone_number_quality_update`: the sending number's quality or messaging limit changed
 * (event FLAGGED, UNFLAGGED, DOWNGRADE, UPGRADE; limits as Meta names them, e.g. TIER_2K).
 */
export interface PhoneQualityItem {
  kind: 'phone_quality';
  wabaId: string;
  /** Digits, as Meta sends it; the number is identified by it (the change has no phone_number_id). */
  displayPhoneNumber: string;
  event: string;
  currentLimit?: string;
  oldLimit?: string;
  /** entry[].time in ms, when present. */
  at?: number;
  raw: unknown;
}

/**
 * Messenger's delivery and read receipts: not per message but a watermark, "everything sent to
 * this person before `watermark` was delivered (read)"; applied to every earlier message.
 */
export interface WatermarkItem {
  kind: 'watermark';
  /** The page id. */
  externalId: string;
  /** The person's PSID. */
  recipientId: string;
  status: 'delivered' | 'read';
  /** Milliseconds since the epoch. */
  watermark: number;
  /** When the receipt was sent, ms. */
  timestamp: number;
  raw: unknown;
}

export type WebhookItem =
  | WatermarkItem
  | PhoneQualityItem
  | InboundItem
  | UserPreferenceItem
  | IdentityChangeItem
  | StatusItem
  | TemplateStatusItem
  | TemplateQualityItem
  | TemplateCategoryItem
  | SystemErrorItem;

export interface Channel {
  send(account: ChannelAccount, message: OutboundMessage, signal?: AbortSignal): Promise<SendResult>;
  /** Checks the provider's signature over the raw bytes; constant-time. */
  verifySignature(appSecret: string, rawBody: Buffer, signatureHeader: string | undefined): boolean;
  /** Parses a verified webhook body. Throws RecontactError(WEBHOOK_PAYLOAD_INVALID) when malformed. */
  parseWebhook(rawBody: Buffer): WebhookItem[];
  close(): Promise<void>;
}

/** Template management at the provider (WhatsApp Business Management API). */
export interface ProviderTemplate {
  providerTemplateId: string;
  name: string;
  language: string;
  status: string;
  category: string;
  parameter_format?: string;
  components: Array<Record<string, unknown>>;
  rejectedReason?: string;
  qualityScore?: string;
}

export type ProviderResult<T> = { ok: true; value: T } | { ok: false; error: ProviderErrorInfo };

export interface TemplateProvider {
  createTemplate(
    account: ChannelAccount,
    definition: Record<string, unknown>,
  ): Promise<ProviderResult<{ providerTemplateId: string; status: string; category: string }>>;
  /** Follows paging until every template of the WABA is read. */
  listTemplates(account: ChannelAccount): Promise<ProviderResult<ProviderTemplate[]>>;
  editTemplate(
    account: ChannelAccount,
    providerTemplateId: string,
    change: { components: Array<Record<string, unknown>>; category?: string },
  ): Promise<ProviderResult<{ success: boolean }>>;
}
