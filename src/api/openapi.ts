/**
 * The API reference's shared parts: the one error schema, the answers every route may give,
 * the events as OpenAPI 3.1 webhooks, and the serializer that lets response schemas document
 * answers without re-checking them on every request.
 */
import type { SwaggerTransformObject } from '@fastify/swagger';
import type { FastifySerializerCompiler } from 'fastify';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { type ZodType, z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../domain/errors';
import {
  EVENT_SCHEMAS,
  EVENT_TYPES,
  eventComponentName,
  eventEnvelopeSchema,
} from '../engine/events/schemas';
import { HTTP_STATUS } from './http-errors';

export const errorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().describe('What went wrong, with the value at fault'),
      details: z
        .array(
          z.object({
            path: z.string().optional().describe('Where: "template.body[1]", "to", "header"'),
            message: z.string(),
          }),
        )
        .optional(),
      hint: z.string().optional().describe('How to fix it'),
      data: z.record(z.string(), z.unknown()).optional().describe('Machine-readable facts, e.g. the window'),
    }),
  })
  .meta({
    id: 'Error',
    description: 'Every error answer. The code is stable; the message and hint are for people.',
  });

for (const type of EVENT_TYPES) {
  z.globalRegistry.add(eventEnvelopeSchema(type), {
    id: eventComponentName(type),
    description: EVENT_SCHEMAS[type].description,
  });
}

/** A success answer: its schema, with words for the reference. */
export function answer<S extends ZodType>(description: string, schema: S) {
  return { description, content: { 'application/json': { schema } } };
}

/** A success answer without a body (204). */
export const noContent = (description: string) => z.undefined().describe(description);

/** Which errors a route may answer besides those of every authenticated route. */
export interface ErrorSpec {
  /** Codes the route itself may raise. */
  codes?: ErrorCode[];
  /** The route validates params, query, headers or a body (INPUT_INVALID). */
  input?: boolean;
  /** The route takes a JSON body (BODY_TOO_LARGE, malformed JSON). */
  body?: boolean;
  /** Statuses this route gives some codes instead of the catalogue's (see http-errors.ts). */
  status?: Partial<Record<ErrorCode, number>>;
}

/**
 * Every /v1 route: keys and budgets are checked, the database may be briefly out, anything may
 * break. A call signed in by the web app's session cookie may also meet the CSRF checks (only a
 * change can, but the document lists them once for all).
 */
const ALWAYS: ErrorCode[] = [
  'AUTH_MISSING',
  'AUTH_INVALID',
  'AUTH_FORBIDDEN',
  'CSRF_TOKEN_INVALID',
  'CSRF_ORIGIN_FORBIDDEN',
  'RATE_LIMITED',
  'DATABASE_UNAVAILABLE',
  'INTERNAL',
];

/**
 * The error answers of one route, grouped by HTTP status as the one mapping decides, each
 * naming its possible codes, all with the shared Error schema.
 */
export function errorAnswers(spec: ErrorSpec = {}) {
  const codes = new Set<ErrorCode>([
    ...ALWAYS,
    ...(spec.input || spec.body ? (['INPUT_INVALID'] as const) : []),
    ...(spec.body ? (['BODY_TOO_LARGE'] as const) : []),
    ...(spec.codes ?? []),
  ]);
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = spec.status?.[code] ?? HTTP_STATUS[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<number, ReturnType<typeof answer<typeof errorSchema>>> = {};
  for (const [status, list] of [...byStatus].sort(([a], [b]) => a - b)) {
    const lines = list.map((c) => `\`${c}\`: ${ERROR_CODES[c]}`);
    out[status] = answer(lines.join(' '), errorSchema);
  }
  return out;
}

/**
 * Response schemas document the answers; they are not run on each answer. Encoding every answer
 * through zod costs about five times the JSON.stringify it wraps (≈25 µs for a message, on the
 * hot POST /v1/messages), and zod's default strips any field a schema forgot. Tests check the
 * real answers against the published document instead (test/e2e/openapi.test.ts).
 */
export const documentedOnlySerializer: FastifySerializerCompiler<unknown> = () => (data) =>
  JSON.stringify(data);

const SIGNATURE_HEADERS = [
  ['webhook-id', 'Unique per event; the same on every retry, so it deduplicates'],
  ['webhook-timestamp', 'Seconds since the epoch when this attempt was signed'],
  ['webhook-signature', 'v1,<base64 HMAC-SHA256 of "id.timestamp.body"> keyed with the whsec_ secret'],
] as const;

function webhooks() {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      type,
      {
        post: {
          tags: ['events'],
          summary: `${type}: ${EVENT_SCHEMAS[type].description ?? ''}`,
          description:
            'POSTed to every endpoint subscribed to this type (or to "*"), signed the Standard Webhooks way. ' +
            'Retried with exponential backoff until a 2xx answer, 15 attempts over about a day.',
          parameters: SIGNATURE_HEADERS.map(([name, description]) => ({
            name,
            in: 'header',
            required: true,
            description,
            schema: { type: 'string' },
          })),
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: { $ref: `#/components/schemas/${eventComponentName(type)}` } },
            },
          },
          responses: {
            '2XX': { description: 'Delivered' },
            default: { description: 'Not delivered: retried later' },
          },
        },
      },
    ]),
  );
}

/**
 * Named schemas as components and the events as webhooks. The zod provider emits an input
 * twin ("MessageInput") of every named schema; only those a request really uses are kept.
 */
export const openapiDocument: SwaggerTransformObject = (doc) => {
  const out = jsonSchemaTransformObject(doc) as {
    paths?: unknown;
    components?: { schemas?: Record<string, unknown> };
  };
  const all = out.components?.schemas ?? {};
  const schemas: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(all)) if (!name.endsWith('Input')) schemas[name] = schema;
  // Input twins referenced by the paths, then by the twins kept so far, until none is added.
  for (let added = true; added; ) {
    added = false;
    const used = JSON.stringify([out.paths ?? {}, schemas]);
    for (const [name, schema] of Object.entries(all)) {
      if (!(name in schemas) && used.includes(`"#/components/schemas/${name}"`)) {
        schemas[name] = schema;
        added = true;
      }
    }
  }
  return {
    ...out,
    components: { ...out.components, schemas },
    webhooks: webhooks(),
  } as ReturnType<SwaggerTransformObject>;
};
