/**
 * The intake writer's group commit on both databases: sends to known contacts written together
 * are one statement (one transaction on PostgreSQL: one xmin), each resolved with its stored
 * row; a send that cannot go in (an id taken twice) fails alone, and the others of its batch are
 * stored; a batch with a new contact creates it in the same commit as its message.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testContext } from '../../../test/support/engine-context';
import { newMessage } from '../../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import { ensureContacts } from '../../store/contacts-repo';
import type { EngineContext } from '../context';
import { IntakeWriter } from './intake-writer';

const T0 = 1_764_000_000_000;

describe.each(DIALECTS)('intake writer on %s', (dialect) => {
  let store: TestStore;
  let ctx: EngineContext;

  beforeEach(async () => {
    store = await openTestStore(dialect);
    ctx = testContext(store, () => T0);
  });
  afterEach(() => store.destroy());

  const send = (id: string, contactId = 'ctc_known') => newMessage(id, { contactId, queuedAt: T0 });
  const ids = async () =>
    (await store.db.selectFrom('messages').select('id').orderBy('id').execute()).map((r) => r.id);

  it('writes sends to known contacts together, in one commit', async () => {
    const writer = new IntakeWriter(ctx);
    const wanted = Array.from({ length: 30 }, (_, i) => `msg_${String(i).padStart(2, '0')}`);
    const rows = await Promise.all(wanted.map((id) => writer.write({ message: send(id) })));
    expect(rows.map((r) => r.id)).toEqual(wanted);
    expect(rows.every((r) => r.status === 'queued')).toBe(true);
    expect(await ids()).toEqual(wanted);
    if (dialect === 'postgres') {
      const xmins = await sql<{ n: string }>`SELECT count(DISTINCT xmin::text) AS n FROM messages`.execute(
        store.db,
      );
      expect(Number(xmins.rows[0]!.n)).toBe(1);
    }
  });

  it('fails only the send that cannot go in; the rest of its batch is stored', async () => {
    const writer = new IntakeWriter(ctx);
    await writer.write({ message: send('msg_taken') });
    const results = await Promise.allSettled([
      writer.write({ message: send('msg_a') }),
      writer.write({ message: send('msg_taken') }),
      writer.write({ message: send('msg_b') }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await ids()).toEqual(['msg_a', 'msg_b', 'msg_taken']);
  });

  it('creates a new contact with its message, and gives the message the contact that won', async () => {
    const writer = new IntakeWriter(ctx);
    // Another process created this person a moment before: its contact is the one that stays.
    await ensureContacts(
      store.db,
      [{ id: 'ctc_first', accountId: 'acc_1', waId: '5491155550001', phoneE164: '+5491155550001' }],
      T0,
    );
    const [fresh, raced] = await Promise.all([
      writer.write({
        message: send('msg_new', 'ctc_fresh'),
        newContact: {
          id: 'ctc_fresh',
          accountId: 'acc_1',
          waId: '5491155550000',
          phoneE164: '+5491155550000',
        },
      }),
      writer.write({
        message: send('msg_raced', 'ctc_second'),
        newContact: {
          id: 'ctc_second',
          accountId: 'acc_1',
          waId: '5491155550001',
          phoneE164: '+5491155550001',
        },
      }),
      writer.write({ message: send('msg_old') }),
    ]);
    expect(fresh.contact_id).toBe('ctc_fresh');
    expect(raced.contact_id).toBe('ctc_first');
    const contacts = await store.db.selectFrom('contacts').select(['id', 'wa_id']).orderBy('id').execute();
    expect(contacts).toEqual([
      { id: 'ctc_first', wa_id: '5491155550001' },
      { id: 'ctc_fresh', wa_id: '5491155550000' },
    ]);
    const stored = await store.db.selectFrom('messages').select(['id', 'contact_id']).orderBy('id').execute();
    expect(stored).toEqual([
      { id: 'msg_new', contact_id: 'ctc_fresh' },
      { id: 'msg_old', contact_id: 'ctc_known' },
      { id: 'msg_raced', contact_id: 'ctc_first' },
    ]);
  });
});
