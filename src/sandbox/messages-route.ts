/**
 * POST /{version}/{phone-number-id}/messages: token, number, body validation, throughput
 * (130429) and pair limit (131056), the 24-hour rule (131047, async by default), the limits and
 * errors set on command (meta-limits.ts: messaging limit, 131049, injected codes), then accept:
 * record, schedule the status lifecycle, answer with Meta's success shape. A user with a
 * username may be addressed by `recipient` (their BSUID) instead of `to` (usernames.ts).
 * Also the business's mark-as-read call (`{status: "read", message_id}` → `{success: true}`).
 */
import type { FastifyInstance } from 'fastify';
import { messagingError, paramError, unknownObjectError, WINDOW_CLOSED_DETAILS } from './errors';
import { checkVersion, requireToken } from './graph';
import { makeWamid } from './ids';
import type { MessageLifecycle } from './lifecycle';
import type { MetaLimits } from './meta-limits';
import { validateSend } from './send-validation';
import {
  type MessageState,
  PAIR_BURST,
  PAIR_PER_SECOND,
  type SandboxState,
  type SentRecord,
  TokenBucket,
} from './state';

export interface MessagesRouteDeps {
  state: SandboxState;
  lifecycle: MessageLifecycle;
  /** Messaging limit, marketing cap and errors on command (meta-limits.ts). */
  limits: MetaLimits;
  now: () => number;
  syncWindowError: boolean;
}

const THROUGHPUT_DETAILS =
  'Message failed to send because there were too many messages sent from this phone number in a short period of time.';
const PAIR_DETAILS =
  'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.';

export function registerMessagesRoute(app: FastifyInstance, d: MessagesRouteDeps): void {
  const { state, lifecycle, now } = d;

  app.post<{ Params: { version: string; phoneNumberId: string } }>(
    '/:version/:phoneNumberId/messages',
    (req) => {
      const { version, phoneNumberId } = req.params;
      checkVersion(version, req.url);
      const token = requireToken(state, req);
      const account = state.accounts.get(phoneNumberId);
      if (!account || account.accessToken !== token) throw unknownObjectError(phoneNumberId, 'post');
      const body = req.body as Record<string, unknown> | null | undefined;

      if (body && typeof body === 'object' && body.status !== undefined) {
        // Mark an inbound message as read (optionally with a typing indicator).
        if (body.messaging_product !== 'whatsapp')
          throw paramError('The parameter messaging_product is required.');
        if (body.status !== 'read')
          throw paramError(`Param status must be one of {READ} - got "${String(body.status)}".`);
        const inbound = typeof body.message_id === 'string' ? state.inbound.get(body.message_id) : undefined;
        if (!inbound || inbound.phoneNumberId !== phoneNumberId) {
          throw messagingError(131009, 'Param message_id is not valid');
        }
        inbound.readByBusiness = true;
        return { success: true };
      }

      const v = validateSend(body, account, state);
      const at = now();
      if (account.bucket && !account.bucket.take(at)) {
        account.sends.throttle();
        throw messagingError(130429, THROUGHPUT_DETAILS);
      }
      if (account.pairLimit) {
        let pair = account.pairBuckets.get(v.waId);
        if (!pair) {
          pair = new TokenBucket(PAIR_BURST, PAIR_PER_SECOND, at);
          account.pairBuckets.set(v.waId, pair);
        }
        if (!pair.take(at)) throw messagingError(131056, PAIR_DETAILS);
      }
      const windowOpen = state.windowOpen(phoneNumberId, v.waId, at);
      let failure: MessageState['failure'] = null;
      if (!v.template && !windowOpen) {
        if (d.syncWindowError) throw messagingError(131047, WINDOW_CLOSED_DETAILS);
        failure = { code: 131047, details: WINDOW_CLOSED_DETAILS };
      }
      if (!failure) {
        failure = d.limits.judge(account, {
          waId: v.waId,
          template: v.template !== null,
          marketing: v.category === 'marketing',
          windowOpen,
        }).failure;
      }

      const wamid = makeWamid(v.waId, 'outbound');
      const record: SentRecord = {
        wamid,
        phoneNumberId,
        to: v.waId,
        type: v.type,
        body,
        at,
        status: 'accepted',
      };
      if (v.bizOpaque !== undefined) record.bizOpaque = v.bizOpaque;
      const m: MessageState = {
        wamid,
        account,
        waId: v.waId,
        category: v.category,
        bizOpaque: v.bizOpaque,
        status: 'accepted',
        acceptedAt: at,
        windowOpen,
        failure,
        content: v.content,
        record,
      };
      state.recordSent(m);
      account.sends.accept(at, v.bizOpaque);
      lifecycle.accept(m);
      // Only a template that will reach the user counts against the messaging limit.
      if (v.template && !windowOpen && !m.failure) d.limits.reached(phoneNumberId, v.waId);
      return {
        messaging_product: 'whatsapp',
        // Addressed by BSUID: Meta answers with the user_id and leaves the phone out.
        contacts: [
          v.userId === undefined ? { input: v.input, wa_id: v.waId } : { input: v.input, user_id: v.userId },
        ],
        messages: [v.template ? { id: wamid, message_status: 'accepted' } : { id: wamid }],
      };
    },
  );
}
