import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  readAccountResumeRule,
  removeAccountResumeRule,
  saveAccountResumeRule,
} from '../../engine/conversations/resume-rules';
import { clearWaiting, markWaiting, resolveContact } from '../../engine/conversations/waiting-service';
import { waitingSchema } from '../../engine/events/schemas';
import { contactParams } from '../contact-schemas';
import {
  accountParams,
  clearedSchema,
  markWaitingBody,
  resumeRuleBody,
  resumeRuleSchema,
} from '../conversation-schemas';
import { answer, errorAnswers, noContent } from '../openapi';
import { accountQuery } from '../schemas';
import type { ApiDeps } from '../server';

const RESUME_HELP =
  "Resume rule: when a waiting contact's window closes (or `before_close_minutes` before), its template is sent once, filled from the contact and the mark; the reply emits conversation.resumed (and handoff.requested when `handoff`).";

export const conversationRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx } = deps;

    app.post(
      '/v1/contacts/:contact/waiting',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['conversations'],
          summary: 'Mark a conversation as waiting (for an agent, …)',
          description: `One active mark per contact: marking a waiting contact answers 409 (clear it first). ${RESUME_HELP} A mark made on a closed window resumes at once.`,
          params: contactParams,
          querystring: accountQuery,
          body: markWaitingBody,
          response: {
            201: answer('The mark', waitingSchema),
            ...errorAnswers({
              body: true,
              codes: [
                'ACCOUNT_NOT_FOUND',
                'PHONE_INVALID',
                'CONTACT_NOT_FOUND',
                'WAITING_ACTIVE',
                'TEMPLATE_NOT_FOUND',
                'TEMPLATE_NOT_APPROVED',
                'TEMPLATE_PARAMS_INVALID',
                'SEND_POLICY_REFUSED',
              ],
            }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.query.account_id);
        const body = req.body;
        const result = await ctx.store.db.transaction().execute(async (trx) => {
          const contact = await resolveContact(trx, account.id, req.params.contact);
          const r = await markWaiting(ctx, trx, {
            accountId: account.id,
            contactId: contact.id,
            reason: body.reason,
            question: body.question ?? null,
            metadata: body.metadata ?? null,
            ...(body.resume === undefined ? {} : { resume: body.resume as never }),
          });
          await deps.events.emit(trx, r.events);
          return r;
        });
        deps.conversations?.wake();
        return reply.status(201).send(result.waiting);
      },
    );

    app.delete(
      '/v1/contacts/:contact/waiting',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['conversations'],
          summary: "Clear a contact's waiting mark (the wait was answered)",
          description:
            'Emits conversation.cleared (by: api). A contact without an active mark answers `cleared: false`.',
          params: contactParams,
          querystring: accountQuery,
          response: {
            200: answer('Cleared, or nothing to clear', clearedSchema),
            ...errorAnswers({
              input: true,
              codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'CONTACT_NOT_FOUND'],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.query.account_id);
        return ctx.store.db.transaction().execute(async (trx) => {
          const contact = await resolveContact(trx, account.id, req.params.contact);
          const r = await clearWaiting(ctx, trx, { contactId: contact.id, by: 'api' });
          await deps.events.emit(trx, r.events);
          return { cleared: r.cleared, waiting: r.waiting };
        });
      },
    );

    app.put(
      '/v1/accounts/:account_id/resume-rule',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['conversations'],
          summary: "Set the account's resume-contact rule",
          description: `${RESUME_HELP} The template must exist and be APPROVED now; it is checked again when the rule fires. Applies to marks made after it.`,
          params: accountParams,
          body: resumeRuleBody,
          response: {
            200: answer('The rule as saved', resumeRuleSchema),
            ...errorAnswers({
              body: true,
              codes: [
                'ACCOUNT_NOT_FOUND',
                'TEMPLATE_NOT_FOUND',
                'TEMPLATE_NOT_APPROVED',
                'TEMPLATE_PARAMS_INVALID',
                'SEND_POLICY_REFUSED',
              ],
            }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.params.account_id);
        return saveAccountResumeRule(ctx, account.id, req.body);
      },
    );

    app.get(
      '/v1/accounts/:account_id/resume-rule',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['conversations'],
          summary: "The account's resume-contact rule",
          params: accountParams,
          response: {
            200: answer('The rule', resumeRuleSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'RESUME_RULE_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const account = deps.accounts.resolve(req.params.account_id);
        return readAccountResumeRule(ctx, account.id);
      },
    );

    app.delete(
      '/v1/accounts/:account_id/resume-rule',
      {
        config: { role: 'admin' },
        schema: {
          tags: ['conversations'],
          summary: "Remove the account's resume-contact rule",
          description: 'Marks made earlier keep the copy they took when marked.',
          params: accountParams,
          response: {
            204: noContent('Removed'),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'RESUME_RULE_NOT_FOUND'] }),
          },
        },
      },
      async (req, reply) => {
        const account = deps.accounts.resolve(req.params.account_id);
        await removeAccountResumeRule(ctx, account.id);
        return reply.status(204).send();
      },
    );
  };
