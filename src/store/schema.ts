/**
 * The database schema as Kysely types: the single source both dialects are typed against.
 * Times are integers (milliseconds since the epoch) and JSON is stored as text, so the same
 * queries run unchanged on SQLite and PostgreSQL.
 */

import type { Generated } from 'kysely';
import type { CampaignState, StoredRecipientState } from '../domain/campaigns/lifecycle';
import type { AccountSource, ChannelKind } from '../domain/channels/channel-kind';
import type { ConsentChange, ConsentScope, ConsentSource, ConsentState } from '../domain/contacts/consent';
import type { ImportState } from '../domain/contacts/import-job';
import type { WaitingState } from '../domain/conversations/waiting';
import type { DeliveryStatus } from '../domain/event-delivery';
import type { MessageKind, MessageStatus } from '../domain/message';
import type { TemplateStatus } from '../domain/templates/model';
import type { TimelineStatus } from '../domain/timeline';
import type { InboxStatus } from '../domain/webhook-inbox';

export interface ChannelAccountsTable {
  id: string;
  channel: ChannelKind;
  name: string;
  /** Meta's id of the sending identity: a WhatsApp phone-number id, a Messenger page id. */
  external_id: string;
  /** WhatsApp Business Account id; null for a Messenger page. */
  waba_id: string | null;
  /** WhatsApp: the system-user access token; Messenger: the page access token. Sealed (SecretBox). */
  access_token: string;
  app_secret: string;
  verify_token: string;
  base_url: string;
  graph_version: string;
  /** Messages per second this identity may send (WhatsApp: 80 by default, 1,000 after upgrade). */
  throughput_mps: number;
  /** WhatsApp's messaging limit (unique users a day) as declared; null: MESSAGING_LIMIT. */
  messaging_limit: number | null;
  source: AccountSource;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface ContactsTable {
  id: string;
  account_id: string;
  wa_id: string;
  phone_e164: string | null;
  name: string | null;
  last_inbound_at: number | null;
  /** The person's last message (not a reaction or postback): Messenger's HUMAN_AGENT 7 days count from it. */
  last_user_message_at: Generated<number | null>;
  /** Unused since 0001 (consent lives in marketing_consent / all_consent, derived from the ledger). */
  opted_out: Generated<number>;
  /** A flat JSON object: string, number, boolean or ISO-date values. */
  attributes: Generated<string>;
  created_at: number;
  updated_at: number;
  /** Meta's business-scoped user id, when known beside the phone (see 0007). */
  bsuid: Generated<string | null>;
  /** BCP-47, e.g. "es-AR". */
  language: Generated<string | null>;
  /** IANA, e.g. "America/Argentina/Buenos_Aires". */
  time_zone: Generated<string | null>;
  /** 1 when time_zone was guessed from the phone's country rather than given. */
  time_zone_inferred: Generated<number>;
  /** A sorted JSON array of tags; contact_tags holds the same set for filtering. */
  tags: Generated<string>;
  marketing_consent: Generated<ConsentState>;
  all_consent: Generated<ConsentState>;
  consent_updated_at: Generated<number | null>;
  /** When a marketing template was last queued to this contact (frequency cap). */
  last_marketing_at: Generated<number | null>;
  /** 1 when the business set the name (API, import): WhatsApp's profile name no longer replaces it. */
  name_locked: Generated<number>;
  /** Set when the person's data was erased; the row stays, anonymous, for counts. */
  erased_at: Generated<number | null>;
}

export interface ContactTagsTable {
  account_id: string;
  tag: string;
  contact_id: string;
}

/** The consent ledger: one row per change, never updated (erasure clears the evidence). */
export interface ConsentEventsTable {
  id: string;
  account_id: string;
  contact_id: string;
  channel: string;
  scope: ConsentScope;
  state: ConsentChange;
  source: ConsentSource;
  /** JSON: the message id, keyword, file and line… */
  evidence: string | null;
  at: number;
  created_at: number;
}

/** Per-account consent settings (keywords, confirmation texts, frequency cap) as JSON. */
export interface ConsentSettingsTable {
  account_id: string;
  settings: string;
  updated_at: number;
}

export interface ImportsTable {
  id: string;
  account_id: string;
  state: ImportState;
  /** The file's name as given (CLI) or null for a body posted without one. */
  source_name: string | null;
  /** JSON: tag, map, consent, phone column… as requested. */
  options: string;
  rows_read: Generated<number>;
  bytes_read: Generated<number>;
  created: Generated<number>;
  updated: Generated<number>;
  unchanged: Generated<number>;
  rejected: Generated<number>;
  error_code: string | null;
  error_message: string | null;
  /** The process running the job; with heartbeat_at, how an orphaned job is recognised. */
  holder: string | null;
  heartbeat_at: number | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface ImportRejectsTable {
  import_id: string;
  seq: number;
  /** The file's line number, the header being line 1. */
  line: number;
  column: string | null;
  reason: string;
  /** The offending value, cut short. */
  value: string | null;
}

export interface AudiencesTable {
  id: string;
  account_id: string;
  name: string;
  /** JSON: the audience definition (all, filter or list). */
  definition: string;
  created_at: number;
  updated_at: number;
}

export interface CampaignsTable {
  id: string;
  account_id: string;
  name: string;
  state: CampaignState;
  /** Why it is in this state, when that needs saying: paused by the guard, failed to start. */
  state_reason: string | null;
  /** JSON: the definition as the API took it (domain/campaigns/definition.ts). */
  definition: string;
  /** The first variant's template, for lists. */
  template_name: string;
  recipients: number;
  materialised_at: number | null;
  holder: string | null;
  heartbeat_at: number | null;
  created_at: number;
  updated_at: number;
  launched_at: number | null;
  finished_at: number | null;
}

export interface CampaignRecipientsTable {
  campaign_id: string;
  contact_id: string;
  state: StoredRecipientState;
  /** The exclusion reason, or the failure's error code. */
  reason: string | null;
  variant: string | null;
  send_at: number | null;
  message_id: string | null;
  replied_at: number | null;
  reply_payload: string | null;
  updated_at: number;
}

export interface TemplatesTable {
  id: string;
  account_id: string;
  name: string;
  language: string;
  category: string;
  parameter_format: string;
  components: string;
  status: TemplateStatus;
  provider_template_id: string | null;
  rejected_reason: string | null;
  quality_score: string | null;
  created_at: number;
  updated_at: number;
  /** JSON: what replies to this template mean (e.g. quick replies that opt out); null when none. */
  routing: Generated<string | null>;
}

export interface MessagesTable {
  id: string;
  account_id: string;
  contact_id: string;
  to_wa: string;
  kind: MessageKind;
  /** The bound OutboundContent, exactly what goes to the channel adapter. */
  content: string;
  template_name: string | null;
  template_language: string | null;
  /** The template's category when queued (MARKETING, UTILITY, …); null for free-form messages. */
  template_category: Generated<string | null>;
  metadata: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  reply_to_provider_id: string | null;
  status: MessageStatus;
  provider_message_id: string | null;
  attempts: Generated<number>;
  next_attempt_at: number;
  locked_by: string | null;
  locked_until: number | null;
  error_code: number | null;
  error_class: string | null;
  error_message: string | null;
  created_at: number;
  updated_at: number;
  accepted_at: number | null;
  sent_at: number | null;
  delivered_at: number | null;
  read_at: number | null;
  failed_at: number | null;
  replied_at: number | null;
  /** When the last POST to the provider was about to leave (status became `sending`). */
  posted_at: number | null;
  /** Until when an `unconfirmed` message waits for the provider's proof. */
  doubt_until: number | null;
  /** The campaign that queued it; null for a 1:1 message. */
  campaign_id: Generated<string | null>;
  /** Meta's `pricing.category` from a status webhook (marketing, utility, …); null until one carried it. */
  pricing_category: Generated<string | null>;
  /** Meta's `pricing.billable`: 1 or 0; null until a status carried it. */
  billable: Generated<number | null>;
  /** A held message (send when allowed): when it expires unless released first. */
  hold_until: Generated<number | null>;
  /** A held message: the template queued in its place when it was held. */
  fallback_message_id: Generated<string | null>;
  /** A held message: the inbound message (inb_…) that released it; set before its turn comes. */
  released_by: Generated<string | null>;
  /** A held message: when it went back to the queue (held → queued). */
  released_at: Generated<number | null>;
  /** JSON: the reply routing given with the send (domain/replies/reply-rules.ts); null: none. */
  routing: Generated<string | null>;
}

export interface MessageEventsTable {
  id: string;
  message_id: string;
  status: TimelineStatus;
  at: number;
  source: string;
  detail: string | null;
}

export interface InboundMessagesTable {
  id: string;
  account_id: string;
  contact_id: string;
  provider_message_id: string;
  type: string;
  text: string | null;
  payload: string | null;
  context_provider_id: string | null;
  reply_to_message_id: string | null;
  received_at: number;
  created_at: number;
}

export interface WebhookInboxTable {
  id: string;
  channel: string;
  body: string;
  status: InboxStatus;
  attempts: Generated<number>;
  received_at: number;
  processed_at: number | null;
  error: string | null;
}

export interface EventsTable {
  id: string;
  type: string;
  payload: string;
  created_at: number;
  /** Global order, given by the sequencer once the causing transaction committed; null until then. */
  position: Generated<number | null>;
  /** "contact:ctc_…", "campaign:cmp_…", "template:…", "endpoint:ep_…"; null for events older than it. */
  ordering_key: Generated<string | null>;
  /** Consecutive per ordering key (1, 2, 3…), given with the position. */
  sequence: Generated<number | null>;
}

/**
 * Events committed but not yet given a position (see migration 0021): the sequencer moves them
 * into `events` with one.
 */
export interface EventBacklogTable {
  id: string;
  type: string;
  payload: string;
  created_at: number;
  ordering_key: string | null;
}

/** The one row the sequencer locks, with the last position it gave. */
export interface EventSequencerTable {
  id: number;
  last_position: number;
}

export interface EventKeySequencesTable {
  ordering_key: string;
  last_sequence: number;
}

export interface EventEndpointsTable {
  id: string;
  url: string;
  secret: string;
  event_types: string;
  enabled: Generated<number>;
  created_at: number;
  /** Health (domain/endpoint-health.ts): the circuit breaker and the `failing` mark. */
  consecutive_failures: Generated<number>;
  failing_since_at: Generated<number | null>;
  breaker_until: Generated<number | null>;
  breaker_opens: Generated<number>;
  marked_failing_at: Generated<number | null>;
  last_error: Generated<string | null>;
  last_delivered_at: Generated<number | null>;
}

export interface EventDeliveriesTable {
  id: string;
  event_id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: number;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
  /** Set by each claim; the result is recorded only under the same token (fencing). */
  lease_token: Generated<string | null>;
  /** The event's: a delivery waits while an earlier one of its key to its endpoint is pending. */
  ordering_key: Generated<string | null>;
  position: Generated<number | null>;
  /** 1: made by a replay request. */
  replay: Generated<number>;
}

/** One row per attempt to deliver an event: the delivery log. */
export interface EventDeliveryAttemptsTable {
  id: string;
  delivery_id: string;
  event_id: string;
  endpoint_id: string;
  attempt: number;
  started_at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  /** delivered | failed */
  outcome: string;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  key_hash: string;
  role: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
  /** The key's first characters, for recognising it in a listing; null for keys from before 0005. */
  key_prefix: string | null;
}

/** One row (id 1): bumped with every change to api_keys, so processes know their key cache is stale. */
export interface ApiKeyRevisionTable {
  id: number;
  revision: number;
}

/** Window timers (0014): window.expiring / window.expired of a contact's current window. */
export interface WindowTimersTable {
  /** `{contact_id}:{kind}`: one row per contact and kind, rewritten for each new window. */
  id: string;
  account_id: string;
  contact_id: string;
  kind: 'expiring' | 'expired';
  /** The window this timer belongs to. */
  last_inbound_at: number;
  due_at: number;
  fired_at: number | null;
  /** fired, skipped (after a downtime through the whole lead time) or gone (contact merged/erased). */
  outcome: string | null;
}

/** Waiting marks (0014): domain/conversations/waiting.ts has the lifecycle. */
export interface WaitingMarksTable {
  id: string;
  account_id: string;
  contact_id: string;
  state: WaitingState;
  reason: string;
  question: string | null;
  /** JSON object, or null. */
  metadata: string | null;
  /** JSON: the resume rule in force (domain/conversations/resume.ts), or null for none. */
  resume: string | null;
  /** Set while the resume template is still to be sent. */
  resume_due_at: number | null;
  resume_message_id: string | null;
  /** Why the resume template was not sent (template no longer approved, opted out, …). */
  resume_failure: string | null;
  created_at: number;
  updated_at: number;
  resume_sent_at: number | null;
  resumed_at: number | null;
  cleared_at: number | null;
  cleared_by: string | null;
}

/** Per-account resume-contact rules (0014). */
export interface ResumeRulesTable {
  account_id: string;
  /** JSON (domain/conversations/resume.ts ResumeSpec). */
  rule: string;
  created_at: number;
  updated_at: number;
}

/** What a reply routing rule did for one reply: one row per action, never two (0015). */
export interface ReplyActionsTable {
  inbound_id: string;
  action_index: number;
  account_id: string;
  contact_id: string;
  message_id: string | null;
  /** template, message or campaign: whose table the rule came from. */
  rule_source: string;
  rule_index: number;
  rule_match: string;
  type: string;
  /** applied, skipped or failed. */
  outcome: string;
  detail: string | null;
  /** What the action made: the answer (msg_…), the waiting mark (wait_…), the ledger entry (cns_…). */
  ref: string | null;
  created_at: number;
}

export interface AccountLeasesTable {
  account_id: string;
  holder: string;
  expires_at: number;
}

/** Users of the web app (migration 0019; store/users-repo.ts). */
export interface UsersTable {
  id: string;
  /** Folded to lower case: unique without regard to case. */
  username: string;
  display_name: string | null;
  /** viewer | sender | admin */
  role: string;
  /** scrypt$N$r$p$salt$hash (engine/access/passwords.ts). */
  password_hash: string;
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
  last_sign_in_at: number | null;
}

/** Web-app sessions (migration 0019; store/sessions-repo.ts). */
export interface SessionsTable {
  id: string;
  /** SHA-256 (hex) of the cookie's value. */
  token_hash: string;
  /** Exactly one of user_id and api_key_id is set. */
  user_id: string | null;
  api_key_id: string | null;
  created_at: number;
  last_seen_at: number;
  /** The absolute end, fixed at sign-in. */
  expires_at: number;
  revoked_at: number | null;
  /** The browser's User-Agent at sign-in (cut to 200 characters), to recognise a session. */
  user_agent: string | null;
}

export interface Database {
  account_leases: AccountLeasesTable;
  channel_accounts: ChannelAccountsTable;
  contacts: ContactsTable;
  templates: TemplatesTable;
  messages: MessagesTable;
  message_events: MessageEventsTable;
  inbound_messages: InboundMessagesTable;
  webhook_inbox: WebhookInboxTable;
  events: EventsTable;
  event_backlog: EventBacklogTable;
  event_endpoints: EventEndpointsTable;
  event_deliveries: EventDeliveriesTable;
  event_delivery_attempts: EventDeliveryAttemptsTable;
  event_sequencer: EventSequencerTable;
  event_key_sequences: EventKeySequencesTable;
  api_keys: ApiKeysTable;
  api_key_revision: ApiKeyRevisionTable;
  contact_tags: ContactTagsTable;
  consent_events: ConsentEventsTable;
  consent_settings: ConsentSettingsTable;
  imports: ImportsTable;
  import_rejects: ImportRejectsTable;
  audiences: AudiencesTable;
  campaigns: CampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  window_timers: WindowTimersTable;
  waiting_marks: WaitingMarksTable;
  resume_rules: ResumeRulesTable;
  reply_actions: ReplyActionsTable;
  users: UsersTable;
  sessions: SessionsTable;
}
