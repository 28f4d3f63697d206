/**
 * /v1/channel-accounts (admin role): WhatsApp numbers and Messenger pages. Secrets go in and
 * never come out: every answer carries `secret_fingerprint` instead. DELETE disables (the rows
 * stay, their contacts and messages point at them). Each change reloads this process's cache;
 * other processes see it within ten seconds, or at once when a webhook needs it.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { secretFingerprint, webhookPath } from '../../domain/channels/account-rules';
import { redactUrl } from '../../domain/redact-url';
import {
  changeChannelAccount,
  createChannelAccount,
  disableChannelAccount,
  getChannelAccount,
  listChannelAccounts,
} from '../../engine/account-admin';
import type { AccountWithLimits } from '../../engine/accounts';
import {
  accountListSchema,
  accountParams,
  accountViewSchema,
  createAccountBody,
  patchAccountBody,
} from '../channel-account-schemas';
import { answer, errorAnswers } from '../openapi';
import type { ApiDeps } from '../server';

const iso = (ms: number) => new Date(ms).toISOString();

/** A base URL without what might be a credential (user:password@, query values). */
function shownUrl(url: string): string {
  const r = redactUrl(url);
  return r === `${url}/` ? url : r;
}

export function accountView(a: AccountWithLimits) {
  const common = {
    id: a.id,
    name: a.name,
    throughput_mps: a.throughputMps,
    base_url: shownUrl(a.baseUrl),
    graph_version: a.graphVersion,
    disabled: a.disabledAt !== null,
    disabled_at: a.disabledAt === null ? null : iso(a.disabledAt),
    source: a.source,
    secret_fingerprint: secretFingerprint(a),
    webhook_path: webhookPath(a.channel, a.name),
    created_at: iso(a.createdAt),
    updated_at: iso(a.updatedAt),
  };
  return a.channel === 'whatsapp'
    ? {
        channel: 'whatsapp' as const,
        phone_number_id: a.externalId,
        waba_id: a.wabaId,
        messaging_limit: a.messagingLimit,
        ...common,
      }
    : { channel: 'messenger' as const, page_id: a.externalId, ...common };
}

export const channelAccountRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const opts = { allowPrivateTargets: deps.allowPrivateTargets === true };

    app.post(
      '/v1/channel-accounts',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Add a WhatsApp number or a Messenger page',
          description:
            'Secrets are encrypted at rest and never returned; the answer shows `secret_fingerprint` and the ' +
            'account’s own webhook path. `base_url` follows the same rules as a webhook URL (no private address ' +
            'unless RECONTACT_ALLOW_PRIVATE_TARGETS).',
          body: createAccountBody,
          response: {
            201: answer('Created', accountViewSchema),
            ...errorAnswers({ body: true, codes: ['ACCOUNT_CONFLICT'] }),
          },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const created = await createChannelAccount(
          deps.ctx,
          deps.accounts,
          b.channel === 'whatsapp'
            ? {
                channel: 'whatsapp',
                name: b.name,
                externalId: b.phone_number_id,
                wabaId: b.waba_id,
                accessToken: b.access_token,
                appSecret: b.app_secret,
                verifyToken: b.verify_token,
                throughputMps: b.throughput_mps,
                messagingLimit: b.messaging_limit,
                baseUrl: b.base_url,
                graphVersion: b.graph_version,
              }
            : {
                channel: 'messenger',
                name: b.name,
                externalId: b.page_id,
                wabaId: null,
                accessToken: b.page_token,
                appSecret: b.app_secret,
                verifyToken: b.verify_token,
                throughputMps: b.throughput_mps,
                messagingLimit: null,
                baseUrl: b.base_url,
                graphVersion: b.graph_version,
              },
          opts,
        );
        return reply.status(201).send(accountView(created));
      },
    );

    app.get(
      '/v1/channel-accounts',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Every channel account, disabled ones included, oldest first',
          response: { 200: answer('Every account, without secrets', accountListSchema), ...errorAnswers() },
        },
      },
      async () => ({ data: (await listChannelAccounts(deps.ctx, deps.accounts)).map(accountView) }),
    );

    app.get(
      '/v1/channel-accounts/:account',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'One channel account, by id or name',
          params: accountParams,
          response: {
            200: answer('The account, without secrets', accountViewSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => accountView(await getChannelAccount(deps.ctx, deps.accounts, req.params.account)),
    );

    app.patch(
      '/v1/channel-accounts/:account',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Change a channel account (only the fields given), or disable or enable it',
          description:
            'The phone-number id or page id cannot change. Accounts declared in the config file or the ' +
            'WHATSAPP_* variables accept only `disabled` (ACCOUNT_READ_ONLY otherwise): their file or ' +
            'variables set the rest at every start.',
          params: accountParams,
          body: patchAccountBody,
          response: {
            200: answer('The account as it is now', accountViewSchema),
            ...errorAnswers({
              body: true,
              codes: ['ACCOUNT_NOT_FOUND', 'ACCOUNT_CONFLICT', 'ACCOUNT_READ_ONLY'],
            }),
          },
        },
      },
      async (req) =>
        accountView(await changeChannelAccount(deps.ctx, deps.accounts, req.params.account, req.body, opts)),
    );

    app.delete(
      '/v1/channel-accounts/:account',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Disable a channel account (nothing is deleted)',
          description:
            'The account sends nothing more and takes no new work; its contacts, messages and campaigns stay, ' +
            'and it still receives webhooks for what it sent. Enable it again with PATCH {"disabled": false}.',
          params: accountParams,
          response: {
            200: answer('The account, disabled', accountViewSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => accountView(await disableChannelAccount(deps.ctx, deps.accounts, req.params.account)),
    );
  };
