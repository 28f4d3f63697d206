/**
 * Webhooks as Meta POSTs them to /webhooks/whatsapp, for tests: the envelope around `messages`
 * or `statuses`, and the X-Hub-Signature-256 made with the sandbox account's app secret.
 */
import { createHmac } from 'node:crypto';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';

/** The `value` of one `messages` change: what Meta says, around the given items. */
export function messagesValue(v: {
  contacts?: Array<{ profile: { name: string }; wa_id: string }>;
  messages?: unknown[];
  statuses?: unknown[];
  [extra: string]: unknown;
}) {
  return {
    messaging_product: 'whatsapp',
    metadata: {
      display_phone_number: SANDBOX_ACCOUNT.displayPhoneNumber,
      phone_number_id: SANDBOX_ACCOUNT.phoneNumberId,
    },
    ...v,
  };
}

/** A whole notification with one `messages` change. */
export function metaEnvelope(value: ReturnType<typeof messagesValue>) {
  return {
    object: 'whatsapp_business_account',
    entry: [{ id: SANDBOX_ACCOUNT.wabaId, changes: [{ field: 'messages', value }] }],
  };
}

/** A text from `from`, as the JSON text Meta would send. */
export function inboundTextBody(p: {
  from: string;
  id: string;
  text: string;
  name?: string;
  /** Seconds since the epoch, as Meta writes it; now by default. */
  timestamp?: number;
}): string {
  const timestamp = String(p.timestamp ?? Math.floor(Date.now() / 1000));
  return JSON.stringify(
    metaEnvelope(
      messagesValue({
        contacts: [{ profile: { name: p.name ?? 'Emilia' }, wa_id: p.from }],
        messages: [{ from: p.from, id: p.id, timestamp, type: 'text', text: { body: p.text } }],
      }),
    ),
  );
}

export function metaSignature(body: string | Buffer, secret: string = SANDBOX_ACCOUNT.appSecret): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Headers of a signed webhook POST. */
export function signedHeaders(body: string | Buffer): Record<string, string> {
  return { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body) };
}
