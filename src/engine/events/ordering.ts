/**
 * Which events are ordered together. Every event belongs to one ordering key; events of one key
 * get consecutive sequence numbers (1, 2, 3…) and reach each endpoint in that order. Events about
 * a contact (messages, replies, windows, consent, conversations, routing) are keyed by the
 * contact; the others by what they are about: a campaign, a template (account, name, language),
 * a webhook endpoint. Nothing is ordered across keys: one contact's failing event never holds
 * back another contact's.
 */
import type { EventType } from './schemas';

type Loose = Record<string, unknown> | undefined;

const field = (o: unknown, k: string): unknown =>
  typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined;
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The key every event about one template (in one language, on one account) is ordered by. */
export function templateKey(accountId: string, name: string, language: string): string {
  return `template:${accountId}:${name}:${language}`;
}

/** The key of an event, from its payload; null when the payload names nothing to order by. */
export function orderingKeyOf(type: EventType | string, data: object): string | null {
  const d = data as Loose;
  const contact =
    text(field(field(d, 'contact'), 'id')) ??
    text(field(d, 'contact_id')) ??
    text(field(field(d, 'message'), 'contact_id'));
  if (contact) return `contact:${contact}`;
  if (type.startsWith('campaign.')) {
    const id = text(field(field(d, 'campaign'), 'id'));
    return id ? `campaign:${id}` : null;
  }
  if (type.startsWith('template.')) {
    const [account, name, language] = ['account_id', 'name', 'language'].map((k) => text(field(d, k)));
    return account && name && language ? templateKey(account, name, language) : null;
  }
  if (type.startsWith('endpoint.')) {
    const id = text(field(field(d, 'endpoint'), 'id'));
    return id ? `endpoint:${id}` : null;
  }
  return null;
}

/** The contact an ordering key is about, or null. */
export function contactOfKey(key: string | null): string | null {
  return key?.startsWith('contact:') ? key.slice('contact:'.length) : null;
}
