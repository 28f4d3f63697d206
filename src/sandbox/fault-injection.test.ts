/**
 * Injected faults apply to exactly the next N sends, in order, and leave everything else alone.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Harness, PHONE_ID, reminder, send, startHarness, TOKEN } from './test-support';

describe('sandbox fault injection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('answers the next N sends with the given status, without accepting them', async () => {
    const queued = await call(h.base, 'POST', '/_sandbox/faults', { status: 503, count: 2 }, null);
    expect(queued).toMatchObject({ status: 200, json: { queued: { status: 503, count: 2 }, pending: 2 } });
    const before = h.sandbox.sent().length;
    const a = await send(h.base, reminder());
    const b = await send(h.base, reminder());
    const c = await send(h.base, reminder());
    expect([a.status, b.status, c.status]).toEqual([503, 503, 200]);
    expect(a.json.error).toMatchObject({ code: 2, is_transient: true });
    expect(h.sandbox.sent().length - before).toBe(1);
  });

  it('answers 429 as Meta throttles (130429)', async () => {
    await call(h.base, 'POST', '/_sandbox/faults', { status: 429 }, null);
    const r = await send(h.base, reminder());
    expect(r.status).toBe(429);
    expect(r.json.error.code).toBe(130429);
  });

  it('delays, and trickles the answer one byte at a time, still whole', async () => {
    await call(h.base, 'POST', '/_sandbox/faults', { delay_ms: 100, trickle: 2 }, null);
    const t0 = performance.now();
    const res = await request(`${h.base}/v25.0/${PHONE_ID}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(reminder()),
    });
    let chunks = 0;
    let text = '';
    for await (const chunk of res.body) {
      chunks++;
      text += chunk.toString();
    }
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(res.statusCode).toBe(200);
    expect(chunks).toBeGreaterThan(10);
    expect(JSON.parse(text).messages[0].id).toMatch(/^wamid\./);
  });

  it('applies a fault with a sender only to that number, leaving the others healthy', async () => {
    await call(
      h.base,
      'POST',
      '/_sandbox/faults',
      { status: 503, sender: '999999999999999', count: 5 },
      null,
    );
    await call(h.base, 'POST', '/_sandbox/faults', { status: 500, sender: PHONE_ID }, null);
    // The other number's fault stays queued; this number's send takes the fault meant for it.
    expect((await send(h.base, reminder())).status).toBe(500);
    expect((await send(h.base, reminder())).status).toBe(200);
    expect((await call(h.base, 'GET', '/_sandbox/faults', undefined, null)).json).toEqual({
      data: [{ status: 503, delay_ms: 0, count: 5, sender: '999999999999999' }],
    });
    await call(h.base, 'DELETE', '/_sandbox/faults', undefined, null);
    const bad = await call<{ error: { message: string } }>(
      h.base,
      'POST',
      '/_sandbox/faults',
      { delay_ms: 10, sender: 'me' },
      null,
    );
    expect(bad.json.error.message).toBe('sender must be a phone-number id or page id (digits), got "me"');
  });

  it('lists, clears, and refuses a fault it cannot apply, saying why', async () => {
    await call(h.base, 'POST', '/_sandbox/faults', { status: 500, count: 3 }, null);
    expect((await call(h.base, 'GET', '/_sandbox/faults', undefined, null)).json).toEqual({
      data: [{ status: 500, delay_ms: 0, count: 3 }],
    });
    await call(h.base, 'DELETE', '/_sandbox/faults', undefined, null);
    expect((await send(h.base, reminder())).status).toBe(200);
    const bad = await call<{ error: { message: string } }>(
      h.base,
      'POST',
      '/_sandbox/faults',
      { status: 200, count: 0 },
      null,
    );
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toBe(
      'status must be a whole number from 400 to 599, got 200; count must be a whole number from 1 to 100000, got 0',
    );
  });
});
