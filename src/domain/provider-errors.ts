/**
 * What to do about an error Meta reported, decided from its code (Meta says titles will be
 * deprecated, so the code is the only stable key), falling back on the HTTP status. The
 * reasons are written for a clinic operator reading a failed message in the dashboard.
 *
 * The same code means different things on the two channels: WhatsApp's 10 is a missing
 * permission (the account is stuck), Messenger's 10 with subcode 2018278 is one person's closed
 * window. So the channel picks the table, and on Messenger the subcode is read first (reference
 * messenger-platform.md §5.2).
 */
import type { ChannelKind } from './channels/channel-kind';

export type ProviderErrorClass = 'retry_later' | 'retry_after_window' | 'permanent' | 'account_fatal';

export interface ProviderErrorClassification {
  class: ProviderErrorClass;
  /** Plain-language explanation, including Meta's code. */
  reason: string;
  /** Do not try again before this many milliseconds have passed. */
  minDelayMs?: number;
}

export interface ProviderErrorInput {
  /** Meta's error code; null for transport failures (timeout, connection reset). */
  code: number | null;
  httpStatus: number | null;
  /** From a Retry-After header; honoured as a lower bound on the delay. */
  retryAfterSeconds?: number;
  /** The API that reported it; WhatsApp when absent (the only channel before Messenger). */
  channel?: ChannelKind;
  /** Meta's error_subcode, when it sent one. */
  subcode?: number | null;
  /** The adapter refused the message before sending it (it cannot go out as it is). */
  rejectedLocally?: boolean;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

type Rule = Omit<ProviderErrorClassification, 'reason'> & { why: string };

const later = (why: string, minDelayMs?: number): Rule =>
  minDelayMs === undefined ? { class: 'retry_later', why } : { class: 'retry_later', why, minDelayMs };
const afterWindow = (why: string, minDelayMs?: number): Rule =>
  minDelayMs === undefined
    ? { class: 'retry_after_window', why }
    : { class: 'retry_after_window', why, minDelayMs };
const permanent = (why: string): Rule => ({ class: 'permanent', why });
const fatal = (why: string): Rule => ({ class: 'account_fatal', why });

const RULES: ReadonlyMap<number, Rule> = new Map([
  // Temporary: the same message can go out unchanged a little later.
  [1, later('Meta had an unknown temporary problem')],
  [2, later('the WhatsApp service is temporarily unavailable')],
  [4, later('the app made too many API calls; Meta is throttling it', MINUTE)],
  [80007, later('the WhatsApp Business Account reached its API call limit', MINUTE)],
  [130429, later('this number is sending faster than its WhatsApp throughput allows', SECOND)],
  [131000, later('something went wrong at WhatsApp')],
  [131016, later('the WhatsApp service is temporarily unavailable')],
  [
    131056,
    later('too many messages went to this person in a short time; wait before the next one', 6 * SECOND),
  ],
  [131057, later('the WhatsApp account is in maintenance (usually a throughput upgrade)', MINUTE)],
  [132069, later('this Flow was already sent 10 times in the last hour', HOUR)],
  // Blocked by the 24-hour rule: possible again once the person writes, or as a template.
  [
    131047,
    afterWindow(
      'more than 24 hours have passed since this person last wrote, so only an approved template can reach them until they write again',
    ),
  ],
  [
    131049,
    afterWindow(
      'WhatsApp held back this marketing message to protect the person from too many; try again no sooner than 24 hours',
      24 * HOUR,
    ),
  ],
  // Permanent for this message: sending it again unchanged fails the same way.
  [100, permanent('the request has an invalid or unsupported parameter')],
  [130472, permanent('this person is part of a WhatsApp marketing experiment and cannot receive it')],
  [130497, permanent('WhatsApp does not allow this business to message people in that country')],
  [131008, permanent('a required parameter is missing from the message')],
  [131009, permanent('a value in the message is not valid (often the recipient number)')],
  [131021, permanent('the recipient is the sending number itself')],
  [
    131026,
    permanent(
      'the message could not be delivered: the number may not use WhatsApp, have an old app, or have blocked the business',
    ),
  ],
  [131050, permanent('this person asked not to receive marketing messages from this business')],
  [131051, permanent('WhatsApp does not support this message type')],
  [131053, permanent('the attached media could not be used (wrong type, too large, or unreachable)')],
  // A user known only by their username id (BSUID): Meta refuses some messages to such an
  // address (authentication templates, some types). Sending it again unchanged fails the same way.
  [
    131062,
    permanent(
      'this recipient is known only by a username id (BSUID) and WhatsApp does not allow this kind of message to it; ask the user to write first, or send it to their phone number once it is known',
    ),
  ],
  [132000, permanent('the number of values does not match the template’s variables')],
  [132001, permanent('the template does not exist in this language or is not approved')],
  [132005, permanent('the text with the values filled in is too long')],
  [132007, permanent('the values break WhatsApp’s formatting rules for templates')],
  [132012, permanent('a value has the wrong format for the template (e.g. text where media is expected)')],
  [132015, permanent('the template is paused because of low quality')],
  [132016, permanent('the template was disabled after being paused too often; create a new one')],
  [132018, permanent('a template value has a problem (line breaks, tabs or too many spaces)')],
  [132068, permanent('the Flow in this template is blocked')],
  [133010, permanent('the sending number is not registered with WhatsApp')],
  [135000, permanent('the request has invalid parameters')],
  [137000, permanent('the recipient’s device identity changed; the message was not sent')],
  // Fatal for the account: every further send fails too until a person fixes the account.
  [0, fatal('the access token was rejected (expired, or access was removed)')],
  [3, fatal('the app lacks the capability or permission to send')],
  [10, fatal('the app has not been granted the permission to send')],
  [190, fatal('the access token has expired')],
  [368, fatal('the account is temporarily blocked for policy violations')],
  [131005, fatal('access to this WhatsApp account was denied')],
  [131031, fatal('the WhatsApp Business Account is locked')],
  [131037, fatal('the sending number’s display name is not approved yet')],
  [131042, fatal('there is a payment problem on the WhatsApp Business Account')],
  [131045, fatal('the sending number is not correctly registered (certificate problem)')],
  [
    131064,
    fatal(
      'WhatsApp limited this account’s messages because templates were found in the wrong category (e.g. promotions sent as utility); fix the templates’ categories in WhatsApp Manager',
    ),
  ],
  [
    131048,
    fatal(
      'too many earlier messages were blocked or reported as spam; stop sending and improve quality first',
    ),
  ],
]);

/**
 * Messenger's Send API codes (reference §5.2, §6). Throttling (4, 32, 613, 80001, 80006) backs
 * off; the closed window, an unavailable person and bad requests are never retried; the page
 * token (190) stops the account until someone reconnects the page.
 */
const MESSENGER_RULES: ReadonlyMap<number, Rule> = new Map([
  [1, later('Meta had an unknown temporary problem')],
  [2, later('the Messenger service is temporarily unavailable')],
  [4, later('the app made too many API calls; Meta is throttling it', MINUTE)],
  [32, later('the page made too many API calls; Meta is throttling it', MINUTE)],
  [613, later('the page is sending faster than Messenger allows; it slows down', 5 * SECOND)],
  [80001, later('the page reached its Graph API call limit', MINUTE)],
  [
    80006,
    later('the page reached Messenger’s rate limit; sending resumes when Meta allows it again', MINUTE),
  ],
  // Without a subcode Meta does not say which refusal it is; on the Send API it is nearly always
  // about this person (the window, their settings), so this one message fails and the
  // campaign's failure guard notices if every message does.
  [
    10,
    permanent(
      'Messenger does not allow this message to this person now (usually: it is outside the messaging window)',
    ),
  ],
  [100, permanent('the request has an invalid parameter, or no Messenger user matches the recipient')],
  [190, fatal('the page access token is invalid or has expired; reconnect the page to get a new one')],
  [368, fatal('the page is temporarily blocked for policy violations')],
  [
    551,
    permanent(
      'this person is not receiving messages from the page right now (they blocked it, turned messages off, or left Messenger)',
    ),
  ],
  [2022, fatal('Meta disabled this page’s messages after a policy violation')],
]);

/** Messenger subcodes that name the refusal more precisely than its code. */
const MESSENGER_SUBCODES: ReadonlyMap<number, Rule> = new Map([
  [
    2018278,
    permanent(
      'the message was outside Messenger’s 24-hour window; after it only a utility template, a person’s reply within 7 days (HUMAN_AGENT), or a new message from them can reach them',
    ),
  ],
  [2534022, permanent('the message was outside Instagram’s 24-hour window')],
  [
    2018065,
    permanent('the message was outside the messaging window and the page has no News Messaging permission'),
  ],
  [2018108, permanent('this person cannot receive the page’s messages right now')],
  [1545041, permanent('this person is not available on Messenger right now')],
  [1893015, permanent('this person turned off these messages from the page')],
  [
    1893061,
    permanent(
      'the message tag was retired by Meta (ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE and POST_PURCHASE_UPDATE fail since 27 April 2026); send a utility template instead',
    ),
  ],
  [2018001, permanent('no Messenger user matches this page-scoped id (PSID)')],
  [
    1893029,
    permanent(
      'the template has more postback buttons than the message gives payloads for; give every button a payload',
    ),
  ],
  [
    2018276,
    permanent('the app is not approved for the HUMAN_AGENT tag (App Review: Human Agent permission)'),
  ],
  [2018300, permanent('another app controls this conversation (handover protocol)')],
  [
    2018338,
    permanent(
      'too many tagged messages went to this person; Meta warns of abuse, so no more are sent to them this way',
    ),
  ],
  [2534040, later('the page reached Messenger’s rate limit', 5 * SECOND)],
  [
    1893063,
    {
      class: 'account_fatal',
      why: 'Meta temporarily restricted this page from sending messages',
      minDelayMs: HOUR,
    },
  ],
  [
    2018028,
    fatal(
      'the app may message only people with a role on it until App Review grants pages_messaging (advanced access)',
    ),
  ],
  [2018027, fatal('the app lacks pages_messaging_phone_number (advanced access)')],
]);

const PERMISSION_RANGE = fatal('the app is missing an API permission');

export function classifyProviderError(error: ProviderErrorInput): ProviderErrorClassification {
  const rule = ruleFor(error);
  const retryAfterMs = (error.retryAfterSeconds ?? 0) * SECOND;
  const minDelayMs =
    rule.class === 'retry_later' && retryAfterMs > (rule.minDelayMs ?? 0) ? retryAfterMs : rule.minDelayMs;
  const result: ProviderErrorClassification = { class: rule.class, reason: reasonText(error, rule.why) };
  if (minDelayMs !== undefined) result.minDelayMs = minDelayMs;
  return result;
}

/** "WhatsApp" or "Messenger", as the operator knows the channel. */
export function channelName(channel: ChannelKind | undefined): string {
  return channel === 'messenger' ? 'Messenger' : 'WhatsApp';
}

function ruleFor(error: ProviderErrorInput): Rule {
  const { code, httpStatus, subcode } = error;
  const name = channelName(error.channel);
  // Sending it again would be refused again, by us: it is the message, not the moment.
  if (error.rejectedLocally)
    return permanent(`Recontact did not send it: ${name} would refuse the message as it is`);
  if (code !== null) {
    if (error.channel === 'messenger') {
      const precise = subcode == null ? undefined : MESSENGER_SUBCODES.get(subcode);
      if (precise) return precise;
      const known = MESSENGER_RULES.get(code);
      if (known) return known;
    } else {
      const known = RULES.get(code);
      if (known) return known;
    }
    if (code >= 200 && code <= 299) return PERMISSION_RANGE;
  }
  if (httpStatus === null) {
    return code === null
      ? later(`the request did not get an answer from ${name} (network error or timeout)`)
      : permanent(`${name} reported an error Recontact does not know; it is not retried blindly`);
  }
  if (httpStatus >= 500) return later(`${name} answered HTTP ${httpStatus}, a temporary server error`);
  if (httpStatus === 429) return later(`${name} answered HTTP 429, asking to slow down`);
  // A 401 means the credentials themselves were refused: every message of the account would
  // fail the same way, so failing them one by one would only hide the real problem.
  if (httpStatus === 401) return fatal(`${name} answered HTTP 401, refusing the account’s credentials`);
  if (httpStatus >= 400) return permanent(`${name} refused the request with HTTP ${httpStatus}`);
  return later(`${name} answered with an unexpected HTTP ${httpStatus}`);
}

function reasonText({ code, subcode, channel }: ProviderErrorInput, why: string): string {
  const sentence = why.charAt(0).toUpperCase() + why.slice(1);
  if (code === null) return `${sentence}.`;
  const id = channel === 'messenger' && subcode != null ? `${code}/${subcode}` : `${code}`;
  return `${sentence} (${channelName(channel)} error ${id}).`;
}
