/**
 * The last consent check before a message leaves. Intake refuses sends to people who opted out,
 * but a message can wait in the queue (pacing, a retry, a campaign) while its contact texts STOP
 * or stops marketing in WhatsApp. Each batch of due rows is checked again here, with the consent
 * its contacts had when the rows were read (dispatch-repo.ts reads both in one statement), before
 * any token is spent or any byte goes to Meta: what the contact no longer accepts fails, unsent, with the
 * reason, and the bot hears of it like any other failure.
 */
import { consentRefusal, type SendCategory } from '../../domain/contacts/consent';
import type { ClaimedMessage } from '../../store/dispatch-repo';
import { failRefusedClaims } from '../../store/dispatch-repo';
import { findMessagesByIds, insertMessageEvents } from '../../store/messages-repo';
import type { EngineContext } from '../context';
import type { EventBus } from '../events/event-bus';
import { messageStatusEvent } from '../events/payloads';

/** Returns the ids of `claimed` that were refused (and are now failed); the rest may go. */
export async function refuseOptedOut(
  ctx: EngineContext,
  events: EventBus,
  claimed: readonly ClaimedMessage[],
): Promise<Set<string>> {
  const refusals: Array<{ id: string; errorMessage: string }> = [];
  for (const row of claimed) {
    // Null unless the contact opted out of something: the usual row costs nothing here.
    if (row.consent_all === null || row.consent_marketing === null) continue;
    const refusal = consentRefusal(
      {
        marketing: row.consent_marketing,
        all: row.consent_all,
        marketingEntry: undefined,
        allEntry: undefined,
      },
      categoryOf(row.consent_category),
      isOptOutConfirmation(row.consent_metadata),
    );
    if (!refusal) continue;
    const what = refusal.scope === 'marketing' ? 'marketing messages' : 'all messages';
    refusals.push({
      id: row.id,
      errorMessage: `CONTACT_OPTED_OUT: the contact opted out of ${what} after this message was queued; it was not sent`,
    });
  }
  if (refusals.length === 0) return new Set();
  const now = ctx.clock();
  const failed = await ctx.store.db.transaction().execute(async (trx) => {
    const ids = await failRefusedClaims(trx, refusals, now);
    await insertMessageEvents(
      trx,
      ids.map((id) => ({
        id: ctx.id('mev'),
        message_id: id,
        status: 'failed' as const,
        at: now,
        source: 'dispatcher',
        detail: JSON.stringify({ error_class: 'permanent', error: 'CONTACT_OPTED_OUT' }),
      })),
    );
    const rows = await findMessagesByIds(trx, ids);
    await events.emit(
      trx,
      rows.map((m) => messageStatusEvent(m, 'queued')),
    );
    return ids;
  });
  ctx.log.info({ count: failed.length }, 'queued messages held back: their contacts opted out since');
  return new Set(failed);
}

function categoryOf(templateCategory: string | null): SendCategory {
  if (templateCategory === null) return 'SERVICE';
  return templateCategory === 'MARKETING' || templateCategory === 'AUTHENTICATION'
    ? templateCategory
    : 'UTILITY';
}

/** The confirmation of an opt-out is the one message that may still reach someone who left. */
function isOptOutConfirmation(metadata: string | null): boolean {
  if (metadata === null || !metadata.includes('consent_confirmation')) return false;
  try {
    const m = JSON.parse(metadata) as { recontact?: unknown; state?: unknown };
    return m.recontact === 'consent_confirmation' && m.state === 'opted_out';
  } catch {
    return false;
  }
}
