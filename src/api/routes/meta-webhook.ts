/**
 * Meta's webhook endpoints, one pair per channel (Meta posts each product's webhooks to the URL
 * subscribed for it):
 *   /webhooks/{channel}            every account's app secret and verify token; the items are
 *                                  routed by the ids in the payload (one Meta app, many numbers);
 *   /webhooks/{channel}/{account}  that account's app secret and verify token only (id or name).
 * A body on an account's path may still name other accounts' ids: its items are routed by those
 * ids, as on the shared path, because one Meta app signs for all of its numbers and pages.
 *
 * JSON is taken as raw bytes: the signature is over the bytes as sent, and re-serialising parsed
 * JSON would break it (Meta escapes non-ASCII as \uXXXX). Anyone can post here, so nothing is
 * read before it must be: a request without a well-formed X-Hub-Signature-256 (or naming no
 * account) is refused before its body is read, an address that keeps failing is refused
 * outright for a while (AuthFailureLimiter), and bodies are capped.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { verifyHandshake } from '../../channels/graph/handshake';
import { CHANNEL_KINDS, type ChannelKind } from '../../domain/channels/channel-kind';
import { RecontactError } from '../../domain/errors';
import type { AccountWithLimits } from '../../engine/accounts';
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

const accountParam = (req: FastifyRequest): string | undefined =>
  (req.params as { account?: string } | undefined)?.account;

export const metaWebhookRoutes =
  (deps: ApiDeps, authFailures: AuthFailureLimiter): FastifyPluginAsync =>
  async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
      done(null, body),
    );

    /**
     * The account a path names, of the path's channel. One made by another process a moment
     * ago is found after a (throttled) reload.
     */
    async function accountOf(kind: ChannelKind, name: string): Promise<AccountWithLimits> {
      let a = deps.accounts.find(name);
      if (!a && (await deps.accounts.refreshSoon())) a = deps.accounts.find(name);
      if (!a) {
        throw new RecontactError('ACCOUNT_NOT_FOUND', `No channel account "${name}" receives webhooks here`, {
          details: [{ path: 'account', message: 'is neither the id nor the name of a channel account' }],
          hint: `Subscribe Meta to /webhooks/${kind}/{name} with the name of one of your ${kind} accounts (GET /v1/channel-accounts).`,
        });
      }
      if (a.channel !== kind) {
        throw new RecontactError(
          'ACCOUNT_NOT_FOUND',
          `Channel account "${a.name}" is a ${a.channel} account, not a ${kind} one`,
          {
            details: [{ path: 'account', message: `its webhook path is /webhooks/${a.channel}/${a.name}` }],
            hint: `Subscribe Meta's ${a.channel} product to /webhooks/${a.channel}/${a.name}.`,
          },
        );
      }
      return a;
    }

    const handshake = (kind: ChannelKind) => async (req: FastifyRequest, reply: FastifyReply) => {
      const query = req.query as Record<string, unknown>;
      const name = accountParam(req);
      const account = name === undefined ? undefined : await accountOf(kind, name);
      // Every account's token on the shared path: one Meta app may subscribe several products.
      const results = () =>
        (account ? [deps.accounts.get(account.id) ?? account] : deps.accounts.all()).map((a) =>
          verifyHandshake(query, a.verifyToken),
        );
      let checked = results();
      // A token set a moment ago in another process: read the accounts again before refusing.
      if (!checked.some((r) => r.ok) && (await deps.accounts.refreshSoon())) checked = results();
      const ok = checked.find((r) => r.ok);
      if (ok?.ok) return reply.type('text/plain').send(ok.challenge);
      const first = checked[0];
      if (first && !first.ok && first.status === 400) {
        const param = /^hub\.\w+/.exec(first.reason)?.[0] ?? 'hub.*';
        throw new RecontactError('INPUT_INVALID', `Webhook verification request: ${first.reason}`, {
          details: [{ path: `query.${param}`, message: first.reason.replace(/^hub\.\w+ /, '') }],
          hint: 'Meta sends hub.mode=subscribe, hub.verify_token and hub.challenge; this URL is for Meta’s handshake.',
        });
      }
      const reason = first && !first.ok ? first.reason : 'no account is configured';
      throw new RecontactError('WEBHOOK_VERIFY_FAILED', `Webhook verification failed: ${reason}`, {
        hint: account
          ? `The verify token in the Meta app dashboard must equal the verify_token of account "${account.name}".`
          : 'The verify token in the Meta app dashboard must equal the verify_token of one of the accounts (WHATSAPP_VERIFY_TOKEN, the config file, or the API).',
      });
    };

    /** The account a POST's path names, found before its body is read. */
    const pathAccount = new WeakMap<FastifyRequest, AccountWithLimits>();

    const checkBeforeBody = (kind: ChannelKind) => async (req: FastifyRequest, reply: FastifyReply) => {
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
      const name = accountParam(req);
      if (name === undefined) return;
      try {
        pathAccount.set(req, await accountOf(kind, name));
      } catch (err) {
        // Meta only posts to paths it was given: a wrong one is a probe or a typo.
        await authFailures.record(req, reply);
        throw err;
      }
    };

    const receive = (kind: ChannelKind) => async (req: FastifyRequest, reply: FastifyReply) => {
      const account = pathAccount.get(req);
      const raw = req.body as Buffer | undefined;
      if (!raw || raw.length === 0) {
        throw new RecontactError('WEBHOOK_PAYLOAD_INVALID', 'The webhook body is empty');
      }
      try {
        const accepted = await deps.ingest.accept(
          raw,
          signatureHeader(req.headers['x-hub-signature-256']),
          kind,
          account ? { accountId: account.id } : {},
        );
        return reply.status(200).send({ received: accepted.items });
      } catch (err) {
        if (err instanceof RecontactError && err.code === 'WEBHOOK_SIGNATURE_INVALID') {
          await authFailures.record(req, reply);
        }
        throw err;
      }
    };

    for (const kind of CHANNEL_KINDS) {
      for (const path of [`/webhooks/${kind}`, `/webhooks/${kind}/:account`]) {
        app.get(path, { schema: { hide: true } }, handshake(kind));
        app.post(
          path,
          {
            schema: { hide: true },
            // Meta posts from few addresses at thousands a second; only bad signatures are limited.
            config: { rateLimit: false },
            onRequest: checkBeforeBody(kind),
          },
          receive(kind),
        );
      }
    }
  };
