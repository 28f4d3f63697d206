/**
 * A campaign's recipients, page by page as JSON, or all of them as CSV (streamed: rows are read
 * a thousand at a time while the answer goes out, so a 100,000-recipient export never sits in
 * memory). The CSV is asked for by its own path (`/recipients.csv`) or by `Accept: text/csv` on
 * the list; either way it is the whole list of the states asked for (`limit` and `cursor` are
 * for pages).
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { findCampaign } from '../../engine/campaigns/campaigns';
import {
  listRecipientViews,
  RECIPIENT_CSV_COLUMNS,
  type RecipientFilter,
  recipientCsv,
} from '../../engine/campaigns/results';
import {
  campaignParams,
  listRecipientsQuery,
  recipientListSchema,
  recipientsCsvQuery,
} from '../campaign-schemas';
import { errorAnswers } from '../openapi';
import { encodeCursor } from '../schemas';
import type { ApiDeps } from '../server';

const CSV_DESCRIPTION =
  `Columns: ${RECIPIENT_CSV_COLUMNS.join(', ')}; a header line first; times ISO 8601 UTC. ` +
  "A cell that starts with = + - @, a tab or a carriage return is prefixed with ' so that a spreadsheet reads it as text.";

const csvContent = { 'text/csv': { schema: z.string() } };

function wantsCsv(accept: string | undefined): boolean {
  return accept !== undefined && /(^|,)\s*(text\/csv)\s*(;|,|$)/i.test(accept);
}

export const campaignResultRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const sendCsv = async (
      reply: FastifyReply,
      accountId: string,
      id: string,
      states: readonly RecipientFilter[] | undefined,
    ) => {
      // Found before the first byte: a missing campaign is a 404, not an empty file.
      const record = await findCampaign(deps.ctx, accountId, id);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${record.id}-recipients.csv"`)
        .send(
          Readable.from(
            recipientCsv(deps.ctx.store.db, record.id, states, deps.accounts.get(accountId)?.channel),
          ) as never,
        );
    };

    app.get(
      '/v1/campaigns/:id/recipients',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['campaigns'],
          summary: "A campaign's recipients, page by page, with each one's state and reason",
          description:
            'Keyset-paged in contact id order: pass `next_cursor` as `cursor` until it is null. `state` filters by one ' +
            'state or several (state=failed,expired; "replied" for anyone who answered). A queued recipient shows its ' +
            "message's status. With `Accept: text/csv` the answer is the whole list as CSV (as /recipients.csv). " +
            CSV_DESCRIPTION,
          params: campaignParams,
          querystring: listRecipientsQuery,
          response: {
            200: {
              description: 'One page of recipients (or, for Accept: text/csv, all of them as CSV)',
              content: { 'application/json': { schema: recipientListSchema }, ...csvContent },
            },
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'CAMPAIGN_NOT_FOUND'] }),
          },
        },
      },
      async (req, reply) => {
        const q = req.query;
        const account = deps.accounts.resolve(q.account_id);
        if (wantsCsv(req.headers.accept)) return sendCsv(reply, account.id, req.params.id, q.state);
        const record = await findCampaign(deps.ctx, account.id, req.params.id);
        const page = await listRecipientViews(deps.ctx.store.db, record.id, {
          states: q.state,
          after: q.cursor,
          limit: q.limit,
          channel: account.channel,
        });
        return {
          data: page.data,
          next_cursor: page.nextAfter === null ? null : encodeCursor(page.nextAfter),
        };
      },
    );

    app.get(
      '/v1/campaigns/:id/recipients.csv',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['campaigns'],
          summary: "A campaign's recipients as CSV, streamed",
          description: `Every recipient (of the states in \`state\`, if given) in contact id order. ${CSV_DESCRIPTION}`,
          params: campaignParams,
          querystring: recipientsCsvQuery,
          response: {
            200: { description: 'The recipients, header line first', content: csvContent },
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'CAMPAIGN_NOT_FOUND'] }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return sendCsv(reply, account.id, req.params.id, req.query.state);
      },
    );
  };
