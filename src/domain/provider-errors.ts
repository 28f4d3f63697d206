/**
 * What to do about an error Meta reported, decided from its code (Meta says titles will be
 * deprecated, so the code is the only stable key), falling back on the HTTP status. The
 * reasons are written for a clinic operator reading a failed message in the dashboard.
 */

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

function ruleFor({ code, httpStatus }: ProviderErrorInput): Rule {
  if (code !== null) {
    const known = RULES.get(code);
    if (known) return known;
    if (code >= 200 && code <= 299) return PERMISSION_RANGE;
  }
  if (httpStatus === null) {
    return code === null
      ? later('the request did not get an answer from WhatsApp (network error or timeout)')
      : permanent('WhatsApp reported an error Recontact does not know; it is not retried blindly');
  }
  if (httpStatus >= 500) return later(`WhatsApp answered HTTP ${httpStatus}, a temporary server error`);
  if (httpStatus === 429) return later('WhatsApp answered HTTP 429, asking to slow down');
  // A 401 means the credentials themselves were refused: every message of the account would
  // fail the same way, so failing them one by one would only hide the real problem.
  if (httpStatus === 401) return fatal('WhatsApp answered HTTP 401, refusing the account’s credentials');
  if (httpStatus >= 400) return permanent(`WhatsApp refused the request with HTTP ${httpStatus}`);
  return later(`WhatsApp answered with an unexpected HTTP ${httpStatus}`);
}

function reasonText({ code }: ProviderErrorInput, why: string): string {
  const sentence = why.charAt(0).toUpperCase() + why.slice(1);
  return code === null ? `${sentence}.` : `${sentence} (WhatsApp error ${code}).`;
}
