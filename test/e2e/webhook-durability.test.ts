/**
 * A webhook Meta was answered 200 for is never lost: it is in the database before the answer.
 * Here the process that acknowledged it stops before applying it; the next one applies it.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { SANDBOX_ACCOUNT } from '../../src/embedded-sandbox';
import { insertWebhooks } from '../../src/store/inbox-repo';
import { inboundTextBody, signedHeaders } from '../support/meta-webhooks';
import { DIALECTS, openTestStore, TEST_SECRET_KEY, type TestStore } from '../support/stores';

describe.each(DIALECTS)('webhook durability on %s', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore(dialect);
  });
  afterAll(() => store.destroy());

  const config = () =>
    loadConfig({
      LOG_LEVEL: 'silent',
      DATABASE_URL: store.url,
      RECONTACT_SECRET_KEY: TEST_SECRET_KEY,
      WHATSAPP_PHONE_NUMBER_ID: SANDBOX_ACCOUNT.phoneNumberId,
      WHATSAPP_WABA_ID: SANDBOX_ACCOUNT.wabaId,
      WHATSAPP_ACCESS_TOKEN: SANDBOX_ACCOUNT.accessToken,
      WHATSAPP_APP_SECRET: SANDBOX_ACCOUNT.appSecret,
      WHATSAPP_VERIFY_TOKEN: SANDBOX_ACCOUNT.verifyToken,
      WHATSAPP_BASE_URL: 'http://127.0.0.1:9',
    });

  /** Posts a signed body as Meta does; Meta is answered 200 only once the body is stored. */
  const postWebhook = async (url: string, body: string) => {
    const res = await request(`${url}/webhooks/whatsapp`, {
      method: 'POST',
      headers: signedHeaders(body),
      body,
    });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  };

  it('applies after a restart what was acknowledged before it', async () => {
    const first = await createApp({ config: config(), store });
    const url = await first.listen(0, '127.0.0.1');
    const ts = Math.floor(Date.now() / 1000);
    const body = inboundTextBody({
      from: '5491155551234',
      id: 'wamid.DURABLE-1',
      text: 'hola',
      timestamp: ts,
    });
    await postWebhook(url, body);
    // The workers never ran in this process: the body is stored, not applied.
    await first.stop();
    const stored = await store.db.selectFrom('webhook_inbox').selectAll().execute();
    expect(stored.map((r) => r.status)).toEqual(['pending']);

    const second = await createApp({ config: config(), store });
    second.startWorkers();
    await second.ingest.drain();
    await second.stop();
    const contact = await store.db
      .selectFrom('contacts')
      .selectAll()
      .where('wa_id', '=', '5491155551234')
      .executeTakeFirstOrThrow();
    expect(contact.last_inbound_at).toBe(ts * 1000);
    expect(contact.name).toBe('Emilia');
    const inbox = await store.db.selectFrom('webhook_inbox').selectAll().execute();
    expect(inbox.map((r) => r.status)).toEqual(['processed']);
  });

  it('applies in one batch the bodies it parsed on arrival and the ones another process stored', async () => {
    const app = await createApp({ config: config(), store });
    const url = await app.listen(0, '127.0.0.1');
    const ts = Math.floor(Date.now() / 1000);
    // Acknowledged by another API process: in the inbox, never parsed by this one, which must
    // read its body back. Its id sorts first, so the batch holds both kinds.
    await insertWebhooks(
      store.db,
      [
        {
          id: 'whk_0ELSEWHERE',
          channel: 'whatsapp',
          body: inboundTextBody({
            from: '5491155550001',
            id: 'wamid.ELSEWHERE-1',
            text: 'uno',
            timestamp: ts,
          }),
        },
      ],
      Date.now(),
    );
    const body = inboundTextBody({ from: '5491155550002', id: 'wamid.HERE-1', text: 'dos', timestamp: ts });
    await postWebhook(url, body);
    app.startWorkers();
    await app.ingest.drain();
    await app.stop();
    const contacts = await store.db
      .selectFrom('contacts')
      .select(['wa_id', 'last_inbound_at'])
      .where('wa_id', 'in', ['5491155550001', '5491155550002'])
      .orderBy('wa_id')
      .execute();
    expect(contacts).toEqual([
      { wa_id: '5491155550001', last_inbound_at: ts * 1000 },
      { wa_id: '5491155550002', last_inbound_at: ts * 1000 },
    ]);
    const inbox = await store.db
      .selectFrom('webhook_inbox')
      .select(['id', 'status', 'error'])
      .where('id', '=', 'whk_0ELSEWHERE')
      .execute();
    expect(inbox).toEqual([{ id: 'whk_0ELSEWHERE', status: 'processed', error: null }]);
  });
});
