import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BotEvent, type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS } from '../support/stores';

describe.each(DIALECTS)('status webhooks on %s', (dialect) => {
  let h: Harness;
  beforeAll(async () => {
    // Real statuses from the sandbox would race with the ones this test posts: turn them off.
    h = await startHarness(dialect, { sandbox: { statusWebhooks: false } });
  });
  afterAll(() => h.close());

  const post = async (value: Record<string, unknown>) => {
    const body = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: h.embedded.whatsapp.wabaId, changes: [{ field: 'messages', value }] }],
    });
    const res = await request(`${h.url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', h.embedded.whatsapp.appSecret).update(body).digest('hex')}`,
      },
      body,
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  };
  const meta = () => ({
    messaging_product: 'whatsapp',
    metadata: { display_phone_number: '5491100000000', phone_number_id: h.embedded.whatsapp.phoneNumberId },
  });
  const status = (id: string, wamid: string, s: string, ts: number, extra: Record<string, unknown> = {}) => ({
    id: wamid,
    status: s,
    timestamp: String(ts),
    recipient_id: '5491155551234',
    biz_opaque_callback_data: id,
    ...extra,
  });

  async function acceptedMessage(): Promise<{ id: string; wamid: string }> {
    const q = await h.api('POST', '/v1/messages', REMINDER);
    const m = await h.waitFor('accepted', async () => {
      const r = await h.api('GET', `/v1/messages/${q.json.id}`);
      return r.json.provider_message_id ? r.json : undefined;
    });
    return { id: m.id, wamid: m.provider_message_id };
  }

  it('duplicates and out-of-order statuses keep the lifecycle monotonic and tell the bot once', async () => {
    const { id, wamid } = await acceptedMessage();
    const t = Math.floor(Date.now() / 1000);
    // read before delivered, sent twice, in one batched body and then again in another.
    await post({
      ...meta(),
      statuses: [
        status(id, wamid, 'sent', t),
        status(id, wamid, 'read', t + 2),
        status(id, wamid, 'sent', t),
      ],
    });
    await post({
      ...meta(),
      statuses: [status(id, wamid, 'delivered', t + 1), status(id, wamid, 'read', t + 2)],
    });
    await h.app.ingest.drain();
    await h.waitFor('events out', () => h.events.filter((e) => e.data.id === id).length >= 2);
    await h.app.deliverer.runOnce();
    const m = await h.api('GET', `/v1/messages/${id}`);
    expect(m.json.status).toBe('read');
    expect(m.json.delivered_at).toBe(new Date((t + 1) * 1000).toISOString());
    const changes = m.json.timeline
      .filter((e: { source: string }) => e.source === 'webhook')
      .map((e: any) => e.status);
    expect(changes).toEqual(['sent', 'read']);
    const told = h.events
      .filter((e) => e.type === 'message.status' && e.data.id === id)
      .map((e) => e.data.status);
    expect(told).toEqual(['sent', 'read']);
  });

  it("a status without our id is matched through its recipient and Meta's id", async () => {
    const { id, wamid } = await acceptedMessage();
    const t = Math.floor(Date.now() / 1000);
    const { biz_opaque_callback_data: _ours, ...anonymous } = status(id, wamid, 'delivered', t);
    await post({ ...meta(), statuses: [anonymous] });
    await h.app.ingest.drain();
    expect((await h.api('GET', `/v1/messages/${id}`)).json.status).toBe('delivered');
  });

  it('a late failed after delivered is stale; a delivered after failed wins', async () => {
    const a = await acceptedMessage();
    const t = Math.floor(Date.now() / 1000);
    await post({ ...meta(), statuses: [status(a.id, a.wamid, 'delivered', t)] });
    await post({
      ...meta(),
      statuses: [
        status(a.id, a.wamid, 'failed', t + 1, {
          errors: [{ code: 131026, title: 'Message undeliverable' }],
        }),
      ],
    });
    const b = await acceptedMessage();
    await post({
      ...meta(),
      statuses: [
        status(b.id, b.wamid, 'failed', t, { errors: [{ code: 131026, title: 'Message undeliverable' }] }),
      ],
    });
    await post({ ...meta(), statuses: [status(b.id, b.wamid, 'delivered', t + 1)] });
    await h.app.ingest.drain();
    expect((await h.api('GET', `/v1/messages/${a.id}`)).json.status).toBe('delivered');
    const mb = (await h.api('GET', `/v1/messages/${b.id}`)).json;
    expect(mb.status).toBe('delivered');
  });

  it('a failed status with 131047 records the reason in plain words', async () => {
    const a = await acceptedMessage();
    await post({
      ...meta(),
      statuses: [
        status(a.id, a.wamid, 'failed', Math.floor(Date.now() / 1000), {
          errors: [
            {
              code: 131047,
              title: 'Re-engagement message',
              error_data: { details: 'Message failed to send because more than 24 hours have passed.' },
            },
          ],
        }),
      ],
    });
    await h.app.ingest.drain();
    const m = (await h.api('GET', `/v1/messages/${a.id}`)).json;
    expect(m.status).toBe('failed');
    expect(m.error.code).toBe(131047);
    expect(m.error.class).toBe('retry_after_window');
    expect(m.error.message).toMatch(/24/);
  });

  it('an inbound message delivered twice is stored once and opens the window once', async () => {
    const wa = '5491166667777';
    const inbound = {
      ...meta(),
      contacts: [{ profile: { name: 'Tom\u00e1s' }, wa_id: wa }],
      messages: [
        {
          from: wa,
          id: 'wamid.INBOUND-DUP-1',
          timestamp: String(Math.floor(Date.now() / 1000)),
          type: 'text',
          text: { body: '\u00bfhola?' },
        },
      ],
    };
    await post(inbound);
    await post(inbound);
    await h.app.ingest.drain();
    const rows = await h.store.db
      .selectFrom('inbound_messages')
      .selectAll()
      .where('provider_message_id', '=', 'wamid.INBOUND-DUP-1')
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.text).toBe('¿hola?');
    // The deliverer's own loop may be posting it right now: wait for it rather than race it.
    const isOpened = (e: BotEvent) => e.type === 'window.opened' && e.data.contact.wa_id === wa;
    await h.waitFor('window.opened', () => h.events.some(isOpened));
    await h.app.deliverer.runOnce();
    const opened = h.events.filter(isOpened);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.data.contact.name).toBe('Tomás');
  });
  it('a reordered, older inbound message never shortens the window', async () => {
    const wa = '5491177778888';
    const now = Math.floor(Date.now() / 1000);
    const inbound = (id: string, ts: number) => ({
      ...meta(),
      contacts: [{ profile: { name: 'Ana' }, wa_id: wa }],
      messages: [{ from: wa, id, timestamp: String(ts), type: 'text', text: { body: 'hola' } }],
    });
    await post(inbound('wamid.NEWER', now));
    await post(inbound('wamid.OLDER', now - 3600));
    await h.app.ingest.drain();
    const w = await h.api('GET', `/v1/contacts/${wa}/window`);
    expect(w.json.last_inbound_at).toBe(new Date(now * 1000).toISOString());
    expect(Date.parse(w.json.expires_at)).toBe((now + 24 * 3600) * 1000);
  });
});
