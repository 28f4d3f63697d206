/**
 * A simulated user who stops marketing messages, as at Meta: a signed `user_preferences`
 * webhook goes out, marketing templates are still accepted (200, wamid) and then fail with
 * 131050, utility templates still arrive, and "resume" lets marketing through again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { call, type Harness, PHONE_ID, reminder, send, startHarness, USER, WABA_ID } from './test-support';

/** The seed's MARKETING template (image header, two quick replies, URL and copy-code buttons). */
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

describe('marketing preferences of simulated users', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  it('sends a signed user_preferences webhook on stop and on resume', async () => {
    const res = await call(h.base, 'POST', `/_sandbox/users/${USER}/marketing`, {
      phone_number_id: PHONE_ID,
      value: 'stop',
    });
    expect(res).toEqual({ status: 200, json: { success: true, marketing: 'stopped' } });
    h.sandbox.users.setMarketing(PHONE_ID, USER, 'resume');
    await h.sandbox.drainWebhooks();
    const posts = h.receiver.posts.filter((p) => p.body.entry[0]?.changes[0]?.field === 'user_preferences');
    expect(posts).toHaveLength(2);
    expect(posts.every((p) => p.signatureValid)).toBe(true);
    expect(posts[0]?.body.entry[0]?.id).toBe(WABA_ID);
    const values = h.receiver.changes('user_preferences') as Array<Record<string, any>>;
    expect(values[0]?.metadata.phone_number_id).toBe(PHONE_ID);
    expect(values.map((v) => v.user_preferences[0])).toEqual([
      {
        wa_id: USER,
        detail: 'User requested to stop marketing messages',
        category: 'marketing_messages',
        value: 'stop',
        timestamp: expect.any(Number),
      },
      expect.objectContaining({ value: 'resume', category: 'marketing_messages' }),
    ]);
  });

  it('accepts a marketing template to a user who stopped marketing, then fails it with 131050', async () => {
    h.sandbox.users.setMarketing(PHONE_ID, USER, 'stop');
    const marketing = await send(h.base, taxi());
    expect(marketing.status).toBe(200);
    const wamid = marketing.json.messages[0]!.id;
    const utility = await send(h.base, reminder());
    expect(utility.status).toBe(200);
    await h.sandbox.drainWebhooks();

    const failed = h.receiver.statuses().find((s) => s.id === wamid);
    expect(failed?.status).toBe('failed');
    expect(failed?.errors?.[0]).toMatchObject({
      code: 131050,
      error_data: { details: expect.stringMatching(/stop receiving marketing/) },
    });
    // The utility template still reaches the phone; the marketing one never does.
    expect(h.sandbox.users.inbox(USER).map((m) => m.template?.name)).toEqual(['appointment_reminder']);
    expect(h.sandbox.sent().find((r) => r.wamid === wamid)).toMatchObject({
      status: 'failed',
      errorCode: 131050,
    });

    h.sandbox.users.setMarketing(PHONE_ID, USER, 'resume');
    const again = await send(h.base, taxi());
    await h.sandbox.drainWebhooks();
    const resumed = h.receiver.statuses().filter((s) => s.id === again.json.messages[0]!.id);
    expect(resumed.map((s) => s.status)).toEqual(['sent', 'delivered']);
    expect(h.sandbox.users.inbox(USER).map((m) => m.template?.name)).toEqual([
      'appointment_reminder',
      'taxi_discount',
    ]);
  });

  it('names a user with a username by user_id, and only by it when the phone is hidden', async () => {
    const named = await call<{ bsuid: string }>(h.base, 'POST', `/_sandbox/users/${USER}/username`, {
      username_only: true,
    });
    h.sandbox.users.setMarketing(PHONE_ID, USER, 'stop');
    await h.sandbox.drainWebhooks();
    const [value] = h.receiver.changes('user_preferences') as Array<Record<string, any>>;
    expect(value?.user_preferences[0]).toMatchObject({ user_id: named.json.bsuid, value: 'stop' });
    expect(value?.user_preferences[0]).not.toHaveProperty('wa_id');
    expect(value?.contacts[0]).toEqual({ profile: { name: expect.any(String) }, user_id: named.json.bsuid });
  });

  it('refuses a malformed request with a plain reason', async () => {
    const bad = await call(h.base, 'POST', `/_sandbox/users/${USER}/marketing`, {
      phone_number_id: PHONE_ID,
      value: 'pause',
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({
      error: { message: 'phone_number_id and value ("stop" or "resume") are required' },
    });
    const unknown = await call(h.base, 'POST', '/_sandbox/users/12/marketing', {
      phone_number_id: PHONE_ID,
      value: 'stop',
    });
    expect(unknown.status).toBe(400);
    expect(h.sandbox.users.marketingStopped(PHONE_ID, '12')).toBe(false);
  });
});
