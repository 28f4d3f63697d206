/**
 * Turns a send request into a queued message, or refuses it before anything leaves: bad phone,
 * unknown or unapproved template, values that do not fit it, anything the channel's send policy
 * forbids now (domain/channels/send-policy.ts: free-form text outside the window, a retired
 * Messenger tag, a marketing template on a page…). The message row is the outbox: once it is
 * written, the dispatcher owns it. On Messenger the policy's verdict (RESPONSE, UTILITY,
 * HUMAN_AGENT…) is stored in the content, and the adapter posts it as it is.
 */

import { createHash } from 'node:crypto';
import type { OutboundContent } from '../../channels/channel';
import {
  decideSend,
  HUMAN_AGENT_WINDOW_MS,
  MESSAGING_WINDOW_MS,
  type MessengerMessaging,
  type PolicyInput,
  type PolicyRefusal,
} from '../../domain/channels/send-policy';
import {
  type ConsentSource,
  consentRefusal,
  deriveConsent,
  type SendCategory,
} from '../../domain/contacts/consent';
import { type HeldPath, heldPathByPolicy, holdDuration } from '../../domain/conversations/held';
import { RecontactError } from '../../domain/errors';
import { checkReplyRouting, type ReplyRouting } from '../../domain/replies/reply-rules';
import { bindTemplate } from '../../domain/templates/bind';
import type { TemplateParams, TemplateRecord } from '../../domain/templates/model';
import { consentHistory } from '../../store/consent-repo';
import { type ContactRow, findContactById, type NewContact } from '../../store/contacts-repo';
import {
  findByIdempotencyKey,
  getMessage,
  type MessageRow,
  type NewMessage,
} from '../../store/messages-repo';
import { getTemplate } from '../../store/templates-repo';
import type { AccountRegistry } from '../accounts';
import type { EngineContext } from '../context';
import { queueTemplateAndHold } from '../conversations/held-messages';
import { templateNotFound } from '../templates/not-found';
import { ContactBatcher } from './contact-batcher';
import { resendInDoubt } from './doubts';
import { IntakeWriter } from './intake-writer';
import { channelNamedBy, checkBsuidAllowed, resolveRecipient } from './recipient';

export interface SendRequest {
  to: string;
  account_id?: string;
  template?: { name: string; language: string } & TemplateParams;
  text?: { body: string; preview_url?: boolean };
  interactive?: {
    body: string;
    header?: string;
    footer?: string;
    buttons: Array<{ id: string; title: string }>;
  };
  /** Provider id (wamid) of an inbound message to quote. */
  reply_to?: string;
  metadata?: Record<string, unknown>;
  /**
   * Send when allowed: if the window is closed, queue this template now and hold the free-form
   * message until the contact writes (engine/conversations/held-messages.ts). ISO 8601 `hold_for`.
   */
  when_closed?: { template: { name: string; language: string } & TemplateParams; hold_for?: string };
  /** What replies to this message do (domain/replies/reply-rules.ts): overrides its template's. */
  routing?: unknown;
  /**
   * Who wrote a free-form message: automation (default) or a person, an agent. On Messenger a
   * person's answer may go up to 7 days after the person's last message (HUMAN_AGENT).
   */
  sent_by?: 'bot' | 'human';
  /** A Messenger message tag asked for by name; the send policy accepts HUMAN_AGENT only. */
  tag?: string;
}

/** What the send policy is asked about a request, less what is sent. */
type SendFacts = Omit<PolicyInput, 'content' | 'templateCategory'>;

export interface SendOutcome {
  message: MessageRow;
  /** True when an earlier request with the same Idempotency-Key produced this message. */
  replayed: boolean;
  /** With when_closed: which way it went; `message` is the held one on template_then_held. */
  path?: HeldPath;
  /** template_then_held: the fallback template queued in its place. */
  templateMessageId?: string;
  /** template_then_held: the template is the contact's open invitation, not queued by this request. */
  templateReused?: boolean;
}

const TEMPLATE_CACHE_MS = 2_000;

export class SendService {
  private readonly templates = new Map<string, { record: TemplateRecord | undefined; at: number }>();
  private readonly contacts: ContactBatcher;

  constructor(
    private readonly ctx: EngineContext,
    private readonly accounts: AccountRegistry,
    private readonly onQueued: () => void,
    private readonly writer: IntakeWriter = new IntakeWriter(ctx),
  ) {
    this.contacts = new ContactBatcher(ctx.store.db);
  }

  /** Sends a message held in_doubt again, on request (see doubts.ts). */
  resendInDoubt(id: string): Promise<MessageRow> {
    return resendInDoubt(this.ctx, id, this.onQueued);
  }

  async send(req: SendRequest, idempotencyKey?: string): Promise<SendOutcome> {
    const { db } = this.ctx.store;
    const account = await this.sendingAccount(req);
    const routing = req.routing === undefined ? null : checkedRouting(req.routing);
    if (account.channel === 'messenger') checkMessengerText(req);
    const requestHash = idempotencyKey === undefined ? null : hashRequest(req);
    if (idempotencyKey !== undefined) {
      const existing = await findByIdempotencyKey(db, account.id, idempotencyKey);
      if (existing) return this.replay(existing, requestHash!, idempotencyKey, req);
    }
    const now = this.ctx.clock();
    // `to`: a phone, a BSUID, a PSID or a contact id (recipient.ts); posted to the phone when known.
    const recipient = await resolveRecipient(
      db,
      account,
      req.to,
      () => this.ctx.id('ctc'),
      (accountId, waId) => this.contacts.find(accountId, waId),
    );
    const { known, newContact } = recipient;
    // Consent first: an opted-out person is the reason, whatever else is wrong with the request.
    const category = req.template
      ? ((await this.template(account.id, req.template.name, req.template.language))?.category ?? 'UTILITY')
      : 'SERVICE';
    if (known) await this.checkConsent(known, category, req.to);
    checkBsuidAllowed(recipient, category, req.to);
    const facts: SendFacts = {
      channel: account.channel,
      byPerson: req.sent_by === 'human',
      ...(req.tag !== undefined ? { tag: req.tag } : {}),
      lastInboundAt: timeOrNull(known?.last_inbound_at),
      lastUserMessageAt: timeOrNull(known?.last_user_message_at),
      now,
    };
    const fallback = req.when_closed && (await this.fallback(account.id, req, facts));
    if (fallback?.path === 'template_then_held') {
      if (known) await this.checkConsent(known, fallback.category, req.to);
      checkBsuidAllowed(recipient, fallback.category, req.to);
    }
    const content =
      fallback?.path === 'template_then_held'
        ? withMessaging(freeFormContent(req), fallback.heldMessaging)
        : await this.buildContent(account.id, req, facts, category);
    const id = this.ctx.id('msg');
    const queued: NewMessage = {
      id,
      accountId: account.id,
      contactId: known?.id ?? newContact!.id,
      to: recipient.address,
      content,
      template: req.template ? { name: req.template.name, language: req.template.language, category } : null,
      metadata: req.metadata ?? null,
      idempotencyKey: idempotencyKey ?? null,
      requestHash,
      replyToProviderId: req.reply_to ?? null,
      queuedAt: now,
      routing,
    };
    if (fallback?.path === 'template_then_held') {
      return this.hold(queued, fallback, newContact, idempotencyKey, requestHash, req);
    }
    let message: MessageRow;
    try {
      message = await this.writer.write({
        message: queued,
        ...(newContact ? { newContact } : {}),
        ...(category === 'MARKETING' ? { marketing: true } : {}),
      });
    } catch (err) {
      // Two requests with one key raced: the loser answers with the winner's message.
      if (idempotencyKey !== undefined) {
        const winner = await findByIdempotencyKey(db, account.id, idempotencyKey);
        if (winner) return this.replay(winner, requestHash!, idempotencyKey, req);
      }
      throw err;
    }
    this.onQueued();
    return { message, replayed: false, ...(fallback ? { path: 'now' as const } : {}) };
  }

  /**
   * The account a send goes from: the one named, else the one `to` implies (a `psid:` is a
   * Messenger user, a contact id belongs to one account), else the only one. A disabled account
   * is refused (ACCOUNT_DISABLED).
   */
  private async sendingAccount(req: SendRequest) {
    const channel = channelNamedBy(req.to);
    let named = req.account_id;
    const to = req.to.trim();
    if (named === undefined && to.startsWith('ctc_')) {
      named = (await findContactById(this.ctx.store.db, to))?.account_id;
    }
    return this.accounts.resolveForSending(named, channel ? { channel } : {});
  }

  /**
   * when_closed: the fallback template is checked whatever the window (a mistake is found now,
   * not on the day it is needed), and the path chosen by the send policy with
   * WINDOW_SAFETY_MARGIN_MS: the message goes now when the policy allows it now (on Messenger a
   * person's answer within 7 days, tagged HUMAN_AGENT), else it is held behind the template.
   */
  private async fallback(accountId: string, req: SendRequest, facts: SendFacts) {
    const wc = req.when_closed!;
    if (req.text === undefined && req.interactive === undefined) {
      throw new RecontactError(
        'INPUT_INVALID',
        'when_closed is for a free-form message (text or interactive): a template is sent whatever the window',
        {
          details: [
            {
              path: 'when_closed',
              message: req.template ? 'given with a template' : 'no text or interactive',
            },
          ],
          hint: 'Send the template alone, or give text (or interactive) with when_closed.template as its fallback.',
        },
      );
    }
    const holdMs = holdDuration(wc.hold_for);
    const template = await this.bindFallback(accountId, wc.template);
    const tpl = await this.template(accountId, wc.template.name, wc.template.language);
    const category = tpl?.category ?? 'UTILITY';
    // The request's tag and author are the free-form message's, not its fallback template's.
    const { tag: _tag, byPerson: _by, ...untagged } = facts;
    const templateVerdict = decideSend({ ...untagged, content: 'template', templateCategory: category });
    if (!templateVerdict.ok) throw policyRefused(templateVerdict, req.to, 'when_closed.template.name');
    const chosen = heldPathByPolicy({ ...facts, content: 'free_form' });
    if (!chosen.verdict.ok && !chosen.verdict.windowClosed) {
      throw policyRefused(chosen.verdict, req.to, pathOf(chosen.verdict));
    }
    return {
      path: chosen.path,
      holdMs,
      template: withMessaging({ kind: 'template', template }, templateVerdict.messaging),
      category,
      heldMessaging: chosen.heldMessaging,
    };
  }

  /** The template's errors, with their paths under when_closed (the binder names template.…). */
  private async bindFallback(accountId: string, t: NonNullable<SendRequest['when_closed']>['template']) {
    try {
      return await this.bind(accountId, t, 'when_closed.template.language');
    } catch (e) {
      if (!(e instanceof RecontactError)) throw e;
      const details = e.details.length
        ? e.details.map((d) => ({
            ...d,
            path: d.path?.startsWith('template') ? `when_closed.${d.path}` : d.path,
          }))
        : [{ path: 'when_closed.template', message: e.message }];
      throw new RecontactError(e.code, `when_closed.template: ${e.message}`, {
        details,
        ...(e.hint ? { hint: e.hint } : {}),
        ...(e.data ? { data: e.data } : {}),
        cause: e,
      });
    }
  }

  /** The closed path: the template queued and the free-form message held, in one transaction. */
  private async hold(
    queued: NewMessage,
    fallback: NonNullable<Awaited<ReturnType<SendService['fallback']>>>,
    newContact: NewContact | undefined,
    idempotencyKey: string | undefined,
    requestHash: string | null,
    req: SendRequest,
  ): Promise<SendOutcome> {
    const wc = req.when_closed!;
    const content: OutboundContent = fallback.template;
    const template: NewMessage = {
      ...queued,
      id: this.ctx.id('msg'),
      content,
      template: { name: wc.template.name, language: wc.template.language, category: fallback.category },
      idempotencyKey: null,
      requestHash: null,
      replyToProviderId: null,
    };
    try {
      const {
        held,
        template: sent,
        reused,
      } = await queueTemplateAndHold(this.ctx, {
        held: queued,
        template,
        holdMs: fallback.holdMs,
        ...(newContact ? { newContact } : {}),
        marketing: fallback.category === 'MARKETING',
      });
      this.onQueued();
      return {
        message: held,
        replayed: false,
        path: 'template_then_held',
        templateMessageId: sent.id,
        templateReused: reused,
      };
    } catch (err) {
      if (idempotencyKey !== undefined) {
        const winner = await findByIdempotencyKey(this.ctx.store.db, queued.accountId, idempotencyKey);
        if (winner) return this.replay(winner, requestHash!, idempotencyKey, req);
      }
      throw err;
    }
  }

  /**
   * Refuses a send the contact opted out of: marketing templates after a marketing opt-out,
   * everything after an opt-out of all. The contact row carries the derived state, so the
   * common case costs nothing; the ledger is read only to say when and how they opted out.
   */
  private async checkConsent(contact: ContactRow, category: string, asked: string): Promise<void> {
    if (contact.all_consent !== 'opted_out' && contact.marketing_consent !== 'opted_out') return;
    const history = await consentHistory(this.ctx.store.db, contact.id);
    const refusal = consentRefusal(deriveConsent(history), sendCategory(category));
    if (!refusal) return;
    const entry = refusal.entry;
    const who = contact.phone_e164 ?? asked;
    const what = refusal.scope === 'marketing' ? 'marketing messages' : 'all messages';
    const when = entry ? ` on ${new Date(entry.at).toISOString().slice(0, 10)}` : '';
    const last = entry
      ? history.filter((h) => h.at === entry.at && h.source === entry.source).at(-1)
      : undefined;
    throw new RecontactError(
      'CONTACT_OPTED_OUT',
      `${who} opted out of ${what}${when}${entry ? ` (${describeSource(entry.source, last?.evidence ?? null)})` : ''}`,
      {
        hint:
          refusal.scope === 'marketing'
            ? 'Utility and authentication templates still reach them; marketing resumes only when they opt in again (a START keyword, Meta\'s "resume", or POST /v1/contacts/{contact}/consent with their agreement).'
            : 'Nothing may be sent until they opt in again (a START keyword, or POST /v1/contacts/{contact}/consent with their agreement).',
        data: {
          contact_id: contact.id,
          scope: refusal.scope,
          source: entry?.source ?? null,
          at: entry ? new Date(entry.at).toISOString() : null,
          evidence: last?.evidence ?? null,
        },
      },
    );
  }

  private async replay(
    existing: MessageRow,
    requestHash: string,
    key: string,
    req: SendRequest,
  ): Promise<SendOutcome> {
    if (existing.request_hash !== requestHash) {
      throw new RecontactError(
        'IDEMPOTENCY_KEY_REUSED',
        `Idempotency-Key "${key}" was already used for message ${existing.id} with a different body`,
        {
          hint: 'Send the same body to get the same message back, or use a new key for a new message.',
          data: { message_id: existing.id },
        },
      );
    }
    // The same answer as the first time: the held message names its template.
    if (existing.fallback_message_id !== null) {
      const template = await getMessage(this.ctx.store.db, existing.fallback_message_id);
      return {
        message: existing,
        replayed: true,
        path: 'template_then_held',
        templateMessageId: existing.fallback_message_id,
        // Queued by the first request in its transaction (the same instant), or found there.
        templateReused: template !== undefined && template.created_at < existing.created_at,
      };
    }
    return { message: existing, replayed: true, ...(req.when_closed ? { path: 'now' as const } : {}) };
  }

  private async buildContent(
    accountId: string,
    req: SendRequest,
    facts: SendFacts,
    category: string,
  ): Promise<OutboundContent> {
    const kinds = (['template', 'text', 'interactive'] as const).filter((k) => req[k] !== undefined);
    if (kinds.length !== 1) {
      throw new RecontactError(
        'INPUT_INVALID',
        'A message needs exactly one of template, text or interactive',
        {
          details: [
            { path: kinds.length ? kinds.join(', ') : '(body)', message: `got ${kinds.length || 'none'}` },
          ],
        },
      );
    }
    if (req.template) {
      const template = await this.bind(accountId, req.template);
      const verdict = decideSend({ ...facts, content: 'template', templateCategory: category });
      if (!verdict.ok) throw policyRefused(verdict, req.to, pathOf(verdict));
      return withMessaging({ kind: 'template', template }, verdict.messaging);
    }
    const verdict = decideSend({ ...facts, content: 'free_form' });
    if (!verdict.ok) throw policyRefused(verdict, req.to, pathOf(verdict), facts);
    return withMessaging(freeFormContent(req), verdict.messaging);
  }

  /**
   * Templates are read on every send of a campaign; they are cached for a moment. A review
   * change made by another process is seen within TEMPLATE_CACHE_MS; a send in that gap is
   * refused by Meta (132015/132001) and recorded as failed, never lost.
   */
  private async template(accountId: string, name: string, language: string) {
    const key = `${accountId}\u0000${name}\u0000${language}`;
    const now = this.ctx.clock();
    const hit = this.templates.get(key);
    if (hit && now - hit.at < TEMPLATE_CACHE_MS) return hit.record;
    const record = await getTemplate(this.ctx.store.db, accountId, name, language);
    if (this.templates.size > 10_000) this.templates.clear();
    this.templates.set(key, { record, at: now });
    return record;
  }

  /** Forgets cached templates (after a sync or a review webhook in this process). */
  forgetTemplates(): void {
    this.templates.clear();
  }

  private async bind(accountId: string, t: NonNullable<SendRequest['template']>, path = 'template.language') {
    const tpl = await this.template(accountId, t.name, t.language);
    if (!tpl) {
      throw await templateNotFound(this.ctx.store.db, {
        accountId,
        name: t.name,
        language: t.language,
        path,
      });
    }
    if (tpl.status !== 'APPROVED') {
      throw new RecontactError(
        'TEMPLATE_NOT_APPROVED',
        `Template "${t.name}" (${t.language}) is ${tpl.status}${tpl.rejectedReason ? ` (reason: ${tpl.rejectedReason})` : ''}; only APPROVED templates can be sent`,
        {
          data: { status: tpl.status, rejected_reason: tpl.rejectedReason },
          hint:
            tpl.status === 'PENDING'
              ? "Wait for Meta to review it; Recontact updates the status from Meta's webhook."
              : 'Edit and resubmit the template, or send another approved one.',
        },
      );
    }
    const { name: _n, language: _l, ...params } = t;
    return bindTemplate(tpl, params);
  }
}

/** A send's reply routing, or INPUT_INVALID naming every problem by its path under `body.routing`. */
function checkedRouting(raw: unknown): ReplyRouting {
  const check = checkReplyRouting(raw, 'body.routing');
  if (check.ok) return check.value;
  const first = check.problems[0]!;
  throw new RecontactError(
    'INPUT_INVALID',
    `The reply routing has ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'}: ${first.path}: ${first.message}${check.problems.length > 1 ? ' (see details for the others)' : ''}`,
    {
      details: check.problems,
      hint: 'routing is { on_reply: [ { match: { payload: [CONFIRM] } | { text: [sí] } | { any: true }, actions: [ { answer: { text } }, { tag: [x] }, … ] } ] }; nothing was queued.',
    },
  );
}

/**
 * The policy's refusal as the API answers it: WINDOW_CLOSED when the window is the reason (the
 * shape WhatsApp clients know, with `rule`), SEND_POLICY_REFUSED for a rule about what is sent.
 */
function policyRefused(v: PolicyRefusal, to: string, path: string, facts?: SendFacts): RecontactError {
  if (v.windowClosed && facts) {
    const last = facts.lastInboundAt;
    const expiredAt = last === null ? null : last + MESSAGING_WINDOW_MS;
    const message =
      facts.channel === 'whatsapp'
        ? last === null
          ? `${to} has never written to this number, so only a template may be sent`
          : `The customer-service window with ${to} closed at ${new Date(expiredAt!).toISOString()}`
        : `${v.reason} (${to}${last === null ? ' never wrote' : `: the window closed at ${new Date(expiredAt!).toISOString()}`})`;
    const humanAgent =
      facts.channel === 'messenger'
        ? {
            last_user_message_at: isoOrNull(facts.lastUserMessageAt),
            human_agent_until: isoOrNull(
              facts.lastUserMessageAt === null ? null : facts.lastUserMessageAt + HUMAN_AGENT_WINDOW_MS,
            ),
          }
        : {};
    return new RecontactError('WINDOW_CLOSED', message, {
      hint: v.hint,
      data: {
        window_open: false,
        last_inbound_at: isoOrNull(last),
        expired_at: isoOrNull(expiredAt),
        rule: v.rule,
        channel: facts.channel,
        intent: v.intent,
        ...humanAgent,
      },
    });
  }
  return new RecontactError('SEND_POLICY_REFUSED', v.reason, {
    details: [{ path, message: v.reason }],
    hint: v.hint,
    data: {
      rule: v.rule,
      intent: v.intent,
      ...(v.retiredOn !== undefined ? { retired_on: v.retiredOn } : {}),
    },
  });
}

/** Meta: Messenger text "has a 2000 character limit" (WhatsApp takes 4,096). */
const MESSENGER_TEXT_MAX = 2_000;

/**
 * Refuses now what a page would refuse at dispatch: a text over 2,000 characters (counted as
 * Meta counts them, by code point). Buttons go as the text with quick replies, header and footer
 * as its first and last paragraph, so their sum is what counts.
 */
function checkMessengerText(req: SendRequest): void {
  const i = req.interactive;
  const [path, text] = req.text
    ? ['text.body', req.text.body]
    : i
      ? ['interactive.body', [i.header, i.body, i.footer].filter((x) => x).join('\n\n')]
      : [undefined, ''];
  const length = [...text].length;
  if (path === undefined || length <= MESSENGER_TEXT_MAX) return;
  throw new RecontactError(
    'INPUT_INVALID',
    `Messenger takes at most ${MESSENGER_TEXT_MAX} characters of text; this message has ${length}`,
    {
      details: [{ path, message: `${length} characters, at most ${MESSENGER_TEXT_MAX} on Messenger` }],
      hint: 'Shorten the text, or split it into two messages.',
    },
  );
}

/** Where in the request the refused part is. */
function pathOf(v: PolicyRefusal): string {
  switch (v.rule) {
    case 'marketing_template_on_messenger':
      return 'template.name';
    case 'human_agent_requires_person':
    case 'tag_retired':
    case 'tag_unsupported':
    case 'tags_not_on_whatsapp':
      return 'tag';
    default:
      return 'to';
  }
}

function withMessaging(content: OutboundContent, messaging: MessengerMessaging | null): OutboundContent {
  return messaging === null ? content : { ...content, messaging };
}

/** A stored time (BIGINT may come back as a string on some drivers) in ms, or null. */
function timeOrNull(v: number | string | null | undefined): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** A text or interactive message's content (the window was checked, or the message is held). */
function freeFormContent(req: SendRequest): OutboundContent {
  if (req.text) {
    return {
      kind: 'text',
      text: { body: req.text.body, ...(req.text.preview_url ? { preview_url: true } : {}) },
    };
  }
  return { kind: 'interactive', interactive: buildInteractive(req.interactive!) };
}

function buildInteractive(i: NonNullable<SendRequest['interactive']>): Record<string, unknown> {
  const ids = new Set<string>();
  for (const [k, b] of i.buttons.entries()) {
    if (ids.has(b.id)) {
      throw new RecontactError('INPUT_INVALID', 'Interactive button ids must be unique', {
        details: [{ path: `interactive.buttons[${k}].id`, message: `"${b.id}" is used twice` }],
      });
    }
    ids.add(b.id);
  }
  return {
    type: 'button',
    ...(i.header ? { header: { type: 'text', text: i.header } } : {}),
    body: { text: i.body },
    ...(i.footer ? { footer: { text: i.footer } } : {}),
    action: { buttons: i.buttons.map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
  };
}

function sendCategory(category: string): SendCategory {
  return category === 'MARKETING' || category === 'AUTHENTICATION' || category === 'SERVICE'
    ? category
    : 'UTILITY';
}

/** How an opt-out came about, in words: keyword "BAJA", button "No quiero promociones", … */
function describeSource(source: ConsentSource, evidence: Record<string, unknown> | null): string {
  const said = (key: string) => (typeof evidence?.[key] === 'string' ? ` "${evidence[key]}"` : '');
  switch (source) {
    case 'keyword':
      return `keyword${said('keyword')}`;
    case 'button':
      return `button${said('text') || said('payload')}`;
    case 'meta_user_preferences':
      return 'stopped marketing messages in WhatsApp';
    case 'meta_131050':
      return 'Meta refused a marketing template with 131050';
    case 'import':
      return `import${said('file')}${typeof evidence?.line === 'number' ? ` line ${evidence.line}` : ''}`;
    case 'agent':
      return `recorded by an agent${said('note')}`;
    case 'api':
      return `recorded through the API${said('note')}`;
  }
}

/** Canonical JSON (sorted keys) so that key order in the client's body does not matter. */
export function hashRequest(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('hex');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
