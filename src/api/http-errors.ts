/**
 * The only place where error codes become HTTP statuses. Every error response has the same
 * shape: { error: { code, message, details?, hint?, data? } }.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, RecontactError } from '../domain/errors';
import { API_CSP, COMMON_SECURITY_HEADERS } from './security-headers';

/** Longest path parameter routed (Fastify's maxParamLength); longer ones answer 414. */
export const MAX_PARAM_LENGTH = 100;
/** Request line plus headers, as Node reads them by default; more answers 431. */
export const MAX_HEADER_BYTES = 16 * 1024;

export const HTTP_STATUS: Record<ErrorCode, number> = {
  INPUT_INVALID: 400,
  PHONE_INVALID: 422,
  ACCOUNT_NOT_FOUND: 404,
  ACCOUNT_DISABLED: 409,
  ACCOUNT_CONFLICT: 409,
  ACCOUNT_READ_ONLY: 409,
  SEND_POLICY_REFUSED: 409,
  CONTACT_NOT_FOUND: 404,
  AUDIENCE_NOT_FOUND: 404,
  AUDIENCE_NAME_TAKEN: 409,
  CAMPAIGN_NOT_FOUND: 404,
  CAMPAIGN_NOT_DRAFT: 409,
  CAMPAIGN_NOT_READY: 409,
  CAMPAIGN_STATE_CONFLICT: 409,
  IMPORT_NOT_FOUND: 404,
  CSV_INVALID: 422,
  MESSAGE_NOT_FOUND: 404,
  MESSAGE_NOT_IN_DOUBT: 409,
  MESSAGE_NOT_HELD: 409,
  WAITING_ACTIVE: 409,
  RESUME_RULE_NOT_FOUND: 404,
  TEMPLATE_NOT_FOUND: 422,
  TEMPLATE_NOT_APPROVED: 422,
  TEMPLATE_PARAMS_INVALID: 422,
  TEMPLATE_INVALID: 422,
  WINDOW_CLOSED: 409,
  CONTACT_OPTED_OUT: 422,
  BSUID_INVALID: 422,
  RECIPIENT_BSUID_UNSUPPORTED: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  AUTH_MISSING: 401,
  AUTH_INVALID: 401,
  AUTH_FORBIDDEN: 403,
  API_KEY_NOT_FOUND: 404,
  API_KEY_REVOKED: 409,
  API_KEY_LAST_ADMIN: 409,
  CSRF_TOKEN_INVALID: 403,
  CSRF_ORIGIN_FORBIDDEN: 403,
  USER_NOT_FOUND: 404,
  USERNAME_TAKEN: 409,
  USER_LAST_ADMIN: 409,
  WEBHOOK_SIGNATURE_INVALID: 401,
  WEBHOOK_VERIFY_FAILED: 403,
  WEBHOOK_PAYLOAD_INVALID: 400,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  WEBHOOK_URL_FORBIDDEN: 422,
  BODY_TOO_LARGE: 413,
  PAYLOAD_TOO_DEEP: 400,
  UNSUPPORTED_MEDIA_TYPE: 415,
  URI_TOO_LONG: 414,
  HEADERS_TOO_LARGE: 431,
  REQUEST_TIMEOUT: 408,
  RATE_LIMITED: 429,
  ROUTE_NOT_FOUND: 404,
  CONFIG_INVALID: 500,
  SECRET_KEY_INVALID: 500,
  PROVIDER_ERROR: 502,
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const e = toRecontactError(err, req);
  // A route may give a code its own status: an unknown template is 422 in a send, 404 when read.
  const status = req.routeOptions.config?.errorStatus?.[e.code] ?? HTTP_STATUS[e.code];
  const retryAfter = e.data?.retry_after_seconds;
  if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
  // An outage is logged once by the background loops; a line per refused request would bury it.
  if (e.code === 'DATABASE_UNAVAILABLE') req.log.debug({ err }, 'request refused: database unavailable');
  else if (status >= 500) req.log.error({ err }, 'request failed');
  return reply.status(status).send({ error: errorBody(e, status, req.id) });
}

/** The documented error body; a 5xx carries the request id its log line was written with. */
export function errorBody(e: RecontactError, status: number, requestId: string) {
  const body = e.toJSON();
  return status >= 500 ? { ...body, data: { ...body.data, request_id: requestId } } : body;
}

export function toRecontactError(err: FastifyError, req?: FastifyRequest): RecontactError {
  if (err instanceof RecontactError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    const part =
      { body: 'body', params: 'path', querystring: 'query string', headers: 'headers' }[where] ?? where;
    return new RecontactError('INPUT_INVALID', `Invalid request ${part}: see details`, {
      details: err.validation.map((v) => ({
        // The object itself (an unknown key) is "/": named as the part, not "body.".
        path: `${where}${v.instancePath
          .replace(/\/$/, '')
          .replace(/\//g, '.')
          .replace(/\.(\d+)(?=\.|$)/g, '[$1]')}`,
        message: v.message ?? 'invalid',
      })),
      hint: 'See the schema at /docs.',
    });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': {
      const limit = req?.routeOptions.bodyLimit;
      return new RecontactError(
        'BODY_TOO_LARGE',
        `The request body is larger than this endpoint accepts${limit ? ` (${limit} bytes)` : ''}`,
        {
          hint: 'Send less data per request (batch into several calls).',
          ...(limit ? { data: { limit_bytes: limit } } : {}),
        },
      );
    }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const given = req?.headers['content-type'];
      return new RecontactError(
        'UNSUPPORTED_MEDIA_TYPE',
        given
          ? `Content-Type "${given.slice(0, 100)}" is not accepted here`
          : 'The request has a body but no Content-Type',
        { hint: 'Send JSON with Content-Type: application/json.' },
      );
    }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new RecontactError(
        'INPUT_INVALID',
        'The body is shorter or longer than its Content-Length header',
        {
          hint: 'Let your HTTP client compute Content-Length.',
        },
      );
    case 'FST_ERR_BAD_URL':
      return new RecontactError(
        'INPUT_INVALID',
        'The path holds an invalid percent-encoding (like %ff or a lone %)',
        {
          details: [{ path: 'path', message: 'percent-encoded bytes must form UTF-8 characters' }],
          hint: 'Percent-encode path segments as UTF-8 (encodeURIComponent).',
        },
      );
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new RecontactError(
        'URI_TOO_LONG',
        `A path segment is longer than ${MAX_PARAM_LENGTH} characters`,
        {
          details: [{ path: 'path', message: `at most ${MAX_PARAM_LENGTH} characters per path parameter` }],
          hint: 'Ids and phone numbers are short; check that the path holds what you meant.',
        },
      );
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new RecontactError('INPUT_INVALID', 'The body is empty but Content-Type is application/json', {
        hint: 'Send a JSON object.',
      });
  }
  if (err.statusCode === 400 && err instanceof SyntaxError) {
    return new RecontactError('INPUT_INVALID', `The body is not valid JSON: ${err.message}`, {
      hint: 'Check quoting and commas; the body must be one JSON object.',
    });
  }
  if (err.statusCode && err.statusCode < 500) {
    return new RecontactError('INPUT_INVALID', err.message);
  }
  return new RecontactError('INTERNAL', 'An unexpected error occurred; it has been logged', { cause: err });
}

/**
 * Errors Node's HTTP parser meets before there is a request to route (bad header syntax, headers
 * too large, a client too slow to send them): answered on the raw socket, in the same shape.
 */
export function clientErrorHandler(newRequestId: () => string) {
  return (err: Error & { code?: string }, socket: Socket): void => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let e: RecontactError;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      e = new RecontactError('REQUEST_TIMEOUT', 'The request was not received completely in time', {
        hint: 'Send the headers and the body without pausing; slow or stalled uploads are cut off.',
      });
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      e = new RecontactError(
        'HEADERS_TOO_LARGE',
        `The request line and headers exceed ${MAX_HEADER_BYTES} bytes`,
        {
          hint: 'Send fewer or shorter headers, and put long data in the body rather than in the URL.',
        },
      );
    } else {
      e = new RecontactError(
        'INPUT_INVALID',
        `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}: ${err.message})`,
        {
          hint: 'Header names must be tokens and values must not hold control characters or line breaks; send one Content-Length or Transfer-Encoding.',
        },
      );
    }
    const status = HTTP_STATUS[e.code];
    const body = JSON.stringify({ error: e.toJSON() });
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
      'x-request-id': newRequestId(),
      ...COMMON_SECURITY_HEADERS,
      'content-security-policy': API_CSP,
    };
    if (socket.writable) {
      const head = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n${body}`);
    }
    socket.destroy(err);
  };
}
