/**
 * The conversations' timer worker: one loop per process, claiming due work from the database,
 * so any number of processes share it and each item is done once (the claims are fenced
 * UPDATEs, see window-timers-repo.ts and waiting-repo.ts). Each pass:
 *
 *   1. window timers due → window.expiring / window.expired, written in the transaction that
 *      marks the timer fired (an expiring timer that comes due after the close is skipped);
 *   2. waiting marks whose resume template is due → the template queued and the mark moved to
 *      resume_sent in one transaction (conversation.resume_sent), or the reason it could not be
 *      sent recorded on the mark (template no longer approved, contact opted out, a value
 *      missing, the send policy refusing it): the mark stays waiting and a new window from the
 *      contact schedules it again. The policy also gives the Messenger mode (UTILITY) the
 *      template is stored with.
 *
 * It sleeps until the earliest due time (or a wake-up: a mark made on a closed window is due at
 * once), and at most `maxIdleMs`, after which it looks again for work another process added.
 * The first pass of a process arms timers for open windows that have none (catch-up): windows
 * open when Recontact was upgraded, and any a crash between versions left without.
 */

import type { Kysely } from 'kysely';
import type { OutboundContent } from '../../channels/channel';
import type { ChannelKind } from '../../domain/channels/channel-kind';
import { decideSend } from '../../domain/channels/send-policy';
import { invitationSince } from '../../domain/conversations/held';
import { fillResumeTemplate, type ResumeInForce } from '../../domain/conversations/resume';
import { timerOutcome, windowTimers } from '../../domain/conversations/timers';
import { RecontactError } from '../../domain/errors';
import { bindTemplate } from '../../domain/templates/bind';
import { WHATSAPP_WINDOW, windowState } from '../../domain/window';
import { accountChannel } from '../../store/account-channel';
import { readAttributes } from '../../store/contact-book-repo';
import type { ContactRow } from '../../store/contacts-repo';
import { findOpenInvitation } from '../../store/held-messages-repo';
import type { MessageRow } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import { getTemplate } from '../../store/templates-repo';
import {
  activeWaitingOf,
  claimDueResumes,
  moveWaiting,
  nextResumeDue,
  recordResumeFailure,
  type WaitingRow,
} from '../../store/waiting-repo';
import {
  claimDueTimers,
  contactsByIds,
  nextTimerDue,
  setTimerOutcome,
  upsertWindowTimers,
  windowsWithoutTimers,
} from '../../store/window-timers-repo';
import type { EngineContext } from '../context';
import type { EventBus, PendingEvent } from '../events/event-bus';
import { LoopRunner } from '../loop-runner';
import { queueInTransaction } from '../outbound/queue-in-transaction';
import { resumeOf, resumeSentEvent, windowExpiredEvent, windowExpiringEvent } from './conversation-events';

export interface ConversationTimerOptions {
  /** window.expiring this long before the close (WINDOW_EXPIRING_LEAD). */
  leadMs: number;
  /** Timers or marks per transaction. */
  batchSize: number;
  /** The longest sleep: work written by another process is found within it. */
  maxIdleMs: number;
}

export const DEFAULT_TIMER_OPTIONS: Omit<ConversationTimerOptions, 'leadMs'> = {
  batchSize: 200,
  maxIdleMs: 30_000,
};

export interface ConversationTimerDeps {
  events: EventBus;
  /** The accounts this process serves (for the catch-up). */
  accountIds: () => string[];
  /** Events were written: wake the deliverer. */
  onEvents: () => void;
  /** Messages were queued: wake the dispatcher. */
  onQueued: () => void;
}

export class ConversationTimers {
  private readonly loop: LoopRunner;
  private caughtUp = false;
  private alarm: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: EngineContext,
    private readonly deps: ConversationTimerDeps,
    readonly opts: ConversationTimerOptions,
  ) {
    this.loop = new LoopRunner('conversation-timers', ctx.log, () => this.runOnce(), {
      idleMs: opts.maxIdleMs,
      errorBaseMs: 250,
      errorCapMs: 10_000,
      stallMs: 60_000,
    });
  }

  start(): void {
    this.loop.start();
  }

  wake(): void {
    this.loop.wake();
  }

  async stop(): Promise<void> {
    clearTimeout(this.alarm);
    await this.loop.stop();
  }

  /** One pass; returns how much work it did. Tests with a controlled clock call it directly. */
  async runOnce(): Promise<number> {
    if (!this.caughtUp) {
      await this.catchUp();
      this.caughtUp = true;
    }
    const work = (await this.fireTimers()) + (await this.sendResumes());
    if (work === 0) await this.setAlarm();
    return work;
  }

  /** The windows this process's accounts have open without timers get them now. */
  async catchUp(): Promise<number> {
    const now = this.ctx.clock();
    let armed = 0;
    for (const accountId of this.deps.accountIds()) {
      let after: string | null = null;
      for (;;) {
        const page = await windowsWithoutTimers(this.ctx.store.db, {
          accountId,
          openSince: now - WHATSAPP_WINDOW.durationMs,
          after,
          limit: 500,
        });
        if (page.length === 0) break;
        await upsertWindowTimers(
          this.ctx.store.db,
          page.map((c) => ({
            accountId,
            contactId: c.id,
            lastInboundAt: c.last_inbound_at,
            timers: windowTimers(c.last_inbound_at, this.opts.leadMs),
          })),
        );
        armed += page.length;
        after = page.at(-1)!.id;
      }
    }
    if (armed > 0) this.ctx.log.info({ windows: armed }, 'window timers armed for windows open without them');
    return armed;
  }

  private async setAlarm(): Promise<void> {
    const db = this.ctx.store.db;
    const next = [await nextTimerDue(db), await nextResumeDue(db)].filter((t): t is number => t !== null);
    clearTimeout(this.alarm);
    this.alarm = undefined;
    if (next.length === 0) return;
    const delay = Math.min(...next) - this.ctx.clock();
    if (delay >= this.opts.maxIdleMs) return; // the loop's own idle wait comes first
    this.alarm = setTimeout(() => this.loop.wake(), Math.max(0, delay));
    this.alarm.unref();
  }

  private async fireTimers(): Promise<number> {
    const fired = await this.ctx.store.db.transaction().execute(async (trx) => {
      const now = this.ctx.clock();
      const due = await claimDueTimers(trx, now, this.opts.batchSize);
      if (due.length === 0) return 0;
      const contacts = await contactsByIds(
        trx,
        due.map((t) => t.contact_id),
      );
      const waiting = await activeWaitingOf(
        trx,
        due.map((t) => t.contact_id),
      );
      const events: PendingEvent[] = [];
      const skipped: string[] = [];
      const gone: string[] = [];
      for (const t of due) {
        const contact = contacts.get(t.contact_id);
        const last = t.last_inbound_at;
        if (!contact || contact.erased_at !== null || Number(contact.last_inbound_at) !== last) {
          // Merged into another contact, erased, or (never expected) a window the timer was not
          // moved with: nothing true to say about this window.
          gone.push(t.id);
          continue;
        }
        if (timerOutcome(t.kind, last, now) === 'skip') {
          skipped.push(t.id);
          continue;
        }
        const base = {
          accountId: t.account_id,
          contact,
          window: windowState(last, now),
          waiting: waiting.get(contact.id),
        };
        events.push(t.kind === 'expiring' ? windowExpiringEvent({ ...base, now }) : windowExpiredEvent(base));
      }
      await setTimerOutcome(trx, skipped, 'skipped');
      await setTimerOutcome(trx, gone, 'gone');
      if (skipped.length) {
        this.ctx.log.warn(
          { timers: skipped.length },
          'window.expiring skipped: the lead time passed while no worker ran (window.expired still fires)',
        );
      }
      await this.deps.events.emit(trx, events);
      return due.length;
    });
    if (fired > 0) this.deps.onEvents();
    return fired;
  }

  private async sendResumes(): Promise<number> {
    let queued = false;
    const done = await this.ctx.store.db.transaction().execute(async (trx) => {
      const now = this.ctx.clock();
      const due = await claimDueResumes(trx, now, this.opts.batchSize);
      if (due.length === 0) return 0;
      const contacts = await contactsByIds(
        trx,
        due.map((w) => w.contact_id),
      );
      const events: PendingEvent[] = [];
      const channels = new Map<string, ChannelKind>();
      for (const mark of due) {
        const contact = contacts.get(mark.contact_id);
        let channel = channels.get(mark.account_id);
        if (channel === undefined) {
          channel = (await accountChannel(trx, mark.account_id)) ?? 'whatsapp';
          channels.set(mark.account_id, channel);
        }
        const outcome = await this.resume(trx, mark, contact, channel, now);
        if (typeof outcome === 'string') {
          await recordResumeFailure(trx, mark.id, outcome, now);
          this.ctx.log.warn(
            { waiting_id: mark.id, contact_id: mark.contact_id, reason: outcome },
            'resume template not sent',
          );
          continue;
        }
        queued = true;
        events.push(outcome);
      }
      await this.deps.events.emit(trx, events);
      return due.length;
    });
    if (done > 0) this.deps.onEvents();
    if (queued) this.deps.onQueued();
    return done;
  }

  /** Queues the mark's resume template and moves it to resume_sent; or says why not. */
  private async resume(
    db: Kysely<Database>,
    mark: WaitingRow,
    contact: ContactRow | undefined,
    channel: ChannelKind,
    now: number,
  ): Promise<PendingEvent | string> {
    const rule = resumeOf(mark) as ResumeInForce;
    if (!contact || contact.erased_at !== null) return 'the contact was erased';
    const { name, language } = rule.template;
    const tpl = await getTemplate(db, mark.account_id, name, language);
    if (!tpl) return `template "${name}" (${language}) no longer exists`;
    if (tpl.status !== 'APPROVED') return `template "${name}" (${language}) is ${tpl.status}, not APPROVED`;
    if (contact.all_consent === 'opted_out') return 'the contact opted out of all messages';
    if (tpl.category === 'MARKETING' && contact.marketing_consent === 'opted_out') {
      return 'the contact opted out of marketing messages and the template is MARKETING';
    }
    // Checked when the rule was set, asked again: the template's category may have changed since.
    const verdict = decideSend({
      channel,
      content: 'template',
      templateCategory: tpl.category,
      lastInboundAt: contact.last_inbound_at === null ? null : Number(contact.last_inbound_at),
      lastUserMessageAt: contact.last_user_message_at === null ? null : Number(contact.last_user_message_at),
      now,
    });
    if (!verdict.ok) return `the send policy refuses it (${verdict.rule}): ${verdict.reason}`;
    // The agent's answer may have gone first with its own fallback template (when_closed): that
    // template is the invitation, and a second one would only repeat it.
    const invitation = await findOpenInvitation(db, {
      contactId: contact.id,
      since: invitationSince(contact.last_inbound_at, now),
    });
    if (invitation) return this.markResumeSent(db, mark, contact, invitation, now);
    const filled = fillResumeTemplate(rule.template, {
      contact: {
        name: contact.name,
        phone_e164: contact.phone_e164,
        language: contact.language,
        attributes: readAttributes(contact),
      },
      waiting: {
        reason: mark.reason,
        question: mark.question,
        metadata: mark.metadata === null ? null : (JSON.parse(mark.metadata) as Record<string, unknown>),
      },
    });
    if (!filled.ok) {
      const what = filled.missing
        .map((m) => `${m.path} (${m.attribute ?? m.field}: ${m.problem})`)
        .join(', ');
      return `no value for ${what}`;
    }
    let content: OutboundContent;
    try {
      const { name: _n, language: _l, ...params } = filled.value;
      content = {
        kind: 'template',
        template: bindTemplate(tpl, params),
        ...(verdict.messaging ? { messaging: verdict.messaging } : {}),
      };
    } catch (e) {
      if (!(e instanceof RecontactError)) throw e;
      return `${e.message}: ${e.details.map((d) => `${d.path} ${d.message}`).join('; ')}`;
    }
    const [message] = await queueInTransaction(this.ctx, db, [
      {
        accountId: mark.account_id,
        contact: { id: contact.id, wa_id: contact.wa_id },
        content,
        template: { name, language, category: tpl.category },
        metadata: { waiting_id: mark.id },
        source: 'resume_rule',
        detail: { waiting_id: mark.id },
      },
    ]);
    return this.markResumeSent(db, mark, contact, message!, now);
  }

  private async markResumeSent(
    db: Kysely<Database>,
    mark: WaitingRow,
    contact: ContactRow,
    message: MessageRow,
    now: number,
  ): Promise<PendingEvent> {
    const moved = await moveWaiting(db, {
      id: mark.id,
      from: ['waiting'],
      to: 'resume_sent',
      now,
      set: { resume_message_id: message.id, resume_sent_at: now },
    });
    // Claimed in this transaction while `waiting`: nothing else can have moved it.
    return resumeSentEvent(mark.account_id, contact, moved!, message);
  }
}
