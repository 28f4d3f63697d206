/**
 * Reply routing carried out: for each reply attributed to one of our messages, the routing
 * table in force (the message's, else its campaign's, else its template's: whole tables, never
 * merged) is matched (domain/replies/reply-rules.ts) and the first matching rule's actions run
 * in order, inside the webhook batch's transaction:
 *
 *   answer         a free-form text, queued (lawful: the reply opened the window); skipped when
 *                  the window is closed again (a reply delivered late) or the contact opted out
 *                  of everything
 *   set_attribute  \
 *   tag, untag      } written through the contact book (name and its lock untouched)
 *   opt_out        the consent ledger, as keyword and button opt-outs are (contact.opted_out)
 *   wait           a waiting mark (conversations/waiting-service.ts), the reply's text as the
 *   clear_waiting  question unless the rule gives one; clearing emits conversation.cleared
 *   handoff        handoff.requested, source routing, with the active mark's context
 *
 * Exactly once per reply: the batch is applied once, a reply already routed is skipped, and
 * every action's outcome is a reply_actions row keyed (inbound id, action index), so a second
 * application collides instead of passing silently. `reply.routed` lists the outcomes.
 */
import type { Kysely } from 'kysely';
import { CONTACT_LIMITS } from '../../domain/contacts/contact-fields';
import { RecontactError } from '../../domain/errors';
import {
  actionType,
  checkReplyRouting,
  matchReply,
  type ReplyAction,
  type ReplyRouting,
  type RoutingSource,
  routingInForce,
} from '../../domain/replies/reply-rules';
import { getCampaign } from '../../store/campaigns-repo';
import {
  findLiveContact,
  readAttributes,
  readTags,
  updateContactLabels,
} from '../../store/contact-book-repo';
import { findContactById } from '../../store/contacts-repo';
import type { MessageRow } from '../../store/messages-repo';
import { insertReplyActions, type ReplyActionRecord, routedInbound } from '../../store/reply-routing-repo';
import type { Database } from '../../store/schema';
import { getTemplateRouting } from '../../store/templates-repo';
import { activeWaiting } from '../../store/waiting-repo';
import { recordConsentSignals, signalId } from '../contacts/consent';
import type { EngineContext } from '../context';
import { waitingView } from '../conversations/conversation-events';
import { clearWaiting, markWaiting } from '../conversations/waiting-service';
import { queueInTransaction } from '../outbound/queue-in-transaction';
import type { AppliedInbound, FollowUp, InboundFollower } from './inbound-followers';
import { handoffRequestedEvent, type RoutedAction, replyRoutedEvent } from './reply-events';

interface Outcome extends RoutedAction {
  ref?: string | null;
}

/** What one batch reads once: campaigns' and templates' tables. */
interface Tables {
  campaigns: Map<string, ReplyRouting | null>;
  templates: Map<string, ReplyRouting | null>;
}

export class ReplyRouter implements InboundFollower {
  constructor(private readonly ctx: EngineContext) {}

  async afterInbound(db: Kysely<Database>, applied: readonly AppliedInbound[]): Promise<FollowUp> {
    const replies = applied.filter((a): a is AppliedInbound & { answered: MessageRow } => !!a.answered);
    if (replies.length === 0) return { events: [] };
    const done = await routedInbound(
      db,
      replies.map((r) => r.inboundId),
    );
    const tables: Tables = { campaigns: new Map(), templates: new Map() };
    const out: FollowUp = { events: [] };
    for (const a of replies) {
      if (done.has(a.inboundId)) continue;
      const inForce = await this.tableFor(db, a.accountId, a.answered, tables);
      if (!inForce) continue;
      const hit = matchReply(inForce.routing.on_reply, {
        payload: a.reply.payload,
        text: a.reply.text,
        buttonText: a.reply.button_text,
      });
      if (!hit) continue;
      const records: ReplyActionRecord[] = [];
      const outcomes: RoutedAction[] = [];
      for (const [index, action] of hit.rule.actions.entries()) {
        const o = await this.apply(db, a, action, index, inForce.source, out);
        outcomes.push({ type: o.type, outcome: o.outcome, detail: o.detail });
        records.push({
          inboundId: a.inboundId,
          actionIndex: index,
          accountId: a.accountId,
          contactId: a.contact.id,
          messageId: a.answered.id,
          ruleSource: inForce.source,
          ruleIndex: hit.index,
          ruleMatch: hit.matched,
          type: o.type,
          outcome: o.outcome,
          detail: o.detail,
          ref: o.ref ?? null,
        });
      }
      await insertReplyActions(db, records, this.ctx.clock());
      out.events.push(
        replyRoutedEvent({
          accountId: a.accountId,
          contact: { ...a.contact, name: a.item.profileName ?? a.contact.name },
          inboundId: a.inboundId,
          message: a.answered,
          rule: { source: inForce.source, index: hit.index, match: hit.matched },
          actions: outcomes,
        }),
      );
      this.ctx.log.debug(
        { inbound: a.inboundId, message: a.answered.id, source: inForce.source, rule: hit.index },
        'reply routed',
      );
    }
    return out;
  }

  /** The table in force for a reply to `m`: the message's, else its campaign's, else its template's. */
  private async tableFor(
    db: Kysely<Database>,
    accountId: string,
    m: MessageRow,
    tables: Tables,
  ): Promise<{ source: RoutingSource; routing: ReplyRouting } | undefined> {
    const message = m.routing === null ? null : (JSON.parse(m.routing) as ReplyRouting);
    if (message) return { source: 'message', routing: message };
    let campaign: ReplyRouting | null = null;
    if (m.campaign_id !== null) {
      if (!tables.campaigns.has(m.campaign_id)) {
        const c = await getCampaign(db, accountId, m.campaign_id);
        const raw = c?.definition.routing;
        // Checked when the campaign was saved; read again so a stored table never runs unchecked.
        const checked = raw === undefined || raw === null ? undefined : checkReplyRouting(raw);
        tables.campaigns.set(m.campaign_id, checked?.ok ? checked.value : null);
      }
      campaign = tables.campaigns.get(m.campaign_id) ?? null;
    }
    let template: ReplyRouting | null = null;
    if (m.template_name !== null && m.template_language !== null) {
      const key = `${m.template_name}\u0000${m.template_language}`;
      if (!tables.templates.has(key)) {
        const t = await getTemplateRouting(db, accountId, m.template_name, m.template_language);
        const rules = t?.routing?.on_reply;
        tables.templates.set(key, rules ? { on_reply: rules } : null);
      }
      template = tables.templates.get(key) ?? null;
    }
    return routingInForce({ message: null, campaign, template });
  }

  private async apply(
    db: Kysely<Database>,
    a: AppliedInbound & { answered: MessageRow },
    action: ReplyAction,
    index: number,
    source: RoutingSource,
    out: FollowUp,
  ): Promise<Outcome> {
    const type = actionType(action);
    const result = (outcome: Outcome['outcome'], detail: string, ref?: string | null): Outcome => ({
      type,
      outcome,
      detail,
      ref: ref ?? null,
    });
    try {
      if ('answer' in action) return await this.answer(db, a, action.answer.text, index, out, result);
      if ('set_attribute' in action || 'tag' in action || 'untag' in action) {
        return await this.label(db, a, action, result);
      }
      if ('opt_out' in action) return await this.optOut(db, a, action.opt_out, index, source, out, result);
      if ('wait' in action) {
        const { waiting, events } = await markWaiting(this.ctx, db, {
          accountId: a.accountId,
          contactId: a.contact.id,
          reason: action.wait.reason,
          question: action.wait.question ?? replyText(a),
          metadata: waitMetadata(a.answered, action.wait.metadata),
        });
        out.events.push(...events);
        return result('applied', `waiting for ${action.wait.reason} (${waiting.id})`, waiting.id);
      }
      if ('clear_waiting' in action) {
        const { cleared, events } = await clearWaiting(this.ctx, db, {
          contactId: a.contact.id,
          by: 'routing',
        });
        out.events.push(...events);
        return cleared
          ? result('applied', 'waiting mark cleared')
          : result('skipped', 'no active waiting mark');
      }
      const mark = await activeWaiting(db, a.contact.id);
      out.events.push(
        handoffRequestedEvent({
          source: 'routing',
          accountId: a.accountId,
          contact: { ...a.contact, name: a.item.profileName ?? a.contact.name },
          reason: action.handoff.reason ?? null,
          question: mark?.question ?? replyText(a),
          metadata: waitMetadata(a.answered, undefined),
          reply: a.reply,
          waiting: mark ? waitingView(mark) : null,
          window: a.window,
        }),
      );
      return result(
        'applied',
        `handoff requested${action.handoff.reason ? ` (${action.handoff.reason})` : ''}`,
      );
    } catch (err) {
      // A refusal named by the engine (a waiting mark it cannot make…) fails this action only;
      // anything else is the database's, and the batch is retried as a whole.
      if (!(err instanceof RecontactError)) throw err;
      // Already waiting is the state the rule wanted: the earlier question keeps its place.
      return result(err.code === 'WAITING_ACTIVE' ? 'skipped' : 'failed', err.message);
    }
  }

  private async answer(
    db: Kysely<Database>,
    a: AppliedInbound & { answered: MessageRow },
    text: string,
    index: number,
    out: FollowUp,
    result: (o: Outcome['outcome'], detail: string, ref?: string | null) => Outcome,
  ): Promise<Outcome> {
    if (!a.window.open) {
      const closed =
        a.window.expiresAt === null ? 'is closed' : `closed at ${new Date(a.window.expiresAt).toISOString()}`;
      return result('skipped', `the window ${closed}: the reply arrived too late for a free-form answer`);
    }
    // Read now: an opt-out earlier in this batch (a STOP, this rule's own opt_out) counts.
    const contact = await findContactById(db, a.contact.id);
    if (!contact || contact.erased_at !== null) return result('skipped', 'the contact was erased');
    if (contact.all_consent === 'opted_out')
      return result('skipped', 'the contact opted out of all messages');
    const [message] = await queueInTransaction(this.ctx, db, [
      {
        accountId: a.accountId,
        contact: { id: contact.id, wa_id: contact.wa_id },
        content: { kind: 'text', text: { body: text } },
        template: null,
        metadata: { recontact: 'routing_answer', inbound_id: a.inboundId, in_reply_to: a.answered.id },
        source: 'routing',
        detail: { inbound_id: a.inboundId, action_index: index },
      },
    ]);
    out.queued = true;
    return result('applied', `answer queued (${message!.id})`, message!.id);
  }

  private async label(
    db: Kysely<Database>,
    a: AppliedInbound,
    action: Extract<ReplyAction, { set_attribute: unknown } | { tag: unknown } | { untag: unknown }>,
    result: (o: Outcome['outcome'], detail: string, ref?: string | null) => Outcome,
  ): Promise<Outcome> {
    const row = await findLiveContact(db, a.accountId, { kind: 'id', id: a.contact.id }, { forUpdate: true });
    if (!row) return result('skipped', 'the contact was erased');
    const tags = readTags(row);
    const attributes = readAttributes(row);
    let detail: string;
    if ('set_attribute' in action) {
      Object.assign(attributes, action.set_attribute);
      if (Object.keys(attributes).length > CONTACT_LIMITS.attributesPerContact) {
        return result(
          'failed',
          `the contact would have more than ${CONTACT_LIMITS.attributesPerContact} attributes`,
        );
      }
      detail = Object.entries(action.set_attribute)
        .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
        .join(', ');
    } else if ('tag' in action) {
      const added = action.tag.filter((t) => !tags.includes(t));
      tags.push(...added);
      if (tags.length > CONTACT_LIMITS.tagsPerContact) {
        return result('failed', `the contact would have more than ${CONTACT_LIMITS.tagsPerContact} tags`);
      }
      detail = added.length ? `tagged ${added.join(', ')}` : `already tagged ${action.tag.join(', ')}`;
    } else {
      const removed = action.untag.filter((t) => tags.includes(t));
      tags.splice(0, tags.length, ...tags.filter((t) => !action.untag.includes(t)));
      detail = removed.length ? `untagged ${removed.join(', ')}` : `not tagged ${action.untag.join(', ')}`;
    }
    tags.sort();
    await updateContactLabels(db, row, { tags, attributes }, this.ctx.clock());
    return result('applied', detail);
  }

  private async optOut(
    db: Kysely<Database>,
    a: AppliedInbound & { answered: MessageRow },
    scope: 'marketing' | 'all',
    index: number,
    source: RoutingSource,
    out: FollowUp,
    result: (o: Outcome['outcome'], detail: string, ref?: string | null) => Outcome,
  ): Promise<Outcome> {
    const row = await findContactById(db, a.contact.id);
    if (!row) return result('skipped', 'the contact was erased');
    if ((scope === 'all' ? row.all_consent : row.marketing_consent) === 'opted_out') {
      return result('skipped', `already opted out of ${scope === 'all' ? 'all messages' : 'marketing'}`);
    }
    const id = signalId('reply_routing', a.inboundId, String(index));
    const tapped = a.reply.payload !== null;
    const recorded = await recordConsentSignals(this.ctx, db, [
      {
        id,
        accountId: a.accountId,
        contact: row,
        scope,
        state: 'opted_out',
        // The same sources as the keyword and button opt-outs: the ledger reads alike.
        source: tapped ? 'button' : 'keyword',
        evidence: {
          message_id: a.item.providerMessageId,
          ...(tapped ? { payload: a.reply.payload } : { keyword: replyText(a) }),
          text: replyText(a),
          ...(a.answered.template_name
            ? { template: a.answered.template_name, language: a.answered.template_language }
            : {}),
          in_reply_to: a.answered.id,
          rule: 'on_reply',
          routing: source,
        },
        at: a.item.timestamp,
        confirm: true,
      },
    ]);
    out.events.push(...recorded.events);
    if (recorded.confirmations.length) out.queued = true;
    return result('applied', `opted out of ${scope === 'all' ? 'all messages' : 'marketing'}`, id);
  }
}

/** What the person said: the text written, or the label of the button tapped. */
function replyText(a: AppliedInbound): string | null {
  return a.reply.text ?? a.reply.button_text;
}

/** A waiting mark's metadata: the answered message's metadata, with the rule's own on top. */
function waitMetadata(
  m: MessageRow,
  extra: Record<string, unknown> | undefined,
): Record<string, unknown> | null {
  const own = m.metadata === null ? {} : (JSON.parse(m.metadata) as Record<string, unknown>);
  const merged = { ...own, ...extra };
  return Object.keys(merged).length ? merged : null;
}
