/**
 * Audiences: saved definitions (named, reusable) and the preview that tells, before anything is
 * sent, how many would receive a message, who for example, and who would be left out and why.
 *
 * A list is resolved here: each entry is an id, a phone or a BSUID; an entry that cannot be a
 * number is `invalid_number`, one that names nobody is `not_found`, one that names a contact an
 * earlier entry named is `duplicate`. The contacts found are then counted like any audience, so
 * consent, numbers, needs and the frequency cap apply to them the same way.
 */
import {
  AUDIENCE_LIMITS,
  type AudienceDefinition,
  type AudiencePurpose,
  checkAudienceDefinition,
  checkNeeds,
  DEFAULT_FREQUENCY_CAP_HOURS,
  definitionToJson,
  type ExclusionReason,
  type Problem,
} from '../../domain/contacts/audience';
import { RecontactError } from '../../domain/errors';
import { isoTime } from '../../domain/iso-time';
import { type AudienceMatch, countAudience } from '../../store/audience-query';
import {
  deleteAudience as deleteRow,
  getAudience as getRow,
  insertAudience,
  listAudiences as listRows,
  replaceAudience,
  type SavedAudience,
} from '../../store/audiences-repo';
import { readConsentSettings } from '../../store/consent-settings-repo';
import { findListedContacts } from '../../store/contact-book-repo';
import type { EngineContext } from '../context';
import { parseContactRef } from './contact-book';

const HOUR_MS = 3_600_000;

export interface PreviewOptions {
  purpose?: AudiencePurpose | undefined;
  needs?: string[] | undefined;
  /** Overrides the account's marketing frequency cap for this preview; 0 turns it off. */
  frequency_cap_hours?: number | undefined;
}

export interface AudiencePreview {
  count: number;
  excluded: Partial<Record<ExclusionReason, number>>;
  sample: Array<{ id: string; wa_id: string; name: string | null }>;
  purpose: AudiencePurpose;
  frequency_cap_hours: number;
  /** How many contacts the definition matched before exclusions (count + every exclusion). */
  matched: number;
}

/** Checks a definition from a request body, throwing INPUT_INVALID with every problem. */
export function readDefinition(input: unknown, at: string): AudienceDefinition {
  const checked = checkAudienceDefinition(input, at);
  if (!checked.ok) invalid(checked.problems);
  return checked.value;
}

function invalid(problems: Problem[]): never {
  throw new RecontactError(
    'INPUT_INVALID',
    `Invalid audience: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`,
    {
      details: problems,
      hint: 'An audience is {"all": true}, {"filter": {"tags": {"all", "any", "none"}, "attributes": [{"name", "op", "value"}], "window"}} or {"list": {"contacts": […]}}.',
    },
  );
}

export async function previewAudience(
  ctx: EngineContext,
  accountId: string,
  definition: AudienceDefinition,
  options: PreviewOptions = {},
): Promise<AudiencePreview> {
  const problems: Problem[] = [];
  const needs = checkNeeds(options.needs ?? [], 'body.needs', problems);
  if (problems.length) invalid(problems);
  const purpose = options.purpose ?? 'marketing';
  const capHours = options.frequency_cap_hours ?? (await accountCapHours(ctx, accountId));
  const listed =
    definition.kind === 'list' ? await resolveList(ctx, accountId, definition.contacts) : undefined;
  const match: AudienceMatch =
    definition.kind === 'all'
      ? { kind: 'all' }
      : definition.kind === 'filter'
        ? { kind: 'filter', filter: definition.filter }
        : { kind: 'ids', ids: listed!.ids };
  const counted = await countAudience(ctx.store.db, {
    accountId,
    match,
    purpose,
    needs,
    frequencyCapMs: capHours * HOUR_MS,
    now: ctx.clock(),
    sampleSize: AUDIENCE_LIMITS.sample,
  });
  const excluded = { ...counted.excluded };
  for (const [reason, n] of Object.entries(listed?.excluded ?? {}) as Array<[ExclusionReason, number]>) {
    if (n > 0) excluded[reason] = (excluded[reason] ?? 0) + n;
  }
  const matched = counted.count + Object.values(excluded).reduce((a, b) => a + (b ?? 0), 0);
  return {
    count: counted.count,
    excluded,
    sample: counted.sample,
    purpose,
    frequency_cap_hours: capHours,
    matched,
  };
}

/** The account's marketing frequency cap, in hours (its consent settings; 24 by default). */
export async function accountCapHours(ctx: EngineContext, accountId: string): Promise<number> {
  const settings = (await readConsentSettings(ctx.store.db, [accountId])).get(accountId);
  return settings?.marketing_frequency_cap_hours ?? DEFAULT_FREQUENCY_CAP_HOURS;
}

async function resolveList(
  ctx: EngineContext,
  accountId: string,
  entries: readonly string[],
): Promise<{ ids: string[]; excluded: Partial<Record<ExclusionReason, number>> }> {
  const parsed = entries.map((entry) => {
    try {
      return parseContactRef(entry);
    } catch (e) {
      if (e instanceof RecontactError && e.code === 'PHONE_INVALID') return undefined;
      throw e;
    }
  });
  const rows = await findListedContacts(ctx.store.db, accountId, {
    ids: parsed.flatMap((r) => (r?.kind === 'id' ? [r.id] : [])),
    waIds: parsed.flatMap((r) => (r?.kind === 'wa' ? [r.waId] : [])),
    bsuids: parsed.flatMap((r) => (r?.kind === 'bsuid' ? [r.bsuid] : [])),
  });
  const byId = new Map(rows.map((r) => [r.id, r.id]));
  const byWa = new Map(rows.map((r) => [r.wa_id, r.id]));
  const byBsuid = new Map(rows.filter((r) => r.bsuid).map((r) => [r.bsuid!, r.id]));
  const seen = new Set<string>();
  const excluded = { invalid_number: 0, not_found: 0, duplicate: 0 };
  for (const ref of parsed) {
    if (!ref) {
      excluded.invalid_number++;
      continue;
    }
    const id =
      ref.kind === 'id'
        ? byId.get(ref.id)
        : ref.kind === 'wa'
          ? byWa.get(ref.waId)
          : (byBsuid.get(ref.bsuid) ?? byWa.get(ref.bsuid));
    if (id === undefined) excluded.not_found++;
    else if (seen.has(id)) excluded.duplicate++;
    else seen.add(id);
  }
  return { ids: [...seen], excluded };
}

// ---- Saved audiences ----

export interface AudienceView {
  id: string;
  account_id: string;
  name: string;
  definition: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

function view(a: SavedAudience): AudienceView {
  return {
    id: a.id,
    account_id: a.accountId,
    name: a.name,
    definition: a.definition,
    created_at: isoTime(a.createdAt),
    updated_at: isoTime(a.updatedAt),
  };
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > AUDIENCE_LIMITS.nameLength) {
    invalid([{ path: 'body.name', message: `must be 1 to ${AUDIENCE_LIMITS.nameLength} characters` }]);
  }
  return trimmed;
}

function nameTaken(name: string): RecontactError {
  return new RecontactError(
    'AUDIENCE_NAME_TAKEN',
    `An audience named "${name}" already exists on this account`,
    {
      details: [{ path: 'body.name', message: 'is already used by another audience' }],
      hint: 'Choose another name, or PUT /v1/audiences/{id} to change the existing one.',
    },
  );
}

function notFound(id: string): RecontactError {
  return new RecontactError('AUDIENCE_NOT_FOUND', `No audience "${id}" on this account`, {
    hint: 'GET /v1/audiences lists the saved audiences.',
  });
}

export async function createAudience(
  ctx: EngineContext,
  accountId: string,
  input: { name: string; definition: unknown },
): Promise<AudienceView> {
  const name = checkName(input.name);
  const definition = readDefinition(input.definition, 'body.definition');
  const saved = await insertAudience(
    ctx.store.db,
    { id: ctx.id('aud'), accountId, name, definition: definitionToJson(definition) },
    ctx.clock(),
  );
  if (!saved) throw nameTaken(name);
  return view(saved);
}

export async function replaceSavedAudience(
  ctx: EngineContext,
  accountId: string,
  id: string,
  input: { name: string; definition: unknown },
): Promise<AudienceView> {
  const name = checkName(input.name);
  const definition = readDefinition(input.definition, 'body.definition');
  const result = await replaceAudience(
    ctx.store.db,
    { id, accountId, name, definition: definitionToJson(definition) },
    ctx.clock(),
  );
  if (result === 'missing') throw notFound(id);
  if (result === 'name_taken') throw nameTaken(name);
  return view(result);
}

export async function getSavedAudience(
  ctx: EngineContext,
  accountId: string,
  id: string,
): Promise<AudienceView> {
  const a = await getRow(ctx.store.db, accountId, id);
  if (!a) throw notFound(id);
  return view(a);
}

export async function listSavedAudiences(ctx: EngineContext, accountId: string): Promise<AudienceView[]> {
  return (await listRows(ctx.store.db, accountId, 1_000)).map(view);
}

export async function deleteSavedAudience(ctx: EngineContext, accountId: string, id: string): Promise<void> {
  if (!(await deleteRow(ctx.store.db, accountId, id))) throw notFound(id);
}

/** A saved audience's preview: its stored definition, read again with today's rules. */
export async function previewSavedAudience(
  ctx: EngineContext,
  accountId: string,
  id: string,
  options: PreviewOptions,
): Promise<AudiencePreview & { audience_id: string }> {
  const a = await getRow(ctx.store.db, accountId, id);
  if (!a) throw notFound(id);
  const definition = readDefinition(a.definition, 'definition');
  return { audience_id: id, ...(await previewAudience(ctx, accountId, definition, options)) };
}
