/**
 * Meta's error bodies, built the way the Graph API returns them (reference §5.1):
 * messaging errors carry `(#code) title`, `error_data.details` and no `error_subcode` (v16+);
 * template-management errors are code 100 with `error_subcode`, `error_user_*`, `is_transient`.
 */
import { fbtraceId } from './ids';

/** Titles from Meta's error-code table. */
export const ERROR_TITLES: Readonly<Record<number, string>> = {
  4: 'Application request limit reached',
  100: 'Invalid parameter',
  80007: 'Rate limit issues',
  130429: 'Rate limit hit',
  130472: "User's number is part of an experiment",
  131000: 'Something went wrong',
  131008: 'Required parameter is missing',
  131009: 'Parameter value is not valid',
  131021: 'Recipient cannot be sender',
  131026: 'Message Undeliverable',
  131047: 'Re-engagement message',
  131050:
    'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
  131048: 'Spam rate limit hit',
  131049: 'Meta chose not to deliver.',
  131051: 'Unsupported message type',
  131056: '(Business Account, Consumer Account) pair rate limit hit',
  131057: 'Account in maintenance mode',
  131064: 'Messaging limit reached because of template category violations',
  132000: 'Number of parameters does not match the expected number of params',
  132001: 'Template name does not exist in the translation',
  132005: 'Translated text too long',
  132012: 'Parameter format does not match format in the created template',
  132015: 'Template is Paused',
  132016: 'Template is Disabled',
  132018: 'There was an issue with the parameters in your template.',
};

/** HTTP statuses of Meta's table when the error is returned synchronously (default 400). */
export const DEFAULT_HTTP_STATUS: Readonly<Record<number, number>> = {
  190: 401,
  131000: 500,
  131057: 500,
  132001: 404,
};

export const ERROR_HREF = 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/';

export const WINDOW_CLOSED_DETAILS =
  'Message failed to send because more than 24 hours have passed since the customer last replied to this number.';

export type GraphErrorBody = { error: Record<string, unknown> };

/** A synchronous Graph error: HTTP status plus Meta's JSON body. */
export class MetaError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    readonly body: GraphErrorBody,
  ) {
    super(String(body.error.message));
    this.name = 'MetaError';
  }
}

function status(code: number): number {
  return DEFAULT_HTTP_STATUS[code] ?? 400;
}

/** Cloud API messaging error: `{message: "(#code) title", type, code, error_data, fbtrace_id}`. */
export function messagingError(code: number, details: string): MetaError {
  const title = ERROR_TITLES[code] ?? 'Unknown error';
  return new MetaError(status(code), code, {
    error: {
      message: `(#${code}) ${title}`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details },
      fbtrace_id: fbtraceId(),
    },
  });
}

/** Graph parameter error (code 100) whose message says what is wrong, as Graph does. */
export function paramError(message: string): MetaError {
  return new MetaError(400, 100, {
    error: { message: `(#100) ${message}`, type: 'OAuthException', code: 100, fbtrace_id: fbtraceId() },
  });
}

/** Missing or unknown access token: 401, code 190. */
export function tokenError(missing: boolean): MetaError {
  return new MetaError(401, 190, {
    error: {
      message: missing
        ? 'An access token is required to request this resource.'
        : 'Invalid OAuth access token - Cannot parse access token',
      type: 'OAuthException',
      code: 190,
      fbtrace_id: fbtraceId(),
    },
  });
}

/** Unknown object id, or one the token may not touch (Graph answers both the same way). */
export function unknownObjectError(id: string, method: string): MetaError {
  return new MetaError(400, 100, {
    error: {
      message: `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      fbtrace_id: fbtraceId(),
    },
  });
}

export function unknownPathError(path: string): MetaError {
  return new MetaError(400, 2500, {
    error: {
      message: `Unknown path components: ${path}`,
      type: 'OAuthException',
      code: 2500,
      fbtrace_id: fbtraceId(),
    },
  });
}

/** Template-management validation error: code 100 + subcode + user-facing title and message. */
export function templateError(subcode: number | undefined, userTitle: string, userMsg: string): MetaError {
  const error: Record<string, unknown> = {
    message: 'Invalid parameter',
    type: 'OAuthException',
    code: 100,
  };
  if (subcode !== undefined) error.error_subcode = subcode;
  error.is_transient = false;
  error.error_user_title = userTitle;
  error.error_user_msg = userMsg;
  error.fbtrace_id = fbtraceId();
  return new MetaError(400, 100, { error });
}

/** The error object of a `failed` status webhook (reference §4.5). */
export function asyncError(code: number, details: string): Record<string, unknown> {
  const title = ERROR_TITLES[code] ?? 'Unknown error';
  return { code, title, message: title, error_data: { details }, href: ERROR_HREF };
}
