/**
 * Recording a consent change: the ledger entry (store/consent-repo.ts derives the contact's
 * state in the same transaction), the event to the bot, and the optional confirmation text.
 *
 * Signals from Meta carry ids derived from the provider's own ids (the keyword's message, the
 * failed status, the preference change), so a webhook delivered twice records nothing twice.
 * A confirmation is a free-form text: it is queued as an ordinary message (paced, recorded,
 * with statuses) only while the contact's window is open, and it is the one message an opt-out
 * of everything still lets through, because it is written here and never passes the send
 * service's consent check.
 */

import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { ConsentChange, ConsentScope, ConsentSource } from '../../domain/contacts/consent';
import {
  type ConsentSettings,
  type ConsentSettingsInput,
  checkConsentSettings,
} from '../../domain/contacts/consent-settings';
import { RecontactError } from '../../domain/errors';
import { isoTime } from '../../domain/iso-time';
import { normalizePhone } from '../../domain/phone';
import { windowState } from '../../domain/window';
import {
  appendConsentEvents,
  type ConsentEventRow,
  consentHistory,
  knownConsentEventIds,
} from '../../store/consent-repo';
import { readConsentSettings, writeConsentSettings } from '../../store/consent-settings-repo';
import {
  type ContactRow,
  contactKey,
  ensureContacts,
  findContact,
  findContactById,
} from '../../store/contacts-repo';
import { insertMessageEvents, insertMessages, type NewMessage } from '../../store/messages-repo';
import type { Database } from '../../store/schema';
import type { EngineContext } from '../context';
import type { EventBus, PendingEvent } from '../events/event-bus';
import { consentChangedEvent } from '../events/payloads';

/** One consent change to record. */
export interface ConsentSignal {
  /** The ledger entry's id; derived from the provider's ids for signals Meta may repeat. */
  id: string;
  accountId: string;
  contact: Pick<ContactRow, 'id' | 'wa_id'>;
  scope: ConsentScope;
  state: ConsentChange;
  source: ConsentSource;
  evidence: Record<string, unknown> | null;
  at: number;
  /** Send the account's confirmation text for this change (user-initiated signals only). */
  confirm: boolean;
}

export interface RecordedConsent {
  events: PendingEvent[];
  /** Signals newly written to the ledger (repeats of earlier ones left out). */
  recorded: ConsentSignal[];
  /** Confirmation messages queued (the dispatcher takes them like any other). */
  confirmations: string[];
}

/** A ledger id that is the same every time the same provider signal is seen. */
export function signalId(...parts: string[]): string {
  return `cns_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 26)}`;
}

/**
 * Records `signals` inside the caller's transaction and returns the events to emit with it.
 * The contacts must exist; on PostgreSQL the caller holds their row locks (or accepts that a
 * concurrent writer's entry for the same contact re-derives after it).
 */
export async function recordConsentSignals(
  ctx: EngineContext,
  db: Kysely<Database>,
  signals: readonly ConsentSignal[],
  settingsOf?: Map<string, ConsentSettings>,
): Promise<RecordedConsent> {
  const out: RecordedConsent = { events: [], recorded: [], confirmations: [] };
  if (signals.length === 0) return out;
  const unique = [...new Map(signals.map((s) => [s.id, s])).values()];
  const known = await knownConsentEventIds(
    db,
    unique.map((s) => s.id),
  );
  const fresh = unique.filter((s) => !known.has(s.id));
  if (fresh.length === 0) return out;
  const now = ctx.clock();
  await appendConsentEvents(
    db,
    fresh.map((s) => ({
      id: s.id,
      accountId: s.accountId,
      contactId: s.contact.id,
      channel: 'whatsapp',
      scope: s.scope,
      state: s.state,
      source: s.source,
      evidence: s.evidence,
      at: s.at,
    })),
    now,
  );
  out.recorded = fresh;

  const settings =
    settingsOf ??
    (fresh.some((s) => s.confirm)
      ? await readConsentSettings(
          db,
          fresh.map((s) => s.accountId),
        )
      : new Map<string, ConsentSettings>());
  const after = new Map<string, ContactRow>();
  for (const id of new Set(fresh.map((s) => s.contact.id))) {
    const row = await findContactById(db, id);
    if (row) after.set(id, row);
  }
  const confirmed = new Set<string>();
  const messages: NewMessage[] = [];
  for (const s of fresh) {
    const row = after.get(s.contact.id);
    out.events.push(
      consentChangedEvent({
        accountId: s.accountId,
        contact: { id: s.contact.id, wa_id: row?.wa_id ?? s.contact.wa_id, bsuid: row?.bsuid ?? null },
        scope: s.scope,
        state: s.state,
        source: s.source,
        evidence: s.evidence,
        at: s.at,
        consent: { marketing: row?.marketing_consent ?? 'unknown', all: row?.all_consent ?? 'unknown' },
      }),
    );
    const text = settings.get(s.accountId)?.confirmations[s.state === 'opted_out' ? 'opt_out' : 'opt_in'];
    // One confirmation per contact and batch: "STOP" sent three times in a second gets one answer.
    if (!s.confirm || !text || !row || confirmed.has(row.id)) continue;
    if (!windowState(row.last_inbound_at, now).open) continue;
    confirmed.add(row.id);
    messages.push({
      id: ctx.id('msg'),
      accountId: s.accountId,
      contactId: row.id,
      to: row.wa_id,
      content: { kind: 'text', text: { body: text } } as NewMessage['content'],
      template: null,
      metadata: { recontact: 'consent_confirmation', consent_event_id: s.id, scope: s.scope, state: s.state },
      idempotencyKey: null,
      requestHash: null,
      replyToProviderId: null,
      queuedAt: now,
    });
  }
  if (messages.length) {
    await insertMessages(db, messages);
    await insertMessageEvents(
      db,
      messages.map((m) => ({
        id: ctx.id('mev'),
        message_id: m.id,
        status: 'queued' as const,
        at: now,
        source: 'consent',
        detail: JSON.stringify({ consent_event_id: m.metadata?.consent_event_id }),
      })),
    );
    out.confirmations = messages.map((m) => m.id);
  }
  return out;
}

/** What the API shows of a contact's consent. */
/** One ledger entry as the API shows it, wherever a history is shown. */
export function consentEntryView(h: ConsentEventRow) {
  return {
    id: h.id,
    scope: h.scope,
    state: h.state,
    source: h.source,
    evidence: h.evidence,
    at: isoTime(h.at),
    recorded_at: isoTime(h.createdAt),
  };
}

export interface ConsentView {
  contact: ContactRow;
  history: ConsentEventRow[];
}

/** Consent by API and by agents, the history, and the account's settings. */
export class ConsentService {
  constructor(
    private readonly ctx: EngineContext,
    private readonly events: EventBus,
  ) {}

  /**
   * Records a change made by the bot (source api) or a person (source agent). A phone number
   * never seen before becomes a contact, so that an opt-out given before the first message holds.
   */
  async record(
    accountId: string,
    ref: string,
    change: {
      scope: ConsentScope;
      state: ConsentChange;
      source: 'api' | 'agent';
      note?: string | undefined;
      apiKeyId?: string | undefined;
    },
  ): Promise<ConsentView & { entryId: string }> {
    const { db } = this.ctx.store;
    const entryId = this.ctx.id('cns');
    const contact = await db.transaction().execute(async (trx) => {
      const c = await this.resolve(trx, accountId, ref, { create: true, lock: true });
      const now = this.ctx.clock();
      const recorded = await recordConsentSignals(this.ctx, trx, [
        {
          id: entryId,
          accountId,
          contact: c,
          scope: change.scope,
          state: change.state,
          source: change.source,
          evidence: {
            ...(change.note !== undefined ? { note: change.note } : {}),
            ...(change.apiKeyId !== undefined ? { api_key_id: change.apiKeyId } : {}),
          },
          at: now,
          confirm: false,
        },
      ]);
      await this.events.emit(trx, recorded.events);
      return c;
    });
    const view = await this.history(accountId, contact.id);
    return { ...view, entryId };
  }

  async history(accountId: string, ref: string): Promise<ConsentView> {
    const { db } = this.ctx.store;
    const contact = await this.resolve(db, accountId, ref, { create: false, lock: false });
    return { contact, history: await consentHistory(db, contact.id) };
  }

  async settings(accountId: string): Promise<ConsentSettings> {
    const all = await readConsentSettings(this.ctx.store.db, [accountId]);
    return all.get(accountId)!;
  }

  async saveSettings(accountId: string, input: ConsentSettingsInput): Promise<ConsentSettings> {
    const check = checkConsentSettings(input);
    if (!check.ok) {
      throw new RecontactError(
        'INPUT_INVALID',
        `The consent settings have ${check.problems.length} problem${check.problems.length === 1 ? '' : 's'}: ${check.problems[0]!.path}: ${check.problems[0]!.message}${check.problems.length > 1 ? ' (see details for the others)' : ''}`,
        {
          details: check.problems.map((p) => ({ path: `body.${p.path}`, message: p.message })),
          hint: 'Fix every listed path and send the whole settings again; nothing was saved.',
        },
      );
    }
    await writeConsentSettings(this.ctx.store.db, accountId, check.value, this.ctx.clock());
    return check.value;
  }

  private async resolve(
    db: Kysely<Database>,
    accountId: string,
    ref: string,
    opts: { create: boolean; lock: boolean },
  ): Promise<ContactRow> {
    const lock = opts.lock ? { forUpdate: true } : undefined;
    if (ref.startsWith('ctc_')) {
      const byId = await findContactById(db, ref);
      if (!byId || byId.account_id !== accountId) {
        throw new RecontactError('CONTACT_NOT_FOUND', `No contact "${ref}" on account ${accountId}`, {
          hint: 'Contact ids (ctc_…) come from events and GET /v1/contacts; or give the phone number.',
        });
      }
      if (!lock) return byId;
      const locked = await ensureContacts(
        db,
        [{ id: byId.id, accountId, waId: byId.wa_id, phoneE164: byId.phone_e164 }],
        this.ctx.clock(),
        lock,
      );
      return locked.get(contactKey(accountId, byId.wa_id))!;
    }
    const phone = normalizePhone(ref);
    if (!opts.create) {
      const existing = await findContact(db, accountId, phone.waId);
      if (existing) return existing;
      throw new RecontactError(
        'CONTACT_NOT_FOUND',
        `No contact with the number ${phone.e164} on account ${accountId}`,
        {
          hint: 'A number that never wrote, was never imported and has no recorded consent has no history yet.',
        },
      );
    }
    const found = await ensureContacts(
      db,
      [{ id: this.ctx.id('ctc'), accountId, waId: phone.waId, phoneE164: phone.e164 }],
      this.ctx.clock(),
      lock,
    );
    return found.get(contactKey(accountId, phone.waId))!;
  }
}
