/**
 * Cloud API send bodies (POST /{version}/{phone-number-id}/messages), built from an
 * OutboundMessage whose content the domain already bound and validated.
 *
 * Two forms of the same thing: `buildSendBody` gives the object (for tests, logs, the sandbox),
 * `serializeSendBody` writes the JSON string directly, without the intermediate object, because
 * it runs thousands of times per second on the dispatch path. The tests pin that
 * `JSON.parse(serializeSendBody(m))` deep-equals `buildSendBody(m)` for every content kind.
 *
 * The address: a wa_id goes in `to`; a business-scoped user id (a user known only by their
 * username, domain/bsuid.ts) goes in `recipient`, never both (Meta lets `to` win when both are
 * present, which would hide the BSUID).
 */
import { isBsuid } from '../../domain/bsuid';
import { RecontactError } from '../../domain/errors';
import type { CloudTemplate } from '../../domain/templates/model';
import type { OutboundMessage } from '../channel';
import { kindPayload } from '../stored-content';

/** Meta's limit on biz_opaque_callback_data. */
export const MAX_CALLBACK_DATA_CHARS = 512;

export interface CloudSendBody {
  messaging_product: 'whatsapp';
  recipient_type: 'individual';
  /** A wa_id (digits). */
  to?: string;
  /** A business-scoped user id, when the user is known only by it. */
  recipient?: string;
  type: 'template' | 'text' | 'interactive';
  biz_opaque_callback_data: string;
  context?: { message_id: string };
  template?: CloudTemplate;
  text?: { body: string; preview_url?: boolean };
  interactive?: Record<string, unknown>;
}

function checkCallbackData(messageId: string): void {
  if (messageId.length > MAX_CALLBACK_DATA_CHARS) {
    throw new RecontactError(
      'INPUT_INVALID',
      `messageId is ${messageId.length} characters long; biz_opaque_callback_data allows at most ${MAX_CALLBACK_DATA_CHARS}`,
      { details: [{ path: 'messageId', message: 'too long for biz_opaque_callback_data' }] },
    );
  }
}

function unknownKind(kind: unknown): never {
  throw new RecontactError(
    'INPUT_INVALID',
    `content.kind ${JSON.stringify(kind)} is not template, text or interactive`,
    {
      details: [{ path: 'content.kind', message: 'unknown content kind' }],
    },
  );
}

export function buildSendBody(m: OutboundMessage): CloudSendBody {
  checkCallbackData(m.messageId);
  const c = m.content;
  const body: CloudSendBody = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    ...(isBsuid(m.to) ? { recipient: m.to } : { to: m.to }),
    type: c.kind,
    biz_opaque_callback_data: m.messageId,
  };
  if (m.replyToProviderId !== undefined) body.context = { message_id: m.replyToProviderId };
  switch (c.kind) {
    case 'template':
      body.template = c.template;
      break;
    case 'text':
      body.text = c.text;
      break;
    case 'interactive':
      body.interactive = c.interactive;
      break;
    default:
      unknownKind((c as { kind: unknown }).kind);
  }
  return body;
}

/** The content kinds a Cloud API send carries, each under the member of its own name. */
const KINDS: ReadonlySet<string> = new Set(['template', 'text', 'interactive']);

/**
 * Same JSON as JSON.stringify(buildSendBody(m)), same key order, written in one pass. The kind's
 * member is copied from the stored content's own text when the message carries it
 * (stored-content.ts), else written from the parsed content: the same bytes either way.
 */
export function serializeSendBody(m: OutboundMessage): string {
  checkCallbackData(m.messageId);
  const stored = m.contentJson === undefined ? undefined : kindPayload(m.contentJson);
  let kind: string;
  let value: string;
  if (stored !== undefined && KINDS.has(stored.kind)) {
    kind = stored.kind;
    value = stored.value;
  } else {
    const c = m.content as OutboundMessage['content'] & Record<string, unknown>;
    if (!KINDS.has(c.kind)) unknownKind(c.kind);
    kind = c.kind;
    value = JSON.stringify(c[kind]);
  }
  const payload = `"${kind}":${value}`;
  const context =
    m.replyToProviderId === undefined
      ? ''
      : `"context":{"message_id":${JSON.stringify(m.replyToProviderId)}},`;
  return (
    `{"messaging_product":"whatsapp","recipient_type":"individual","${isBsuid(m.to) ? 'recipient' : 'to'}":${JSON.stringify(m.to)},"type":"${kind}",` +
    `"biz_opaque_callback_data":${JSON.stringify(m.messageId)},${context}${payload}}`
  );
}
