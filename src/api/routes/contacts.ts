import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { RecontactError } from '../../domain/errors';
import { normalizePhone } from '../../domain/phone';
import { windowState } from '../../domain/window';
import { findContact } from '../../store/contacts-repo';
import { answer, errorAnswers } from '../openapi';
import { accountQuery, windowParams, windowSchema } from '../schemas';
import type { ApiDeps } from '../server';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

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
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const { db } = deps.ctx.store;
        const c = req.params.contact;
        const contact = c.startsWith('ctc_')
          ? await db.selectFrom('contacts').selectAll().where('id', '=', c).executeTakeFirst()
          : await findContact(db, account.id, normalizePhone(c).waId);
        if (!contact && c.startsWith('ctc_')) {
          throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${c}"`, {
            hint: 'Contact ids (ctc_…) come from events; a phone number that never wrote answers known: false instead.',
          });
        }
        const now = deps.ctx.clock();
        const w = windowState(contact?.last_inbound_at ?? null, now);
        return {
          known: contact !== undefined,
          contact_id: contact?.id ?? null,
          wa_id: contact?.wa_id ?? (c.startsWith('ctc_') ? null : normalizePhone(c).waId),
          account_id: account.id,
          open: w.open,
          expires_at: iso(w.expiresAt),
          last_inbound_at: iso(contact?.last_inbound_at ?? null),
          remaining_seconds: Math.max(0, Math.floor(w.remainingMs / 1000)),
          now: new Date(now).toISOString(),
        };
      },
    );
  };
