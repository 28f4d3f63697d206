import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { isoTimeOrNull } from '../../domain/iso-time';
import { contactWindow } from '../../engine/contacts/contact-window';
import { answer, errorAnswers } from '../openapi';
import { accountQuery, windowParams, windowSchema } from '../schemas';
import type { ApiDeps } from '../server';

export const contactRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/v1/contacts/:contact/window',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: "A contact's customer-service window",
          description:
            'Open until 24 h after the last inbound message; outbound messages never extend it. ' +
            'A number that never wrote has a closed window (known: false).',
          params: windowParams,
          querystring: accountQuery,
          response: {
            200: answer('The window now', windowSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const found = await contactWindow(deps.ctx, account.id, req.params.contact);
        const w = found.window;
        return {
          known: found.contact !== undefined,
          contact_id: found.contact?.id ?? null,
          wa_id: found.waId,
          account_id: account.id,
          open: w.open,
          expires_at: isoTimeOrNull(w.expiresAt),
          last_inbound_at: isoTimeOrNull(w.lastInboundAt),
          remaining_seconds: Math.max(0, Math.floor(w.remainingMs / 1000)),
          now: new Date(found.now).toISOString(),
        };
      },
    );
  };
