/**
 * The timer worker on both databases with two workers, each through its own connection to one
 * database (on SQLite: one file, two connections, as two processes have), on a controllable
 * clock. Windows open at the upgrade get their timers from the first pass (catch-up); each
 * window's window.expiring and window.expired, and each waiting mark's resume template, are
 * written exactly once, whichever worker takes them, also after a worker is replaced by a new
 * one (a restart); the claims come in batches smaller than the work.
 *
 * better-sqlite3 waits for a lock synchronously, so two connections in one process must not
 * hold transactions at the same moment: on SQLite the workers take turns, pass by pass; on
 * PostgreSQL their passes run at the same time.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { writtenEvents } from '../../../test/support/written-events';
import { createIdGenerator } from '../../domain/ids';
import { ensureContacts, moveWindows } from '../../store/contacts-repo';
import { openStore, type Store } from '../../store/database';
import { upsertTemplate } from '../../store/templates-repo';
import { insertWaiting } from '../../store/waiting-repo';
import type { EngineContext } from '../context';
import { EventBus } from '../events/event-bus';
import { ConversationTimers } from './timer-worker';

const T0 = 1_764_000_000_000;
const MIN = 60_000;
const HOUR = 60 * MIN;
const ACCOUNT = 'acc_default';
const CONTACTS = 7;

describe.each(DIALECTS)('conversation timers with two workers on %s', (dialect) => {
  let store: TestStore;
  let other: Store;
  let now = T0;
  const gen = createIdGenerator((n) => Buffer.alloc(n, Math.floor(Math.random() * 256)));
  const log = pino({ level: 'silent' });
  const ctxOf = (s: Store): EngineContext => ({ store: s, clock: () => now, id: (p) => gen(p, now), log });
  const worker = (s: Store) =>
    new ConversationTimers(
      ctxOf(s),
      { events: new EventBus(ctxOf(s)), accountIds: () => [ACCOUNT], onEvents() {}, onQueued() {} },
      { leadMs: HOUR, batchSize: 3, maxIdleMs: 60_000 },
    );
  let a: ConversationTimers;
  let b: ConversationTimers;
  const contactIds: string[] = [];

  /** Both workers' passes: together on PostgreSQL, in turns on SQLite; a few times. */
  const passes = async () => {
    for (let i = 0; i < 4; i++) {
      if (dialect === 'postgres') await Promise.all([a.runOnce(), b.runOnce()]);
      else for (const w of i % 2 ? [a, b] : [b, a]) await w.runOnce();
    }
  };
  const count = async (type: string) => {
    const rows = await writtenEvents(store.db, type);
    const per = new Map<string, number>();
    for (const r of rows) {
      const id = JSON.parse(r.payload).contact.id as string;
      per.set(id, (per.get(id) ?? 0) + 1);
    }
    return per;
  };

  beforeAll(async () => {
    store = await openTestStore(dialect);
    other = await openStore({ url: store.url, ...(store.pgSchema ? { pgSchema: store.pgSchema } : {}) });
    // Windows already open before the timers existed: written straight into the contact book.
    const rows = await ensureContacts(
      store.db,
      Array.from({ length: CONTACTS }, (_, i) => ({
        id: `ctc_${String(i).padStart(4, '0')}`,
        accountId: ACCOUNT,
        waId: `54911555${String(i).padStart(5, '0')}`,
        phoneE164: `+54911555${String(i).padStart(5, '0')}`,
        name: `Persona ${i}`,
      })),
      now,
    );
    for (const c of rows.values()) contactIds.push(c.id);
    await moveWindows(
      store.db,
      contactIds.map((id) => ({ contactId: id, at: now - 22 * HOUR })),
      now,
    );
    await upsertTemplate(
      store.db,
      {
        id: 'tpl_resume',
        accountId: ACCOUNT,
        name: 'resume_conversation',
        language: 'es_AR',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Hola {{1}}, ¿seguimos con {{2}}?' }],
        status: 'APPROVED',
        providerTemplateId: '1',
        rejectedReason: null,
        qualityScore: null,
      },
      now,
    );
    // Every contact waits, with a rule due when its window closes.
    for (const id of contactIds) {
      await insertWaiting(store.db, {
        id: `wait_${id}`,
        accountId: ACCOUNT,
        contactId: id,
        reason: 'agent',
        question: `pregunta de ${id}`,
        metadata: null,
        resume: {
          template: {
            name: 'resume_conversation',
            language: 'es_AR',
            body: [{ from: 'contact.first_name' }, { from: 'waiting.question' }],
          },
          before_close_minutes: 0,
          handoff: false,
          source: 'mark',
        },
        resumeDueAt: now + 2 * HOUR,
        now,
      });
    }
    a = worker(store);
    b = worker(other);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await other?.close();
    await store?.destroy();
  });

  it('arms the open windows at the first pass, then fires every timer and resume once', async () => {
    await passes();
    const armed = await store.db.selectFrom('window_timers').select(['id', 'due_at']).execute();
    expect(armed).toHaveLength(2 * CONTACTS);
    expect(await count('window.expiring')).toEqual(new Map());

    now += HOUR + MIN;
    await passes();
    const expiring = await count('window.expiring');
    expect([...expiring.keys()].sort()).toEqual([...contactIds].sort());
    expect([...expiring.values()].every((n) => n === 1)).toBe(true);

    // A restart: worker b is replaced by a new one on the same connection.
    await b.stop();
    b = worker(other);
    now += HOUR;
    await passes();
    const expired = await count('window.expired');
    const resumed = await count('conversation.resume_sent');
    for (const id of contactIds) {
      expect(expired.get(id), id).toBe(1);
      expect(resumed.get(id), id).toBe(1);
    }
    expect((await count('window.expiring')).size).toBe(CONTACTS);
    const messages = await store.db
      .selectFrom('messages')
      .select(['contact_id', 'template_name'])
      .where('template_name', '=', 'resume_conversation')
      .execute();
    expect(messages.map((m) => m.contact_id).sort()).toEqual([...contactIds].sort());
    const marks = await store.db.selectFrom('waiting_marks').select(['state', 'resume_due_at']).execute();
    expect(marks.every((m) => m.state === 'resume_sent' && m.resume_due_at === null)).toBe(true);

    now += 24 * HOUR;
    await passes();
    expect((await count('conversation.resume_sent')).size).toBe(CONTACTS);
    expect([...(await count('window.expired')).values()].every((n) => n === 1)).toBe(true);
  });
});
