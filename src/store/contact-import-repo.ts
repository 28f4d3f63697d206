/**
 * One batch of a CSV import, written in one transaction: the contacts it creates or changes,
 * their tags, their consent entries, its rejects, and the job's counters and rows_read. Either
 * all of that commits or none of it, which is what lets a job resume after a crash without
 * losing or counting a row twice.
 *
 * The batch is read first (one query per 500 numbers, the rows compared in JS) and only what
 * changed is written, so a second import of the same file writes nothing but the job row.
 * New contacts go in as multi-row INSERTs whose SQL text is the same for every full chunk, so
 * SQLite prepares it once (database.ts caches statements by text) and Kysely compiles nothing
 * per row: at 100,000 rows/s the query builder alone would take most of the time.
 */
import { CompiledQuery, type Kysely } from 'kysely';
import {
  type ConsentEntry,
  type ConsentSource,
  type ConsentState,
  deriveConsent,
} from '../domain/contacts/consent';
import { type Attributes, CONTACT_LIMITS } from '../domain/contacts/contact-fields';
import type { ImportReject, ImportRow } from '../domain/contacts/csv-row';
import { chunks } from './chunks';
import { appendConsentEvents, type NewConsentEvent } from './consent-repo';
import { storedAttributes } from './contact-columns';
import type { Dialect } from './database';
import { insertRejects } from './imports-repo';
import type { Database } from './schema';

export interface ImportBatch {
  importId: string;
  accountId: string;
  channel: string;
  holder: string;
  /** The source file's name, for the consent evidence. */
  file: string | null;
  /** Rows to write, distinct numbers (duplicates in the file are rejects already). */
  rows: readonly ImportRow[];
  /** Rejects found while reading this batch's records. */
  rejects: readonly ImportReject[];
  /** rows_read before this batch and after it: the batch commits only if the first still holds. */
  rowsReadBefore: number;
  rowsReadAfter: number;
  bytesRead: number;
  /** `--consent opted-in`: a marketing opt-in for rows without an opted_out value, if unknown so far. */
  consentOptIn: boolean;
  /** Rejects already stored, and how many may be stored in all. */
  storedRejects: number;
  rejectCap: number;
  newId: (prefix: string) => string;
  now: number;
}

export interface BatchResult {
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  storedRejects: number;
}

/** The job moved on without this batch (another process holds it, or the batch was written). */
export class ImportBatchConflict extends Error {}

/** Sources that speak for the person (or Meta on their behalf): an import cannot undo them. */
const PERSONAL_SOURCES: ReadonlySet<ConsentSource> = new Set([
  'keyword',
  'button',
  'meta_user_preferences',
  'meta_131050',
]);

interface Existing {
  id: string;
  wa_id: string;
  phone_e164: string | null;
  name: string | null;
  name_locked: number;
  language: string | null;
  time_zone: string | null;
  time_zone_inferred: number;
  tags: string;
  attributes: string;
  marketing_consent: ConsentState;
}

const INSERT_COLUMNS = [
  'id',
  'account_id',
  'wa_id',
  'phone_e164',
  'name',
  'name_locked',
  'language',
  'time_zone',
  'time_zone_inferred',
  'tags',
  'attributes',
  'created_at',
  'updated_at',
] as const;
const INSERT_CHUNK = 500;

export async function applyImportBatch(
  db: Kysely<Database>,
  dialect: Dialect,
  b: ImportBatch,
): Promise<BatchResult> {
  return db.transaction().execute(async (trx) => {
    const existing = await readExisting(trx, dialect, b.accountId, b.rows);
    const rejects: ImportReject[] = [...b.rejects];
    const inserts: unknown[][] = [];
    const newTags: Array<[string, string]> = [];
    const updates: Array<{ id: string; set: Record<string, unknown> }> = [];
    const consent: Array<{ row: ImportRow; contactId: string; state: 'opted_in' | 'opted_out' }> = [];
    const mayOptIn: Array<{ row: ImportRow; ex: Existing }> = [];
    let created = 0;
    let updated = 0;
    let unchanged = 0;

    // In wa_id order: the (account_id, wa_id) index is the one B-tree an import writes at
    // random places; sorted, a batch touches each of its pages once.
    const rows = [...b.rows].sort((x, y) => (x.waId < y.waId ? -1 : x.waId > y.waId ? 1 : 0));
    for (const row of rows) {
      const ex = existing.get(row.waId);
      if (!ex) {
        const id = b.newId('ctc');
        const zone = row.timeZone ?? row.inferredZone;
        inserts.push([
          id,
          b.accountId,
          row.waId,
          row.e164,
          row.name,
          // A name the business gave stays when WhatsApp's profile name arrives (0010).
          row.name === null ? 0 : 1,
          row.language,
          zone,
          row.timeZone === null && zone !== null ? 1 : 0,
          JSON.stringify(row.tags),
          storedAttributes(row.attributes),
          b.now,
          b.now,
        ]);
        for (const t of row.tags) newTags.push([t, id]);
        if (row.optedOut !== undefined) {
          consent.push({ row, contactId: id, state: row.optedOut ? 'opted_out' : 'opted_in' });
        } else if (b.consentOptIn) consent.push({ row, contactId: id, state: 'opted_in' });
        created++;
        continue;
      }
      const merged = mergeRow(ex, row);
      if (typeof merged === 'string') {
        rejects.push({ line: row.line, column: null, reason: merged, value: null });
        continue;
      }
      const wantsIn = row.optedOut === false || (row.optedOut === undefined && b.consentOptIn);
      if (wantsIn && ex.marketing_consent === 'opted_out') {
        // Decided below, once the ledger of all such contacts is read in one query.
        mayOptIn.push({ row, ex });
        continue;
      }
      let consentChange: 'opted_in' | 'opted_out' | undefined;
      if (row.optedOut === true && ex.marketing_consent !== 'opted_out') consentChange = 'opted_out';
      else if (row.optedOut === false && ex.marketing_consent !== 'opted_in') consentChange = 'opted_in';
      else if (row.optedOut === undefined && b.consentOptIn && ex.marketing_consent === 'unknown') {
        consentChange = 'opted_in';
      }
      record(ex, row, merged, consentChange);
    }

    function record(
      ex: Existing,
      row: ImportRow,
      merged: { set: Record<string, unknown>; addedTags: string[] },
      consentChange: 'opted_in' | 'opted_out' | undefined,
    ) {
      const changed = Object.keys(merged.set).length > 0;
      if (changed) {
        updates.push({ id: ex.id, set: { ...merged.set, updated_at: b.now } });
        for (const t of merged.addedTags) newTags.push([t, ex.id]);
      }
      if (consentChange) consent.push({ row, contactId: ex.id, state: consentChange });
      if (changed || consentChange) updated++;
      else unchanged++;
    }

    if (mayOptIn.length > 0) {
      const ledgers = await readLedgers(
        trx,
        mayOptIn.map((m) => m.ex.id),
      );
      for (const { row, ex } of mayOptIn) {
        const entry = deriveConsent(ledgers.get(ex.id) ?? []).marketingEntry;
        if (entry && PERSONAL_SOURCES.has(entry.source)) {
          rejects.push({
            line: row.line,
            column: row.optedOut === false ? 'opted_out' : null,
            reason: `${row.e164} opted out of marketing themselves (${entry.source}, ${new Date(entry.at).toISOString().slice(0, 10)}); an import cannot opt them back in, only they can (e.g. by writing START)`,
            value: null,
          });
          continue;
        }
        const merged = mergeRow(ex, row);
        if (typeof merged === 'string') {
          rejects.push({ line: row.line, column: null, reason: merged, value: null });
          continue;
        }
        // `--consent opted-in` never overrides a recorded opt-out; an explicit false does.
        record(ex, row, merged, row.optedOut === false ? 'opted_in' : undefined);
      }
    }

    for (const part of chunks(inserts, INSERT_CHUNK)) {
      const res = await trx.executeQuery(
        CompiledQuery.raw(insertSql(dialect, part.length), part.flat() as unknown[]),
      );
      if (Number(res.numAffectedRows ?? part.length) !== part.length) throw new ImportBatchConflict();
    }
    for (const u of updates) {
      await trx.updateTable('contacts').set(u.set).where('id', '=', u.id).execute();
    }
    for (const part of chunks(newTags, INSERT_CHUNK)) {
      await trx.executeQuery(
        CompiledQuery.raw(
          tagsSql(dialect, part.length),
          part.flatMap(([tag, id]) => [b.accountId, tag, id]),
        ),
      );
    }
    if (consent.length > 0) {
      const events: NewConsentEvent[] = consent.map((c) => ({
        id: b.newId('cev'),
        accountId: b.accountId,
        contactId: c.contactId,
        channel: b.channel,
        scope: 'marketing',
        state: c.state,
        source: 'import',
        evidence: { import_id: b.importId, file: b.file, line: c.row.line },
        at: b.now,
      }));
      await appendConsentEvents(trx, events, b.now);
    }
    const room = Math.max(0, b.rejectCap - b.storedRejects);
    const kept = rejects.slice(0, room);
    if (kept.length > 0) {
      await insertRejects(
        trx,
        b.importId,
        b.storedRejects + 1,
        kept.sort((x, y) => x.line - y.line),
      );
    }
    const result: BatchResult = {
      created,
      updated,
      unchanged,
      rejected: rejects.length,
      storedRejects: b.storedRejects + kept.length,
    };
    const moved = await trx
      .updateTable('imports')
      .set((eb) => ({
        rows_read: b.rowsReadAfter,
        bytes_read: b.bytesRead,
        created: eb('created', '+', created),
        updated: eb('updated', '+', updated),
        unchanged: eb('unchanged', '+', unchanged),
        rejected: eb('rejected', '+', rejects.length),
        heartbeat_at: b.now,
        updated_at: b.now,
      }))
      .where('id', '=', b.importId)
      .where('holder', '=', b.holder)
      .where('state', '=', 'running')
      .where('rows_read', '=', b.rowsReadBefore)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new ImportBatchConflict();
    return result;
  });
}

/**
 * What the row changes on an existing contact: the columns to set (empty when nothing) and the
 * tags it adds, or a reject reason when the merged contact would break a limit.
 */
function mergeRow(
  ex: Existing,
  row: ImportRow,
): { set: Record<string, unknown>; addedTags: string[] } | string {
  const set: Record<string, unknown> = {};
  if (ex.phone_e164 === null) set.phone_e164 = row.e164;
  if (row.name !== null && (row.name !== ex.name || ex.name_locked !== 1)) {
    set.name = row.name;
    set.name_locked = 1;
  }
  if (row.language !== null && row.language !== ex.language) set.language = row.language;
  if (row.timeZone !== null) {
    if (row.timeZone !== ex.time_zone || ex.time_zone_inferred !== 0) {
      set.time_zone = row.timeZone;
      set.time_zone_inferred = 0;
    }
  } else if (ex.time_zone === null && row.inferredZone !== null) {
    set.time_zone = row.inferredZone;
    set.time_zone_inferred = 1;
  }
  let addedTags: string[] = [];
  // Most re-imports change nothing: a tag already in the stored JSON text needs no parse.
  if (row.tags.length > 0 && !row.tags.every((t) => ex.tags.includes(JSON.stringify(t)))) {
    const tags = JSON.parse(ex.tags) as string[];
    const have = new Set(tags);
    addedTags = row.tags.filter((t) => !have.has(t));
    if (addedTags.length > 0) {
      const all = [...tags, ...addedTags].sort();
      if (all.length > CONTACT_LIMITS.tagsPerContact) {
        return `the contact would have ${all.length} tags (${tags.length} stored, ${addedTags.length} added); a contact has at most ${CONTACT_LIMITS.tagsPerContact}`;
      }
      set.tags = JSON.stringify(all);
    }
  }
  const keys = Object.keys(row.attributes);
  if (keys.length > 0 && storedAttributes(row.attributes) !== ex.attributes) {
    const attrs = JSON.parse(ex.attributes) as Attributes;
    let differs = false;
    for (const k of keys) {
      if (attrs[k] !== row.attributes[k]) {
        differs = true;
        attrs[k] = row.attributes[k]!;
      }
    }
    if (differs) {
      const count = Object.keys(attrs).length;
      if (count > CONTACT_LIMITS.attributesPerContact) {
        return `the contact would have ${count} attributes; a contact has at most ${CONTACT_LIMITS.attributesPerContact}`;
      }
      set.attributes = storedAttributes(attrs);
    }
  }
  return { set, addedTags };
}

async function readExisting(
  db: Kysely<Database>,
  dialect: Dialect,
  accountId: string,
  rows: readonly ImportRow[],
): Promise<Map<string, Existing>> {
  const out = new Map<string, Existing>();
  for (const part of chunks(
    rows.map((r) => r.waId),
    500,
  )) {
    let q = db
      .selectFrom('contacts')
      .select([
        'id',
        'wa_id',
        'phone_e164',
        'name',
        'name_locked',
        'language',
        'time_zone',
        'time_zone_inferred',
        'tags',
        'attributes',
        'marketing_consent',
      ])
      .where('account_id', '=', accountId)
      .where('wa_id', 'in', part);
    // PostgreSQL: the rows stay ours until commit, so a webhook cannot change one in between.
    if (dialect === 'postgres') q = q.orderBy('id').forUpdate();
    for (const r of await q.execute()) {
      out.set(r.wa_id, {
        ...r,
        name_locked: Number(r.name_locked),
        time_zone_inferred: Number(r.time_zone_inferred),
      });
    }
  }
  return out;
}

async function readLedgers(db: Kysely<Database>, contactIds: readonly string[]) {
  const out = new Map<string, ConsentEntry[]>();
  for (const part of chunks(contactIds, 500)) {
    const rows = await db
      .selectFrom('consent_events')
      .select(['contact_id', 'scope', 'state', 'source', 'at'])
      .where('contact_id', 'in', part)
      .orderBy('at')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const r of rows) {
      const list = out.get(r.contact_id) ?? [];
      list.push({ scope: r.scope, state: r.state, source: r.source, at: Number(r.at) });
      out.set(r.contact_id, list);
    }
  }
  return out;
}

const sqlCache = new Map<string, string>();

/** `INSERT INTO contacts (…) VALUES (…), (…)…` for `n` rows, in the dialect's placeholders. */
function insertSql(dialect: Dialect, n: number): string {
  return cachedSql(`c/${dialect}/${n}`, () => {
    const cols = INSERT_COLUMNS.length;
    const rows: string[] = [];
    for (let r = 0; r < n; r++) {
      const ph: string[] = [];
      for (let c = 0; c < cols; c++) ph.push(dialect === 'postgres' ? `$${r * cols + c + 1}` : '?');
      rows.push(`(${ph.join(',')})`);
    }
    return `insert into contacts (${INSERT_COLUMNS.join(',')}) values ${rows.join(',')} on conflict (account_id, wa_id) do nothing`;
  });
}

function tagsSql(dialect: Dialect, n: number): string {
  return cachedSql(`t/${dialect}/${n}`, () => {
    const rows: string[] = [];
    for (let r = 0; r < n; r++) {
      rows.push(dialect === 'postgres' ? `($${r * 3 + 1},$${r * 3 + 2},$${r * 3 + 3})` : '(?,?,?)');
    }
    return `insert into contact_tags (account_id, tag, contact_id) values ${rows.join(',')} on conflict do nothing`;
  });
}

function cachedSql(key: string, build: () => string): string {
  let text = sqlCache.get(key);
  if (text === undefined) {
    if (sqlCache.size > 64) sqlCache.clear();
    text = build();
    sqlCache.set(key, text);
  }
  return text;
}

/**
 * SQLite: the page cache while imports run. An import writes the (account_id, wa_id) index at
 * random places; with SQLite's default 2 MB cache a million-contact book no longer fits and
 * every insert reads pages back (an import of 1,000,000 rows fell from ≈ 15,000 to ≈ 5,000
 * rows/s as the book grew). The cache is the connection's, shared with everything else, so it
 * is raised while imports run and put back after. Returns the size it replaced, in SQLite's
 * own terms (negative: KiB), for restoreCache; undefined on PostgreSQL, where it does nothing.
 */
export async function setImportCache(
  db: Kysely<Database>,
  dialect: Dialect,
  kib: number,
): Promise<number | undefined> {
  if (dialect !== 'sqlite') return undefined;
  const { rows } = await db.executeQuery<{ cache_size: number }>(CompiledQuery.raw('pragma cache_size', []));
  await db.executeQuery(CompiledQuery.raw(`pragma cache_size = ${-Math.floor(kib)}`, []));
  return rows[0]?.cache_size;
}

/** Puts back the cache size setImportCache replaced (the store's, SQLITE_CACHE_MB). */
export async function restoreCache(db: Kysely<Database>, previous: number | undefined): Promise<void> {
  if (previous === undefined || !Number.isSafeInteger(previous)) return;
  await db.executeQuery(CompiledQuery.raw(`pragma cache_size = ${previous}`, []));
}

/**
 * PostgreSQL: fresh statistics for the tables an import grows. Autovacuum analyzes a table some
 * time after it changed; an import that grows the book from nothing to 1,000,000 rows in
 * minutes outruns it, and with the statistics of a small table the planner answered the
 * batch lookup (`wa_id IN (…500)`) by reading every contact of the account (0.5 s a batch at
 * 1,000,000 rows, the import down to ≈ 1,300 rows/s). Sampled, ≈ 0.1 s; SQLite needs nothing.
 */
export async function refreshImportStats(db: Kysely<Database>, dialect: Dialect): Promise<void> {
  if (dialect !== 'postgres') return;
  await db.executeQuery(CompiledQuery.raw('analyze contacts, contact_tags', []));
}
