/**
 * Events a bot can read back: GET /v1/events (past events by position), GET /v1/events/stream
 * (Server-Sent Events, resumable with Last-Event-ID), POST /v1/webhook-endpoints/{id}/replay
 * and GET /v1/webhook-endpoints/{id}/deliveries (the delivery log with every attempt).
 */
import { once } from 'node:events';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RecontactError } from '../../domain/errors';
import {
  currentPosition,
  deliveryLog,
  EVENTS_PAGE_MAX,
  listEvents,
  parseTypes,
  replayToEndpoint,
  resolveCursor,
  streamPage,
} from '../../engine/events/replay';
import { EVENT_TYPES } from '../../engine/events/schemas';
import type { EventSequencer } from '../../engine/events/sequencer';
import type { EventStreamHub } from '../../engine/events/stream';
import { answer, errorAnswers } from '../openapi';
import type { ApiDeps } from '../server';

export interface EventRouteDeps {
  sequencer: EventSequencer;
  stream: EventStreamHub;
}

const cursorText = z
  .string()
  .max(64)
  .describe('A position (e.g. 1234) or an event id (evt_…): events after it');
const typesText = z
  .string()
  .max(2_000)
  .describe(`Comma-separated event types (${EVENT_TYPES.slice(0, 3).join(', ')}, …); all when absent`);

const envelopeSchema = z
  .object({
    id: z.string(),
    type: z.enum(EVENT_TYPES),
    timestamp: z.string(),
    position: z.number().int(),
    ordering_key: z.string().nullable(),
    contact_id: z.string().nullable(),
    sequence: z.number().int().nullable(),
    replay: z.boolean(),
    data: z.record(z.string(), z.unknown()).describe('The payload: see the webhooks of this document'),
  })
  .meta({ id: 'EventEnvelope', description: 'An event as the bot receives it (webhook body, stream data)' });

const eventPageSchema = z.object({
  data: z.array(envelopeSchema),
  next_after: z
    .number()
    .int()
    .describe('Pass as `after` to read on; the current end when nothing was listed'),
  has_more: z.boolean().describe('The page is full: more may follow at once'),
});

const positionOrText = z.union([z.number().int().min(0), z.string().max(64)]);
const replayBody = z.strictObject({
  after: positionOrText.describe('Position, event id (evt_…) or ISO 8601 time: events after it'),
  until: positionOrText
    .optional()
    .describe('Position, event id or ISO 8601 time: events up to and including it; now when absent'),
  types: z
    .array(z.string().max(64))
    .max(100)
    .optional()
    .describe("Only these types; the endpoint's own when absent"),
});
const replayAnswer = z.object({
  endpoint_id: z.string(),
  after: z.number().int().describe('The range as positions: after < position ≤ until'),
  until: z.number().int(),
  replayed: z.number().int().describe('Deliveries made (marked replay: true, same event ids)'),
});

const attemptSchema = z.object({
  attempt: z.number().int(),
  started_at: z.string(),
  duration_ms: z.number().int(),
  status_code: z.number().int().nullable().describe("The endpoint's HTTP status; null: no answer"),
  outcome: z.string().describe('delivered | failed'),
  error: z.string().nullable().describe('What went wrong, with an excerpt of the answer (300 characters)'),
});
const deliveryPageSchema = z.object({
  data: z.array(
    z.object({
      id: z.string().describe('The delivery (dlv_…)'),
      event_id: z.string(),
      type: z.string(),
      position: z.number().int().nullable(),
      ordering_key: z.string().nullable(),
      sequence: z.number().int().nullable(),
      replay: z.boolean(),
      status: z.enum(['pending', 'delivered', 'failed']),
      attempts: z.number().int(),
      next_attempt_at: z.string().nullable().describe('pending: when it is tried next (if its turn came)'),
      last_error: z.string().nullable(),
      created_at: z.string(),
      delivered_at: z.string().nullable(),
      attempt_log: z.array(attemptSchema),
    }),
  ),
  next_before: z.string().nullable().describe('Pass as `before` for older deliveries'),
});

export const eventRoutes =
  (deps: ApiDeps, ev: EventRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx } = deps;

    app.get(
      '/v1/events',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['events'],
          summary: 'Past events, by position (kept EVENT_RETENTION, 30 days by default)',
          description:
            'The same envelopes the webhooks carry. Read on with `after` = `next_after`. Positions follow the ' +
            'order events were committed, so reading after the last position you saw never skips one.',
          querystring: z.strictObject({
            after: cursorText.optional().describe('A position or event id; from the oldest kept when absent'),
            type: typesText.optional(),
            contact: z.string().max(64).optional().describe('Only the events about this contact (ctc_…)'),
            limit: z.coerce.number().int().min(1).max(EVENTS_PAGE_MAX).default(100),
          }),
          response: {
            200: answer('Events after the cursor, oldest first', eventPageSchema),
            ...errorAnswers({ input: true }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const types = parseTypes(q.type, 'query.type');
        const after =
          q.after === undefined ? 0 : await resolveCursor(ctx, q.after, 'query.after', { times: false });
        return listEvents(ctx, ev.sequencer, {
          after,
          limit: q.limit,
          ...(types ? { types } : {}),
          ...(q.contact ? { contactId: q.contact } : {}),
        });
      },
    );

    app.get(
      '/v1/events/stream',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['events'],
          summary: 'Live events as Server-Sent Events (resumable with Last-Event-ID)',
          description:
            'Each event is `id: <position>`, `event: <type>`, `data: <envelope>`. Reconnect with the ' +
            'Last-Event-ID header (browsers do it themselves) or `?after=` to receive exactly what you missed; ' +
            'without either the stream starts with the next event. A comment line every 15 s keeps it open.',
          querystring: z.strictObject({
            after: cursorText.optional(),
            type: typesText.optional(),
          }),
          headers: z.object({ 'last-event-id': cursorText.optional() }),
          response: {
            200: {
              description: 'A text/event-stream that stays open',
              content: { 'text/event-stream': { schema: z.string() } },
            },
            ...errorAnswers({ input: true }),
          },
        },
      },
      async (req, reply) => {
        const types = parseTypes(req.query.type, 'query.type');
        const header = req.headers['last-event-id'];
        const given = header ?? req.query.after;
        const where = header !== undefined ? 'header Last-Event-ID' : 'query.after';
        // Without a cursor: from the next event on.
        if (given === undefined) await ev.sequencer.run();
        const start =
          given === undefined
            ? await currentPosition(ctx)
            : await resolveCursor(ctx, given, where, { times: false });
        const raw = reply.raw;
        let closed = false;
        let onClosed: () => void = () => {};
        const closedSignal = new Promise<void>((resolve) => {
          onClosed = resolve;
        });
        const slot = ev.stream.acquire(() => {
          closed = true;
          onClosed();
          raw.end();
        });
        if (!slot) {
          throw new RecontactError('RATE_LIMITED', 'Too many event streams are open on this server', {
            hint: `At most ${ev.stream.opts.maxStreams} streams at once per process; close one, or read GET /v1/events instead.`,
            data: { retry_after_seconds: 5 },
          });
        }
        reply.hijack();
        raw.on('close', () => {
          closed = true;
          onClosed();
        });
        raw.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
          'x-content-type-options': 'nosniff',
        });
        /** Writes, then waits while the client has not taken what was written (bounded memory). */
        const write = async (chunk: string) => {
          if (closed) return;
          if (!raw.write(chunk)) await Promise.race([once(raw, 'drain'), closedSignal]);
        };
        try {
          await write(`retry: 2000\n: events after position ${start}\n\n`);
          let cursor = start;
          const page = ev.stream.opts.pageSize;
          while (!closed) {
            const next = await streamPage(ctx, { after: cursor, limit: page, ...(types ? { types } : {}) });
            for (const e of next.events) {
              await write(`id: ${e.position}\nevent: ${e.type}\ndata: ${JSON.stringify(e.envelope)}\n\n`);
            }
            cursor = next.cursor;
            if (next.full) continue;
            const news = await Promise.race([
              ev.stream.waitForNews(cursor, ev.stream.opts.keepAliveMs),
              closedSignal.then(() => false),
            ]);
            if (!news) await write(': keep-alive\n\n');
          }
        } catch (err) {
          req.log.warn({ err }, 'event stream ended by an error');
        } finally {
          slot.release();
          if (!raw.writableEnded) raw.end();
        }
      },
    );

    app.post(
      '/v1/webhook-endpoints/:id/replay',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['events'],
          summary: 'Deliver a range of past events to an endpoint again',
          description:
            'New deliveries, marked `replay: true`, with the same event ids (webhook-id), so the bot can ' +
            'deduplicate. They follow the same order rules as live events (per key, by position).',
          params: z.object({ id: z.string().max(64) }),
          body: replayBody,
          response: {
            202: answer('Queued: how many deliveries were made', replayAnswer),
            ...errorAnswers({ body: true, codes: ['WEBHOOK_ENDPOINT_NOT_FOUND'] }),
          },
        },
      },
      async (req, reply) => {
        const r = await replayToEndpoint(ctx, ev.sequencer, req.params.id, req.body);
        return reply.status(202).send(r);
      },
    );

    app.get(
      '/v1/webhook-endpoints/:id/deliveries',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['events'],
          summary: "An endpoint's delivery log: each delivery with its attempts",
          params: z.object({ id: z.string().max(64) }),
          querystring: z.strictObject({
            status: z.enum(['pending', 'delivered', 'failed']).optional(),
            before: z.string().max(64).optional().describe('`next_before` of the previous page'),
            limit: z.coerce.number().int().min(1).max(200).default(50),
          }),
          response: {
            200: answer('Newest first', deliveryPageSchema),
            ...errorAnswers({ input: true, codes: ['WEBHOOK_ENDPOINT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        return deliveryLog(ctx, req.params.id, {
          limit: q.limit,
          ...(q.status ? { status: q.status } : {}),
          ...(q.before ? { before: q.before } : {}),
        });
      },
    );
  };
