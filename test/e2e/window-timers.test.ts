/**
 * Window timers end to end on both databases, on one controllable clock shared by Recontact and
 * the sandbox: sandbox users write with back-dated timestamps, and the clock is moved past the
 * lead time and the close. window.expiring and window.expired fire once per window, also with a
 * second Recontact process on the same database (its own connection) and after the first one is
 * stopped and another started; a new inbound message moves them (the old window's timers never
 * fire); a downtime through the whole lead time skips window.expiring and still fires
 * window.expired; an old inbound message opens no window and arms no timer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../../src/app';
import { openStore, type Store } from '../../src/store/database';
import { type Harness, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';
import { writtenEvents } from '../support/written-events';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe.each(DIALECTS)('window timers on %s', (dialect) => {
  let h: Harness;
  let offset = 0;
  const clock = () => Date.now() + offset;
  const extra: Array<{ app: App; store: Store | undefined }> = [];
  let n = 0;
  const user = () => `54911555${String(8000 + ++n).padStart(5, '0')}`;

  /** The user writes, `ageMs` ago; resolves with their contact id once Recontact applied it. */
  const write = async (waId: string, text: string, ageMs = 0) => {
    h.embedded.sandbox.users.sendText(h.embedded.whatsapp.phoneNumberId, waId, text, { at: clock() - ageMs });
    const e = await h.waitFor(`message.received "${text}"`, () =>
      h.events.find((x) => x.type === 'message.received' && x.data.message.text === text),
    );
    return e.data.contact.id as string;
  };
  /** Timer events about a contact, as written (not only as delivered): exactly-once is judged here. */
  const written = async (type: string, contactId: string) => {
    const rows = await writtenEvents(h.store.db, type);
    return rows.map((r) => JSON.parse(r.payload)).filter((p) => p.contact.id === contactId);
  };
  const delivered = (type: string, contactId: string) =>
    h.events.filter((e) => e.type === type && e.data.contact.id === contactId);
  /**
   * A second Recontact on the same database: on PostgreSQL through its own pool; on SQLite
   * through the same connection, because better-sqlite3 waits for a lock synchronously and two
   * connections in one process would wait on each other (two SQLite processes are covered by
   * src/engine/conversations/timer-worker.test.ts, pass by pass).
   */
  const secondApp = async () => {
    const store =
      dialect === 'postgres'
        ? await openStore({ url: h.store.url, ...(h.store.pgSchema ? { pgSchema: h.store.pgSchema } : {}) })
        : undefined;
    const app = await createApp({
      config: h.app.config,
      store: store ?? h.store,
      clock,
      runDispatcher: false,
    });
    extra.push({ app, store });
    return app;
  };
  /** Passes of every worker at once, a few times: each due timer must be taken by exactly one. */
  const race = async (apps: App[]) => {
    for (let i = 0; i < 3; i++) await Promise.all(apps.map((a) => a.conversations.runOnce()));
  };

  beforeAll(async () => {
    h = await startHarness(dialect, { clock, sandbox: { now: clock } });
  });
  afterAll(async () => {
    for (const { app, store } of extra) {
      await app.stop();
      await store?.close();
    }
    await h?.close();
  });

  it('fires window.expiring then window.expired once per window, with two workers and across a restart', async () => {
    const waId = user();
    const contactId = await write(waId, 'Hola, ¿tienen turnos?', 22 * HOUR);
    const detail = await h.api('GET', `/v1/contacts/${contactId}`);
    expect(detail.status).toBe(200);
    const closesAt = Date.parse(detail.json.window.expires_at);
    expect(Date.parse(detail.json.window.expiring_at)).toBe(closesAt - HOUR);

    const second = await secondApp();
    await race([h.app, second]);
    expect(await written('window.expiring', contactId)).toHaveLength(0);

    offset += HOUR + MIN; // inside the last hour
    await race([h.app, second]);
    const expiring = await written('window.expiring', contactId);
    expect(expiring).toHaveLength(1);
    expect(expiring[0].window).toEqual({ open: true, expires_at: new Date(closesAt).toISOString() });
    expect(expiring[0].remaining_seconds).toBeGreaterThan(0);
    expect(expiring[0].remaining_seconds).toBeLessThanOrEqual(HOUR / 1000);
    await h.waitFor('window.expiring delivered', () => delivered('window.expiring', contactId).length === 1);

    // The second process is stopped; a third starts on the same database.
    await second.stop();
    const third = await secondApp();
    offset += HOUR; // past the close
    await race([h.app, third]);
    const expired = await written('window.expired', contactId);
    expect(expired).toHaveLength(1);
    expect(expired[0].expired_at).toBe(new Date(closesAt).toISOString());
    expect(expired[0].window.open).toBe(false);
    await race([h.app, third]);
    expect(await written('window.expiring', contactId)).toHaveLength(1);
    expect(await written('window.expired', contactId)).toHaveLength(1);
    await h.waitFor('window.expired delivered', () => delivered('window.expired', contactId).length === 1);
    expect((await h.api('GET', `/v1/contacts/${contactId}`)).json.window.expiring_at).toBeNull();
  });

  it('moves the timers with a new inbound message: the old window never fires', async () => {
    const waId = user();
    const contactId = await write(waId, 'Primera consulta', 22 * HOUR);
    await write(waId, 'Sigo acá', 0);
    const movedAt = clock();
    offset += HOUR + MIN; // the first window's lead time
    await race([h.app]);
    offset += HOUR; // the first window's close
    await race([h.app]);
    expect(await written('window.expiring', contactId)).toHaveLength(0);
    expect(await written('window.expired', contactId)).toHaveLength(0);

    offset += 21 * HOUR; // inside the new window's last hour
    await race([h.app]);
    const expiring = await written('window.expiring', contactId);
    expect(expiring).toHaveLength(1);
    const closesAt = Date.parse(expiring[0].window.expires_at);
    expect(Math.abs(closesAt - (movedAt + 24 * HOUR))).toBeLessThan(MIN);
  });

  it('skips window.expiring after a downtime through the whole lead time, and still fires window.expired', async () => {
    const waId = user();
    const contactId = await write(waId, 'Consulta antes del corte', 22 * HOUR);
    await h.app.conversations.stop(); // nothing runs the timers…
    offset += 3 * HOUR; // …through the lead time and the close
    await race([h.app]);
    expect(await written('window.expiring', contactId)).toHaveLength(0);
    expect(await written('window.expired', contactId)).toHaveLength(1);
    const timer = await h.store.db
      .selectFrom('window_timers')
      .select(['outcome'])
      .where('id', '=', `${contactId}:expiring`)
      .executeTakeFirstOrThrow();
    expect(timer.outcome).toBe('skipped');
    h.app.conversations.start();
  });

  it('an old inbound message opens no window and arms no timer', async () => {
    const waId = user();
    const contactId = await write(waId, 'Mensaje demorado', 25 * HOUR);
    const received = h.events.find((e) => e.type === 'message.received' && e.data.contact.id === contactId);
    expect(received?.data.window.open).toBe(false);
    expect(
      h.events.filter((e) => e.type === 'window.opened' && e.data.contact.id === contactId),
    ).toHaveLength(0);
    const timers = await h.store.db
      .selectFrom('window_timers')
      .select('id')
      .where('contact_id', '=', contactId)
      .execute();
    expect(timers).toHaveLength(0);
    // A message that is recent opens it (and says so, open).
    await write(waId, 'Ahora sí', 0);
    const opened = await h.waitFor('window.opened', () =>
      h.events.find((e) => e.type === 'window.opened' && e.data.contact.id === contactId),
    );
    expect(opened.data.open).toBe(true);
  });
});
