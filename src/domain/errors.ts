/**
 * The one catalogue of Recontact's error codes. Domain and engine code throw RecontactError with
 * one of these codes; only the HTTP edge (src/api/http-errors.ts) maps a code to a status, and
 * the CLI maps it to an exit code. Every code says what went wrong; `hint` says how to fix it.
 */
export const ERROR_CODES = {
  INPUT_INVALID: 'The request does not match the expected shape.',
  PHONE_INVALID: 'The phone number cannot be read as a valid international number.',
  ACCOUNT_NOT_FOUND: 'No channel account with that id or name.',
  ACCOUNT_DISABLED: 'The channel account is disabled: it sends nothing and takes no new work.',
  ACCOUNT_CONFLICT:
    'Another channel account already has that name, or that phone-number id or page id on its channel.',
  ACCOUNT_READ_ONLY:
    'The channel account is declared in the config file or the WHATSAPP_* variables: change it there (only `disabled` can be set through the API).',
  SEND_POLICY_REFUSED:
    "Meta's rules for this channel allow no such send now (a retired Messenger tag, HUMAN_AGENT from automation, a marketing template on Messenger); data.rule names the rule.",
  CONTACT_NOT_FOUND: 'No contact with that id or number.',
  AUDIENCE_NOT_FOUND: 'No saved audience with that id on this account.',
  AUDIENCE_NAME_TAKEN: 'Another saved audience of this account already has that name.',
  CAMPAIGN_NOT_FOUND: 'No campaign with that id on this account.',
  CAMPAIGN_NOT_DRAFT: 'The campaign was launched; only a draft can be changed.',
  CAMPAIGN_NOT_READY:
    'The campaign cannot be launched yet (a template not approved, or of another category); it stays a draft.',
  CAMPAIGN_STATE_CONFLICT:
    'The campaign is in a state that does not allow this (e.g. resuming a running one).',
  IMPORT_NOT_FOUND: 'No contact import with that id on this account.',
  CSV_INVALID:
    'The file cannot be imported as a contact CSV (not UTF-8 text, no header, no phone column…); no row of it was written.',
  MESSAGE_NOT_FOUND: 'No message with that id.',
  WAITING_ACTIVE:
    'The contact already has an active waiting mark; clear it first (DELETE /v1/contacts/{contact}/waiting).',
  RESUME_RULE_NOT_FOUND: 'This account has no resume-contact rule.',
  MESSAGE_NOT_IN_DOUBT: 'Only a message held in_doubt can be resent.',
  MESSAGE_NOT_HELD:
    'Only a held message (sent with when_closed, waiting for the contact to write) can be cancelled.',
  TEMPLATE_NOT_FOUND: 'No template with that name and language on this account.',
  TEMPLATE_NOT_APPROVED: 'The template exists but Meta has not approved it for sending.',
  TEMPLATE_PARAMS_INVALID: 'The values given do not fit the template.',
  TEMPLATE_INVALID: "The template definition breaks one of Meta's rules.",
  WINDOW_CLOSED: 'Free-form messages need an open 24-hour customer-service window.',
  CONTACT_OPTED_OUT:
    'The contact opted out of this kind of message (marketing, or everything); the ledger says when and how.',
  BSUID_INVALID:
    'The recipient looks like a business-scoped user id (BSUID, e.g. "US.13491208655302741918") but is not a well-formed one.',
  RECIPIENT_BSUID_UNSUPPORTED:
    'The contact is known only by a business-scoped user id (username), and WhatsApp does not deliver this kind of message to one (error 131062).',
  IDEMPOTENCY_KEY_REUSED: 'The Idempotency-Key was already used with a different request body.',
  AUTH_MISSING: 'No API key was given.',
  AUTH_INVALID: 'The API key is unknown, revoked or expired.',
  AUTH_FORBIDDEN: "The API key's role does not allow this.",
  API_KEY_NOT_FOUND: 'No API key with that id.',
  API_KEY_REVOKED: 'The API key was revoked; a revoked key cannot be rotated.',
  API_KEY_LAST_ADMIN: 'Revoking this key would leave no active admin key.',
  // Web app sign-in, users and sessions (issue 13).
  CSRF_TOKEN_INVALID:
    "A request signed in by the session cookie changes something but carries no x-csrf-token header, or not the session's token.",
  CSRF_ORIGIN_FORBIDDEN:
    'A request signed in by the session cookie (or a sign-in) comes from a page of another origin.',
  USER_NOT_FOUND: 'No user with that id or username.',
  USERNAME_TAKEN: 'Another user already has that username (usernames ignore case).',
  USER_LAST_ADMIN: 'This would leave no active admin user.',
  WEBHOOK_SIGNATURE_INVALID: 'The webhook signature is missing or does not match the body.',
  WEBHOOK_VERIFY_FAILED: 'The webhook verification handshake failed.',
  WEBHOOK_PAYLOAD_INVALID:
    'The webhook body is not a notification of its channel (a WhatsApp Business Account, a Messenger page).',
  WEBHOOK_ENDPOINT_NOT_FOUND: 'No webhook endpoint with that id.',
  WEBHOOK_URL_FORBIDDEN:
    'The webhook URL is not http(s), carries a user name or password, or targets a private, loopback or other non-public address.',
  BODY_TOO_LARGE: 'The request body is larger than allowed.',
  PAYLOAD_TOO_DEEP: 'The request body nests objects or arrays deeper than allowed.',
  UNSUPPORTED_MEDIA_TYPE: 'The request body has a Content-Type this endpoint does not read.',
  URI_TOO_LONG: 'A path segment or the URL is longer than allowed.',
  HEADERS_TOO_LARGE: 'The request headers are larger than allowed.',
  REQUEST_TIMEOUT: 'The request was not received completely in time.',
  RATE_LIMITED: 'Too many requests; retry after the number of seconds in Retry-After.',
  ROUTE_NOT_FOUND: 'No such endpoint.',
  CONFIG_INVALID: 'The configuration is invalid.',
  SECRET_KEY_INVALID: 'Stored secrets cannot be decrypted with the configured secret keys.',
  PROVIDER_ERROR: 'Meta answered with an error.',
  DATABASE_UNAVAILABLE: 'The database cannot be reached or cannot write right now; retry shortly.',
  INTERNAL: 'An unexpected error occurred.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorDetail {
  /** Where the problem is, as a path into the input: "template.body[1]", "to", "header". */
  path?: string;
  message: string;
}

export class RecontactError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  readonly hint: string | undefined;
  /** Extra machine-readable facts, e.g. the window's closing time. */
  readonly data: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: ErrorDetail[]; hint?: string; data?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RecontactError';
    this.code = code;
    this.details = opts.details ?? [];
    this.hint = opts.hint;
    this.data = opts.data;
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      ...(this.details.length ? { details: this.details } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.data ? { data: this.data } : {}),
    };
  }
}

export function isRecontactError(e: unknown): e is RecontactError {
  return e instanceof RecontactError;
}
