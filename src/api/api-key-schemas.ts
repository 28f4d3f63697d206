/** Requests and answers of the /v1/api-keys routes (OpenAPI at /docs). */
import { z } from 'zod';
import { ROLES } from '../engine/access/api-keys';

const expiresAt = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, like 2027-01-31T00:00:00Z' })
  .describe('When the key stops working (ISO 8601); it never expires when left out');

export const createKeyBody = z
  .object({
    name: z.string().min(1).max(100).describe('Who or what uses the key, e.g. "appointments bot"'),
    role: z.enum(ROLES).describe('viewer: read; sender: read and send; admin: everything, keys included'),
    expires_at: expiresAt.optional(),
  })
  .strict();

export const rotateKeyBody = z
  .object({
    expires_at: expiresAt
      .optional()
      .describe('When the new key stops working; by default it lives as long as the old one was given'),
  })
  .strict()
  // No body at all is the usual call: Fastify hands that to validation as null.
  .nullish();

export const keyIdParams = z.object({ id: z.string().min(1).max(100).describe('The key id, key_…') });

const isoTimeOrNull = z.iso.datetime().nullable();

export const apiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    prefix: z
      .string()
      .nullable()
      .describe(
        'The first characters of the key, to recognise it; null for keys made before prefixes were kept',
      ),
    status: z.enum(['active', 'expired', 'revoked']),
    created_at: z.iso.datetime(),
    last_used_at: isoTimeOrNull.describe('Approximate: recorded at most once a minute per process'),
    expires_at: isoTimeOrNull,
    revoked_at: isoTimeOrNull,
  })
  .meta({ id: 'ApiKey', description: 'An API key, without the key itself or its hash' });

export const createdKeySchema = apiKeySchema
  .extend({ key: z.string().describe('The key: shown this once, only its hash is stored') })
  .meta({ id: 'ApiKeyCreated', description: 'A new API key, with the key itself (shown once)' });

export const rotatedKeySchema = createdKeySchema
  .extend({ replaces: z.string().describe('The id of the key this one replaces, now revoked') })
  .meta({ id: 'ApiKeyRotated', description: 'The replacement key (shown once); the old key is revoked' });

export const keyListSchema = z.object({ data: z.array(apiKeySchema) });
