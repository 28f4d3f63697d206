/**
 * Characters a database cannot store, in Meta's content. PostgreSQL text refuses NUL, so a
 * signed inbound message whose text or profile name held one was acknowledged (200) and then
 * set aside: the message, its window and its events lost. Strings parsed from Meta now carry
 * U+FFFD in place of NUL and of lone surrogates, on both databases alike.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../support/harness';
import { messagesValue, metaEnvelope, signedHeaders } from '../support/meta-webhooks';
import { DIALECTS } from '../support/stores';

const WA_ID = '5491155550000';

function envelope(messages: unknown[], name: string): string {
  return JSON.stringify(
    metaEnvelope(messagesValue({ contacts: [{ profile: { name }, wa_id: WA_ID }], messages })),
  );
}

describe.each(DIALECTS)('NUL and lone surrogates from Meta on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness(dialect);
  });
  afterAll(() => h.close());

  it('a signed inbound text and profile name with NUL → 200, stored with U+FFFD, window opened, bot told', async () => {
    const ts = String(Math.floor(Date.now() / 1000));
    // JSON.stringify writes NUL as the escape \u0000 and a lone surrogate as \ud83d: what Meta sends.
    const body = envelope(
      [
        { from: WA_ID, id: 'wamid.NUL-1', timestamp: ts, type: 'text', text: { body: 'ho\u0000la' } },
        {
          from: WA_ID,
          id: 'wamid.NUL-2',
          timestamp: ts,
          type: 'interactive',
          interactive: {
            type: 'button_reply',
            button_reply: { id: 'YES\u0000', title: 'S\ud83d\u00ed' },
          },
        },
      ],
      'Emi\u0000lia',
    );
    expect(body).toContain('\\u0000');
    const res = await request(`${h.url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: signedHeaders(body),
      body,
    });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ received: 2 });
    await h.app.ingest.drain();

    // Applied, not parked.
    const inbox = await h.store.db.selectFrom('webhook_inbox').select(['status', 'error']).execute();
    expect(inbox).toEqual([{ status: 'processed', error: null }]);

    const stored = await h.store.db
      .selectFrom('inbound_messages')
      .select(['provider_message_id', 'text', 'payload'])
      .orderBy('provider_message_id')
      .execute();
    expect(stored).toEqual([
      { provider_message_id: 'wamid.NUL-1', text: 'ho\uFFFDla', payload: null },
      { provider_message_id: 'wamid.NUL-2', text: 'S\uFFFD\u00ed', payload: 'YES\uFFFD' },
    ]);
    const contact = await h.store.db
      .selectFrom('contacts')
      .select(['name', 'last_inbound_at'])
      .where('wa_id', '=', WA_ID)
      .executeTakeFirstOrThrow();
    expect(contact.name).toBe('Emi\uFFFDlia');
    expect(Number(contact.last_inbound_at)).toBe(Number(ts) * 1000);

    const w = await h.api('GET', `/v1/contacts/${WA_ID}/window`);
    expect(w.status).toBe(200);
    expect(w.json).toMatchObject({ known: true, open: true });

    const received = await h.waitFor('both message.received events', () => {
      const got = h.events.filter((e) => e.type === 'message.received');
      return got.length >= 2 && got;
    });
    const byId = new Map(received.map((e) => [e.data.message.provider_message_id, e.data]));
    expect(byId.get('wamid.NUL-1')).toMatchObject({
      contact: { wa_id: WA_ID, name: 'Emi\uFFFDlia' },
      message: { type: 'text', text: 'ho\uFFFDla' },
      window: { open: true },
    });
    expect(byId.get('wamid.NUL-2')).toMatchObject({
      message: { type: 'interactive', payload: 'YES\uFFFD', button_text: 'S\uFFFD\u00ed' },
    });
    await h.waitFor('window.opened', () => h.events.some((e) => e.type === 'window.opened'));
  });
});
