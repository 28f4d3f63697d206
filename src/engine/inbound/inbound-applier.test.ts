/**
 * Inbound messages applied in batches, on both databases with a controlled clock: the window
 * opens (and is announced) only when it is really open, a late message never shortens it,
 * duplicates are applied once, replies are attributed by quote or to the last unanswered
 * message within seven days, and a batch costs the same statements whatever its size.
 */
import { randomBytes } from 'node:crypto';
import type { KyselyPlugin } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import type { InboundItem } from '../../channels/channel';
import { createIdGenerator } from '../../domain/ids';
import { findContact } from '../../store/contacts-repo';
import { insertMessages } from '../../store/messages-repo';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/event-bus';
import { applyInbound } from './inbound-applier';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const ACCOUNTS = {
  byExternalId: (id: string) =>
    id === 'pn_1'
      ? { id: 'acc_1' }
      : id === 'page_1'
        ? { id: 'acc_page', channel: 'messenger' as const }
        : undefined,
};

describe.each(DIALECTS)('inbound applier on %s', (dialect) => {
  let store: TestStore;
  const now = 1_764_000_000_000;
  let ctx: EngineContext;
  let seq = 0;
  /** Statements run by the applier, counted through a Kysely plugin. */
  let statements = 0;
  const counter: KyselyPlugin = {
    transformQuery: (args) => {
      statements++;
      return args.node;
    },
    transformResult: async (args) => args.result,
  };

  beforeAll(async () => {
    store = await openTestStore(dialect);
    const gen = createIdGenerator((n) => randomBytes(n));
    ctx = { store, clock: () => now, id: (p) => gen(p, now), log: pino({ level: 'silent' }) };
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    for (const t of ['contacts', 'messages', 'inbound_messages'] as const)
      await store.db.deleteFrom(t).execute();
  });

  const msg = (from: string, at: number, over: Partial<InboundItem> = {}): InboundItem => ({
    kind: 'inbound',
    externalId: 'pn_1',
    providerMessageId: `wamid.IN-${++seq}`,
    from,
    profileName: 'Emilia',
    timestamp: at,
    type: 'text',
    text: 'hola',
    raw: {},
    ...over,
  });
  const apply = (items: InboundItem[]) =>
    store.db
      .withPlugin(counter)
      .transaction()
      .execute((trx) => applyInbound(ctx, ACCOUNTS, trx, items));
  const ofType = <T extends PendingEvent['type']>(events: PendingEvent[], type: T) =>
    events.filter((e): e is Extract<PendingEvent, { type: T }> => e.type === type);
  const lastInbound = async (waId: string) => (await findContact(store.db, 'acc_1', waId))?.last_inbound_at;

  /** A message we sent, already at Meta (delivered). */
  async function sent(id: string, waId: string, at: number, providerId = `wamid.OUT-${id}`) {
    const { events } = await apply([msg(waId, at - 30 * DAY)]); // makes the contact
    expect(events.length).toBeGreaterThan(0);
    const contact = await findContact(store.db, 'acc_1', waId);
    await insertMessages(store.db, [
      {
        id,
        accountId: 'acc_1',
        contactId: contact!.id,
        to: waId,
        content: { kind: 'template' },
        template: { name: 'appointment_reminder', language: 'es_AR' },
        metadata: { appointment_id: id },
        idempotencyKey: null,
        requestHash: null,
        replyToProviderId: null,
        queuedAt: at,
      },
    ]);
    await store.db
      .updateTable('messages')
      .set({ status: 'delivered', provider_message_id: providerId })
      .where('id', '=', id)
      .execute();
  }

  it('a message older than 24 h that arrives late records the time but opens no window', async () => {
    const { events } = await apply([msg('5491100000001', now - 30 * HOUR)]);
    expect(ofType(events, 'window.opened')).toEqual([]);
    const [received] = ofType(events, 'message.received');
    expect(received!.data).toMatchObject({
      window: { open: false, expires_at: new Date(now - 6 * HOUR).toISOString() },
    });
    expect(await lastInbound('5491100000001')).toBe(now - 30 * HOUR);

    // A message inside the 24 hours does open it, and says until when.
    const later = await apply([msg('5491100000001', now - HOUR)]);
    const opened = ofType(later.events, 'window.opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.data).toMatchObject({
      open: true,
      opened_at: new Date(now - HOUR).toISOString(),
      expires_at: new Date(now + 23 * HOUR).toISOString(),
    });
  });

  it('announces a window once per opening, and a reordered older message neither reopens nor shortens it', async () => {
    const wa = '5491100000002';
    const { events } = await apply([msg(wa, now - 2 * HOUR), msg(wa, now - HOUR)]);
    expect(ofType(events, 'window.opened')).toHaveLength(1);
    const late = await apply([msg(wa, now - 3 * HOUR)]);
    expect(ofType(late.events, 'window.opened')).toEqual([]);
    expect(ofType(late.events, 'message.received')[0]!.data).toMatchObject({
      window: { open: true, expires_at: new Date(now - HOUR + DAY).toISOString() },
    });
    expect(await lastInbound(wa)).toBe(now - HOUR);
  });

  it('applies a message once, however often it is delivered, within a batch or across batches', async () => {
    const first = msg('5491100000003', now - HOUR);
    const a = await apply([first, { ...first }]);
    const b = await apply([{ ...first }]);
    expect(ofType(a.events, 'message.received')).toHaveLength(1);
    expect(b.events).toEqual([]);
    const rows = await store.db
      .selectFrom('inbound_messages')
      .selectAll()
      .where('provider_message_id', '=', first.providerMessageId)
      .execute();
    expect(rows).toHaveLength(1);
  });

  it('attributes a quoted reply to the quoted message, and a plain one to the last unanswered message within 7 days', async () => {
    await sent('msg_a1', '5491100000011', now - 2 * DAY);
    await sent('msg_a2', '5491100000011', now - DAY);
    await sent('msg_b1', '5491100000012', now - 8 * DAY);
    await sent('msg_c1', '5491100000013', now - 20 * DAY, 'wamid.OLD-QUOTED');
    const tap = msg('5491100000011', now - HOUR, {
      type: 'button',
      contextProviderId: 'wamid.OUT-msg_a1',
      button: { payload: 'CONFIRM:a1', text: 'Confirmar' },
    });
    const { events, timeline } = await apply([
      tap,
      msg('5491100000011', now - 50 * 60_000), // the next message after msg_a2
      msg('5491100000011', now - 40 * 60_000), // msg_a2 is answered now: nothing left to attribute
      msg('5491100000012', now - HOUR), // msg_b1 is older than 7 days
      msg('5491100000013', now - HOUR, { contextProviderId: 'wamid.OLD-QUOTED' }), // quoted wins
    ]);
    const replies = ofType(events, 'message.reply').map((e) => [e.data.message.id, e.data.reply.payload]);
    expect(replies).toEqual([
      ['msg_a1', 'CONFIRM:a1'],
      ['msg_a2', null],
      ['msg_c1', null],
    ]);
    expect(ofType(events, 'message.received').map((e) => e.data.in_reply_to)).toEqual([
      'msg_a1',
      'msg_a2',
      null,
      null,
      'msg_c1',
    ]);
    expect(timeline.map((t) => [t.message_id, t.status, t.at])).toEqual([
      ['msg_a1', 'replied', now - HOUR],
      ['msg_a2', 'replied', now - 50 * 60_000],
      ['msg_c1', 'replied', now - HOUR],
    ]);
    const links = await store.db
      .selectFrom('inbound_messages')
      .select(['provider_message_id', 'reply_to_message_id'])
      .where('reply_to_message_id', 'is not', null)
      .orderBy('reply_to_message_id')
      .execute();
    expect(links.map((l) => l.reply_to_message_id)).toEqual(['msg_a1', 'msg_a2', 'msg_c1']);
    const replied = await store.db
      .selectFrom('messages')
      .select(['id', 'replied_at'])
      .orderBy('id')
      .execute();
    expect(replied).toEqual([
      { id: 'msg_a1', replied_at: now - HOUR },
      { id: 'msg_a2', replied_at: now - 50 * 60_000 },
      { id: 'msg_b1', replied_at: null },
      { id: 'msg_c1', replied_at: now - HOUR },
    ]);

    // A second tap on the same button is still a reply to it, but its first reply time stays.
    const again = await apply([{ ...tap, providerMessageId: 'wamid.TAP-AGAIN', timestamp: now }]);
    expect(ofType(again.events, 'message.reply')).toHaveLength(1);
    expect(again.timeline).toEqual([]);
  });

  it('a WhatsApp message moves both the window and the last user message', async () => {
    await apply([msg('5491100000021', now - 2 * HOUR)]);
    const c = await findContact(store.db, 'acc_1', '5491100000021');
    expect(c).toMatchObject({ last_inbound_at: now - 2 * HOUR, last_user_message_at: now - 2 * HOUR });
    expect(c!.phone_e164).toBe('+5491100000021');
  });

  it('Messenger: a reaction, postback or referral reopens the window but is not the last user message', async () => {
    const psid = '5491100000031'; // a PSID that would read as a phone number: it is not one
    const on = (at: number, over: Partial<InboundItem>) =>
      msg(psid, at, { externalId: 'page_1', profileName: undefined, ...over });
    const { events } = await apply([
      on(now - 5 * HOUR, { type: 'text', isMessage: true }),
      on(now - 3 * HOUR, { type: 'reaction', isMessage: false, text: '❤️' }),
    ]);
    expect(ofType(events, 'message.received')).toHaveLength(2);
    const c = await findContact(store.db, 'acc_page', psid);
    expect(c).toMatchObject({ last_inbound_at: now - 3 * HOUR, last_user_message_at: now - 5 * HOUR });
    expect(c!.phone_e164).toBeNull();

    await apply([
      on(now - 2 * HOUR, { type: 'postback', isMessage: false, button: { payload: 'GO', text: 'Go' } }),
      on(now - HOUR, { type: 'referral', isMessage: false, text: undefined }),
    ]);
    expect(await findContact(store.db, 'acc_page', psid)).toMatchObject({
      last_inbound_at: now - HOUR,
      last_user_message_at: now - 5 * HOUR,
    });
    // A later message moves it; a reordered older one moves neither back.
    await apply([on(now - 30 * 60_000, { isMessage: true }), on(now - 6 * HOUR, { isMessage: true })]);
    expect(await findContact(store.db, 'acc_page', psid)).toMatchObject({
      last_inbound_at: now - 30 * 60_000,
      last_user_message_at: now - 30 * 60_000,
    });
  });

  it('costs the same statements for 3 messages as for 60 (batched, not one query per message)', async () => {
    const batch = (n: number, base: number) =>
      Array.from({ length: n }, (_, i) =>
        msg(`54911${base + i}`, now - HOUR, i % 2 ? { contextProviderId: `wamid.UNKNOWN-${i}` } : {}),
      );
    for (const [i, waId] of ['5491190000001', '5491190000002'].entries())
      await sent(`msg_s${i}`, waId, now - DAY);
    statements = 0;
    await apply(batch(3, 30000000));
    const small = statements;
    // Counted through Kysely: SQLite's prepared per-row statements (sqlite-direct.ts: the contact
    // look-ups and inserts) and PostgreSQL's named ones do not pass through a plugin.
    expect(small).toBeGreaterThan(dialect === 'sqlite' ? 2 : 3);
    statements = 0;
    await apply(batch(60, 40000000));
    expect(statements).toBe(small);
  });
});
