/**
 * The steps every send benchmark shares: posting N template sends to the API and waiting until
 * a worker has dispatched them all.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { Pool } from 'undici';
import type { MessageStatus } from '../src/domain/message';
import { SANDBOX_ACCOUNT } from '../src/embedded-sandbox';
import type { Store } from '../src/store/database';
import { drive } from './bare-loop';
import { API_KEY } from './recontact-env';

/**
 * Polls until `probe` holds. Polling competes with the processes under test for the cores; a
 * rate read from stored timestamps does not depend on `everyMs`, one timed by this loop does.
 */
export async function waitUntil(
  probe: () => Promise<boolean>,
  what: string,
  ms = 600_000,
  everyMs = 20,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export async function countStatus(store: Store, statuses: readonly MessageStatus[]): Promise<number> {
  const r = await store.db
    .selectFrom('messages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', statuses)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/**
 * Polled while Recontact works (every 20 ms), so it must cost next to nothing on both engines:
 * each EXISTS reads one partial index (literal states let SQLite use it) and stops at the first
 * live row. Not COUNT(*): on PostgreSQL a count over a partial index is a bitmap heap scan, and a
 * bitmap scan never marks dead index entries as dead, so every poll re-read the heap page of
 * every row that had left the state since the last vacuum (20,000 after a bench's dispatch) —
 * up to a core of PostgreSQL's CPU, taken from the work being measured. An index scan marks
 * them once, and later polls skip them.
 */
export async function nothingLeft(store: Store, what: 'dispatch' | 'webhooks'): Promise<boolean> {
  const q =
    what === 'dispatch'
      ? sql<{ busy: number }>`SELECT CASE WHEN EXISTS (SELECT 1 FROM messages WHERE status = 'queued')
          OR EXISTS (SELECT 1 FROM messages WHERE status = 'sending')
          OR EXISTS (SELECT 1 FROM messages WHERE status = 'unconfirmed') THEN 1 ELSE 0 END AS busy`
      : sql<{ busy: number }>`SELECT CASE WHEN EXISTS (SELECT 1 FROM webhook_inbox WHERE status = 'pending')
          THEN 1 ELSE 0 END AS busy`;
  const r = await q.execute(store.db);
  return Number(r.rows[0]?.busy) === 0;
}

/** Whether any message has been accepted yet (cheap: stops at the first row). */
export async function anyAccepted(store: Store): Promise<boolean> {
  const r = await sql<{
    n: number;
  }>`SELECT COUNT(*) AS n FROM (SELECT 1 FROM messages WHERE accepted_at IS NOT NULL LIMIT 1) AS x`.execute(
    store.db,
  );
  return Number(r.rows[0]?.n) > 0;
}

export const DONE: MessageStatus[] = ['accepted', 'sent', 'delivered', 'read'];

export async function expectAll(store: Store, n: number, statuses: readonly MessageStatus[]): Promise<void> {
  const found = await countStatus(store, statuses);
  if (found !== n) throw new Error(`expected ${n} messages in ${statuses.join('/')}, found ${found}`);
}

/** Waits until nothing is left to dispatch and checks every message was accepted. */
export async function waitForDispatch(store: Store, n: number): Promise<void> {
  await waitUntil(() => nothingLeft(store, 'dispatch'), 'dispatch');
  await expectAll(store, n, DONE);
}

/** Posts n template sends to the API with 64 in flight; resolves when all were acknowledged (202). */
export async function postMessages(url: string, n: number): Promise<void> {
  const api = new Pool(url, { connections: 64 });
  const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
  await drive(n, 64, async (i) => {
    const res = await api.request({
      method: 'POST',
      path: '/v1/messages',
      headers,
      body: JSON.stringify({
        to: `+1 650 555 ${String(i % 10_000).padStart(4, '0')}`,
        template: {
          name: 'appointment_reminder',
          language: 'es_AR',
          body: ['Emilia', 'la Dra. Gómez', 'lunes 3 de marzo a las 10:00'],
          buttons: [{ payload: `CONFIRM:${i}` }, { payload: `CANCEL:${i}` }],
        },
        metadata: { i },
      }),
    });
    if (res.statusCode !== 202) throw new Error(`API answered ${res.statusCode}: ${await res.body.text()}`);
    await res.body.dump();
  });
  await api.close();
}

/**
 * Status webhooks for stored messages as Meta batches them: sent, then delivered, then read for
 * every message, ten statuses a body (the bodies are signed when posted).
 */
export function statusBodies(rows: Array<{ id: string; provider_message_id: string | null }>): string[] {
  const bodies: string[] = [];
  const ts = Math.floor(Date.now() / 1000);
  for (const status of ['sent', 'delivered', 'read']) {
    for (let i = 0; i < rows.length; i += 10) {
      const statuses = rows.slice(i, i + 10).map((r) => ({
        id: r.provider_message_id,
        status,
        timestamp: String(ts),
        recipient_id: '16505550000',
        biz_opaque_callback_data: r.id,
      }));
      bodies.push(
        JSON.stringify({
          object: 'whatsapp_business_account',
          entry: [
            {
              id: SANDBOX_ACCOUNT.wabaId,
              changes: [
                {
                  field: 'messages',
                  value: {
                    messaging_product: 'whatsapp',
                    metadata: {
                      display_phone_number: '5491100000000',
                      phone_number_id: SANDBOX_ACCOUNT.phoneNumberId,
                    },
                    statuses,
                  },
                },
              ],
            },
          ],
        }),
      );
    }
  }
  return bodies;
}

/** Posts the bodies signed with the sandbox's app secret, `concurrency` at a time; each must answer 200. */
export async function postStatusWebhooks(url: string, bodies: string[], concurrency = 32): Promise<void> {
  const hooks = new Pool(url, { connections: concurrency });
  try {
    await drive(bodies.length, concurrency, async (i) => {
      const body = bodies[i]!;
      const sig = createHmac('sha256', SANDBOX_ACCOUNT.appSecret).update(body).digest('hex');
      const res = await hooks.request({
        method: 'POST',
        path: '/webhooks/whatsapp',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${sig}` },
        body,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`webhook answered ${res.statusCode}`);
    });
  } finally {
    await hooks.close();
  }
}
