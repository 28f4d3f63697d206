/**
 * Messenger's Graph errors (reference §5): `{error: {message, type, code, error_subcode?,
 * error_user_title?, error_user_msg?, is_transient?, fbtrace_id}}`, HTTP 400 for nearly all of
 * them (190 included: the Send API answers 400, not WhatsApp's 401). Messages carry the
 * `(#code)` prefix where Meta's do. No `error_data`: that is WhatsApp's.
 */
import { MetaError } from '../errors';
import { fbtraceId } from '../ids';

export interface ErrorExtras {
  subcode?: number;
  type?: string;
  httpStatus?: number;
  transient?: boolean;
  userTitle?: string;
  userMsg?: string;
}

export function graphError(code: number, message: string, x: ErrorExtras = {}): MetaError {
  const error: Record<string, unknown> = { message, type: x.type ?? 'OAuthException', code };
  if (x.subcode !== undefined) error.error_subcode = x.subcode;
  if (x.userTitle !== undefined) error.error_user_title = x.userTitle;
  if (x.userMsg !== undefined) error.error_user_msg = x.userMsg;
  if (x.transient !== undefined) error.is_transient = x.transient;
  error.fbtrace_id = fbtraceId();
  return new MetaError(x.httpStatus ?? 400, code, { error });
}

/** Graph's parameter error: code 100, the message says what is wrong. */
export function param(message: string, subcode?: number): MetaError {
  return graphError(100, `(#100) ${message}`, subcode === undefined ? {} : { subcode });
}

export function tokenMissing(): MetaError {
  return graphError(190, 'An access token is required to request this resource.');
}

export function tokenInvalid(): MetaError {
  return graphError(190, 'Invalid OAuth access token - Cannot parse access token');
}

/** An object the token may not touch, or that does not exist (Graph says both the same way). */
export function unknownObject(id: string, method: string): MetaError {
  return graphError(
    100,
    `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
    { subcode: 33, type: 'GraphMethodException' },
  );
}

export const OUTSIDE_WINDOW_SUBCODE = 2018278;

export function outsideWindow(): MetaError {
  return graphError(10, '(#10) This message is sent outside of allowed window.', {
    subcode: OUTSIDE_WINDOW_SUBCODE,
    userTitle: 'Message Not Sent',
    userMsg: "This person isn't receiving messages from you right now.",
  });
}

export function noMatchingUser(): MetaError {
  return param('No matching user found', 2018001);
}

export function userUnavailable(): MetaError {
  return graphError(551, "(#551) This person isn't available right now.", { subcode: 1545041 });
}

export const RETIRED_TAG_SUBCODE = 1893061;

/** ACCOUNT_UPDATE, CONFIRMED_EVENT_UPDATE, POST_PURCHASE_UPDATE since 27 April 2026 (§2.2). */
export function retiredTag(tag: string): MetaError {
  return graphError(100, 'Invalid parameter', {
    subcode: RETIRED_TAG_SUBCODE,
    transient: false,
    userTitle: 'Message tag no longer supported',
    userMsg: `The ${tag} tag can no longer be used. Send a utility message (messaging_type UTILITY) with an approved template instead.`,
  });
}

export function rateLimited(): MetaError {
  return graphError(613, '(#613) Calls to this api have exceeded the rate limit.', { subcode: 2534040 });
}

/** Titles of the codes that may be injected on command, for a message when none is given. */
export const INJECTABLE_MESSAGES: Readonly<Record<number, string>> = {
  2: '(#2) An unexpected error has occurred. Please retry your request later.',
  4: '(#4) Application request limit reached',
  10: '(#10) This message is sent outside of allowed window.',
  32: '(#32) Page request limit reached',
  100: '(#100) Invalid parameter',
  190: 'Invalid OAuth access token - Cannot parse access token',
  200: '(#200) Cannot message users who are not admins, developers or testers of the app until pages_messaging permission is reviewed and the app is live.',
  551: "(#551) This person isn't available right now.",
  613: '(#613) Calls to this api have exceeded the rate limit.',
  2018300: 'Another app controls this thread now.',
  80001: '(#80001) There have been too many calls to this Page account. Wait a bit and try again.',
  80006:
    '(#80006) There have been too many messages sent to this Messenger account. Please wait a few minutes before trying again.',
};
