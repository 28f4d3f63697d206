/**
 * POST /v1/contacts/import/preview: what an import would make of a file, from its first 64 KiB,
 * before anything is uploaded or written: each column's target under the mapping given, and the
 * first rows with the reason each would be rejected. The web app's column mapping is built on it.
 */
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RecontactError } from '../../domain/errors';
import { PREVIEW_MAX_BYTES, previewImport } from '../../engine/contacts/import/import-preview';
import { importPreviewQuery, importPreviewSchema } from '../conversation-list-schemas';
import { answer, errorAnswers } from '../openapi';
import type { ApiDeps } from '../server';
import { importOptions } from './imports';

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];

export const importPreviewRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    (app as unknown as FastifyInstance).addContentTypeParser(
      CSV_TYPES,
      { parseAs: 'buffer', bodyLimit: PREVIEW_MAX_BYTES },
      (_req, body, done) => done(null, body),
    );

    app.post(
      '/v1/contacts/import/preview',
      {
        config: { role: 'sender' },
        bodyLimit: PREVIEW_MAX_BYTES,
        schema: {
          tags: ['contacts'],
          summary: 'Preview a CSV import: what each column becomes, and the first rows as they would be read',
          description:
            `The body is the file's beginning, at most ${PREVIEW_MAX_BYTES / 1024} KiB (Content-Type: text/csv); ` +
            "pass complete=true when it is the whole file. The query takes the import's own options (map, " +
            'phone_column, tag, default_country), so a mapping can be tried before the upload. A header the ' +
            'import would refuse answers 200 with `problem` (what POST /v1/contacts/import would answer as ' +
            '422); a file no mapping can import (empty, binary, not UTF-8, no header) is 422 CSV_INVALID. ' +
            'Nothing is written.',
          querystring: importPreviewQuery,
          consumes: ['text/csv'],
          body: z.any().describe("The file's first bytes"),
          response: {
            200: answer('What the import would do with these columns and rows', importPreviewSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'CSV_INVALID', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'],
            }),
          },
        },
      },
      async (req) => {
        const body = req.body as unknown;
        if (body !== undefined && !Buffer.isBuffer(body)) {
          throw new RecontactError(
            'UNSUPPORTED_MEDIA_TYPE',
            `Content-Type "${String(req.headers['content-type'] ?? '').slice(0, 100)}" is not a CSV`,
            { hint: "Send the file's first bytes as the body with Content-Type: text/csv." },
          );
        }
        deps.accounts.resolve(req.query.account_id);
        const q = req.query;
        return previewImport(body ?? Buffer.alloc(0), importOptions(q), {
          complete: q.complete,
          rows: q.rows,
        });
      },
    );
  };
