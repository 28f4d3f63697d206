/**
 * Consent signals in a batch of webhook items, recorded in the batch's transaction:
 *
 *   inbound text that is a keyword (STOP, BAJA, SAIR, START…)   → keyword          scope per keyword
 *   a quick reply the template's routing declares, a MARKETING
 *   template's opt-out label ("No quiero promociones"), or a
 *   payload the account's settings list                          → button           scope per rule
 *   Meta's user_preferences stop / resume (marketing_messages)   → meta_user_preferences  marketing
 *   a `failed` status with 131050                                → meta_131050      marketing
 *
 * Runs after the inbound and status appliers, so contacts exist and windows have moved. Every
 * entry id is derived from Meta's ids (signalId), so a webhook applied twice records once.
 */
import type { Kysely } from 'kysely';
import type { InboundItem, StatusItem, UserPreferenceItem, WebhookItem } from '../../channels/channel';
import { type ConsentRules, consentRules } from '../../domain/contacts/consent-settings';
import { waIdToE164 } from '../../domain/phone';
import { routedConsent } from '../../domain/templates/routing';
import { readConsentSettings } from '../../store/consent-settings-repo';
import { type ContactRow, contactKey, ensureContacts, findContactById } from '../../store/contacts-repo';
import {
  findMessagesByIds,
  findMessagesOfContactsByProviderIds,
  type MessageRow,
} from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import { getTemplateRouting } from '../../store/templates-repo';
import { type ConsentSignal, recordConsentSignals, signalId } from '../contacts/consent';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/event-bus';
import type { InboundAccounts } from './inbound-applier';

/** Meta's error for a send to someone who stopped marketing messages from this business. */
export const MARKETING_STOPPED = 131050;

export async function applyConsentSignals(
  ctx: EngineContext,
  accounts: InboundAccounts,
  db: Kysely<Database>,
  items: readonly WebhookItem[],
): Promise<{ events: PendingEvent[] }> {
  const inbound: Array<{ item: InboundItem; accountId: string }> = [];
  const preferences: Array<{ item: UserPreferenceItem; accountId: string }> = [];
  const stopped: StatusItem[] = [];
  for (const item of items) {
    if (item.kind === 'status') {
      if (item.status === 'failed' && item.errors?.some((e) => e.code === MARKETING_STOPPED))
        stopped.push(item);
      continue;
    }
    if (item.kind !== 'inbound' && item.kind !== 'user_preference') continue;
    const account = accounts.byExternalId(item.externalId);
    if (!account) continue; // logged by the inbound applier
    if (item.kind === 'user_preference') {
      if (item.category === 'marketing_messages') preferences.push({ item, accountId: account.id });
      else
        ctx.log.info(
          { category: item.category, value: item.value },
          'user preference of a category we do not act on',
        );
    } else if (item.text !== undefined || item.button || item.interactiveReply) {
      inbound.push({ item, accountId: account.id });
    }
  }
  if (inbound.length === 0 && preferences.length === 0 && stopped.length === 0) return { events: [] };

  const settings = await readConsentSettings(
    db,
    [...inbound, ...preferences].map((x) => x.accountId),
  );
  const rules = new Map([...settings].map(([id, s]) => [id, consentRules(s)]));
  const signals: ConsentSignal[] = [
    ...(await fromInbound(ctx, db, inbound, rules)),
    ...(await fromPreferences(ctx, db, preferences)),
    ...(await fromFailedStatuses(db, stopped)),
  ];
  const recorded = await recordConsentSignals(ctx, db, signals, settings);
  if (recorded.recorded.length) {
    ctx.log.info(
      {
        changes: recorded.recorded.map((s) => ({
          contact: s.contact.id,
          scope: s.scope,
          state: s.state,
          source: s.source,
        })),
      },
      'consent changes recorded',
    );
  }
  return { events: recorded.events };
}

async function fromInbound(
  ctx: EngineContext,
  db: Kysely<Database>,
  inbound: Array<{ item: InboundItem; accountId: string }>,
  rules: Map<string, ConsentRules>,
): Promise<ConsentSignal[]> {
  // Most inbound messages are conversation: only candidates cost a contact lookup.
  type Found = Omit<ConsentSignal, 'contact'>;
  const found: Array<{ item: InboundItem; accountId: string; signal?: Found }> = [];
  for (const { item, accountId } of inbound) {
    const r = rules.get(accountId);
    if (!r) continue;
    const base = { accountId, at: item.timestamp, confirm: true };
    if (item.type === 'text' && item.text !== undefined) {
      const meaning = r.keywords.match(item.text);
      if (!meaning) continue;
      found.push({
        item,
        accountId,
        signal: {
          ...base,
          id: signalId('keyword', item.providerMessageId),
          scope: meaning.scope,
          state: meaning.state,
          source: 'keyword',
          evidence: { message_id: item.providerMessageId, keyword: meaning.keyword },
        },
      });
      continue;
    }
    const payload = item.button?.payload ?? item.interactiveReply?.id;
    const scope = payload === undefined ? undefined : r.optOutPayloads.get(payload);
    if (payload !== undefined && scope) {
      found.push({
        item,
        accountId,
        signal: {
          ...base,
          id: signalId('button', item.providerMessageId),
          scope,
          state: 'opted_out',
          source: 'button',
          evidence: { message_id: item.providerMessageId, payload, rule: 'settings' },
        },
      });
    } else if (item.button && item.contextProviderId) {
      found.push({ item, accountId }); // a template's quick reply: its routing decides below
    }
  }
  if (found.length === 0) return [];
  const contacts = await ensureContacts(
    db,
    // The inbound applier created them earlier in this transaction: this reads and locks them.
    found.map(({ item, accountId }) => ({
      id: ctx.id('ctc'),
      accountId,
      waId: item.from,
      phoneE164: safeE164(item.from),
    })),
    ctx.clock(),
    { forUpdate: true },
  );
  const out: ConsentSignal[] = [];
  const taps: Array<{ item: InboundItem; accountId: string; contact: ContactRow }> = [];
  for (const { item, accountId, signal } of found) {
    const contact = contacts.get(contactKey(accountId, item.from));
    if (!contact) continue;
    if (signal) out.push({ ...signal, contact });
    else taps.push({ item, accountId, contact });
  }
  if (taps.length === 0) return out;

  // Which template each tap answers: the quoted message of ours (reply attribution's first rule).
  const answered = await findMessagesOfContactsByProviderIds(
    db,
    taps.map((t) => t.contact.id),
    taps.map((t) => t.item.contextProviderId!),
  );
  const byProvider = new Map(answered.map((m) => [m.provider_message_id!, m]));
  const templates = new Map<string, Awaited<ReturnType<typeof getTemplateRouting>>>();
  for (const { item, accountId, contact } of taps) {
    const message = byProvider.get(item.contextProviderId!);
    if (!message?.template_name || message.template_language === null || message.contact_id !== contact.id)
      continue;
    const key = `${accountId}\u0000${message.template_name}\u0000${message.template_language}`;
    if (!templates.has(key)) {
      templates.set(
        key,
        await getTemplateRouting(db, accountId, message.template_name, message.template_language),
      );
    }
    const template = templates.get(key);
    const tap = { payload: item.button!.payload, text: item.button!.text };
    const meaning = template && routedConsent(template, tap);
    if (!meaning) continue;
    out.push({
      accountId,
      contact,
      at: item.timestamp,
      confirm: true,
      id: signalId('button', item.providerMessageId),
      scope: meaning.scope,
      state: meaning.state,
      source: 'button',
      evidence: {
        message_id: item.providerMessageId,
        payload: tap.payload,
        text: tap.text,
        template: message.template_name,
        language: message.template_language,
        in_reply_to: message.id,
        rule: meaning.rule,
      },
    });
  }
  return out;
}

/** Meta's own record of "stop promotions": a user with no contact yet gets one, so it holds. */
async function fromPreferences(
  ctx: EngineContext,
  db: Kysely<Database>,
  preferences: Array<{ item: UserPreferenceItem; accountId: string }>,
): Promise<ConsentSignal[]> {
  const addressed = preferences.flatMap((p) => {
    const address = p.item.waId ?? p.item.userId;
    return address === undefined ? [] : [{ ...p, address }];
  });
  if (addressed.length === 0) return [];
  const contacts = await ensureContacts(
    db,
    addressed.map(({ accountId, address }) => ({
      id: ctx.id('ctc'),
      accountId,
      waId: address,
      phoneE164: safeE164(address),
    })),
    ctx.clock(),
    { forUpdate: true },
  );
  return addressed.flatMap(({ item, accountId, address }) => {
    const contact = contacts.get(contactKey(accountId, address));
    if (!contact) return [];
    return [
      {
        id: signalId('user_preferences', accountId, address, item.category, item.value, String(item.at)),
        accountId,
        contact,
        scope: 'marketing' as const,
        state: item.value === 'stop' ? ('opted_out' as const) : ('opted_in' as const),
        source: 'meta_user_preferences' as const,
        evidence: {
          category: item.category,
          value: item.value,
          ...(item.detail !== undefined ? { detail: item.detail } : {}),
          ...(item.userId !== undefined ? { user_id: item.userId } : {}),
        },
        at: item.at,
        confirm: true,
      },
    ];
  });
}

/** A marketing template Meta refused with 131050: the person had stopped marketing messages. */
async function fromFailedStatuses(db: Kysely<Database>, stopped: StatusItem[]): Promise<ConsentSignal[]> {
  if (stopped.length === 0) return [];
  const ours = stopped.flatMap((s) => (s.ourMessageId ? [s.ourMessageId] : []));
  const messages = new Map<string, MessageRow>();
  for (const m of await findMessagesByIds(db, ours)) messages.set(m.id, m);
  for (const m of messages.values()) if (m.provider_message_id) messages.set(m.provider_message_id, m);
  const refusals = stopped.flatMap((s) => {
    const m = (s.ourMessageId && messages.get(s.ourMessageId)) || messages.get(s.providerMessageId);
    // A send we do not know: no contact to attach it to.
    return m
      ? [{ message: m, key: s.providerMessageId, providerMessageId: s.providerMessageId, at: s.timestamp }]
      : [];
  });
  return marketingStopSignals(db, refusals);
}

async function marketingStopSignals(
  db: Kysely<Database>,
  refusals: Array<{ message: MessageRow; key: string; providerMessageId?: string; at: number }>,
): Promise<ConsentSignal[]> {
  const out: ConsentSignal[] = [];
  const contacts = new Map<string, ContactRow | undefined>();
  for (const { message: m, key, providerMessageId, at } of refusals) {
    if (!contacts.has(m.contact_id)) contacts.set(m.contact_id, await findContactById(db, m.contact_id));
    const contact = contacts.get(m.contact_id);
    if (!contact) continue;
    out.push({
      id: signalId('131050', key),
      accountId: m.account_id,
      contact,
      scope: 'marketing',
      state: 'opted_out',
      source: 'meta_131050',
      evidence: {
        message_id: m.id,
        ...(providerMessageId === undefined ? {} : { provider_message_id: providerMessageId }),
        error_code: MARKETING_STOPPED,
      },
      at,
      confirm: false,
    });
  }
  return out;
}

/**
 * Meta refused these sends with 131050 in its answer (not by a failed status): the same opt-out
 * as fromFailedStatuses, for the dispatcher to record in its own transaction. Keyed by our
 * message id (no wamid exists), so recording twice records once.
 */
export async function recordMarketingRefusals(
  ctx: EngineContext,
  db: Kysely<Database>,
  messageIds: readonly string[],
): Promise<{ events: PendingEvent[] }> {
  if (messageIds.length === 0) return { events: [] };
  const at = ctx.clock();
  const rows = await findMessagesByIds(db, [...messageIds]);
  const signals = await marketingStopSignals(
    db,
    rows.map((m) => ({ message: m, key: `message:${m.id}`, at })),
  );
  const recorded = await recordConsentSignals(ctx, db, signals);
  return { events: recorded.events };
}

function safeE164(address: string): string | null {
  try {
    return waIdToE164(address);
  } catch {
    return null;
  }
}
