/**
 * Queues a batch of a campaign's due recipients into the one outbox: their messages, their
 * timeline rows and their move to `queued`, in one transaction. The dispatcher then owns each
 * message as it owns a 1:1 send (pacing, leases, retries, crash recovery), so a recipient is
 * sent at most once by construction: the recipient's move is guarded by `state = 'pending'`
 * and commits with its message, or neither does.
 *
 * Each recipient is checked again at its send time, since the audience was materialised at
 * launch: an opt-out or erasure since skips them (opted_out); a value the template needs that
 * is gone fails them (missing_value); a message to them in the last few seconds (the pair limit)
 * moves their send time to 6 s after it, and no room left under the portfolio's messaging limit
 * to when the next slot frees (the oldest counted reach leaves Meta's moving 24 h). Either way
 * the new time is moved out of the campaign's quiet hours on the recipient's clock.
 */

import type { Kysely } from 'kysely';
import type { OutboundContent } from '../../channels/channel';
import { isBsuid } from '../../domain/bsuid';
import type { CampaignDefinition } from '../../domain/campaigns/definition';
import {
  type CampaignResolution,
  compileCampaign,
  type MappingContact,
} from '../../domain/campaigns/mapping';
import { nextAllowed, recipientTimeZone, type Schedule } from '../../domain/campaigns/schedule';
import type { AttributeValue } from '../../domain/contacts/contact-fields';
import { RecontactError } from '../../domain/errors';
import {
  countedAfter,
  MESSAGING_WINDOW_MS,
  type MessagingLimit,
  messagingCapacity,
  nextSlotRank,
  reachWindowWith,
} from '../../domain/pacing/messaging-limit';
import { CAMPAIGN_PAIR_POLICY } from '../../domain/pacing/pair-limit';
import { bindTemplate } from '../../domain/templates/bind';
import type { TemplateRecord } from '../../domain/templates/model';
import { WHATSAPP_WINDOW } from '../../domain/window';
import { countReached, reachAtRank } from '../../store/campaign-plan-query';
import {
  type DueRecipient,
  deferPending,
  dueRecipients,
  lastSendTimes,
  markQueued,
  settlePending,
} from '../../store/campaign-recipients-repo';
import { holdCampaign } from '../../store/campaigns-repo';
import { markMarketingQueued } from '../../store/consent-repo';
import { insertMessages, type NewMessage } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';

/** A campaign compiled once for its run: the mapping, and its templates as stored. */
export interface CompiledCampaign {
  id: string;
  accountId: string;
  resolve: (recipientKey: string, contact: MappingContact) => CampaignResolution;
  /** "name\0language" → the stored template (APPROVED when the campaign was compiled). */
  templates: Map<string, TemplateRecord>;
  /** Marketing: a marketing opt-out skips the recipient, and the frequency cap moves. */
  marketing: boolean;
  split: boolean;
}

export function compile(
  id: string,
  accountId: string,
  def: CampaignDefinition,
  templates: readonly TemplateRecord[],
): CompiledCampaign {
  const byKey = new Map(templates.map((t) => [`${t.name}\u0000${t.language}`, t]));
  const approved = (name: string) =>
    templates.filter((t) => t.name === name && t.status === 'APPROVED').map((t) => t.language);
  return {
    id,
    accountId,
    resolve: compileCampaign(def, { availableLanguages: approved }),
    templates: byKey,
    marketing: templates.some((t) => t.category === 'MARKETING') || def.category === 'MARKETING',
    split: def.variants.length > 1,
  };
}

export interface QueueLimits {
  /** Recipients to queue at most in this batch. */
  limit: number;
  messagingLimit: MessagingLimit;
  /** Unique users the account may still reach in Meta's moving 24 h (messaging limit). */
  limitRoom: number;
  /**
   * How long a recipient over the messaging limit waits when the store cannot say when the next
   * slot frees (it normally can: the oldest counted reach + 24 h and the margin).
   */
  limitRetryMs: number;
  /** The campaign's schedule: a deferred send time is moved out of its quiet hours too. */
  schedule: Schedule;
  holder: string;
  holdTtlMs: number;
}

export interface QueueResult {
  queued: number;
  skipped: number;
  deferred: number;
  /** Of those queued, how many took a messaging-limit slot. */
  slotsTaken: number;
  /** Recipients that wait for a messaging-limit slot (the caller's count of room is now stale). */
  overLimit: number;
}

export async function queueDue(
  ctx: EngineContext,
  c: CompiledCampaign,
  p: QueueLimits,
): Promise<QueueResult> {
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    // The heartbeat is written first: on SQLite it takes the write lock before anything is read,
    // so another process's commit cannot make this transaction's reads stale.
    // …and only while the campaign is still running: a pause or cancel committed since the
    // runner read it must not be followed by messages it did not hold or withdraw.
    if (
      !(await holdCampaign(trx, { id: c.id, holder: p.holder, now, ttlMs: p.holdTtlMs, state: 'running' }))
    ) {
      return { queued: 0, skipped: 0, deferred: 0, slotsTaken: 0, overLimit: 0 };
    }
    const due = await dueRecipients(trx, { campaignId: c.id, now, limit: p.limit });
    if (due.length === 0) return { queued: 0, skipped: 0, deferred: 0, slotsTaken: 0, overLimit: 0 };
    const limited = p.messagingLimit !== 'unlimited';
    const since = limited ? now - MESSAGING_WINDOW_MS : now - CAMPAIGN_PAIR_POLICY.intervalMs;
    const lastSent = await lastSendTimes(
      trx,
      due.map((d) => d.contact_id),
      since,
    );
    const messages: NewMessage[] = [];
    const queued: Array<{ contactId: string; messageId: string; variant: string }> = [];
    const optedOut: string[] = [];
    const erased: string[] = [];
    const failed = new Map<string, string[]>();
    const deferred: Array<{ contactId: string; sendAt: number; timeZone: string | null }> = [];
    // Over the messaging limit: they wait for the next slot, known once this batch is in.
    const overLimit: Array<{ contactId: string; timeZone: string | null }> = [];
    let room = p.limitRoom;
    let slotsTaken = 0;
    for (const d of due) {
      if (d.erased_at !== null) {
        erased.push(d.contact_id);
        continue;
      }
      if (optedOutOf(d, c.marketing)) {
        optedOut.push(d.contact_id);
        continue;
      }
      const last = lastSent.get(d.contact_id);
      if (last !== undefined && last > now - CAMPAIGN_PAIR_POLICY.intervalMs) {
        deferred.push({
          contactId: d.contact_id,
          sendAt: last + CAMPAIGN_PAIR_POLICY.intervalMs,
          timeZone: d.time_zone,
        });
        continue;
      }
      const needsSlot = limited && last === undefined && !windowOpen(d, now);
      if (needsSlot && room <= 0) {
        overLimit.push({ contactId: d.contact_id, timeZone: d.time_zone });
        continue;
      }
      const built = build(ctx, c, d, now);
      if (!built.ok) {
        failed.set(built.reason, [...(failed.get(built.reason) ?? []), d.contact_id]);
        continue;
      }
      if (needsSlot) {
        room--;
        slotsTaken++;
      }
      messages.push(built.message);
      queued.push({ contactId: d.contact_id, messageId: built.message.id, variant: built.variant });
    }
    if (messages.length) {
      // No 'queued' timeline rows: a message's creation is that entry (message-queries.ts).
      await insertMessages(trx, messages);
      const moved = await markQueued(trx, { campaignId: c.id, items: queued, now });
      // Another runner took some of these recipients: undo this whole batch.
      if (moved !== queued.length)
        throw new Error(
          `campaign ${c.id}: ${queued.length - moved} recipient(s) were queued by another runner`,
        );
      if (c.marketing)
        await markMarketingQueued(
          trx,
          queued.map((q) => q.contactId),
          now,
        );
    }
    // An erased person is as gone as one who opted out; the reason tells the two apart.
    if (erased.length)
      await settlePending(trx, {
        campaignId: c.id,
        contactIds: erased,
        to: 'opted_out',
        reason: 'erased_after_launch',
        now,
      });
    if (optedOut.length)
      await settlePending(trx, {
        campaignId: c.id,
        contactIds: optedOut,
        to: 'opted_out',
        reason: 'opted_out_after_launch',
        now,
      });
    for (const [reason, ids] of failed)
      await settlePending(trx, { campaignId: c.id, contactIds: ids, to: 'failed', reason, now });
    if (overLimit.length) {
      // Read after this batch's messages are in, so the slots they took are counted.
      const slot = await nextLimitSlot(trx, c.accountId, p.messagingLimit, now);
      // 'room': the caller's count was stale (slots freed since); they go at the next pass.
      const slotAt = slot === 'room' ? now : (slot ?? now + p.limitRetryMs);
      for (const o of overLimit) deferred.push({ ...o, sendAt: slotAt });
    }
    if (deferred.length) {
      const items = deferred.map((d) => ({
        contactId: d.contactId,
        // A send moved later must not land in quiet hours (theirs, on their clock).
        sendAt: nextAllowed(d.sendAt, p.schedule.quietHours, recipientTimeZone(p.schedule, d.timeZone)),
      }));
      await deferPending(trx, { campaignId: c.id, items, now });
    }
    return {
      queued: messages.length,
      skipped: optedOut.length + erased.length + [...failed.values()].reduce((n, ids) => n + ids.length, 0),
      deferred: deferred.length,
      slotsTaken,
      overLimit: overLimit.length,
    };
  });
}

/**
 * When the next messaging-limit slot frees: the oldest counted user's latest reach leaves Meta's
 * moving window (plus the margin). 'room' when there is room already; null when the store
 * cannot say.
 */
async function nextLimitSlot(
  db: Kysely<Database>,
  accountId: string,
  limit: MessagingLimit,
  now: number,
): Promise<number | 'room' | null> {
  if (limit === 'unlimited') return 'room';
  const after = countedAfter(now);
  const reached = await countReached(db, accountId, after);
  const rank = nextSlotRank(limit, reached);
  if (rank === null) return 'room';
  const at = await reachAtRank(db, accountId, after, rank);
  if (at === null) return null;
  return messagingCapacity(limit, reachWindowWith(reached, rank, at), now).nextSlotAt;
}

function optedOutOf(d: DueRecipient, marketing: boolean): boolean {
  return d.all_consent === 'opted_out' || (marketing && d.marketing_consent === 'opted_out');
}

function windowOpen(d: DueRecipient, now: number): boolean {
  return d.last_inbound_at !== null && d.last_inbound_at > now - WHATSAPP_WINDOW.durationMs;
}

type Built = { ok: true; message: NewMessage; variant: string } | { ok: false; reason: string };

function build(ctx: EngineContext, c: CompiledCampaign, d: DueRecipient, now: number): Built {
  const contact: MappingContact = {
    name: d.name,
    phone_e164: d.phone_e164,
    language: d.language,
    attributes: parseAttributes(d.attributes),
  };
  const r = c.resolve(`${c.id}:${d.contact_id}`, contact);
  if (!r.ok) return { ok: false, reason: r.reason };
  const { name, language, ...params } = r.template;
  const tpl = c.templates.get(`${name}\u0000${language}`);
  if (!tpl) return { ok: false, reason: 'template_language_unavailable' };
  let content: ReturnType<typeof bindTemplate>;
  try {
    content = bindTemplate(tpl, params);
  } catch (err) {
    // A value the template refuses (too long once filled, …): this recipient only.
    if (err instanceof RecontactError) return { ok: false, reason: 'template_params_invalid' };
    throw err;
  }
  const id = ctx.id('msg');
  const outbound: OutboundContent = { kind: 'template', template: content };
  return {
    ok: true,
    variant: r.variant,
    message: {
      id,
      accountId: c.accountId,
      contactId: d.contact_id,
      to: isBsuid(d.wa_id) ? (d.bsuid ?? d.wa_id) : d.wa_id,
      content: outbound,
      template: { name, language, category: tpl.category },
      metadata: { ...r.metadata, campaign_id: c.id, ...(c.split ? { campaign_variant: r.variant } : {}) },
      idempotencyKey: null,
      requestHash: null,
      replyToProviderId: null,
      queuedAt: now,
      campaignId: c.id,
    },
  };
}

function parseAttributes(text: string): Record<string, AttributeValue> {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, AttributeValue>)
      : {};
  } catch {
    return {};
  }
}
