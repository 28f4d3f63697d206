/**
 * CSV contact imports: the file is the body (Content-Type: text/csv), spooled to disk and
 * answered 202 with a job id; the job's progress, counts and rejects are read back by id.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ImportOptions } from '../../domain/contacts/csv-columns';
import { RecontactError } from '../../domain/errors';
import { isoTimeOrNull } from '../../domain/iso-time';
import { type CountryCode, isCountryCode } from '../../domain/phone';
import {
  acceptImport,
  type ImportService,
  type ImportView,
  importRejects,
  importView,
} from '../../engine/contacts/import/imports';
import { answer, errorAnswers } from '../openapi';
import type { ApiDeps } from '../server';

/**
 * The request body, unread: the route streams it to disk. Kept in a private field so that the
 * checks every body goes through (control characters) see an object with nothing to walk.
 */
class CsvUpload {
  readonly #stream: Readable;
  constructor(stream: Readable) {
    this.#stream = stream;
  }
  stream(): Readable {
    return this.#stream;
  }
}

const CSV_TYPES = ['text/csv', 'application/csv', 'text/plain'];

const repeated = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]));

const importQuery = z.object({
  account_id: z.string().optional(),
  tag: repeated.describe('Tag added to every imported contact; repeat for several'),
  map: repeated.describe('Column rename, "column=attribute" (or =name, =language…); repeat for several'),
  phone_column: z.string().min(1).max(200).default('phone').describe('Header of the phone column'),
  consent: z
    .enum(['opted-in'])
    .optional()
    .describe('opted-in: rows without an opted_out value record a marketing opt-in (contacts still unknown)'),
  default_country: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'must be a two-letter country code, e.g. AR')
    .optional()
    .describe('How to read numbers written without a country code, e.g. AR'),
  filename: z.string().max(255).optional().describe("The file's name, recorded as the consent evidence"),
});

const rejectSchema = z
  .object({
    line: z.number().int().describe('Line in the file, the header being line 1'),
    column: z.string().nullable().describe('Header of the column at fault; null for the record as a whole'),
    reason: z.string(),
    value: z.string().nullable().describe('The offending text, cut to 200 characters'),
  })
  .meta({ id: 'ImportReject' });

const importSchema = z
  .object({
    id: z.string(),
    account_id: z.string(),
    state: z.enum(['running', 'done', 'failed']),
    file: z.string().nullable(),
    created: z.number().int(),
    updated: z.number().int().describe('Existing contacts with something changed'),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    rows_read: z.number().int().describe('Records read so far (the header not counted)'),
    bytes_read: z.number().int(),
    size_bytes: z.number().int(),
    progress: z.number().describe('0 to 1, by bytes'),
    error: z
      .object({ code: z.string(), message: z.string() })
      .nullable()
      .describe('Why a failed import failed'),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    rejects: z.array(rejectSchema).describe('The first rejects, in file order'),
    rejects_next: z.string().nullable().describe('More rejects: GET /v1/imports/{id}/rejects?after=<this>'),
  })
  .meta({ id: 'Import' });

const idParams = z.object({ id: z.string().min(1).max(64) });
const rejectsQuery = z.object({
  account_id: z.string().optional(),
  after: z.coerce.number().int().min(0).default(0).describe('rejects_next of the previous page'),
  limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
});

const FIRST_PAGE = 100;

export const importRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const service = deps.imports as ImportService;
    (app as unknown as FastifyInstance).addContentTypeParser(CSV_TYPES, (_req, payload, done) =>
      done(null, new CsvUpload(payload)),
    );

    app.post(
      '/v1/contacts/import',
      {
        config: { role: 'sender', upload: true },
        schema: {
          tags: ['contacts'],
          summary: 'Import contacts from a CSV file',
          description:
            'The body is the CSV itself (Content-Type: text/csv; UTF-8 with or without BOM; "," or ";"). ' +
            'A header row names the columns: phone (or phone_column), optional name, language, time_zone, ' +
            'tags ("|" or ";" between tags), opted_out (true/false); every other column is an attribute. ' +
            'An upsert by phone: empty cells leave fields alone, tags are added, attributes merged. ' +
            'Answers 202 with the job id at once; bad rows never stop the good ones (see GET /v1/imports/{id}). ' +
            'A file that cannot be imported at all (not UTF-8 text, no phone column, a bad header) is refused with 422.',
          querystring: importQuery,
          consumes: ['text/csv'],
          body: z
            .any()
            .describe('The CSV file itself: UTF-8 (with or without BOM), "," or ";" between fields'),
          response: {
            202: answer('Accepted: the import runs in the background', z.object({ id: z.string() })),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'CSV_INVALID', 'BODY_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'],
            }),
          },
        },
      },
      async (req, reply) => {
        if (!(req.body instanceof CsvUpload)) {
          throw new RecontactError(
            'UNSUPPORTED_MEDIA_TYPE',
            `Content-Type "${String(req.headers['content-type'] ?? '').slice(0, 100)}" is not a CSV`,
            { hint: 'Send the file itself as the body with Content-Type: text/csv.' },
          );
        }
        const account = deps.accounts.resolve(req.query.account_id);
        const options = importOptions(req.query);
        const accepted = await acceptImport(service, {
          accountId: account.id,
          body: req.body.stream(),
          sourceName: req.query.filename ?? null,
          options,
        });
        return reply.status(202).send(accepted);
      },
    );

    app.get(
      '/v1/imports/:id',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: 'An import: state, counts, progress and its first rejects',
          params: idParams,
          querystring: z.object({ account_id: z.string().optional() }),
          response: {
            200: answer('The import now', importSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'IMPORT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return importJson(await importView(service.ctx, account.id, req.params.id, FIRST_PAGE));
      },
    );

    app.get(
      '/v1/imports/:id/rejects',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: "An import's rejects, a page at a time, in file order",
          params: idParams,
          querystring: rejectsQuery,
          response: {
            200: answer(
              'A page of rejects',
              z.object({ rejects: z.array(rejectSchema), next: z.string().nullable() }),
            ),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'IMPORT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const page = await importRejects(
          service.ctx,
          account.id,
          req.params.id,
          req.query.after,
          req.query.limit,
        );
        return { rejects: page.rejects.map(rejectJson), next: page.next === null ? null : String(page.next) };
      },
    );

    app.get(
      '/v1/imports/:id/rejects.csv',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: "An import's rejects as CSV (line, column, reason, value)",
          params: idParams,
          querystring: z.object({ account_id: z.string().optional() }),
          response: {
            200: {
              description: 'The stored rejects, header line first',
              content: { 'text/csv': { schema: z.string() } },
            },
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'IMPORT_NOT_FOUND'] }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { ctx } = service;
        // The first page checks the import exists before any byte is sent.
        const first = await importRejects(ctx, account.id, req.params.id, 0, 5_000);
        async function* lines() {
          yield 'line,column,reason,value\n';
          let page = first;
          for (;;) {
            yield page.rejects.map(rejectCsvLine).join('');
            if (page.next === null) return;
            page = await importRejects(ctx, account.id, req.params.id, page.next, 5_000);
          }
        }
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${req.params.id}-rejects.csv"`)
          .send(Readable.from(lines()) as never);
      },
    );
  };

/** The import's options from its query (the upload's, and the preview's, which takes the same ones). */
export function importOptions(
  q: Pick<z.infer<typeof importQuery>, 'map' | 'default_country' | 'phone_column' | 'tag'> & {
    consent?: z.infer<typeof importQuery>['consent'];
  },
): ImportOptions {
  const map: Record<string, string> = {};
  for (const [i, m] of q.map.entries()) {
    const at = m.indexOf('=');
    if (at <= 0 || at === m.length - 1) {
      throw new RecontactError('INPUT_INVALID', `map "${m.slice(0, 100)}" is not column=attribute`, {
        details: [{ path: `query.map[${i}]`, message: 'write it as column=attribute, e.g. Nombre=name' }],
      });
    }
    map[m.slice(0, at).trim()] = m.slice(at + 1).trim();
  }
  let defaultCountry: CountryCode | undefined;
  if (q.default_country !== undefined) {
    const code = q.default_country.toUpperCase();
    if (!isCountryCode(code)) {
      throw new RecontactError(
        'INPUT_INVALID',
        `default_country "${q.default_country}" is not a known country`,
        {
          details: [{ path: 'query.default_country', message: 'use a two-letter ISO code, e.g. AR, BR, MX' }],
        },
      );
    }
    defaultCountry = code;
  }
  return { phoneColumn: q.phone_column, map, tags: q.tag, consent: q.consent, defaultCountry };
}

function importJson(v: ImportView) {
  const j = v.job;
  const size = v.options.size;
  const bytes = Number(j.bytes_read);
  return {
    id: j.id,
    account_id: j.account_id,
    state: j.state,
    file: j.source_name,
    created: Number(j.created),
    updated: Number(j.updated),
    unchanged: Number(j.unchanged),
    rejected: Number(j.rejected),
    rows_read: Number(j.rows_read),
    bytes_read: bytes,
    size_bytes: size,
    progress: j.state === 'done' ? 1 : size > 0 ? Math.min(1, bytes / size) : 0,
    error: j.error_code ? { code: j.error_code, message: j.error_message ?? '' } : null,
    created_at: new Date(Number(j.created_at)).toISOString(),
    finished_at: isoTimeOrNull(j.finished_at === null ? null : Number(j.finished_at)),
    rejects: v.rejects.map(rejectJson),
    rejects_next: v.next === null ? null : String(v.next),
  };
}

function rejectJson(r: { line: number; column: string | null; reason: string; value: string | null }) {
  return { line: r.line, column: r.column, reason: r.reason, value: r.value };
}

function rejectCsvLine(r: { line: number; column: string | null; reason: string; value: string | null }) {
  return `${r.line},${csvCell(r.column ?? '')},${csvCell(r.reason)},${csvCell(r.value ?? '')}\n`;
}

function csvCell(text: string): string {
  // A leading = + - @ would be a formula to a spreadsheet: the value came from someone's file.
  const safe = /^[=@\t\r]|^[+-][^\d\s(]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}
