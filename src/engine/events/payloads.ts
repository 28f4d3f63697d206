/**
 * Builders of every event the bot receives, one per type of the catalogue (schemas.ts). The
 * appliers and the dispatcher hand over what they know; the shape of the payload is decided
 * here only, and TypeScript holds each builder to its schema.
 */
import type {
  InboundItem,
  TemplateCategoryItem,
  TemplateQualityItem,
  TemplateStatusItem,
} from '../../channels/channel';
import type { ConsentChange, ConsentScope, ConsentSource, ConsentState } from '../../domain/contacts/consent';
import { isoTime, isoTimeOrNull } from '../../domain/iso-time';
import type { MessageKind, MessageStatus } from '../../domain/message';
import type { WindowState } from '../../domain/window';
import type { MessageRow, MessageState } from '../../store/messages-repo';
import type { EventData, PendingEvent } from './schemas';

type MessageView = EventData<'message.status'> extends infer T ? Omit<T, 'previous_status'> : never;
type ContactView = EventData<'message.received'>['contact'];
type WindowView = EventData<'message.received'>['window'];
type InboundView = EventData<'message.received'>['message'];

/** The public view of a message, shared by the API and event payloads. */
export function messageView(m: MessageState): MessageView {
  return {
    id: m.id,
    account_id: m.account_id,
    contact_id: m.contact_id,
    to: m.to_wa,
    kind: m.kind as MessageKind,
    template: m.template_name ? { name: m.template_name, language: m.template_language } : null,
    status: m.status as MessageStatus,
    provider_message_id: m.provider_message_id,
    metadata: m.metadata === null ? null : (JSON.parse(m.metadata) as Record<string, unknown>),
    attempts: m.attempts,
    error:
      m.error_class === null ? null : { code: m.error_code, class: m.error_class, message: m.error_message },
    created_at: isoTime(m.created_at),
    accepted_at: isoTimeOrNull(m.accepted_at),
    sent_at: isoTimeOrNull(m.sent_at),
    delivered_at: isoTimeOrNull(m.delivered_at),
    read_at: isoTimeOrNull(m.read_at),
    failed_at: isoTimeOrNull(m.failed_at),
    replied_at: isoTimeOrNull(m.replied_at),
    posted_at: isoTimeOrNull(m.posted_at),
    doubt_until: isoTimeOrNull(m.doubt_until),
    hold_until: isoTimeOrNull(m.hold_until),
    released_by: m.released_by,
    released_at: isoTimeOrNull(m.released_at),
  };
}

/** A contact as events name it; `profileName` is the newest name WhatsApp reported. */
export function contactView(
  c: { id: string; wa_id: string; bsuid: string | null; name: string | null },
  profileName?: string,
): ContactView {
  return { id: c.id, wa_id: c.wa_id, bsuid: c.bsuid, name: profileName ?? c.name };
}

export function windowView(w: WindowState): WindowView {
  return { open: w.open, expires_at: isoTimeOrNull(w.expiresAt) };
}

/** An inbound message as events show it: what the user wrote or tapped. */
export function inboundView(id: string, item: InboundItem): InboundView {
  return {
    id,
    provider_message_id: item.providerMessageId,
    type: item.type,
    text: item.text ?? null,
    payload: item.button?.payload ?? item.interactiveReply?.id ?? null,
    button_text: item.button?.text ?? item.interactiveReply?.title ?? null,
    received_at: isoTime(item.timestamp),
  };
}

export function messageStatusEvent(m: MessageState, previous: string): PendingEvent {
  return {
    type: 'message.status',
    data: { ...messageView(m), previous_status: previous as MessageStatus },
  };
}

export function messageReplyEvent(p: {
  accountId: string;
  message: MessageRow;
  contact: ContactView;
  reply: InboundView;
  window: WindowView;
}): PendingEvent {
  return {
    type: 'message.reply',
    data: {
      account_id: p.accountId,
      message: messageView(p.message),
      contact: p.contact,
      reply: p.reply,
      window: p.window,
    },
  };
}

export function messageReceivedEvent(p: {
  accountId: string;
  contact: ContactView;
  message: InboundView;
  inReplyTo: string | null;
  window: WindowView;
}): PendingEvent {
  return {
    type: 'message.received',
    data: {
      account_id: p.accountId,
      contact: p.contact,
      message: p.message,
      in_reply_to: p.inReplyTo,
      window: p.window,
    },
  };
}

/**
 * A message Meta may or may not have: posted, no answer recorded, no status since. `decision`
 * says what Recontact does about it.
 */
export function messageInDoubtEvent(p: {
  message: MessageRow;
  decision: 'resend' | 'hold';
  postedAt: number;
  reason: string;
}): PendingEvent {
  return {
    type: 'message.in_doubt',
    data: {
      message: messageView(p.message),
      decision: p.decision,
      posted_at: isoTime(p.postedAt),
      reason: p.reason,
    },
  };
}

export function windowOpenedEvent(p: {
  accountId: string;
  contact: ContactView;
  openedAt: number;
  window: WindowView;
}): PendingEvent {
  return {
    type: 'window.opened',
    data: { account_id: p.accountId, contact: p.contact, opened_at: isoTime(p.openedAt), ...p.window },
  };
}

const templateAbout = (
  accountId: string,
  item: TemplateStatusItem | TemplateQualityItem | TemplateCategoryItem,
) => ({
  account_id: accountId,
  name: item.name,
  language: item.language,
  provider_template_id: item.providerTemplateId,
});

export function templateStatusEvent(
  accountId: string,
  item: TemplateStatusItem,
  previousStatus: string,
): PendingEvent {
  return {
    type: 'template.status',
    data: {
      ...templateAbout(accountId, item),
      status: item.event,
      previous_status: previousStatus,
      reason: item.reason ?? null,
      details: item.details ?? null,
    },
  };
}

export function templateQualityEvent(
  accountId: string,
  item: TemplateQualityItem,
  previousScore: string | null,
): PendingEvent {
  return {
    type: 'template.quality',
    data: {
      ...templateAbout(accountId, item),
      quality_score: item.newScore,
      // Meta's own "previous" wins: ours may be stale if an update was missed.
      previous_quality_score: item.previousScore ?? previousScore,
    },
  };
}

export function templateCategoryEvent(
  accountId: string,
  item: TemplateCategoryItem,
  previousCategory: string,
): PendingEvent {
  return {
    type: 'template.category',
    data: {
      ...templateAbout(accountId, item),
      category: item.newCategory,
      previous_category: item.previousCategory ?? previousCategory,
    },
  };
}

/** An endpoint was marked failing (engine/events/deliverer.ts); other endpoints learn it. */
export function endpointFailingEvent(e: {
  id: string;
  url: string;
  reason: EventData<'endpoint.failing'>['reason'];
  failingSinceAt: number;
  consecutiveFailures: number;
  breakerOpens: number;
  lastError: string | null;
}): PendingEvent {
  return {
    type: 'endpoint.failing',
    data: {
      endpoint: { id: e.id, url: e.url },
      reason: e.reason,
      failing_since: isoTime(e.failingSinceAt),
      consecutive_failures: e.consecutiveFailures,
      breaker_opens: e.breakerOpens,
      last_error: e.lastError,
    },
  };
}

/** A consent change recorded in the ledger: contact.opted_out or contact.opted_in. */
export function consentChangedEvent(p: {
  accountId: string;
  contact: { id: string; wa_id: string; bsuid: string | null };
  scope: ConsentScope;
  state: ConsentChange;
  source: ConsentSource;
  evidence: Record<string, unknown> | null;
  at: number;
  consent: { marketing: ConsentState; all: ConsentState };
}): PendingEvent {
  const data = {
    account_id: p.accountId,
    contact_id: p.contact.id,
    wa_id: p.contact.wa_id,
    bsuid: p.contact.bsuid,
    scope: p.scope,
    source: p.source,
    evidence: p.evidence,
    at: isoTime(p.at),
    consent: p.consent,
  };
  return p.state === 'opted_out' ? { type: 'contact.opted_out', data } : { type: 'contact.opted_in', data };
}
