/**
 * Messenger receipts by watermark, on both databases: every message of that person on that page
 * posted at or before the watermark moves forward through the status merge, once; later
 * messages, other people, other pages, messages in doubt or failed stay as they are.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newMessage } from '../../../test/support/message-rows';
import { DIALECTS, openTestStore, type TestStore } from '../../../test/support/stores';
import type { WatermarkItem } from '../../channels/channel';
import { createIdGenerator } from '../../domain/ids';
import type { MessageStatus } from '../../domain/message';
import { ensureContact } from '../../store/contacts-repo';
import { insertMessages } from '../../store/messages-repo';
import type { EngineContext } from '../context';
import type { PendingEvent } from '../events/event-bus';
import { applyWatermarks } from './watermark-applier';

const PAGE = '107325198792045';
const OTHER_PAGE = '108412937465120';
const EMILIA = '6845719238451234';
const PEDRO = '25381719828140932';
const ACCOUNTS = {
  byExternalId: (id: string) =>
    id === PAGE ? { id: 'acc_page' } : id === OTHER_PAGE ? { id: 'acc_other' } : undefined,
};

describe.each(DIALECTS)('watermark applier on %s', (dialect) => {
  let store: TestStore;
  const now = 1_767_225_600_000;
  let ctx: EngineContext;

  beforeAll(async () => {
    store = await openTestStore(dialect);
    const gen = createIdGenerator((n) => randomBytes(n));
    ctx = { store, clock: () => now, id: (p) => gen(p, now), log: pino({ level: 'silent' }) };
  });
  afterAll(() => store.destroy());
  beforeEach(async () => {
    for (const t of ['contacts', 'messages', 'message_events'] as const)
      await store.db.deleteFrom(t).execute();
  });

  /** A message of ours to `psid` on the page of `accountId`, created, posted and answered at the given times. */
  async function ours(
    id: string,
    p: {
      psid?: string;
      accountId?: string;
      status?: MessageStatus;
      createdAt: number;
      postedAt?: number | null;
      acceptedAt?: number | null;
    },
  ) {
    const accountId = p.accountId ?? 'acc_page';
    const psid = p.psid ?? EMILIA;
    const contact = await ensureContact(
      store.db,
      { id: `ctc_${accountId}_${psid}`, accountId, waId: psid, phoneE164: null, name: null, bsuid: null },
      now,
    );
    await insertMessages(store.db, [
      newMessage(id, { accountId, contactId: contact.id, to: psid, queuedAt: p.createdAt }),
    ]);
    const posted = p.postedAt === undefined ? p.createdAt + 10 : p.postedAt;
    await store.db
      .updateTable('messages')
      .set({
        status: p.status ?? 'accepted',
        provider_message_id: `m_${id}`,
        posted_at: posted,
        accepted_at: p.acceptedAt === undefined ? (posted ?? p.createdAt) + 300 : p.acceptedAt,
      })
      .where('id', '=', id)
      .execute();
  }

  const receipt = (status: WatermarkItem['status'], watermark: number, over: Partial<WatermarkItem> = {}) =>
    ({
      kind: 'watermark',
      externalId: PAGE,
      recipientId: EMILIA,
      status,
      watermark,
      timestamp: watermark + 1_000,
      raw: {},
      ...over,
    }) satisfies WatermarkItem;

  /** The message.status events' data (the only events a receipt makes). */
  const statuses = (events: PendingEvent[]) =>
    events.map((e) => {
      if (e.type !== 'message.status') throw new Error(`unexpected ${e.type}`);
      return e.data;
    });

  const apply = (items: WatermarkItem[]) =>
    store.db.transaction().execute((trx) => applyWatermarks(ctx, ACCOUNTS, trx, items));

  const states = async () =>
    (
      await store.db
        .selectFrom('messages')
        .select(['id', 'status', 'delivered_at', 'read_at'])
        .orderBy('id')
        .execute()
    ).map((r) => [r.id, r.status, r.delivered_at, r.read_at]);

  it('a delivery covers every earlier message, even the one Meta stamped before our answer came back', async () => {
    const T = now - 60_000;
    await ours('msg_1', { createdAt: T - 20_000 });
    await ours('msg_2', { createdAt: T - 5_000, status: 'sent' });
    // Posted 10 ms before the watermark, accepted 300 ms after it: Meta's stamp is in between.
    await ours('msg_3', { createdAt: T - 10 });
    await ours('msg_4', { createdAt: T + 5_000 }); // after the watermark
    const { events, timeline } = await apply([receipt('delivered', T)]);
    expect(await states()).toEqual([
      ['msg_1', 'delivered', T + 1_000, null],
      ['msg_2', 'delivered', T + 1_000, null],
      ['msg_3', 'delivered', T + 1_000, null],
      ['msg_4', 'accepted', null, null],
    ]);
    expect(statuses(events).map((d) => [d.id, d.status, d.previous_status])).toEqual([
      ['msg_1', 'delivered', 'accepted'],
      ['msg_2', 'delivered', 'sent'],
      ['msg_3', 'delivered', 'accepted'],
    ]);
    expect(timeline.map((t) => [t.message_id, t.status, t.at, JSON.parse(t.detail!)])).toEqual([
      ['msg_1', 'delivered', T + 1_000, { provider_status: 'delivered', watermark: T }],
      ['msg_2', 'delivered', T + 1_000, { provider_status: 'delivered', watermark: T }],
      ['msg_3', 'delivered', T + 1_000, { provider_status: 'delivered', watermark: T }],
    ]);

    // Delivered again (Meta retries): nothing changes, nothing is told.
    expect(await apply([receipt('delivered', T)])).toEqual({ events: [], timeline: [] });
  });

  it('a read after a delivery moves them on; a delivery after the read changes nothing', async () => {
    const T = now - 60_000;
    await ours('msg_1', { createdAt: T - 20_000 });
    await ours('msg_2', { createdAt: T - 5_000 });
    await apply([receipt('delivered', T - 10_000)]);
    const read = await apply([receipt('read', T, { timestamp: T + 30_000 })]);
    expect(statuses(read.events).map((d) => [d.id, d.previous_status, d.status])).toEqual([
      ['msg_1', 'delivered', 'read'],
      ['msg_2', 'accepted', 'read'],
    ]);
    const late = await apply([receipt('delivered', T)]);
    expect(late.events).toEqual([]);
    expect(await states()).toEqual([
      ['msg_1', 'read', T - 9_000, T + 30_000],
      // Read without a delivery of its own: the read proves it, but no delivery time was reported.
      ['msg_2', 'read', null, T + 30_000],
    ]);
  });

  it('a delivery and a read in one batch: both steps, in the order Meta reported them', async () => {
    const T = now - 60_000;
    await ours('msg_1', { createdAt: T - 20_000 });
    const { events, timeline } = await apply([
      receipt('read', T, { timestamp: T + 9_000 }),
      receipt('delivered', T, { timestamp: T + 2_000 }),
    ]);
    expect(timeline.map((t) => [t.status, t.at])).toEqual([
      ['delivered', T + 2_000],
      ['read', T + 9_000],
    ]);
    expect(statuses(events).map((d) => [d.previous_status, d.status])).toEqual([
      ['accepted', 'delivered'],
      ['delivered', 'read'],
    ]);
    expect(await states()).toEqual([['msg_1', 'read', T + 2_000, T + 9_000]]);
  });

  it('only that person on that page: others, messages in doubt, failed or never posted stay', async () => {
    const T = now - 60_000;
    await ours('msg_emilia', { createdAt: T - 20_000 });
    await ours('msg_pedro', { createdAt: T - 20_000, psid: PEDRO });
    await ours('msg_other_page', { createdAt: T - 20_000, accountId: 'acc_other' });
    await ours('msg_doubt', { createdAt: T - 20_000, status: 'in_doubt', acceptedAt: null });
    await ours('msg_failed', { createdAt: T - 20_000, status: 'failed' });
    await ours('msg_queued', { createdAt: T - 20_000, status: 'queued', postedAt: null, acceptedAt: null });
    const { events } = await apply([
      receipt('read', T),
      // A page we do not know, and a person we never wrote to: nothing to do.
      receipt('read', T, { externalId: '999' }),
      receipt('read', T, { recipientId: '1111' }),
    ]);
    expect(statuses(events).map((d) => d.id)).toEqual(['msg_emilia']);
    expect(await states()).toEqual([
      ['msg_doubt', 'in_doubt', null, null],
      ['msg_emilia', 'read', null, T + 1_000],
      ['msg_failed', 'failed', null, null],
      ['msg_other_page', 'accepted', null, null],
      ['msg_pedro', 'accepted', null, null],
      ['msg_queued', 'queued', null, null],
    ]);
  });

  it('a message never posted by this process (accepted elsewhere) is judged by its acceptance time', async () => {
    const T = now - 60_000;
    await ours('msg_1', { createdAt: T - 20_000, postedAt: null, acceptedAt: T - 1 });
    await ours('msg_2', { createdAt: T - 20_000, postedAt: null, acceptedAt: T + 1 });
    await apply([receipt('delivered', T)]);
    expect((await states()).map(([id, status]) => [id, status])).toEqual([
      ['msg_1', 'delivered'],
      ['msg_2', 'accepted'],
    ]);
  });
});
