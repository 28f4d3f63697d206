/**
 * Meta misbehaving, through the sandbox's fault injection (POST /_sandbox/faults): 5xx answers,
 * 429s, answers that never come in time (Recontact gives up after 1 s here; the send was not
 * accepted, so it is in doubt until the grace proves nothing arrived, then sent again), and
 * answers whose body trickles in. Every message must reach Meta exactly once; the API keeps
 * answering meanwhile. The database is not the subject here: SQLite only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/client';
import { type Harness, REMINDER, startHarness } from '../support/harness';
import { raw, sendDiscrepancies, settled } from './support';

const SENDS = 12;

describe("Meta's stand-in failing, slow and trickling", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness('sqlite', {
      app: {
        channel: createWhatsAppChannel({ timeoutMs: 1_000 }),
        dispatcher: { inDoubtPolicy: 'resend', recoveryGraceMs: 1_000, sweepMs: 100 },
      },
    });
  });
  afterAll(() => h?.close());

  it('retries through 5xx, 429, timeouts and slow bodies; every message reaches Meta exactly once', async () => {
    const faults = [
      { status: 500, count: 3 },
      { status: 429, count: 2 },
      // No answer within the client's 1 s. Well past it: undici checks its timeouts on a coarse
      // timer (up to about a second late), later still on a loaded machine.
      { status: 503, delay_ms: 4_000, count: 2 },
      { trickle: 5, count: 2 }, // accepted, the answer a byte every 5 ms
    ];
    for (const f of faults) {
      const res = await fetch(`${h.embedded.sandbox.url}/_sandbox/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(f),
      });
      expect(res.status).toBe(200);
    }

    const t0 = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < SENDS; i++) {
      const r = await h.api('POST', '/v1/messages', { ...REMINDER, metadata: { n: i } });
      expect(r.status).toBe(202);
      ids.push(r.json.id);
    }
    expect((await raw(h, 'GET', '/readyz')).status).toBe(200);
    await settled(h, ids);
    console.log(
      `Meta failing for 9 sends (5xx, 429, timeouts, slow bodies): all ${SENDS} read after ${Math.round(performance.now() - t0)} ms`,
    );

    expect(sendDiscrepancies(h, ids)).toEqual({ wrong: [], unknown: [] });
    const left = await fetchFaults(h);
    expect(left).toEqual([]);
    // The failed attempts are on the timelines (one message may have met several faults).
    const retried = await h.store.db
      .selectFrom('message_events')
      .select(['message_id', 'status'])
      .where('message_id', 'in', ids)
      .where('status', 'in', ['retry_scheduled', 'unconfirmed', 'resent'])
      .execute();
    expect(retried.filter((r) => r.status === 'retry_scheduled').length).toBeGreaterThanOrEqual(5);
    expect(retried.filter((r) => r.status === 'unconfirmed').length).toBeGreaterThanOrEqual(2);
  });
});

async function fetchFaults(h: Harness) {
  const res = await fetch(`${h.embedded.sandbox.url}/_sandbox/faults`);
  return ((await res.json()) as { data: unknown[] }).data;
}
