/**
 * A Messenger body applied by the webhook path (ingest.accept on the messenger channel, then
 * the processor), on both databases: the person's message opens the window and is their last
 * message; a reaction keeps the window open without being one; the echo of a send opens
 * nothing; delivery and read watermarks move every earlier message of that person on that
 * page, and tell the bot; the same body delivered again changes nothing.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountWithLimits } from '../../src/store/accounts-repo';
import { upsertAccount } from '../../src/store/accounts-repo';
import { ensureContact, findContact } from '../../src/store/contacts-repo';
import { insertMessages } from '../../src/store/messages-repo';
import { openSecretBox } from '../../src/store/secret-key-file';
import { type Harness, startHarness } from '../support/harness';
import { newMessage } from '../support/message-rows';
import { metaSignature } from '../support/meta-webhooks';
import { DIALECTS } from '../support/stores';
import { writtenEvents } from '../support/written-events';

const PAGE = '107325198792045';
const PAGE_SECRET = 'page-app-secret-3f9a';
const EMILIA = '6845719238451234';
const MIN = 60_000;

describe.each(DIALECTS)('Messenger webhooks applied on %s', (dialect) => {
  let h: Harness;
  let page: AccountWithLimits;

  beforeAll(async () => {
    h = await startHarness(dialect);
    const box = openSecretBox(h.app.config.secrets, h.store, pino({ level: 'silent' }));
    page = await upsertAccount(
      h.store.db,
      box,
      {
        id: 'acc_page_saludcenter',
        channel: 'messenger',
        name: 'saludcenter-page',
        externalId: PAGE,
        wabaId: null,
        accessToken: 'page-token',
        appSecret: PAGE_SECRET,
        verifyToken: 'page-verify',
        baseUrl: h.app.accounts.all()[0]!.baseUrl,
        graphVersion: 'v25.0',
        throughputMps: 40,
        source: 'api',
      },
      Date.now(),
    );
    await h.app.accounts.reload();
  });
  afterAll(() => h?.close());

  /** A message of ours to Emilia on the page, accepted by Meta, posted at `postedAt`. */
  async function ours(id: string, contactId: string, postedAt: number) {
    await insertMessages(h.store.db, [
      newMessage(id, { accountId: page.id, contactId, to: EMILIA, queuedAt: postedAt - 1_000 }),
    ]);
    await h.store.db
      .updateTable('messages')
      .set({
        status: 'accepted',
        provider_message_id: `m_${id}`,
        posted_at: postedAt,
        accepted_at: postedAt + 200,
      })
      .where('id', '=', id)
      .execute();
  }

  const status = async (id: string) =>
    h.store.db
      .selectFrom('messages')
      .select(['status', 'delivered_at', 'read_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  it('window, last message, echo and watermarks, applied once', async () => {
    const now = Date.now();
    const contact = await ensureContact(
      h.store.db,
      { id: 'ctc_emilia_page', accountId: page.id, waId: EMILIA, phoneE164: null },
      now - 3 * 60 * MIN,
    );
    await ours('msg_page_a', contact.id, now - 120 * MIN);
    await ours('msg_page_b', contact.id, now - 40 * MIN);
    await ours('msg_page_c', contact.id, now - 5 * MIN);

    const envelope = (time: number, event: Record<string, unknown>) => ({
      id: PAGE,
      time: time + 150,
      messaging: [{ sender: { id: EMILIA }, recipient: { id: PAGE }, timestamp: time, ...event }],
    });
    const body = Buffer.from(
      JSON.stringify({
        object: 'page',
        entry: [
          envelope(now - 50 * MIN, {
            message: { mid: 'm_in_text_1', text: 'Hola, ¿el turno sigue en pie?' },
          }),
          envelope(now - 20 * MIN, {
            reaction: { reaction: 'like', emoji: '👍', action: 'react', mid: 'm_msg_page_b' },
          }),
          // Our own send echoed: the page is the sender.
          {
            id: PAGE,
            time: now - 4 * MIN,
            messaging: [
              {
                sender: { id: PAGE },
                recipient: { id: '9990001112223334' },
                timestamp: now - 4 * MIN,
                message: { is_echo: true, app_id: 1517776481860111, mid: 'm_echo_1', text: 'Hi' },
              },
            ],
          },
          envelope(now - 30 * MIN, { delivery: { mids: ['m_msg_page_b'], watermark: now - 35 * MIN } }),
          envelope(now - 10 * MIN, { read: { watermark: now - 60 * MIN } }),
        ],
      }),
    );
    const sig = metaSignature(body, PAGE_SECRET);
    const accepted = await h.app.ingest.accept(body, sig, 'messenger');
    expect(accepted.items).toBe(5); // the echo is a `sent` status, for no message of ours here
    await h.app.ingest.drain();

    // The reaction keeps the window open; the text is the last message (HUMAN_AGENT counts from it).
    expect(await findContact(h.store.db, page.id, EMILIA)).toMatchObject({
      last_inbound_at: now - 20 * MIN,
      last_user_message_at: now - 50 * MIN,
    });
    // The echo opened nothing: no contact for its recipient.
    expect(await findContact(h.store.db, page.id, '9990001112223334')).toBeUndefined();

    // a: posted before the read watermark → read; b: before the delivery one → delivered;
    // c: posted after both → untouched.
    expect(await status('msg_page_a')).toEqual({
      status: 'read',
      delivered_at: now - 30 * MIN,
      read_at: now - 10 * MIN,
    });
    expect(await status('msg_page_b')).toEqual({
      status: 'delivered',
      delivered_at: now - 30 * MIN,
      read_at: null,
    });
    expect(await status('msg_page_c')).toMatchObject({ status: 'accepted' });

    const statusEvents = () =>
      h.events
        .filter((e) => e.type === 'message.status' && String(e.data.id).startsWith('msg_page_'))
        .map((e) => [e.data.id, e.data.previous_status, e.data.status]);
    await h.waitFor('three message.status events', () => statusEvents().length >= 3);
    expect(statusEvents()).toEqual([
      ['msg_page_a', 'accepted', 'delivered'],
      ['msg_page_a', 'delivered', 'read'],
      ['msg_page_b', 'accepted', 'delivered'],
    ]);
    const received = await h.waitFor('both inbound items told', () => {
      const r = h.events.filter((e) => e.type === 'message.received' && e.data.account_id === page.id);
      return r.length >= 2 && r;
    });
    expect(received.map((e) => e.data.message.type)).toEqual(['text', 'reaction']);
    expect(h.events.filter((e) => e.type === 'window.opened' && e.data.account_id === page.id)).toHaveLength(
      1,
    );

    // Meta delivers the same body again: nothing moves, no event is written.
    const eventCount = async () => (await writtenEvents(h.store.db)).length;
    const before = await eventCount();
    await h.app.ingest.accept(body, sig, 'messenger');
    await h.app.ingest.drain();
    expect(await eventCount()).toBe(before);
    const timeline = await h.store.db
      .selectFrom('message_events')
      .select(['message_id', 'status'])
      .where('message_id', 'in', ['msg_page_a', 'msg_page_b', 'msg_page_c'])
      .where('status', 'in', ['delivered', 'read'])
      .execute();
    expect(timeline).toHaveLength(3);
    const inbound = await h.store.db
      .selectFrom('inbound_messages')
      .select('type')
      .where('account_id', '=', page.id)
      .execute();
    expect(inbound.map((i) => i.type).sort()).toEqual(['reaction', 'text']);

    // The contact routes name her as the page knows her: psid:<PSID>.
    const q = `account_id=${page.id}`;
    const byPsid = await h.api('GET', `/v1/contacts/psid:${EMILIA}?${q}`);
    expect(byPsid.status).toBe(200);
    expect(byPsid.json.wa_id).toBe(EMILIA);
    const win = await h.api('GET', `/v1/contacts/PSID:${EMILIA}/window?${q}`);
    expect(win.status).toBe(200);
    expect(win.json.last_inbound_at).toBe(new Date(now - 20 * MIN).toISOString());
    // A PSID the page never heard from is not made into a contact, and a PSID is digits.
    const unknown = await h.api('PUT', `/v1/contacts/psid:9990001112223334?${q}`, { name: 'Nadie' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('CONTACT_NOT_FOUND');
    expect(unknown.json.error.hint).toMatch(/writing to the page/);
    const bad = await h.api('GET', `/v1/contacts/psid:abc?${q}`);
    expect(bad.status).toBe(422);
    expect(bad.json.error.code).toBe('PHONE_INVALID');
    expect(bad.json.error.details).toEqual([
      { path: 'params.contact', message: expect.stringMatching(/not a PSID/) },
    ]);
  });

  it("a send whose answer was lost is settled by its echo: Meta's proof, found by our id in metadata", async () => {
    const now = Date.now();
    const contact = await ensureContact(
      h.store.db,
      { id: 'ctc_echo_page', accountId: page.id, waId: '6845719238450001', phoneE164: null },
      now - 60 * MIN,
    );
    const id = 'msg_01KBJ0F6N4Z3Y2X1W0V9T8S7R6';
    await insertMessages(h.store.db, [
      newMessage(id, {
        accountId: page.id,
        contactId: contact.id,
        to: '6845719238450001',
        queuedAt: now - 2_000,
      }),
    ]);
    // The POST left and its answer never came (a crash, a timeout): no Meta id is known.
    await h.store.db
      .updateTable('messages')
      .set({ status: 'unconfirmed', posted_at: now - 1_000, doubt_until: now + 120_000 })
      .where('id', '=', id)
      .execute();
    const body = Buffer.from(
      JSON.stringify({
        object: 'page',
        entry: [
          {
            id: PAGE,
            time: now,
            messaging: [
              {
                sender: { id: PAGE },
                recipient: { id: '6845719238450001' },
                timestamp: now - 500,
                message: {
                  is_echo: true,
                  app_id: 1517776481860111,
                  metadata: id,
                  mid: 'm_echo_lost',
                  text: 'Hola',
                },
              },
            ],
          },
        ],
      }),
    );
    await h.app.ingest.accept(body, metaSignature(body, PAGE_SECRET), 'messenger');
    await h.app.ingest.drain();
    const row = await h.store.db
      .selectFrom('messages')
      .select(['status', 'provider_message_id', 'sent_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'sent', provider_message_id: 'm_echo_lost', sent_at: now - 500 });
    // The echo is not the person: it opened no window.
    expect((await findContact(h.store.db, page.id, '6845719238450001'))?.last_inbound_at).toBeNull();
  });

  it("a page's template review reaches the page's template (the page owns it, as a WABA does)", async () => {
    const now = Date.now();
    await h.store.db
      .insertInto('templates')
      .values({
        id: 'tpl_page_reminder',
        account_id: page.id,
        name: 'appointment_reminder_msgr',
        language: 'es',
        category: 'UTILITY',
        parameter_format: 'POSITIONAL',
        components: JSON.stringify([{ type: 'BODY', text: 'Tu turno es el {{1}}.' }]),
        status: 'PENDING',
        provider_template_id: '104595129340398',
        rejected_reason: null,
        quality_score: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const body = Buffer.from(
      JSON.stringify({
        object: 'page',
        entry: [
          {
            id: PAGE,
            time: now,
            changes: [
              {
                field: 'messenger_template_status_update',
                value: {
                  event: 'APPROVED',
                  message_template_id: 104595129340398,
                  message_template_name: 'appointment_reminder_msgr',
                  message_template_language: 'es',
                  reason: 'NONE',
                },
              },
            ],
          },
        ],
      }),
    );
    await h.app.ingest.accept(body, metaSignature(body, PAGE_SECRET), 'messenger');
    await h.app.ingest.drain();
    const row = await h.store.db
      .selectFrom('templates')
      .select(['status', 'rejected_reason'])
      .where('id', '=', 'tpl_page_reminder')
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'APPROVED', rejected_reason: null });
  });
});
