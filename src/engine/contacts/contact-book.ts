/**
 * The contact book's use cases: write one contact's profile (PUT replaces it, PATCH merges into
 * it), read one with its consent history and last messages, list many with filters.
 *
 * A contact is named in paths by our id (ctc_…), a phone number in any usual form, or a
 * business-scoped user id ("AR.1349…"). PUT by phone creates the contact when it is new; by id
 * or BSUID it only updates (we cannot create an id, and a BSUID-only user appears when it writes).
 * Consent is not a profile field: it has its own ledger and routes.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { isBsuid } from '../../domain/bsuid';
import {
  type AttributeCondition,
  type AudienceFilter,
  emptyFilter,
  type Problem,
  parseAttributeQuery,
  parseWindowQuery,
} from '../../domain/contacts/audience';
import type { ConsentState } from '../../domain/contacts/consent';
import {
  type Attributes,
  CONTACT_LIMITS,
  checkAttributeName,
  checkAttributes,
  checkLanguage,
  checkName,
  checkTag,
  checkTags,
  checkTimeZone,
} from '../../domain/contacts/contact-fields';
import { zoneForCountry } from '../../domain/contacts/country-zones';
import { RecontactError } from '../../domain/errors';
import { isoTime, isoTimeOrNull } from '../../domain/iso-time';
import { normalizePhone } from '../../domain/phone';
import { windowState } from '../../domain/window';
import { consentHistory } from '../../store/consent-repo';
import {
  type ContactProfile,
  type ContactRef,
  findLiveContact,
  insertContactProfile,
  listContactPage,
  profileChanges,
  readAttributes,
  readTags,
  recentMessages,
  updateContactProfile,
} from '../../store/contact-book-repo';
import type { ContactRow } from '../../store/contacts-repo';
import { listHeld } from '../../store/held-messages-repo';
import { activeWaiting } from '../../store/waiting-repo';
import { timersOf } from '../../store/window-timers-repo';
import type { EngineContext } from '../context';
import { waitingView } from '../conversations/conversation-events';
import { messageView } from '../events/payloads';
import { PSID_PREFIX } from '../outbound/recipient';
import { consentEntryView } from './consent';

/**
 * Reads a path's `{contact}`: an id, a BSUID, a Messenger user (`psid:<digits>`, stored as the
 * contact's wa_id) or a phone number (PHONE_INVALID otherwise).
 */
export function parseContactRef(ref: string): ContactRef {
  const text = ref.trim();
  if (text.startsWith('ctc_')) return { kind: 'id', id: text };
  if (isBsuid(text)) return { kind: 'bsuid', bsuid: text };
  if (text.slice(0, PSID_PREFIX.length).toLowerCase() === PSID_PREFIX) {
    const psid = text.slice(PSID_PREFIX.length).trim();
    if (!/^\d{1,40}$/.test(psid)) {
      const message = `"${text.slice(0, 60)}" is not a PSID: a PSID is the digits Meta sends as sender.id`;
      throw new RecontactError('PHONE_INVALID', message, {
        details: [{ path: 'params.contact', message }],
        hint: 'Name a Messenger user as psid:<digits>, e.g. psid:6845719238451234, or by the contact id (ctc_…).',
      });
    }
    return { kind: 'wa', waId: psid, psid: true };
  }
  try {
    return { kind: 'wa', waId: normalizePhone(text).waId };
  } catch (e) {
    if (e instanceof RecontactError) {
      throw new RecontactError(
        'PHONE_INVALID',
        `${e.message}; a contact is named by its id (ctc_…), phone or BSUID`,
        {
          details: [{ path: 'params.contact', message: e.message }],
          ...(e.hint ? { hint: e.hint } : {}),
        },
      );
    }
    throw e;
  }
}

function notFound(ref: string): RecontactError {
  return new RecontactError('CONTACT_NOT_FOUND', `No contact "${ref}" on this account`, {
    hint: /^psid:/i.test(ref.trim())
      ? 'A Messenger user becomes a contact by writing to the page; check account_id names that page.'
      : 'PUT /v1/contacts/{phone} creates one; an erased contact is gone for good.',
  });
}

// ---- The answer shape (JSON as the API gives it) ----

export interface ContactView {
  id: string;
  account_id: string;
  wa_id: string;
  phone: string | null;
  bsuid: string | null;
  name: string | null;
  language: string | null;
  time_zone: string | null;
  time_zone_inferred: boolean;
  tags: string[];
  attributes: Attributes;
  consent: { marketing: ConsentState; all: ConsentState; updated_at: string | null };
  window: {
    open: boolean;
    expires_at: string | null;
    last_inbound_at: string | null;
    remaining_seconds: number;
  };
  last_marketing_at: string | null;
  created_at: string;
  updated_at: string;
}

export function contactView(row: ContactRow, now: number): ContactView {
  const w = windowState(row.last_inbound_at === null ? null : Number(row.last_inbound_at), now);
  return {
    id: row.id,
    account_id: row.account_id,
    wa_id: row.wa_id,
    phone: row.phone_e164,
    bsuid: row.bsuid,
    name: row.name,
    language: row.language,
    time_zone: row.time_zone,
    time_zone_inferred: Number(row.time_zone_inferred) === 1,
    tags: readTags(row),
    attributes: readAttributes(row),
    consent: {
      marketing: row.marketing_consent,
      all: row.all_consent,
      updated_at: isoTimeOrNull(row.consent_updated_at === null ? null : Number(row.consent_updated_at)),
    },
    window: {
      open: w.open,
      expires_at: isoTimeOrNull(w.expiresAt),
      last_inbound_at: isoTimeOrNull(w.lastInboundAt),
      remaining_seconds: Math.floor(w.remainingMs / 1000),
    },
    last_marketing_at: isoTimeOrNull(row.last_marketing_at === null ? null : Number(row.last_marketing_at)),
    created_at: isoTime(Number(row.created_at)),
    updated_at: isoTime(Number(row.updated_at)),
  };
}

// ---- PUT ----

export interface ContactPutInput {
  phone?: string | undefined;
  name?: unknown;
  language?: unknown;
  time_zone?: unknown;
  tags?: unknown[] | undefined;
  attributes?: unknown;
}

/** The zone of the phone's country, flagged as inferred; none for a BSUID-only contact. */
function inferredZone(phoneE164: string | null): { timeZone: string | null; timeZoneInferred: boolean } {
  const country = phoneE164 ? parsePhoneNumberFromString(phoneE164)?.country : undefined;
  const zone = zoneForCountry(country);
  return zone ? { timeZone: zone, timeZoneInferred: true } : { timeZone: null, timeZoneInferred: false };
}

function fail(problems: Problem[]): never {
  throw new RecontactError(
    'INPUT_INVALID',
    `Invalid contact: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    {
      details: problems,
      hint: 'See the contact schema at /docs.',
    },
  );
}

/** Checks a whole profile (PUT): absent fields are cleared, an absent zone is inferred. */
function profileFromPut(input: ContactPutInput, phoneE164: string | null): ContactProfile {
  const problems: Problem[] = [];
  const pick = <T>(path: string, c: { ok: true; value: T } | { ok: false; problem: string }, empty: T): T => {
    if (c.ok) return c.value;
    problems.push({ path, message: c.problem });
    return empty;
  };
  const name = pick('body.name', checkName(input.name), null);
  const language = pick('body.language', checkLanguage(input.language), null);
  const zone = pick('body.time_zone', checkTimeZone(input.time_zone), null);
  const tags = pick('body.tags', checkTags(input.tags ?? []), []);
  const attributes = pick('body.attributes', checkAttributes(input.attributes ?? {}), {});
  if (problems.length) fail(problems);
  return {
    name,
    language,
    tags,
    attributes,
    ...(zone ? { timeZone: zone, timeZoneInferred: false } : inferredZone(phoneE164)),
  };
}

export interface UpsertResult {
  contact: ContactView;
  created: boolean;
  /** Nothing differed from what was stored: no write happened. */
  unchanged: boolean;
}

/**
 * PUT: replaces the profile (name, language, time zone, tags, attributes); what the body leaves
 * out is cleared. A body `phone` must name the same number as the path.
 */
export async function upsertContact(
  ctx: EngineContext,
  accountId: string,
  refText: string,
  input: ContactPutInput,
): Promise<UpsertResult> {
  const ref = parseContactRef(refText);
  let bodyWaId: string | undefined;
  if (input.phone !== undefined) {
    try {
      bodyWaId = normalizePhone(input.phone).waId;
    } catch (e) {
      if (e instanceof RecontactError) fail([{ path: 'body.phone', message: e.message }]);
      throw e;
    }
    if (ref.kind === 'wa' && ref.psid) {
      fail([{ path: 'body.phone', message: 'a Messenger user (psid:…) has no phone number' }]);
    }
    if (ref.kind === 'wa' && ref.waId !== bodyWaId) {
      fail([
        {
          path: 'body.phone',
          message: `names +${bodyWaId}, but the path names +${ref.waId}; a contact's number cannot be changed`,
        },
      ]);
    }
  }
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    let row = await findLiveContact(trx, accountId, ref, { forUpdate: true });
    // A Messenger user becomes a contact by writing to the page, never from a path.
    if (!row && ref.kind === 'wa' && !ref.psid) {
      const profile = profileFromPut(input, `+${ref.waId}`);
      const inserted = await insertContactProfile(
        trx,
        { id: ctx.id('ctc'), accountId, waId: ref.waId, phoneE164: `+${ref.waId}`, bsuid: null },
        profile,
        now,
      );
      if (inserted) return { contact: contactView(inserted, now), created: true, unchanged: false };
      // Another request created it between our read and our insert: update that one.
      row = await findLiveContact(trx, accountId, ref, { forUpdate: true });
    }
    if (!row) throw notFound(refText);
    if (bodyWaId !== undefined && row.wa_id !== bodyWaId) {
      fail([
        {
          path: 'body.phone',
          message: `names +${bodyWaId}, but contact ${row.id} is ${row.phone_e164 ?? row.wa_id}; a contact's number cannot be changed`,
        },
      ]);
    }
    const profile = profileFromPut(input, row.phone_e164);
    if (!profileChanges(row, profile))
      return { contact: contactView(row, now), created: false, unchanged: true };
    const updated = await updateContactProfile(trx, row, profile, now);
    return { contact: contactView(updated, now), created: false, unchanged: false };
  });
}

// ---- PATCH ----

export interface ContactPatchInput {
  name?: unknown;
  language?: unknown;
  time_zone?: unknown;
  attributes?: Record<string, unknown> | undefined;
  remove_attributes?: string[] | undefined;
  add_tags?: unknown[] | undefined;
  remove_tags?: unknown[] | undefined;
}

/** PATCH: sets what is given (null clears name, language or zone), merges attributes and tags. */
export async function patchContact(
  ctx: EngineContext,
  accountId: string,
  refText: string,
  input: ContactPatchInput,
): Promise<ContactView> {
  const ref = parseContactRef(refText);
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    const row = await findLiveContact(trx, accountId, ref, { forUpdate: true });
    if (!row) throw notFound(refText);
    const profile = mergePatch(row, input);
    if (!profileChanges(row, profile)) return contactView(row, now);
    return contactView(await updateContactProfile(trx, row, profile, now), now);
  });
}

function mergePatch(row: ContactRow, input: ContactPatchInput): ContactProfile {
  const problems: Problem[] = [];
  const profile: ContactProfile = {
    name: row.name,
    language: row.language,
    timeZone: row.time_zone,
    timeZoneInferred: Number(row.time_zone_inferred) === 1,
    tags: readTags(row),
    attributes: readAttributes(row),
  };
  if (input.name !== undefined) {
    const c = checkName(input.name);
    if (c.ok) profile.name = c.value;
    else problems.push({ path: 'body.name', message: c.problem });
  }
  if (input.language !== undefined) {
    const c = checkLanguage(input.language);
    if (c.ok) profile.language = c.value;
    else problems.push({ path: 'body.language', message: c.problem });
  }
  if (input.time_zone !== undefined) {
    const c = checkTimeZone(input.time_zone);
    if (!c.ok) problems.push({ path: 'body.time_zone', message: c.problem });
    else if (c.value === null) Object.assign(profile, inferredZone(row.phone_e164));
    else Object.assign(profile, { timeZone: c.value, timeZoneInferred: false });
  }
  const set = input.attributes ?? {};
  const remove = input.remove_attributes ?? [];
  if (input.attributes !== undefined) {
    const c = checkAttributes(set);
    if (c.ok) Object.assign(profile.attributes, c.value);
    else problems.push({ path: 'body.attributes', message: c.problem });
  }
  remove.forEach((name, i) => {
    const c = checkAttributeName(name);
    if (!c.ok) problems.push({ path: `body.remove_attributes[${i}]`, message: c.problem });
    else if (Object.hasOwn(set, name)) {
      problems.push({
        path: `body.remove_attributes[${i}]`,
        message: `"${name}" is also set in attributes; set it or remove it, not both`,
      });
    } else delete profile.attributes[name];
  });
  const attributeCount = Object.keys(profile.attributes).length;
  if (attributeCount > CONTACT_LIMITS.attributesPerContact) {
    problems.push({
      path: 'body.attributes',
      message: `would leave the contact with ${attributeCount} attributes; a contact has at most ${CONTACT_LIMITS.attributesPerContact}`,
    });
  }
  const tagList = (list: unknown[] | undefined, path: string): string[] =>
    (list ?? []).flatMap((t, i) => {
      const c = checkTag(t);
      if (c.ok) return [c.value];
      problems.push({ path: `${path}[${i}]`, message: c.problem });
      return [];
    });
  const add = tagList(input.add_tags, 'body.add_tags');
  const drop = tagList(input.remove_tags, 'body.remove_tags');
  for (const t of add) {
    if (drop.includes(t))
      problems.push({
        path: 'body.remove_tags',
        message: `"${t}" is also in add_tags; add it or remove it, not both`,
      });
  }
  const tags = checkTags([...profile.tags.filter((t) => !drop.includes(t)), ...add]);
  if (tags.ok) profile.tags = tags.value;
  else
    problems.push({
      path: 'body.add_tags',
      message: `would leave the contact with too many tags: it ${tags.problem}`,
    });
  if (problems.length) fail(problems);
  return profile;
}

// ---- GET one ----

export interface ContactDetail extends ContactView {
  consent: ContactView['consent'] & {
    history: Array<ReturnType<typeof consentEntryView>>;
  };
  messages: Array<{
    id: string;
    direction: 'outbound' | 'inbound';
    type: string;
    status: string | null;
    template: string | null;
    created_at: string;
    snippet: string | null;
  }>;
  window: ContactView['window'] & { expiring_at: string | null };
  waiting: ReturnType<typeof waitingView> | null;
  held: Array<ReturnType<typeof messageView>>;
}

export const RECENT_MESSAGES = 20;
const SNIPPET = 120;

export async function getContactDetail(
  ctx: EngineContext,
  accountId: string,
  refText: string,
): Promise<ContactDetail> {
  const ref = parseContactRef(refText);
  const db = ctx.store.db;
  const row = await findLiveContact(db, accountId, ref);
  if (!row) throw notFound(refText);
  const now = ctx.clock();
  const view = contactView(row, now);
  const history = await consentHistory(db, row.id);
  const recent = await recentMessages(db, row.id, RECENT_MESSAGES);
  const messages: ContactDetail['messages'] = [
    ...recent.outbound.map((m) => ({
      id: m.id,
      direction: 'outbound' as const,
      type: m.kind,
      status: m.status,
      template: m.templateName,
      created_at: isoTime(m.createdAt),
      snippet: snippet(outboundText(m.content)),
      at: m.createdAt,
    })),
    ...recent.inbound.map((m) => ({
      id: m.id,
      direction: 'inbound' as const,
      type: m.type,
      status: null,
      template: null,
      created_at: isoTime(m.receivedAt),
      snippet: snippet(m.text ?? m.payload),
      at: m.receivedAt,
    })),
  ]
    .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
    .slice(0, RECENT_MESSAGES)
    .map(({ at: _at, ...m }) => m);
  const timers = await timersOf(db, row.id);
  const expiring = timers.find(
    (t) => t.kind === 'expiring' && t.fired_at === null && t.last_inbound_at === Number(row.last_inbound_at),
  );
  return {
    ...view,
    consent: {
      ...view.consent,
      history: history.map(consentEntryView),
    },
    messages,
    window: { ...view.window, expiring_at: expiring ? isoTime(expiring.due_at) : null },
    waiting: waitingOf(await activeWaiting(db, row.id)),
    held: (await listHeld(db, row.id)).map(messageView),
  };
}

function waitingOf(row: Awaited<ReturnType<typeof activeWaiting>>) {
  return row ? waitingView(row) : null;
}

/** What a person would read: a text's body, or a template's parameter texts. */
function outboundText(content: Record<string, unknown>): string | null {
  const text = content.text as { body?: unknown } | undefined;
  if (text && typeof text.body === 'string') return text.body;
  const interactive = content.interactive as { body?: { text?: unknown } } | undefined;
  if (interactive?.body && typeof interactive.body.text === 'string') return interactive.body.text;
  const template = content.template as
    | { components?: Array<{ parameters?: Array<{ text?: unknown }> }> }
    | undefined;
  const params = (template?.components ?? []).flatMap((c) => (c.parameters ?? []).map((p) => p.text));
  const texts = params.filter((p): p is string => typeof p === 'string');
  return texts.length ? texts.join(' · ') : null;
}

function snippet(text: string | null): string | null {
  if (text === null) return null;
  return text.length > SNIPPET ? `${text.slice(0, SNIPPET - 1)}…` : text;
}

// ---- GET list ----

export interface ContactListInput {
  tag?: string[];
  tag_any?: string[];
  tag_none?: string[];
  attr?: string[];
  opted_out?: boolean;
  /** open, closed or expiring_within=<ISO 8601 duration> (parseWindowQuery). */
  window?: string;
  q?: string;
  limit: number;
  /** The id the previous page ended with (decoded from its cursor). */
  after?: string;
}

export const LIST_LIMITS = Object.freeze({ defaultLimit: 50, maxLimit: 500, qLength: 100 });

/** The list's query parameters as an audience filter, every problem named by parameter. */
export function filterFromQuery(
  input: Pick<ContactListInput, 'tag' | 'tag_any' | 'tag_none' | 'attr' | 'window'>,
): AudienceFilter {
  const problems: Problem[] = [];
  const filter = emptyFilter();
  for (const [param, key] of [
    ['tag', 'all'],
    ['tag_any', 'any'],
    ['tag_none', 'none'],
  ] as const) {
    const set = new Set<string>();
    for (const raw of input[param] ?? []) {
      for (const t of raw.split(',')) {
        const c = checkTag(t);
        if (c.ok) set.add(c.value);
        else problems.push({ path: `querystring.${param}`, message: c.problem });
      }
    }
    filter.tags[key] = [...set].sort();
  }
  const conditions: AttributeCondition[] = [];
  (input.attr ?? []).forEach((text, i) => {
    const c = parseAttributeQuery(
      text,
      `querystring.attr${(input.attr?.length ?? 0) > 1 ? `[${i}]` : ''}`,
      problems,
    );
    if (c) conditions.push(c);
  });
  filter.attributes = conditions;
  if (input.window !== undefined) {
    const w = parseWindowQuery(input.window);
    if (w.ok) Object.assign(filter, w.value);
    else problems.push({ path: 'querystring.window', message: w.problem });
  }
  if (problems.length) {
    throw new RecontactError('INPUT_INVALID', 'Invalid request query string: see details', {
      details: problems,
      hint: 'Filters: tag=T (repeatable, all of), tag_any=A,B, tag_none=C, attr=name:op:value (op eq, ne, lt, gt, in, exists), window=open|closed|expiring_within=PT1H.',
    });
  }
  return filter;
}

export async function listContacts(
  ctx: EngineContext,
  accountId: string,
  input: ContactListInput,
): Promise<{ data: ContactView[]; nextAfter: string | null }> {
  const filter = filterFromQuery(input);
  const now = ctx.clock();
  const rows = await listContactPage(ctx.store.db, {
    accountId,
    filter,
    ...(input.opted_out === undefined ? {} : { optedOut: input.opted_out }),
    ...(input.q ? { q: input.q } : {}),
    ...(input.after ? { after: input.after } : {}),
    limit: input.limit + 1,
    now,
  });
  const page = rows.slice(0, input.limit);
  return {
    data: page.map((r) => contactView(r, now)),
    nextAfter: rows.length > input.limit ? page[page.length - 1]!.id : null,
  };
}
