/**
 * What may lawfully be sent to a contact at a given moment, per channel and intent. The one
 * place that knows Meta's window rules: the send API, campaigns and the resume rule all ask it,
 * so none of them can queue what Meta would refuse.
 *
 *   channel    intent        window open (24 h)      closed, ≤ 7 days after     later
 *                                                    the person's last message
 *   whatsapp   bot_reply     free-form               refused: window_closed     refused: window_closed
 *   whatsapp   human_reply   free-form               refused: window_closed     refused: window_closed
 *   whatsapp   utility       template                template                   template
 *   whatsapp   marketing     template (or free-form  template                   template
 *                            while open)             (free-form: window_closed) (free-form: window_closed)
 *   messenger  bot_reply     RESPONSE                refused: window_closed     refused: window_closed
 *   messenger  human_reply   RESPONSE (no tag)       MESSAGE_TAG HUMAN_AGENT    refused: human_agent_expired
 *   messenger  utility       UTILITY (template)      UTILITY (template)         UTILITY (template)
 *   messenger  marketing     UPDATE (free-form)      refused: marketing_closed  refused: marketing_closed
 *              (a template:  refused: marketing_template_on_messenger, at any time)
 *
 * Tags asked for by name: on Messenger HUMAN_AGENT is the only one left (ACCOUNT_UPDATE,
 * CONFIRMED_EVENT_UPDATE and POST_PURCHASE_UPDATE are rejected with error 100 since
 * 2026-04-27; the pre-2020 tags since 2020-03-04); it is refused from automation, and inside the
 * window it is not sent at all (a tagged in-window reply is what Meta's policy forbids).
 * WhatsApp has no tags. Messenger has no marketing templates (only Utility Messages; paid
 * marketing goes through Meta's ads API, out of our scope), so a MARKETING template cannot be
 * sent from a page.
 *
 * Windows: WhatsApp and Messenger both close 24 h after the person's last qualifying action
 * (`lastInboundAt`; on Messenger a postback, reaction or m.me referral counts too), closed AT
 * that instant. HUMAN_AGENT counts 7 days from the person's last *message*
 * (`lastUserMessageAt`), never from a tap or a reaction: someone who only tapped a button has
 * written nothing a person could be answering. Messenger's "up to 7 days after a
 * Click-to-Messenger ad" window (Sep 2026) is not applied: Meta does not say when it applies.
 * Tag names are read case-insensitively (Meta's are upper case).
 */
import type { ChannelKind } from './channel-kind';

const HOUR_MS = 3_600_000;
export const MESSAGING_WINDOW_MS = 24 * HOUR_MS;
export const HUMAN_AGENT_WINDOW_MS = 7 * 24 * HOUR_MS;

/** Why a message is sent: decided from what is sent and by whom, never by the provider. */
export type SendIntent = 'bot_reply' | 'human_reply' | 'utility' | 'marketing';

/** Messenger's Send API delivery mode, stored with the message and posted as it is. */
export type MessengerMessaging =
  | { type: 'RESPONSE' | 'UPDATE' | 'UTILITY' }
  | { type: 'MESSAGE_TAG'; tag: 'HUMAN_AGENT' };

export type PolicyRule =
  | 'window_closed'
  | 'marketing_closed'
  | 'marketing_template_on_messenger'
  | 'human_agent_expired'
  | 'human_agent_requires_person'
  | 'tag_retired'
  | 'tag_unsupported'
  | 'tags_not_on_whatsapp';

export interface PolicyInput {
  channel: ChannelKind;
  /** template: an approved template (its category gives the intent); free_form: text, media, buttons. */
  content: 'template' | 'free_form';
  /** The template's category (MARKETING, UTILITY, AUTHENTICATION), for a template. */
  templateCategory?: string;
  /** A free-form message written by a person (an agent), not by automation. */
  byPerson?: boolean;
  /** A free-form message sent for marketing (a campaign's free-form follow-up), not as a reply. */
  marketing?: boolean;
  /** A Messenger tag the caller asked for by name. */
  tag?: string;
  lastInboundAt: number | null;
  lastUserMessageAt: number | null;
  now: number;
}

export type PolicyRefusal = {
  ok: false;
  intent: SendIntent;
  rule: PolicyRule;
  /** True when the refusal is "the window is closed" (the API answers WINDOW_CLOSED). */
  windowClosed: boolean;
  reason: string;
  hint: string;
  /** tag_retired: the day Meta began rejecting the tag (YYYY-MM-DD). */
  retiredOn?: string;
};

export type PolicyVerdict =
  | { ok: true; intent: SendIntent; messaging: MessengerMessaging | null }
  | PolicyRefusal;

/** Tags Meta retired, and since when their sends fail. */
export const RETIRED_MESSENGER_TAGS: Readonly<Record<string, string>> = Object.freeze({
  ACCOUNT_UPDATE: '2026-04-27',
  CONFIRMED_EVENT_UPDATE: '2026-04-27',
  POST_PURCHASE_UPDATE: '2026-04-27',
  SHIPPING_UPDATE: '2020-03-04',
  RESERVATION_UPDATE: '2020-03-04',
  ISSUE_RESOLUTION: '2020-03-04',
  APPOINTMENT_UPDATE: '2020-03-04',
  GAME_EVENT: '2020-03-04',
  TRANSPORTATION_UPDATE: '2020-03-04',
  FEATURE_FUNCTIONALITY_UPDATE: '2020-03-04',
  TICKET_UPDATE: '2020-03-04',
  PAYMENT_UPDATE: '2020-03-04',
  PERSONAL_FINANCE_UPDATE: '2020-03-04',
  COMMUNITY_ALERT: '2020-03-04',
  CONFIRMED_EVENT_REMINDER: '2020-03-04',
  NON_PROMOTIONAL_SUBSCRIPTION: '2020-03-04',
  PAIRING_UPDATE: '2020-03-04',
  APPLICATION_UPDATE: '2020-03-04',
});

export function intentOf(
  input: Pick<PolicyInput, 'content' | 'templateCategory' | 'byPerson' | 'marketing'>,
): SendIntent {
  if (input.content === 'template') return input.templateCategory === 'MARKETING' ? 'marketing' : 'utility';
  if (input.byPerson) return 'human_reply';
  return input.marketing ? 'marketing' : 'bot_reply';
}

export function decideSend(input: PolicyInput): PolicyVerdict {
  const intent = intentOf(input);
  const tagRefusal = checkTag(input, intent);
  if (tagRefusal) return tagRefusal;
  const open = input.lastInboundAt !== null && input.now < input.lastInboundAt + MESSAGING_WINDOW_MS;
  return input.channel === 'whatsapp' ? whatsapp(input, intent, open) : messenger(input, intent, open);
}

function whatsapp(input: PolicyInput, intent: SendIntent, open: boolean): PolicyVerdict {
  // A template goes whatever the window; a free-form message (marketing or not) only inside it.
  if (input.content === 'template' || open) return { ok: true, intent, messaging: null };
  return refuse(
    intent,
    'window_closed',
    true,
    'The 24-hour customer-service window is closed, so only an approved template may be sent',
    'Send an approved template that invites a reply; the reply reopens the window for 24 hours.',
  );
}

function messenger(input: PolicyInput, intent: SendIntent, open: boolean): PolicyVerdict {
  switch (intent) {
    case 'utility':
      return { ok: true, intent, messaging: { type: 'UTILITY' } };
    case 'marketing':
      if (input.content === 'template') {
        return refuse(
          intent,
          'marketing_template_on_messenger',
          false,
          'Messenger has no marketing templates: a page may send only Utility Messages outside the window',
          'Use a UTILITY template (an update the person asked for), or send the promotion as free-form text while their 24-hour window is open.',
        );
      }
      return open
        ? { ok: true, intent, messaging: { type: 'UPDATE' } }
        : refuse(
            intent,
            'marketing_closed',
            true,
            'Marketing may reach a Messenger user only within 24 hours of their last action',
            'Wait until they write again; Meta’s paid Marketing Message API is the only other way and is not a Recontact channel.',
          );
    case 'bot_reply':
      return open
        ? { ok: true, intent, messaging: { type: 'RESPONSE' } }
        : refuse(
            intent,
            'window_closed',
            true,
            'The 24-hour Messenger window is closed: automated free-form messages are not allowed after it',
            'Send an approved utility template (messaging_type UTILITY) that invites a reply, or have a person answer with sent_by "human" within 7 days.',
          );
    case 'human_reply': {
      if (open) return { ok: true, intent, messaging: { type: 'RESPONSE' } };
      const since = input.lastUserMessageAt;
      if (since !== null && input.now < since + HUMAN_AGENT_WINDOW_MS) {
        return { ok: true, intent, messaging: { type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } };
      }
      return refuse(
        intent,
        'human_agent_expired',
        true,
        since === null
          ? 'This Messenger user has never sent the page a message (a tap or a reaction is not one), so HUMAN_AGENT does not apply after the 24-hour window'
          : `More than 7 days passed since the person’s last message (${new Date(since).toISOString()}): the HUMAN_AGENT tag no longer applies`,
        'Send an approved utility template that invites a reply; their reply reopens the window.',
      );
    }
  }
}

function checkTag(input: PolicyInput, intent: SendIntent): PolicyVerdict | undefined {
  if (input.tag === undefined) return undefined;
  const tag = input.tag.trim().toUpperCase();
  if (input.channel === 'whatsapp') {
    return refuse(
      intent,
      'tags_not_on_whatsapp',
      false,
      `WhatsApp has no message tags ("${input.tag}")`,
      'Remove `tag`; outside the window WhatsApp takes only approved templates.',
    );
  }
  const retired = Object.hasOwn(RETIRED_MESSENGER_TAGS, tag) ? RETIRED_MESSENGER_TAGS[tag] : undefined;
  if (retired) {
    return {
      ...refuse(
        intent,
        'tag_retired',
        false,
        `The Messenger tag ${tag} was retired: Meta rejects it since ${retired}${retired >= '2026' ? ' (error 100)' : ''}`,
        'HUMAN_AGENT (a person, within 7 days) is the only tag left; for automated updates after 24 hours use a utility template.',
      ),
      retiredOn: retired,
    };
  }
  if (tag !== 'HUMAN_AGENT') {
    return refuse(
      intent,
      'tag_unsupported',
      false,
      `Recontact does not send the Messenger tag "${input.tag}"`,
      'HUMAN_AGENT (sent_by "human", within 7 days) is the only tag Recontact sends; utility templates cover automated updates.',
    );
  }
  if (input.content === 'template' || !input.byPerson) {
    return refuse(
      intent,
      'human_agent_requires_person',
      false,
      input.content === 'template'
        ? 'HUMAN_AGENT is for a free-form answer a person wrote, not for a template'
        : 'HUMAN_AGENT is for messages written by a person; automation may not use it',
      'Mark a message a person wrote with sent_by "human"; automated updates after 24 hours need a utility template.',
    );
  }
  return undefined;
}

function refuse(
  intent: SendIntent,
  rule: PolicyRule,
  windowClosed: boolean,
  reason: string,
  hint: string,
): PolicyRefusal {
  return { ok: false, intent, rule, windowClosed, reason, hint };
}
