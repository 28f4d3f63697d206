/**
 * The only place where error codes become HTTP statuses. Every error response has the same
 * shape: { error: { code, message, details?, hint?, data? } }.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { type ErrorCode, RecontactError } from '../domain/errors';

export const HTTP_STATUS: Record<ErrorCode, number> = {
  INPUT_INVALID: 400,
  PHONE_INVALID: 422,
  ACCOUNT_NOT_FOUND: 404,
  CONTACT_NOT_FOUND: 404,
  MESSAGE_NOT_FOUND: 404,
  TEMPLATE_NOT_FOUND: 422,
  TEMPLATE_NOT_APPROVED: 422,
  TEMPLATE_PARAMS_INVALID: 422,
  TEMPLATE_INVALID: 422,
  WINDOW_CLOSED: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  AUTH_MISSING: 401,
  AUTH_INVALID: 401,
  AUTH_FORBIDDEN: 403,
  API_KEY_NOT_FOUND: 404,
  API_KEY_REVOKED: 409,
  API_KEY_LAST_ADMIN: 409,
  WEBHOOK_SIGNATURE_INVALID: 401,
  WEBHOOK_VERIFY_FAILED: 403,
  WEBHOOK_PAYLOAD_INVALID: 400,
  BODY_TOO_LARGE: 413,
  ROUTE_NOT_FOUND: 404,
  CONFIG_INVALID: 500,
  SECRET_KEY_INVALID: 500,
  PROVIDER_ERROR: 502,
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export function errorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const e = toRecontactError(err);
  const status = HTTP_STATUS[e.code];
  if (status >= 500) req.log.error({ err }, 'request failed');
  return reply.status(status).send({ error: e.toJSON() });
}

export function toRecontactError(err: FastifyError): RecontactError {
  if (err instanceof RecontactError) return err;
  if (hasZodFastifySchemaValidationErrors(err)) {
    const where = err.validationContext ?? 'body';
    return new RecontactError('INPUT_INVALID', `The request ${where} is invalid`, {
      details: err.validation.map((v) => ({
        path: `${where}${v.instancePath.replace(/\//g, '.').replace(/\.(\d+)(?=\.|$)/g, '[$1]')}`,
        message: v.message ?? 'invalid',
      })),
      hint: 'See the schema at /docs.',
    });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RecontactError('BODY_TOO_LARGE', 'The request body is larger than this endpoint accepts', {
        hint: 'Send less data per request (batch into several calls).',
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RecontactError('INPUT_INVALID', `Unsupported Content-Type`, {
        hint: 'Send JSON with Content-Type: application/json.',
      });
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
