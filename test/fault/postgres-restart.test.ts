/**
 * PostgreSQL goes away mid-send and mid-webhook, and comes back. A TCP proxy between Recontact
 * and the server is cut (every connection reset, new ones refused) and restored, which is what
 * a restart looks like from the client, without touching the server other tests share.
 * Recontact must survive, answer 503 DATABASE_UNAVAILABLE meanwhile (so Meta retries its
 * webhooks), resume by itself, and lose or double nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { DIALECTS, PG_URL } from '../support/stores';
import { writtenEvents } from '../support/written-events';
import { openProxiedPostgres, raw, sendDiscrepancies, settled, signedInbound, timeUntil } from './support';
import { startTcpProxy, type TcpProxy } from './tcp-proxy';

const OUTAGE_MS = 1_500;
const SENDS = 24;

describe.skipIf(!DIALECTS.includes('postgres'))('PostgreSQL restarting', () => {
  let proxy: TcpProxy;
  let h: Harness;

  beforeAll(async () => {
    const target = new URL(PG_URL);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const store = await openProxiedPostgres(proxy);
    // Meta's stand-in retries refused webhooks quickly (Meta itself: for days).
    h = await startHarness('postgres', {
      // A claim whose answer is lost when the connection drops leaves its rows leased to this
      // worker until the lease runs out (60 s by default); a short one keeps the test short.
      app: { dispatcher: { leaseMs: 3_000 } },
      store,
      sandbox: { webhookRetry: { baseMs: 100, maxAttempts: 40 } },
    });
  });
  afterAll(async () => {
    proxy?.restore();
    await h?.close();
    await proxy?.close();
  });

  it('survives a restart mid-send and mid-webhook, answers 503 meanwhile, then resumes with nothing lost or doubled', async () => {
    const send = (i: number) =>
      h.api('POST', '/v1/messages', { ...REMINDER, metadata: { n: i } }, { 'idempotency-key': `pg-${i}` });
    const ids = new Map<number, string>();
    for (let i = 0; i < SENDS / 2; i++) {
      const r = await send(i);
      expect(r.status).toBe(202);
      ids.set(i, r.json.id);
    }
    // A user writes just as the database goes: Meta's POST lands before or during the outage.
    h.embedded.sandbox.users.sendText(
      h.embedded.whatsapp.phoneNumberId,
      '5491155550001',
      'hola, ¿sigue en pie?',
    );
    proxy.cut();

    const refused = await send(SENDS / 2);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(refused.json.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(refused.json.error.message).toMatch(/^PostgreSQL is unavailable: /);

    const inbound = signedInbound('5491155550002', 'wamid.FAULT-PG-1', 'mensaje durante el corte');
    const hook = await raw(h, 'POST', '/webhooks/whatsapp', inbound);
    expect(hook.status).toBe(503); // not acknowledged: Meta sends it again
    expect(hook.json.error.code).toBe('DATABASE_UNAVAILABLE');

    const notReady = await raw(h, 'GET', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.json.failed).toContain('database');
    expect(notReady.json.checks.database.error).toMatch(/^PostgreSQL is unavailable: /);
    expect((await raw(h, 'GET', '/healthz')).status).toBe(200);

    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    expect((await send(SENDS / 2)).status).toBe(503);
    proxy.restore();
    const back = performance.now();
    const since = () => Math.round(performance.now() - back);

    const readyMs = await timeUntil(
      '/readyz to answer 200',
      async () => (await raw(h, 'GET', '/readyz')).status === 200,
    );
    // The client retries what was refused, with the same Idempotency-Key, as Retry-After asks.
    let firstAcceptedMs = -1;
    for (let i = SENDS / 2; i < SENDS; i++) {
      let r = await send(i);
      while (r.status === 503) {
        await new Promise((w) => setTimeout(w, 50));
        r = await send(i);
      }
      expect(r.status).toBe(202);
      if (firstAcceptedMs < 0) firstAcceptedMs = since();
      ids.set(i, r.json.id);
    }
    // Meta retries the webhook it was refused.
    const again = await raw(h, 'POST', '/webhooks/whatsapp', inbound);
    expect(again.status).toBe(200);

    const all = [...ids.values()];
    await settled(h, all, 2);
    console.log(
      `PostgreSQL outage of ${OUTAGE_MS} ms; after it came back: /readyz 200 in ${readyMs} ms, ` +
        `first send accepted in ${firstAcceptedMs} ms, every message read, webhook applied and event delivered in ${since()} ms`,
    );

    expect(sendDiscrepancies(h, all)).toEqual({ wrong: [], unknown: [] });
    // Both inbound messages applied once each: the one Meta retried and the one we did.
    const inbounds = await h.store.db
      .selectFrom('inbound_messages')
      .select(['provider_message_id'])
      .execute();
    expect(inbounds).toHaveLength(2);
    expect(inbounds.map((m) => m.provider_message_id)).toContain('wamid.FAULT-PG-1');
    // Every event reached the bot, exactly once.
    const events = await writtenEvents(h.store.db);
    const received = h.events.map((e) => e.id);
    expect(new Set(received).size).toBe(received.length);
    expect(received.sort()).toEqual(events.map((e) => e.id).sort());
    expect(h.events.filter((e) => e.type === 'message.received')).toHaveLength(2);
  });
});
