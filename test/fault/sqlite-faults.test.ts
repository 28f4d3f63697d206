/**
 * SQLite that cannot write: the disk is full (PRAGMA max_page_count on Recontact's own
 * connection gives a faithful SQLITE_FULL), or another process holds the database locked
 * (a second connection inside BEGIN EXCLUSIVE: SQLITE_BUSY after the busy timeout).
 * Recontact must answer 503 DATABASE_UNAVAILABLE saying so, refuse Meta's webhooks so they
 * come again, and resume by itself once the disk has room or the lock is gone.
 */
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { writtenEvents } from '../support/written-events';
import { openShortBusySqlite, raw, sendDiscrepancies, settled, signedInbound } from './support';

describe('SQLite unable to write', () => {
  let h: Harness;
  const ids: string[] = [];
  let n = 0;
  const send = () =>
    h.api('POST', '/v1/messages', { ...REMINDER, metadata: { n } }, { 'idempotency-key': `sqlite-${n}` });
  /** Sends until one is accepted, as a client honouring Retry-After would (same key). */
  const sendUntilAccepted = async () => {
    for (;;) {
      const r = await send();
      if (r.status === 202) {
        ids.push(r.json.id);
        n++;
        return;
      }
      expect(r.status).toBe(503);
      await new Promise((w) => setTimeout(w, 50));
    }
  };
  beforeAll(async () => {
    // 100 ms: every write attempt against a held lock blocks the event loop that long.
    const store = await openShortBusySqlite(100);
    h = await startHarness('sqlite', { store, sandbox: { webhookRetry: { baseMs: 100, maxAttempts: 40 } } });
  });
  afterAll(() => h?.close());

  it('answers 503 while the disk is full, and resumes when it has room', async () => {
    for (let i = 0; i < 3; i++) await sendUntilAccepted();
    const pages = await sql<{ page_count: number }>`pragma page_count`.execute(h.store.db);
    await sql.raw(`pragma max_page_count = ${pages.rows[0]!.page_count}`).execute(h.store.db);

    // Rows fit in free space until a page must be added: then every write fails.
    let refused: Awaited<ReturnType<typeof send>> | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const r = await send();
      if (r.status === 202) {
        ids.push(r.json.id);
        n++;
      } else refused = r;
    }
    expect(refused?.status).toBe(503);
    expect(refused!.headers['retry-after']).toBe('5');
    expect(refused!.json.error).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
      message: 'SQLite is unavailable: disk full (SQLITE_FULL)',
      data: { database: 'SQLite', reason: 'disk_full' },
    });
    const big = signedInbound('5491155550003', 'wamid.FAULT-FULL-1', 'x'.repeat(20_000));
    const hook = await raw(h, 'POST', '/webhooks/whatsapp', big);
    expect(hook.status).toBe(503);
    expect(hook.json.error.message).toBe('SQLite is unavailable: disk full (SQLITE_FULL)');
    const ready = await raw(h, 'GET', '/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json.failed).toEqual(['database_writes']);
    expect(ready.json.checks.database_writes.error).toMatch(/disk full \(SQLITE_FULL\)$/);

    await new Promise((r) => setTimeout(r, 500));
    await sql.raw('pragma max_page_count = 1073741823').execute(h.store.db);
    const t0 = performance.now();
    await sendUntilAccepted();
    const acceptedMs = Math.round(performance.now() - t0);
    expect((await raw(h, 'POST', '/webhooks/whatsapp', big)).status).toBe(200);
    await settled(h, ids);
    console.log(
      `SQLite disk full: first send accepted ${acceptedMs} ms after room was made, ` +
        `everything settled after ${Math.round(performance.now() - t0)} ms`,
    );
    const inbound = await h.store.db
      .selectFrom('inbound_messages')
      .select('provider_message_id')
      .where('provider_message_id', '=', 'wamid.FAULT-FULL-1')
      .execute();
    expect(inbound).toHaveLength(1);
    expect(sendDiscrepancies(h, ids)).toEqual({ wrong: [], unknown: [] });
    expect(await storedMessages(h)).toEqual([...ids].sort());
  });

  it('answers 503 while another process holds the database locked, and resumes when it lets go', async () => {
    for (let i = 0; i < 3; i++) await sendUntilAccepted();
    const other = new SQLite(h.store.url);
    other.exec('BEGIN EXCLUSIVE');
    try {
      const refused = await send();
      expect(refused.status).toBe(503);
      expect(refused.json.error.message).toBe(
        'SQLite is unavailable: the database is locked by another connection (SQLITE_BUSY)',
      );
      const hook = await raw(
        h,
        'POST',
        '/webhooks/whatsapp',
        signedInbound('5491155550004', 'wamid.FAULT-LOCK-1', 'hola'),
      );
      expect(hook.status).toBe(503);
      expect((await raw(h, 'GET', '/readyz')).json.failed).toEqual(['database_writes']);
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    const t0 = performance.now();
    await sendUntilAccepted();
    const acceptedMs = Math.round(performance.now() - t0);
    const again = signedInbound('5491155550004', 'wamid.FAULT-LOCK-1', 'hola');
    expect((await raw(h, 'POST', '/webhooks/whatsapp', again)).status).toBe(200);
    await settled(h, ids);
    console.log(
      `SQLite locked: first send accepted ${acceptedMs} ms after the lock was released, ` +
        `everything settled after ${Math.round(performance.now() - t0)} ms`,
    );
    expect(sendDiscrepancies(h, ids)).toEqual({ wrong: [], unknown: [] });
    expect(await storedMessages(h)).toEqual([...ids].sort());
    const events = await writtenEvents(h.store.db);
    const received = h.events.map((e) => e.id);
    expect(new Set(received).size).toBe(received.length);
    expect(received.sort()).toEqual(events.map((e) => e.id).sort());
  });
});

/** Refused sends must not have been stored: the ids stored are exactly those answered 202. */
async function storedMessages(h: Harness) {
  return (await h.store.db.selectFrom('messages').select('id').orderBy('id').execute()).map((m) => m.id);
}
