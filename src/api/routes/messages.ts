import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { bsuidProblem, isBsuid, looksLikeBsuid } from '../../domain/bsuid';
import { RecontactError } from '../../domain/errors';
import { normalizePhone } from '../../domain/phone';
import { cancelHeldMessage } from '../../engine/conversations/held-messages';
import { messageView } from '../../engine/events/payloads';
import { getMessageWithTimeline, listMessagePage } from '../../engine/outbound/message-queries';
import { PSID_PREFIX } from '../../engine/outbound/recipient';
import type { SendOutcome, SendRequest } from '../../engine/outbound/send-service';
import { answer, errorAnswers } from '../openapi';
import {
  encodeCursor,
  idempotencyHeaders,
  listMessagesQuery,
  messageDetailSchema,
  messageIdParams,
  messageListSchema,
  messageSchema,
  sendAnswerSchema,
  sendMessageBody,
} from '../schemas';
import type { ApiDeps } from '../server';

export const messageRoutes =
  (deps: ApiDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/messages',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['messages'],
          summary: 'Queue a message (template, or free-form inside the window)',
          description:
            'Validates everything Meta would reject (phone, template approval, values, window) before queueing. ' +
            'With an Idempotency-Key, the same key and body return the same message (200, Idempotent-Replayed: true); ' +
            'the same key with another body is refused (422). ' +
            'With when_closed (text or interactive only), a closed window is no refusal: the template is queued ' +
            'and the message held until the contact writes (`path`, `held_id`, `template_message_id`); ' +
            'a window closing within 10 s counts as closed. Without it, a closed window is 409 WINDOW_CLOSED ' +
            '(data.rule names the rule). Every channel asks one send policy: on Messenger free-form goes as ' +
            'RESPONSE inside the 24-hour window, a person\'s answer (sent_by "human") after it with the HUMAN_AGENT ' +
            "tag up to 7 days after the person's last message, templates as Utility Messages (UTILITY) at any time; " +
            'a marketing template on a page, a retired tag, or HUMAN_AGENT from automation is 409 SEND_POLICY_REFUSED.',
          headers: idempotencyHeaders,
          body: sendMessageBody,
          response: {
            202: answer(
              'Queued (or, on template_then_held, held behind its template): stored durably',
              sendAnswerSchema,
            ),
            200: answer(
              'An idempotent replay: the message first queued with this Idempotency-Key and body, with the ' +
                'same path (header Idempotent-Replayed: true); nothing is sent again',
              sendAnswerSchema,
            ),
            ...errorAnswers({
              body: true,
              codes: [
                'ACCOUNT_NOT_FOUND',
                'ACCOUNT_DISABLED',
                'PHONE_INVALID',
                'TEMPLATE_NOT_FOUND',
                'TEMPLATE_NOT_APPROVED',
                'TEMPLATE_PARAMS_INVALID',
                'IDEMPOTENCY_KEY_REUSED',
                'WINDOW_CLOSED',
                'SEND_POLICY_REFUSED',
                'CONTACT_OPTED_OUT',
                'CONTACT_NOT_FOUND',
                'BSUID_INVALID',
                'RECIPIENT_BSUID_UNSUPPORTED',
              ],
            }),
          },
        },
      },
      async (req, reply) => {
        const key = req.headers['idempotency-key'];
        const outcome = await deps.sendService.send(req.body as SendRequest, key);
        if (outcome.replayed) reply.header('idempotent-replayed', 'true');
        return reply.status(outcome.replayed ? 200 : 202).send(sendAnswer(outcome));
      },
    );

    app.get(
      '/v1/messages',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['messages'],
          summary: 'Messages, newest first, filtered and paged',
          description:
            'Filters combine: status (one or several, comma-separated), to (a phone, wa_id, BSUID, psid:<PSID> or contact id), ' +
            'template (name), account_id. Pages end at `next_cursor`; pass it as `cursor` for the next one. ' +
            'Messages queued while paging appear on the first page, never in the middle of later ones.',
          querystring: listMessagesQuery,
          response: {
            200: answer('One page of messages', messageListSchema),
            ...errorAnswers({ input: true, codes: ['ACCOUNT_NOT_FOUND', 'PHONE_INVALID', 'BSUID_INVALID'] }),
          },
        },
      },
      async (req) => {
        const q = req.query;
        const accountId = q.account_id === undefined ? undefined : deps.accounts.resolve(q.account_id).id;
        const to = q.to?.trim();
        const page = await listMessagePage(deps.ctx, {
          limit: q.limit,
          ...(accountId !== undefined ? { accountId } : {}),
          ...(q.status !== undefined ? { statuses: q.status } : {}),
          ...(to === undefined ? {} : to.startsWith('ctc_') ? { contactId: to } : { waId: recipient(to) }),
          ...(q.template !== undefined ? { templateName: q.template } : {}),
          ...(q.cursor !== undefined ? { afterCursor: q.cursor } : {}),
        });
        return {
          data: page.messages.map(messageView),
          next_cursor: page.nextCursor === null ? null : encodeCursor(page.nextCursor),
        };
      },
    );

    app.get(
      '/v1/messages/:id',
      {
        config: { role: 'viewer' },
        schema: {
          tags: ['messages'],
          summary: 'A message with its status timeline',
          params: messageIdParams,
          response: {
            200: answer('The message, and each step it went through', messageDetailSchema),
            ...errorAnswers({ input: true, codes: ['MESSAGE_NOT_FOUND'] }),
          },
        },
      },
      async (req) => {
        const { message: m, timeline } = await getMessageWithTimeline(deps.ctx, req.params.id);
        return {
          ...messageView(m),
          timeline: timeline.map((e) => ({
            status: e.status,
            at: new Date(e.at).toISOString(),
            clock: e.clock,
            source: e.source,
            detail: e.detail === null ? null : (JSON.parse(e.detail) as unknown),
          })),
        };
      },
    );

    app.post(
      '/v1/messages/:id/resend',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['messages'],
          summary: 'Send a message held in_doubt again',
          description:
            'A message is held in_doubt when its POST left but Meta never said whether it accepted it ' +
            '(a crash, a lost answer) and DISPATCH_IN_DOUBT=fail. Resending may deliver it twice; the ' +
            'decision is yours. Any other status is refused with 409 MESSAGE_NOT_IN_DOUBT.',
          params: messageIdParams,
          response: {
            202: answer('Queued again', messageSchema),
            ...errorAnswers({ input: true, codes: ['MESSAGE_NOT_FOUND', 'MESSAGE_NOT_IN_DOUBT'] }),
          },
        },
      },
      async (req, reply) => {
        const m = await deps.sendService.resendInDoubt(req.params.id);
        return reply.status(202).send(messageView(m));
      },
    );

    app.post(
      '/v1/messages/:id/cancel',
      {
        config: { role: 'sender' },
        schema: {
          tags: ['messages'],
          summary: 'Cancel a held message',
          description:
            'A message held by when_closed (status held) is withdrawn: status cancelled, a message.status event, ' +
            'never sent. Any other status is refused with 409 MESSAGE_NOT_HELD, which names it (a released message ' +
            'is on its way to Meta).',
          params: messageIdParams,
          response: {
            200: answer('Cancelled', messageSchema),
            ...errorAnswers({ input: true, codes: ['MESSAGE_NOT_FOUND', 'MESSAGE_NOT_HELD'] }),
          },
        },
      },
      async (req) => messageView(await cancelHeldMessage(deps.ctx, deps.events, req.params.id)),
    );
  };

/** The message, and with when_closed the path taken (the held message names its template). */
function sendAnswer(o: SendOutcome) {
  const view = messageView(o.message);
  if (o.path === undefined) return view;
  if (o.path === 'now') return { ...view, path: o.path };
  return {
    ...view,
    path: o.path,
    held_id: o.message.id,
    template_message_id: o.templateMessageId!,
    template_reused: o.templateReused ?? false,
  };
}

/**
 * The address `to` names, as a query value: wa_id digits for a phone in any readable form, a
 * BSUID as given (a contact known by both is found by either), or a PSID's digits.
 */
function recipient(to: string): string {
  if (isBsuid(to)) return to;
  if (to.slice(0, PSID_PREFIX.length).toLowerCase() === PSID_PREFIX) {
    const psid = to.slice(PSID_PREFIX.length).trim();
    if (/^\d{1,40}$/.test(psid)) return psid;
    throw new RecontactError('INPUT_INVALID', `to "${to}" is not a PSID`, {
      details: [{ path: 'query.to', message: 'a PSID is the digits Meta sends as sender.id' }],
      hint: 'Give a Messenger user as psid:<digits>, e.g. psid:6845719238451234.',
    });
  }
  if (looksLikeBsuid(to)) {
    const problem = bsuidProblem(to) ?? 'is not a BSUID';
    throw new RecontactError('BSUID_INVALID', `to "${to}" ${problem}`, {
      details: [{ path: 'query.to', message: problem }],
      hint: 'Give the BSUID exactly as it came in the webhook (e.g. "US.13491208655302741918"), a phone, or a contact id (ctc_…).',
    });
  }
  try {
    return normalizePhone(to).waId;
  } catch (e) {
    if (e instanceof RecontactError && e.code === 'PHONE_INVALID') {
      throw new RecontactError('PHONE_INVALID', e.message, {
        details: [{ path: 'query.to', message: e.message }],
        hint: 'Give `to` as an international phone (+54 9 11 5555-1234), wa_id digits, a BSUID, or a contact id (ctc_…).',
      });
    }
    throw e;
  }
}
