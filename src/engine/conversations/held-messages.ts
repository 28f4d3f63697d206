/**
 * Send when allowed (deferred delivery). POST /v1/messages with `when_closed` decides the path
 * (domain/conversations/held.ts); on a closed window the template is queued and the free-form
 * message stored `held`, both in one transaction with the Idempotency-Key:
 *
 *   held ──any inbound of the contact, window open (webhook batch's transaction):
 *     │      `released_by` stamped on every held message of the contact, in created order
 *     │      └─▶ one at a time: the first whose predecessors (and its template) left the outbox
 *     │          (accepted by Meta, or failed) ──▶ queued ─▶ the one send path
 *     ├── hold_until passed, not released ──▶ expired
 *     └── POST /v1/messages/{id}/cancel ──▶ cancelled
 *
 * One at a time because two queued messages of one contact may be posted in parallel (a batch,
 * a retry) and reach Meta in either order; the answers of an agent must arrive as written. The
 * first step runs in the webhook's transaction, the rest in the release loop below, which polls
 * briefly (it is not told when the dispatcher settles a message) and expires holds. Every move
 * emits `message.status` with `previous_status: "held"` in the transaction of the move.
 */
import type { Kysely } from 'kysely';
import { chooseHeldPath, invitationSince } from '../../domain/conversations/held';
import { RecontactError } from '../../domain/errors';
import { markMarketingQueued } from '../../store/consent-repo';
import { contactKey, ensureContacts, type NewContact } from '../../store/contacts-repo';
import {
  cancelHeld,
  expireHeld,
  findOpenInvitation,
  findReleasable,
  holdMessages,
  lockContactWindow,
  markReleased,
  moveToQueue,
} from '../../store/held-messages-repo';
import {
  getMessage,
  insertMessageEvents,
  insertMessages,
  type MessageRow,
  type NewMessage,
} from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import type { EventBus, PendingEvent } from '../events/event-bus';
import { messageStatusEvent } from '../events/payloads';
import type { AppliedInbound, FollowUp, InboundFollower } from '../inbound/inbound-followers';
import { LoopRunner } from '../loop-runner';

/** At most this many held messages move per transaction of the loop. */
const BATCH = 200;

export interface HoldRequest {
  /** The free-form message, held; carries the Idempotency-Key and the request's hash. */
  held: NewMessage;
  /** The fallback template, queued now. */
  template: NewMessage;
  holdMs: number;
  /** A contact first seen by this request, created in the same transaction. */
  newContact?: NewContact;
  /** The template is a marketing one (the contact's frequency cap moves). */
  marketing: boolean;
}

/**
 * Queues the template (or finds the contact's open invitation) and holds the free-form message,
 * in one transaction.
 */
export async function queueTemplateAndHold(
  ctx: EngineContext,
  r: HoldRequest,
): Promise<{ held: MessageRow; template: MessageRow; reused: boolean }> {
  const now = r.held.queuedAt;
  return ctx.store.db.transaction().execute(async (trx) => {
    if (r.newContact) {
      // Another request may have created the contact first: use the id that won.
      const won = await ensureContacts(trx, [r.newContact], now);
      const id = won.get(contactKey(r.newContact.accountId, r.newContact.waId))?.id ?? r.newContact.id;
      r.held.contactId = id;
      r.template.contactId = id;
    }
    // The path was chosen before this transaction: a message of the contact committed since
    // then opened the window, and no later inbound may come to release what is held now.
    const window = await lockContactWindow(trx, r.held.contactId);
    // An invitation still unanswered (the resume template, an earlier answer's template) is the
    // one this message waits behind too: the contact gets one template, not one per answer.
    const invitation = await findOpenInvitation(trx, {
      contactId: r.held.contactId,
      since: invitationSince(window.lastInboundAt, now),
    });
    const inserted = await insertMessages(trx, invitation ? [r.held] : [r.template, r.held]);
    const template = invitation ?? inserted[0]!;
    let [held] = await holdMessages(trx, [
      { id: r.held.id, holdUntil: now + r.holdMs, fallbackMessageId: template.id },
    ]);
    await insertMessageEvents(trx, [
      ...(invitation
        ? []
        : [
            {
              id: ctx.id('mev'),
              message_id: r.template.id,
              status: 'queued' as const,
              at: now,
              source: 'api',
              detail: JSON.stringify({ fallback_for: r.held.id }),
            },
          ]),
      {
        id: ctx.id('mev'),
        message_id: r.held.id,
        status: 'held',
        at: now,
        source: 'api',
        detail: JSON.stringify({
          template_message_id: template.id,
          ...(invitation ? { template_reused: true } : {}),
          hold_until: new Date(now + r.holdMs).toISOString(),
        }),
      },
    ]);
    if (window.lastInboundId !== null && chooseHeldPath(window.lastInboundAt, now).path === 'now') {
      const stamped = await markReleased(
        trx,
        [{ contactId: held!.contact_id, inboundId: window.lastInboundId }],
        now,
      );
      held = stamped.find((m) => m.id === held!.id) ?? held;
    }
    if (r.marketing && !invitation) await markMarketingQueued(trx, [held!.contact_id], now);
    return { held: held!, template, reused: invitation !== undefined };
  });
}

/**
 * Moves the released messages whose turn came (of `contactIds` only, when given) to the queue,
 * with their timeline entries; returns their `message.status` events for the caller to emit.
 */
async function releaseTurns(
  ctx: EngineContext,
  db: Kysely<Database>,
  contactIds?: readonly string[],
): Promise<PendingEvent[]> {
  const due = await findReleasable(db, BATCH, contactIds);
  const moved = await moveToQueue(
    db,
    due.map((m) => m.id),
    ctx.clock(),
  );
  await insertMessageEvents(
    db,
    moved.map((m) => ({
      id: ctx.id('mev'),
      message_id: m.id,
      status: 'queued' as const,
      at: m.released_at!,
      source: 'release',
      detail: JSON.stringify({ released_by: m.released_by }),
    })),
  );
  return moved.map((m) => messageStatusEvent(m, 'held'));
}

/**
 * The first follower of each webhook batch: a contact who writes, with the window open now,
 * releases everything held for them (stamped with the first of their inbound messages in the
 * batch), and the first of it goes to the queue in this same transaction.
 */
export function heldReleaseFollower(ctx: EngineContext, onReleased: () => void): InboundFollower {
  return {
    async afterInbound(db: Kysely<Database>, applied: readonly AppliedInbound[]): Promise<FollowUp> {
      const now = ctx.clock();
      const firstByContact = new Map<string, string>();
      for (const a of applied) {
        // An old message delivered late does not open the window: nothing may go yet.
        if (chooseHeldPath(a.window.lastInboundAt, now).path !== 'now') continue;
        if (!firstByContact.has(a.contact.id)) firstByContact.set(a.contact.id, a.inboundId);
      }
      if (firstByContact.size === 0) return { events: [] };
      const stamped = await markReleased(
        db,
        [...firstByContact].map(([contactId, inboundId]) => ({ contactId, inboundId })),
        now,
      );
      if (stamped.length === 0) return { events: [] };
      const events = await releaseTurns(ctx, db, [...new Set(stamped.map((m) => m.contact_id))]);
      // The rest go in turn from the loop; it polls, and this spares the first poll's wait.
      onReleased();
      return { events, queued: events.length > 0 };
    },
  };
}

/** POST /v1/messages/{id}/cancel: held → cancelled, or why not. */
export async function cancelHeldMessage(
  ctx: EngineContext,
  events: EventBus,
  id: string,
): Promise<MessageRow> {
  const now = ctx.clock();
  const cancelled = await ctx.store.db.transaction().execute(async (trx) => {
    const row = await cancelHeld(trx, id, now);
    if (!row) return undefined;
    await insertMessageEvents(trx, [
      { id: ctx.id('mev'), message_id: id, status: 'cancelled', at: now, source: 'api', detail: null },
    ]);
    await events.emit(trx, [messageStatusEvent(row, 'held')]);
    return row;
  });
  if (cancelled) return cancelled;
  const m = await getMessage(ctx.store.db, id);
  if (!m) {
    throw new RecontactError('MESSAGE_NOT_FOUND', `No message "${id}"`, {
      hint: 'Use the held_id returned by POST /v1/messages (msg_…).',
    });
  }
  throw new RecontactError(
    'MESSAGE_NOT_HELD',
    `Message "${id}" is ${m.status}, not held: only a held message can be cancelled`,
    {
      hint:
        m.status === 'queued' || m.status === 'sending'
          ? 'It was released (or never held) and is on its way to Meta; it can no longer be withdrawn.'
          : 'Nothing is waiting to be sent for it.',
      data: { status: m.status, released_by: m.released_by },
    },
  );
}

export interface HeldLoopOptions {
  /** How often the loop looks for a released message whose turn came, and for holds past due. */
  pollMs: number;
}

export const DEFAULT_HELD_LOOP_OPTIONS: HeldLoopOptions = { pollMs: 250 };

/**
 * Chains the releases (the next held message once the one before it left the outbox) and
 * expires holds past `hold_until`, by the engine's clock. Safe with several processes: every
 * move is guarded by the status it expects, so a message moves once.
 */
export class HeldMessageLoop {
  private readonly loop: LoopRunner;

  constructor(
    private readonly ctx: EngineContext,
    private readonly events: EventBus,
    private readonly hooks: { onQueued: () => void; onEvents: () => void },
    opts: HeldLoopOptions = DEFAULT_HELD_LOOP_OPTIONS,
  ) {
    this.loop = new LoopRunner('held messages', ctx.log, () => this.pass(), {
      idleMs: opts.pollMs,
      errorBaseMs: 250,
      errorCapMs: 10_000,
      stallMs: 30_000,
    });
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Resolves after a pass that found nothing to do (tests: after moving the clock). */
  idle(): Promise<void> {
    return this.loop.idle();
  }

  /** One pass: expire what is past its hold, then move every message whose turn came. */
  async pass(): Promise<number> {
    const { db } = this.ctx.store;
    const expired = await db.transaction().execute(async (trx) => {
      const now = this.ctx.clock();
      const rows = await expireHeld(trx, now, BATCH);
      await insertMessageEvents(
        trx,
        rows.map((m) => ({
          id: this.ctx.id('mev'),
          message_id: m.id,
          status: 'expired' as const,
          at: now,
          source: 'hold_expiry',
          detail: JSON.stringify({ hold_until: new Date(m.hold_until!).toISOString() }),
        })),
      );
      await this.events.emit(
        trx,
        rows.map((m) => messageStatusEvent(m, 'held')),
      );
      return rows.length;
    });
    const released = await db.transaction().execute(async (trx) => {
      const events = await releaseTurns(this.ctx, trx);
      await this.events.emit(trx, events);
      return events.length;
    });
    if (released) this.hooks.onQueued();
    if (expired + released) this.hooks.onEvents();
    return expired + released;
  }
}
