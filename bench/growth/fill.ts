/**
 * A database as it looks after months of use, written straight into the store (the import and
 * the send path have their own benches): contacts of the account Recontact sends from, their
 * past messages over 90 days in every final state, the timeline rows the real path stores
 * (Meta's sent/delivered/read/failed from webhooks, the dispatcher's refusals at the POST) and
 * the window timers of everyone who wrote. Then, on PostgreSQL, statistics and a vacuum, as an
 * operator's database would have them (see tidyAsAutovacuum).
 */
import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { windowTimers } from '../../src/domain/conversations/timers';
import { createIdGenerator } from '../../src/domain/ids';
import { classifyProviderError } from '../../src/domain/provider-errors';
import { bulkInsertContacts } from '../../src/store/contact-book-repo';
import type { Store } from '../../src/store/database';
import type { Database } from '../../src/store/schema';
import { generate } from '../audience-count';

const DAY = 24 * 3_600_000;
/** The account `recontactEnv` configures (from the WHATSAPP_* variables). */
export const ACCOUNT = 'acc_default';
/** Past messages are written this many to a statement (and its transaction). */
const BATCH = 5_000;

/**
 * The wa_id of the i-th stored contact: Rosario mobiles whose last digit modulo 7 is 0, spread
 * over the whole numbering range. Numbers with another residue are free for the send phases, so
 * the contacts they create land between stored ones in the (account_id, wa_id) index, as new
 * people do, instead of all at one end of it.
 */
export function storedNumber(i: number): string {
  return `549341${2_000_000 + 7 * i}`;
}

/** A number no stored contact has: residue 1–6 (one per round) at position `slot` of `slots`. */
export function freshNumber(slot: number, slots: number, residue: number, contacts: number): string {
  const stride = Math.max(1, Math.floor(Math.max(contacts, slots) / slots));
  return `549341${2_000_000 + 7 * ((slot * stride) % Math.max(contacts, slots)) + residue}`;
}

/**
 * Random bytes cut from one large draw: a call to randomBytes per row costs more than writing
 * the row (≈ 7 µs each, three per message).
 */
function randomPool(size = 1 << 20): (n: number) => Buffer {
  let buf = randomBytes(size);
  let at = 0;
  return (n) => {
    if (at + n > buf.length) {
      buf = randomBytes(size);
      at = 0;
    }
    at += n;
    return buf.subarray(at - n, at);
  };
}

/** Deterministic, so both databases hold the same history. */
function mulberry32(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FillFigures {
  contacts: number;
  messages: number;
  timelineRows: number;
  windowTimers: number;
  byStatus: Record<string, number>;
  seconds: { contacts: number; messages: number; timeline: number; analyze: number };
}

export async function fillHistory(
  store: Store,
  opts: { contacts: number; messages: number; now: number; log: (s: string) => void },
): Promise<FillFigures> {
  const { db } = store;
  // The fill's connection only: random index inserts (a message's contact) stay in memory
  // instead of re-reading pages the default 2 MB cache evicted.
  if (store.dialect === 'sqlite') await sql`PRAGMA cache_size = -262144`.execute(db);
  const contactIds: string[] = [];
  let t = performance.now();
  let i = 0;
  for (const batch of generate(opts.contacts, opts.now)) {
    const mine = batch.map((c) => {
      const waId = storedNumber(i++);
      contactIds.push(c.id);
      return { ...c, accountId: ACCOUNT, waId, phoneE164: `+${waId}` };
    });
    await bulkInsertContacts(db, mine);
    if (i % 200_000 === 0) opts.log(`${i.toLocaleString('en-US')} contacts`);
  }
  const contactSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const byStatus: Record<string, number> = {};
  let rows: Array<Record<string, unknown>> = [];
  let written = 0;
  for (const m of pastMessages(opts.messages, contactIds, opts.now)) {
    byStatus[m.status] = (byStatus[m.status] ?? 0) + 1;
    rows.push(m);
    if (rows.length === BATCH || written + rows.length === opts.messages) {
      await insertMessageRows(db, store.dialect, rows);
      written += rows.length;
      rows = [];
      if (written % 200_000 === 0) opts.log(`${written.toLocaleString('en-US')} messages`);
    }
  }
  const messageSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  const timelineRows = await writeTimeline(db);
  const timers = await writeWindowTimers(db, opts.now);
  const timelineSeconds = (performance.now() - t) / 1000;

  t = performance.now();
  await tidyAsAutovacuum(store);
  if (store.dialect === 'sqlite') {
    // The fill's WAL (gigabytes) folded into the file, as the autocheckpoint would have done.
    await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
  }
  const analyzeSeconds = (performance.now() - t) / 1000;
  return {
    contacts: opts.contacts,
    messages: opts.messages,
    timelineRows,
    windowTimers: timers,
    byStatus,
    seconds: {
      contacts: contactSeconds,
      messages: messageSeconds,
      timeline: timelineSeconds,
      analyze: analyzeSeconds,
    },
  };
}

/**
 * What autovacuum keeps true of a live PostgreSQL database: statistics taken, dead row versions
 * gone, hint bits set. The PostgreSQL these benches run on has autovacuum turned off, so without
 * this the dead index entries left by each round's updates would pile up for the next (the
 * partial index of queued messages above all) and make later rounds slower. Then a checkpoint
 * (it needs a superuser, as the benches' PostgreSQL has).
 *
 * SQLite gets nothing: no autovacuum takes statistics there and Recontact never runs ANALYZE, so
 * a user's database has none. An earlier version analysed it anyway, and its plans hid that the
 * contact look-up of every send walked all of an account's contacts (fixed in contacts-repo.ts).
 */
export async function tidyAsAutovacuum(store: Store): Promise<void> {
  if (store.dialect !== 'postgres') return;
  await sql`VACUUM ANALYZE`.execute(store.db);
  // The fill's gigabytes written to disk now rather than by checkpoints while the first rounds
  // are measured: their figures came out at half the third round's.
  await sql`CHECKPOINT`.execute(store.db);
}

/**
 * PostgreSQL: the rows as one JSON parameter, unpacked by json_populate_recordset: one statement
 * instead of binding 30 parameters a row. SQLite: multi-row INSERTs through the query builder
 * (the JSON route, json_each and ->> per column, was 2.5× slower there).
 */
async function insertMessageRows(
  db: Kysely<Database>,
  dialect: Store['dialect'],
  rows: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  if (dialect === 'postgres') {
    await sql`INSERT INTO messages SELECT * FROM json_populate_recordset(NULL::messages, ${JSON.stringify(rows)}::json)`.execute(
      db,
    );
    return;
  }
  await db.transaction().execute(async (trx) => {
    for (let k = 0; k < rows.length; k += 500)
      await trx
        .insertInto('messages')
        .values(rows.slice(k, k + 500) as never)
        .execute();
  });
}

/** The two templates a clinic sends most: reminders (utility) and the taxi offer (marketing). */
function reminderContent(name: string, when: string, id: number): string {
  return JSON.stringify({
    kind: 'template',
    template: {
      name: 'appointment_reminder',
      language: { code: 'es_AR', policy: 'deterministic' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: name },
            { type: 'text', text: 'la Dra. Gómez' },
            { type: 'text', text: when },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: `CONFIRM:apt_${id}` }],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '1',
          parameters: [{ type: 'payload', payload: `CANCEL:apt_${id}` }],
        },
      ],
    },
  });
}

function offerContent(name: string): string {
  return JSON.stringify({
    kind: 'template',
    template: {
      name: 'taxi_discount',
      language: { code: 'es_AR', policy: 'deterministic' },
      components: [
        {
          type: 'header',
          parameters: [{ type: 'image', image: { link: 'https://cdn.saludcenter.example/taxi.jpg' } }],
        },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: name },
            { type: 'text', text: '10%' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: 'taxi10' }] },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '3',
          parameters: [{ type: 'coupon_code', coupon_code: 'TAXI10' }],
        },
      ],
    },
  });
}

const WEEKDAYS = ['lunes', 'martes', 'miércoles', 'jueves', 'viernes'];

/**
 * Messages in time order (ids are time-ordered, so the table is appended to as in real use),
 * each to a random stored contact. Final states: 50% read, 30% delivered, 8% sent, 2% accepted
 * with no status since; 8% failed at Meta after acceptance (131049 for marketing, 131026 not a
 * WhatsApp user otherwise), 2% refused at the POST (132000, never accepted).
 */
function* pastMessages(n: number, contacts: readonly string[], now: number) {
  const random = mulberry32(12);
  const bytes = randomPool();
  const newId = createIdGenerator((k) => Uint8Array.from(bytes(k)));
  const start = now - 90 * DAY;
  // The newest past message is an hour old: nothing of it is still queued or in flight.
  const step = (90 * DAY - 3_600_000) / n;
  for (let k = 0; k < n; k++) {
    const created = Math.floor(start + k * step + random() * step);
    const c = Math.floor(random() * contacts.length);
    const contactId = contacts[c]!;
    const waId = storedNumber(c);
    const marketing = random() < 0.3;
    const name = `Contact ${c}`;
    const r = random();
    const outcome =
      r < 0.02
        ? 'refused'
        : r < 0.1
          ? 'failed'
          : r < 0.12
            ? 'accepted'
            : r < 0.2
              ? 'sent'
              : r < 0.5
                ? 'delivered'
                : 'read';
    const posted = created + 50 + Math.floor(random() * 2_000);
    const accepted = outcome === 'refused' ? null : posted + 80 + Math.floor(random() * 300);
    // Meta's webhook times are whole seconds.
    const sec = (ms: number) => Math.floor(ms / 1000) * 1000;
    const sent = ['sent', 'delivered', 'read'].includes(outcome) ? sec(accepted! + 1_500) : null;
    const delivered = ['delivered', 'read'].includes(outcome)
      ? sent! + 1_000 * (1 + Math.floor(random() * 30))
      : null;
    const read = outcome === 'read' ? delivered! + 1_000 * Math.floor(random() * 6 * 3_600) : null;
    const code = outcome === 'refused' ? 132000 : outcome === 'failed' ? (marketing ? 131049 : 131026) : null;
    const failedAt =
      outcome === 'refused' ? posted + 200 : outcome === 'failed' ? sec(accepted! + 2_000) : null;
    const error =
      code === null ? null : classifyProviderError({ code, httpStatus: outcome === 'refused' ? 400 : null });
    const last = Math.max(created, accepted ?? 0, sent ?? 0, delivered ?? 0, read ?? 0, failedAt ?? 0);
    const id = newId('msg', created);
    const appointment = 100_000 + k;
    yield {
      id,
      account_id: ACCOUNT,
      contact_id: contactId,
      to_wa: waId,
      kind: 'template',
      content: marketing
        ? offerContent(name)
        : reminderContent(name, `${WEEKDAYS[k % 5]} ${1 + (k % 28)} a las ${9 + (k % 9)}:00`, appointment),
      template_name: marketing ? 'taxi_discount' : 'appointment_reminder',
      template_language: 'es_AR',
      template_category: marketing ? 'MARKETING' : 'UTILITY',
      metadata: marketing ? null : JSON.stringify({ appointment_id: `apt_${appointment}` }),
      // Half the bot's reminders carry an Idempotency-Key, as a retrying backend sends them.
      idempotency_key: !marketing && k % 2 === 0 ? `reminder-apt_${appointment}` : null,
      request_hash: !marketing && k % 2 === 0 ? bytes(32).toString('hex') : null,
      reply_to_provider_id: null,
      status: outcome === 'refused' ? 'failed' : outcome,
      provider_message_id: accepted === null ? null : `wamid.${bytes(30).toString('base64url')}`,
      attempts: 1,
      next_attempt_at: created,
      // The acceptance names the worker that posted it; a refusal clears it.
      locked_by: accepted === null ? null : 'vm-recontact-1',
      locked_until: null,
      error_code: code,
      error_class: error?.class ?? null,
      error_message: error ? error.reason : null,
      created_at: created,
      updated_at: last,
      accepted_at: accepted,
      sent_at: sent,
      delivered_at: delivered,
      read_at: read,
      failed_at: failedAt,
      replied_at: null,
      posted_at: posted,
      doubt_until: null,
      campaign_id: null,
      pricing_category: sent === null ? null : marketing ? 'marketing' : 'utility',
      billable: sent === null ? null : 1,
    };
  }
}

/**
 * The timeline rows the real path stores, derived in the database from the messages just
 * written (one INSERT … SELECT: millions of rows without a round trip each): Meta's statuses
 * from webhooks, and the dispatcher's row for a send refused at the POST. A message's 'queued'
 * and 'accepted' entries are not stored (the timeline derives them from the message). Ids keep
 * the message's time and random part with a step digit, so they are unique and sort with their
 * message; rows go in in that order, as the real path appends them, so the indexes are as dense
 * as a live table's (one pass per status had left message_events_message twice its size).
 */
async function writeTimeline(db: Kysely<Database>): Promise<number> {
  const pricing = (status: string) =>
    sql.raw(
      `'{"provider_status":"${status}","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"' || pricing_category || '"}}'`,
    );
  await sql`INSERT INTO message_events (id, message_id, status, at, source, detail)
    SELECT id, message_id, status, at, source, detail FROM (
      SELECT 'mev_' || substr(id, 5) || '3' AS id, id AS message_id, 'sent' AS status,
             sent_at AS at, 'webhook' AS source, ${pricing('sent')} AS detail
        FROM messages WHERE sent_at IS NOT NULL
      UNION ALL
      SELECT 'mev_' || substr(id, 5) || '4', id, 'delivered', delivered_at, 'webhook', ${pricing('delivered')}
        FROM messages WHERE delivered_at IS NOT NULL
      UNION ALL
      SELECT 'mev_' || substr(id, 5) || '5', id, 'read', read_at, 'webhook', ${pricing('read')}
        FROM messages WHERE read_at IS NOT NULL
      UNION ALL
      -- Refused at the POST: the dispatcher's row; failed later: Meta's webhook.
      SELECT 'mev_' || substr(id, 5) || '6', id, 'failed', failed_at,
             CASE WHEN accepted_at IS NULL THEN 'dispatcher' ELSE 'webhook' END,
             CASE WHEN accepted_at IS NULL
                  THEN '{"error_code":' || error_code || ',"error_class":"' || error_class || '"}'
                  ELSE '{"provider_status":"failed","errors":[{"code":' || error_code || '}]}' END
        FROM messages WHERE status = 'failed'
    ) AS steps
    ORDER BY id`.execute(db);
  const r = await db
    .selectFrom('message_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** window.expiring's default lead (WINDOW_EXPIRING_LEAD, PT1H). */
const EXPIRING_LEAD_MS = 3_600_000;

/**
 * Every contact who ever wrote has its window's two timers, as the inbound path leaves them:
 * fired when due, armed when still ahead. Without them each process start would arm the open
 * windows of the whole book (the timer worker's catch-up) while the figures are being taken.
 */
async function writeWindowTimers(db: Kysely<Database>, now: number): Promise<number> {
  const kinds = windowTimers(0, EXPIRING_LEAD_MS).map(
    (t) => sql`SELECT ${sql.lit(t.kind)} AS kind, ${sql.lit(t.dueAt)} AS after_ms`,
  );
  await sql`INSERT INTO window_timers
      (id, account_id, contact_id, kind, last_inbound_at, due_at, fired_at, outcome)
    SELECT c.id || ':' || k.kind, c.account_id, c.id, k.kind, c.last_inbound_at,
           c.last_inbound_at + k.after_ms,
           CASE WHEN c.last_inbound_at + k.after_ms <= ${now} THEN c.last_inbound_at + k.after_ms END,
           CASE WHEN c.last_inbound_at + k.after_ms <= ${now} THEN 'fired' END
      FROM contacts c CROSS JOIN (${sql.join(kinds, sql` UNION ALL `)}) k
     WHERE c.last_inbound_at IS NOT NULL
     ORDER BY 1`.execute(db);
  const r = await db
    .selectFrom('window_timers')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}
