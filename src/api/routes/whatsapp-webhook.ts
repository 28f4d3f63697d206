/**
 * Meta's webhook endpoint. JSON is taken as raw bytes: the signature is over the bytes as sent,
 * and re-serialising parsed JSON would break it (Meta escapes non-ASCII as \uXXXX).
 */
import type { FastifyPluginAsync } from 'fastify';
import { verifyHandshake } from '../../channels/whatsapp/handshake';
import { RecontactError } from '../../domain/errors';
import type { ApiDeps } from '../server';

/** Meta's payloads reach about 3 MB; leave headroom. */
const WEBHOOK_BODY_LIMIT = 4 * 1024 * 1024;

export const whatsappWebhookRoutes =
  (deps: ApiDeps): FastifyPluginAsync =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    app.get('/webhooks/whatsapp', { schema: { hide: true } }, async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      const tokens = deps.accounts.all().map((a) => a.verifyToken);
      for (const token of tokens) {
        const r = verifyHandshake(query, token);
        if (r.ok) return reply.type('text/plain').send(r.challenge);
      }
      const first = tokens.length ? verifyHandshake(query, tokens[0]!) : undefined;
      const reason = first && !first.ok ? first.reason : 'no account is configured';
      throw new RecontactError('WEBHOOK_VERIFY_FAILED', `Webhook verification failed: ${reason}`, {
        hint: 'The verify token in the Meta app dashboard must equal WHATSAPP_VERIFY_TOKEN.',
      });
    });

    app.post('/webhooks/whatsapp', { schema: { hide: true } }, async (req, reply) => {
      const raw = req.body as Buffer | undefined;
      if (!raw || raw.length === 0) {
        throw new RecontactError('WEBHOOK_PAYLOAD_INVALID', 'The webhook body is empty');
      }
      const sig = req.headers['x-hub-signature-256'];
      const accepted = await deps.ingest.accept(raw, Array.isArray(sig) ? sig[0] : sig);
      return reply.status(200).send({ received: accepted.items });
    });
  };
