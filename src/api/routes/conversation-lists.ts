/**
 * The agent's views across contacts: who is waiting for an answer, whose window closes soon,
 * and one contact's thread both ways in order. They answer what the web app's Conversations and
 * Contacts pages show, through the public API like everything else.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { contactThread } from '../../engine/conversations/contact-thread';
import { listClosing, listWaiting } from '../../engine/conversations/conversation-lists';
import { contactParams } from '../contact-schemas';
import {
  closingListQuery,
  conversationPageSchema,
  threadQuery,
  threadSchema,
  waitingListQuery,
} from '../conversation-list-schemas';
import { answer, errorAnswers } from '../openapi';
import type { ApiDeps } from '../server';

export const conversationListRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx } = deps;

    app.get(
      '/v1/conversations/waiting',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['conversations'],
          summary: 'Contacts waiting for an answer (an active waiting mark), longest wait first',
          description:
            'Every contact of the account whose conversation is marked waiting (states waiting, resume_sent, ' +
            'resumed: not yet cleared), with its mark (reason, question, resume rule), its window, its latest ' +
            'message and how many answers are held for it. Keyset-paged: pass `next_cursor` as `cursor`.',
          querystring: waitingListQuery,
          response: {
            200: answer('One page of waiting conversations', conversationPageSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return listWaiting(ctx, account.id, {
          limit: req.query.limit,
          ...(req.query.cursor ? { cursor: req.query.cursor } : {}),
        });
      },
    );

    app.get(
      '/v1/conversations/closing',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['conversations'],
          summary: 'Open windows that close soon, soonest first',
          description:
            'Contacts whose 24-hour window is open now and closes within `within` (default PT4H): the last ' +
            'moment for a free-form answer before only a template reaches them. Each with its window, its ' +
            'waiting mark if any, its latest message and its held answers. Keyset-paged by closing time.',
          querystring: closingListQuery,
          response: {
            200: answer(
              'One page of conversations, the window closing soonest first',
              conversationPageSchema,
            ),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return listClosing(ctx, account.id, {
          withinMs: req.query.within,
          limit: req.query.limit,
          ...(req.query.cursor ? { cursor: req.query.cursor } : {}),
        });
      },
    );

    app.get(
      '/v1/contacts/:contact/thread',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['contacts'],
          summary: "A contact's conversation both ways, in order",
          description:
            'Our messages (templates rendered into the text the phone showed, texts, reply buttons; status, ' +
            'failure reason, held until the contact writes) and theirs (texts, button taps with the message ' +
            'they answer), oldest first. The newest `limit` items; `next_cursor` pages back in time.',
          params: contactParams,
          querystring: threadQuery,
          response: {
            200: answer('One page of the thread', threadSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return contactThread(ctx, account.id, req.params.contact, {
          limit: req.query.limit,
          ...(req.query.cursor ? { cursor: req.query.cursor } : {}),
        });
      },
    );
  };
