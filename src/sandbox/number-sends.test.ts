/**
 * What each phone number sent, counted where Meta would count it: accepts, throughput refusals
 * (130429), the same biz_opaque_callback_data accepted twice, and the busiest second — per
 * number, so a benchmark of many numbers can judge each one.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { NumberSends, type NumberSendsView } from './number-sends';
import { call, type Harness, PHONE_ID, reminder, send, startHarness } from './test-support';

const OTHER = {
  phoneNumberId: '106540352242923',
  wabaId: '102290129340398',
  accessToken: 'other-token',
  appSecret: 'test-app-secret',
  displayPhoneNumber: '+1 555 078 3882',
};

describe('NumberSends', () => {
  it('counts the most accepts within any 1,000 ms, sliding, not per calendar second', () => {
    const s = new NumberSends('1');
    // 3 late in one second and 3 early in the next: 6 within 1,000 ms.
    for (const at of [900, 950, 990, 1010, 1050, 1890]) s.accept(at, undefined);
    expect(s.view().busiest_second).toBe(6);
    // 1,000 ms after the first, the first no longer counts.
    s.accept(1900, undefined);
    expect(s.view().busiest_second).toBe(6);
    s.accept(1950, undefined);
    expect(s.view()).toMatchObject({ busiest_second: 6, first_accepted_ms: 900, last_accepted_ms: 1950 });
  });

  it('keeps about one second of accept times however long it runs', () => {
    const s = new NumberSends('1');
    for (let i = 0; i < 100_000; i++) s.accept(i, `m${i}`);
    expect(s.view()).toMatchObject({ accepted: 100_000, busiest_second: 1000, duplicates: 0 });
    expect((s as unknown as { recent: number[] }).recent.length).toBeLessThan(3_100);
  });

  it('counts accepts beyond the first of one callback data as duplicates', () => {
    const s = new NumberSends('1');
    for (const id of ['a', 'b', 'a', 'a']) s.accept(0, id);
    s.accept(0, undefined);
    expect(s.view()).toMatchObject({ accepted: 5, distinct_callback_data: 2, duplicates: 2 });
    expect(Object.fromEntries(s.callbackCounts)).toEqual({ a: 3, b: 1 });
  });
});

describe('GET /_sandbox/sends', () => {
  let h: Harness;
  let clock = Date.UTC(2026, 5, 1, 12);
  const now = () => clock;
  afterEach(() => h.close());

  it('reports each number on its own: accepts, 130429 refusals, duplicates, the busiest second', async () => {
    h = await startHarness({ now, account: { throughputMps: 2 }, accounts: [OTHER] });
    // The first number: its bucket holds 2, the third send in the same instant is refused.
    expect((await send(h.base, reminder(undefined, undefined, 'msg-1'))).status).toBe(200);
    expect((await send(h.base, reminder(undefined, undefined, 'msg-1'))).status).toBe(200);
    const refused = await send(h.base, reminder(undefined, undefined, 'msg-2'));
    expect(refused.json.error.code).toBe(130429);
    clock += 1_000;
    expect((await send(h.base, reminder(undefined, undefined, 'msg-2'))).status).toBe(200);
    // The other number, unlimited: three at once.
    for (const id of ['x-1', 'x-2', 'x-3']) {
      const r = await call(
        h.base,
        'POST',
        `/v25.0/${OTHER.phoneNumberId}/messages`,
        reminder(undefined, undefined, id),
        OTHER.accessToken,
      );
      expect(r.status).toBe(200);
    }

    const all = await call<{ data: NumberSendsView[] }>(h.base, 'GET', '/_sandbox/sends');
    expect(all.status).toBe(200);
    expect(all.json.data).toEqual([
      {
        phone_number_id: PHONE_ID,
        accepted: 3,
        throttled: 1,
        distinct_callback_data: 2,
        duplicates: 1,
        busiest_second: 2,
        first_accepted_ms: clock - 1_000,
        last_accepted_ms: clock,
      },
      {
        phone_number_id: OTHER.phoneNumberId,
        accepted: 3,
        throttled: 0,
        distinct_callback_data: 3,
        duplicates: 0,
        busiest_second: 3,
        first_accepted_ms: clock,
        last_accepted_ms: clock,
      },
    ]);
    expect(h.sandbox.sendsByNumber()).toEqual(all.json.data);

    const one = await call(h.base, 'GET', `/_sandbox/accounts/${PHONE_ID}/sends`);
    expect(one.json).toMatchObject({ accepted: 3, duplicates: 1, callback_data: { 'msg-1': 2, 'msg-2': 1 } });
  });

  it('names an unknown number', async () => {
    h = await startHarness({ now });
    expect(await call(h.base, 'GET', '/_sandbox/accounts/999/sends')).toEqual({
      status: 404,
      json: { error: { message: 'unknown phone number id 999' } },
    });
  });
});
