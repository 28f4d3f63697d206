/**
 * Meta's limits on command: the messaging limit (unique users outside the window in a moving
 * 24 h, failed status beyond it), the per-user marketing cap (131049), errors injected for one
 * recipient (sync or as a failed status), and phone_number_quality_update webhooks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LIMIT_EXCEEDED_CODE } from './meta-limits';
import {
  call,
  type GraphError,
  type Harness,
  PHONE_ID,
  reminder,
  send,
  startHarness,
  text,
  USER,
} from './test-support';

const HOUR = 3_600_000;
const A = '5491100000001';
const B = '5491100000002';
const C = '5491100000003';

/** The seed's MARKETING template, with every parameter it needs. */
function taxi(to = USER) {
  return {
    messaging_product: 'whatsapp',
    to,
    type: 'template',
    template: {
      name: 'taxi_discount',
      language: { code: 'es_AR' },
      components: [
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example/taxi.jpg' } }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Emilia' },
            { type: 'text', text: '10%' },
          ],
        },
        { type: 'button', sub_type: 'url', index: 2, parameters: [{ type: 'text', text: 'taxi10' }] },
        {
          type: 'button',
          sub_type: 'copy_code',
          index: 3,
          parameters: [{ type: 'coupon_code', coupon_code: 'TAXI10' }],
        },
      ],
    },
  };
}

describe('Meta limits in the sandbox', () => {
  let h: Harness;
  let clock = Date.UTC(2026, 5, 1, 12);
  const now = () => clock;
  afterEach(() => h.close());

  async function statusOf(wamid: string) {
    await h.sandbox.drainWebhooks();
    const mine = h.receiver.statuses().filter((s) => s.id === wamid);
    return mine[mine.length - 1];
  }

  it('has no messaging limit unless one is configured', async () => {
    h = await startHarness({ now });
    expect((await call(h.base, 'GET', `/_sandbox/accounts/${PHONE_ID}/messaging-limit`)).json).toEqual({
      limit: null,
    });
    for (let i = 0; i < 30; i++)
      expect((await send(h.base, reminder(`54911000001${String(i).padStart(2, '0')}`))).status).toBe(200);
    await h.sandbox.drainWebhooks();
    expect(h.receiver.statuses().filter((s) => s.status === 'failed')).toEqual([]);
  });

  it('fails templates to new users beyond the messaging limit, counts a user once, frees slots after 24 h', async () => {
    clock = Date.UTC(2026, 5, 1, 12);
    h = await startHarness({ now, account: { messagingLimit: 2 } });
    const a = await send(h.base, reminder(A));
    const b = await send(h.base, reminder(B));
    clock += HOUR;
    const c = await send(h.base, reminder(C));
    // Accepted (200, wamid) as at Meta, then failed asynchronously.
    expect(c.status).toBe(200);
    expect(await statusOf(c.json.messages[0]!.id)).toMatchObject({
      status: 'failed',
      errors: [
        { code: LIMIT_EXCEEDED_CODE, error_data: { details: expect.stringMatching(/messaging limit/) } },
      ],
    });
    expect((await statusOf(a.json.messages[0]!.id))?.status).toBe('delivered');
    expect((await statusOf(b.json.messages[0]!.id))?.status).toBe('delivered');
    // A user already reached in the window takes no new slot.
    const again = await send(h.base, reminder(A));
    expect((await statusOf(again.json.messages[0]!.id))?.status).toBe('delivered');
    expect((await call(h.base, 'GET', `/_sandbox/accounts/${PHONE_ID}/messaging-limit`)).json).toEqual({
      limit: 2,
      reached: 2,
      code: LIMIT_EXCEEDED_CODE,
    });
    // B's reach leaves the moving 24 h first (A was reached again an hour later).
    clock += 23 * HOUR;
    const later = await send(h.base, reminder(C));
    expect((await statusOf(later.json.messages[0]!.id))?.status).toBe('delivered');
    const fourth = await send(h.base, reminder(B));
    expect((await statusOf(fourth.json.messages[0]!.id))?.errors?.[0]?.code).toBe(LIMIT_EXCEEDED_CODE);
  });

  it('does not count a user whose window is open, nor a failed send', async () => {
    clock = Date.UTC(2026, 5, 1, 12);
    h = await startHarness({ now, account: { messagingLimit: 1 } });
    h.sandbox.users.sendText(PHONE_ID, A, 'hola');
    // Inside A's window: neither a template nor free-form text counts.
    await send(h.base, reminder(A));
    await send(h.base, text(A, 'en qué te ayudo'));
    const b = await send(h.base, reminder(B));
    expect((await statusOf(b.json.messages[0]!.id))?.status).toBe('delivered');
    const c = await send(h.base, reminder(C));
    expect((await statusOf(c.json.messages[0]!.id))?.errors?.[0]?.code).toBe(LIMIT_EXCEEDED_CODE);
    expect(h.sandbox.stats().accepted).toBe(4);
  });

  it('sets and lifts the limit on command, with a chosen code', async () => {
    h = await startHarness({ now });
    const set = await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/messaging-limit`, {
      limit: 0,
      code: 131064,
    });
    expect(set.json).toEqual({ limit: 0, reached: 0, code: 131064 });
    const r = await send(h.base, reminder(A));
    expect((await statusOf(r.json.messages[0]!.id))?.errors?.[0]?.code).toBe(131064);
    await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/messaging-limit`, { limit: null });
    const ok = await send(h.base, reminder(A));
    expect((await statusOf(ok.json.messages[0]!.id))?.status).toBe('delivered');
    const bad = await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/messaging-limit`, { limit: -1 });
    expect(bad).toEqual({
      status: 400,
      json: { error: { message: 'limit must be a whole number of users or null, got -1' } },
    });
    expect((await call(h.base, 'GET', '/_sandbox/accounts/999/messaging-limit')).status).toBe(404);
  });

  it('refuses marketing templates to a capped user with 131049, utility still goes; "all" caps everyone', async () => {
    h = await startHarness({ now });
    const capped = await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/marketing-cap`, { users: [A] });
    expect(capped.json).toEqual({ success: true, users: [A], capped: true });
    const m = await send(h.base, taxi(A));
    expect(m.status).toBe(200);
    expect(await statusOf(m.json.messages[0]!.id)).toMatchObject({
      status: 'failed',
      errors: [{ code: 131049, error_data: { details: expect.stringMatching(/healthy ecosystem/) } }],
    });
    const u = await send(h.base, reminder(A));
    expect((await statusOf(u.json.messages[0]!.id))?.status).toBe('delivered');
    const other = await send(h.base, taxi(B));
    expect((await statusOf(other.json.messages[0]!.id))?.status).toBe('delivered');

    h.sandbox.capMarketing(PHONE_ID, 'all');
    const c = await send(h.base, taxi(C));
    expect((await statusOf(c.json.messages[0]!.id))?.errors?.[0]?.code).toBe(131049);
    await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/marketing-cap`, { all: true, lift: true });
    const after = await send(h.base, taxi(A));
    expect((await statusOf(after.json.messages[0]!.id))?.status).toBe('delivered');
    const bad = await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/marketing-cap`, { users: ['12'] });
    expect(bad.status).toBe(400);
  });

  it('answers injected codes for one recipient: synchronously with Meta’s status, or as a failed status', async () => {
    h = await startHarness({ now });
    const q = await call(h.base, 'POST', '/_sandbox/errors', { code: 131056, to: A, count: 2 });
    expect(q.json).toMatchObject({ queued: { code: 131056, mode: 'sync', count: 2, to: A } });
    await call(h.base, 'POST', '/_sandbox/errors', { code: 131057 });
    // B is not A: the first matching error for B is the untargeted 131057 (HTTP 500).
    const b = await send(h.base, reminder(B));
    expect(b.status).toBe(500);
    expect(b.json.error).toMatchObject({ code: 131057, message: '(#131057) Account in maintenance mode' });
    for (let i = 0; i < 2; i++) {
      const a = await send(h.base, reminder(A));
      expect(a.status).toBe(400);
      expect((a.json as GraphError).error.code).toBe(131056);
    }
    expect((await send(h.base, reminder(A))).status).toBe(200);

    h.sandbox.injectError({ code: 131064, to: C });
    const c = await send(h.base, reminder(C));
    expect(c.status).toBe(200);
    expect((await statusOf(c.json.messages[0]!.id))?.errors?.[0]).toMatchObject({ code: 131064 });
    const forced = h.sandbox.injectError({ code: 130429, mode: 'async' });
    expect(forced.mode).toBe('async');
    expect((await call(h.base, 'GET', '/_sandbox/errors')).json).toMatchObject({ data: [{ code: 130429 }] });
    await call(h.base, 'DELETE', '/_sandbox/errors');
    expect((await call(h.base, 'GET', '/_sandbox/errors')).json).toEqual({ data: [] });
    const bad = await call(h.base, 'POST', '/_sandbox/errors', { code: 4, mode: 'later' });
    expect(bad).toEqual({
      status: 400,
      json: { error: { message: 'mode must be "sync" or "async", got later' } },
    });
  });

  it('emits phone_number_quality_update on command', async () => {
    h = await startHarness({ now, account: { messagingLimit: 2000 } });
    const r = await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/quality`, { event: 'flagged' });
    expect(r.json).toEqual({ success: true });
    h.sandbox.setQuality(PHONE_ID, { event: 'DOWNGRADE', currentLimit: 'TIER_250', oldLimit: 'TIER_2K' });
    await h.sandbox.drainWebhooks();
    const posts = h.receiver.posts.filter(
      (p) => p.body.entry[0]?.changes[0]?.field === 'phone_number_quality_update',
    );
    expect(posts.every((p) => p.signatureValid)).toBe(true);
    expect(h.receiver.changes('phone_number_quality_update')).toEqual([
      { display_phone_number: '15550783881', event: 'FLAGGED', current_limit: 'TIER_2K' },
      {
        display_phone_number: '15550783881',
        event: 'DOWNGRADE',
        current_limit: 'TIER_250',
        old_limit: 'TIER_2K',
      },
    ]);
    const bad = await call(h.base, 'POST', `/_sandbox/accounts/${PHONE_ID}/quality`, { event: 'WORSE' });
    expect(bad.json).toEqual({
      error: { message: 'event must be one of FLAGGED, UNFLAGGED, DOWNGRADE, UPGRADE' },
    });
  });
});
