/**
 * Meta's webhook endpoint. JSON is taken as raw bytes: the signature is over the bytes as sent,
 * and re-serialising parsed JSON would break it (Meta escapes non-ASCII as \uXXXX).
 *
 * Anyone can post here, so nothing is read before it must be: a request without a well-formed
 * X-Hub-Signature-256 is refused before its body is read, an address that keeps sending bad
 * signatures is refused outright for a while (AuthFailureLimiter), and bodies are capped.
 */
import type { FastifyPluginAsync } from 'fastify';
import { verifyHandshake } from '../../channels/whatsapp/handshake';
import { RecontactError } from '../../domain/errors';
import type { AuthFailureLimiter } from '../rate-limits';
import type { ApiDeps } from '../server';

/**
 * Meta documents webhook payloads of up to 3 MB (batched statuses and messages); a body refused
 * for its size is retried by Meta for days and then lost, so the cap is Meta's and no lower.
 * Unauthenticated bytes are bounded by the checks before the body instead.
 */
export const WEBHOOK_BODY_LIMIT = 3 * 1024 * 1024;

const SIGNATURE_FORMAT = /^sha256=[0-9a-fA-F]{64}$/;

function signatureHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export const whatsappWebhookRoutes =
  (deps: ApiDeps, authFailures: AuthFailureLimiter): FastifyPluginAsync =>
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
      if (first && !first.ok && first.status === 400) {
        const param = /^hub\.\w+/.exec(first.reason)?.[0] ?? 'hub.*';
        throw new RecontactError('INPUT_INVALID', `Webhook verification request: ${first.reason}`, {
          details: [{ path: `query.${param}`, message: first.reason.replace(/^hub\.\w+ /, '') }],
          hint: 'Meta sends hub.mode=subscribe, hub.verify_token and hub.challenge; this URL is for Meta’s handshake.',
        });
      }
      const reason = first && !first.ok ? first.reason : 'no account is configured';
      throw new RecontactError('WEBHOOK_VERIFY_FAILED', `Webhook verification failed: ${reason}`, {
        hint: 'The verify token in the Meta app dashboard must equal WHATSAPP_VERIFY_TOKEN.',
      });
    });

    app.post(
      '/webhooks/whatsapp',
      {
        schema: { hide: true },
        // Meta posts from few addresses at thousands a second; only bad signatures are limited.
        config: { rateLimit: false },
        onRequest: async (req, reply) => {
          await authFailures.check(req, reply);
          const sig = signatureHeader(req.headers['x-hub-signature-256']);
          if (sig === undefined || !SIGNATURE_FORMAT.test(sig)) {
            await authFailures.record(req, reply);
            throw new RecontactError(
              'WEBHOOK_SIGNATURE_INVALID',
              sig === undefined
                ? 'X-Hub-Signature-256 header is missing'
                : 'X-Hub-Signature-256 is not "sha256=" followed by 64 hex digits',
              { hint: 'Only Meta posts here; it signs every body with the app secret.' },
            );
          }
        },
      },
      async (req, reply) => {
        const raw = req.body as Buffer | undefined;
        if (!raw || raw.length === 0) {
          throw new RecontactError('WEBHOOK_PAYLOAD_INVALID', 'The webhook body is empty');
        }
        try {
          const accepted = await deps.ingest.accept(raw, signatureHeader(req.headers['x-hub-signature-256']));
          return reply.status(200).send({ received: accepted.items });
        } catch (err) {
          if (err instanceof RecontactError && err.code === 'WEBHOOK_SIGNATURE_INVALID') {
            await authFailures.record(req, reply);
          }
          throw err;
        }
      },
    );
  };
