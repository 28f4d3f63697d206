/**
 * What a person or the bot may do about a message held `in_doubt` (DISPATCH_IN_DOUBT=fail):
 * send it again, knowing Meta may already have delivered it once. A message Meta later proves
 * (its status webhook arrives) leaves `in_doubt` by itself and can no longer be resent.
 */
import { RecontactError } from '../../domain/errors';
import { requeueInDoubt } from '../../store/dispatch-repo';
import { getMessage, insertMessageEvents, type MessageRow } from '../../store/messages-repo';
import type { EngineContext } from '../context';

export async function resendInDoubt(
  ctx: EngineContext,
  id: string,
  wakeDispatcher: () => void,
): Promise<MessageRow> {
  const now = ctx.clock();
  const resent = await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await requeueInDoubt(trx, id, now))) return false;
    await insertMessageEvents(trx, [
      {
        id: ctx.id('mev'),
        message_id: id,
        status: 'resent',
        at: now,
        source: 'api',
        detail: JSON.stringify({ decision: 'resend', by: 'request' }),
      },
    ]);
    return true;
  });
  const message = await getMessage(ctx.store.db, id);
  if (!message) {
    throw new RecontactError('MESSAGE_NOT_FOUND', `No message "${id}"`, {
      hint: 'Use the id returned by POST /v1/messages (msg_…).',
    });
  }
  if (!resent) {
    throw new RecontactError('MESSAGE_NOT_IN_DOUBT', `Message "${id}" is ${message.status}, not in_doubt`, {
      hint: 'Only a message held in_doubt can be resent; anything else is still being handled or has an outcome.',
      data: { status: message.status },
    });
  }
  wakeDispatcher();
  return message;
}
