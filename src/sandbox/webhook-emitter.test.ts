import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createSandbox } from './sandbox';
import {
  ACCOUNT,
  type Harness,
  PHONE_ID,
  reminder,
  SECRET,
  send,
  startHarness,
  startReceiver,
  text,
  USER,
  WABA_ID,
} from './test-support';

async function withHarness(opts: Parameters<typeof startHarness>[0], fn: (h: Harness) => Promise<void>) {
  const h = await startHarness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

const MAY_2026 = Date.UTC(2026, 4, 1, 12);
const NOV_2026 = Date.UTC(2026, 10, 25, 12);

describe('status webhooks', () => {
  it('sends sent → delivered → read, signed over ASCII-escaped bytes', () =>
    withHarness({ delays: { sentMs: 0, deliveredMs: 0, readMs: 0 } }, async (h) => {
      h.sandbox.users.setName(USER, 'Begoña 🎉');
      const opaque = 'cita-ñ-¿-🎉';
      const res = await send(h.base, reminder(USER, ['Begoña', '¿el Dr. Ñandú?', 'lunes 🎉'], opaque));
      const wamid = res.json.messages[0]?.id;
      await h.sandbox.drainWebhooks();

      const statuses = h.receiver.statuses().filter((s) => s.id === wamid);
      expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
      for (const s of statuses) expect(s.biz_opaque_callback_data).toBe(opaque);

      for (const post of h.receiver.posts) {
        expect(post.signatureValid).toBe(true);
        expect(post.raw.every((byte) => byte <= 0x7e)).toBe(true);
      }
      const raw = h.receiver.posts.map((p) => p.raw.toString('latin1')).join('\n');
      expect(raw).toContain('cita-\\u00f1-\\u00bf-\\ud83c\\udf89');
      expect(raw).toContain('Bego\\u00f1a \\ud83c\\udf89');
      // Re-serialising the parsed body would not reproduce the signed bytes.
      const first = h.receiver.posts[0];
      const reserialised = JSON.stringify(first?.body);
      const sig = (b: string) => createHmac('sha256', SECRET).update(b).digest('hex');
      expect(sig(reserialised)).not.toBe(sig(first?.raw.toString('latin1') ?? ''));

      // The template values reached the phone with their characters intact.
      const [msg] = h.sandbox.users.inbox(USER);
      expect(msg?.text).toBe(
        'Hola Begoña, te recordamos tu turno en SaludCenter con ¿el Dr. Ñandú? el lunes 🎉. ¿Podés confirmar tu asistencia?',
      );
      expect(msg?.read).toBe(true);
    }));

  it('shapes the envelope like Meta: WABA entry, metadata, contacts, conversation and PMP pricing', () =>
    withHarness({ now: () => NOV_2026, delays: { sentMs: 0, deliveredMs: 0, readMs: 0 } }, async (h) => {
      await send(h.base, reminder(USER, undefined, 'op-1'));
      await h.sandbox.drainWebhooks();
      const post = h.receiver.posts[0];
      expect(post?.body.object).toBe('whatsapp_business_account');
      const entry = post?.body.entry[0];
      expect(entry?.id).toBe(WABA_ID);
      const change = entry?.changes[0];
      expect(change?.field).toBe('messages');
      expect(change?.value.messaging_product).toBe('whatsapp');
      expect(change?.value.metadata).toEqual({
        display_phone_number: '15550783881',
        phone_number_id: PHONE_ID,
      });
      expect(change?.value.contacts?.[0]?.wa_id).toBe(USER);

      const [sent, delivered, read] = h.receiver.statuses();
      expect(sent).toMatchObject({
        status: 'sent',
        recipient_id: USER,
        timestamp: String(Math.floor(NOV_2026 / 1000)),
        conversation: { origin: { type: 'utility' } },
        pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' },
      });
      expect(sent?.conversation?.id).toMatch(/^[0-9a-f]{32}$/);
      expect(Number(sent?.conversation?.expiration_timestamp)).toBe(Math.floor(NOV_2026 / 1000) + 86_400);
      expect(delivered?.pricing?.category).toBe('utility');
      expect(delivered?.conversation?.expiration_timestamp).toBeUndefined();
      expect(read?.pricing).toBeUndefined();
    }));

  it('batches statuses produced together into one POST per WABA, one change per number', async () => {
    const receiver = await startReceiver();
    const sandbox = createSandbox({
      accounts: [
        { ...ACCOUNT, webhookUrl: receiver.url },
        { ...ACCOUNT, phoneNumberId: '222', displayPhoneNumber: '15550000222', webhookUrl: receiver.url },
        {
          ...ACCOUNT,
          phoneNumberId: '333',
          wabaId: '444',
          displayPhoneNumber: '15550000333',
          webhookUrl: receiver.url,
        },
      ],
      delays: { sentMs: 0, deliveredMs: 0, readMs: null },
      webhookBatchMs: 200,
    });
    const base = await sandbox.listen(0);
    try {
      const post = (phone: string) =>
        request(`${base}/v25.0/${phone}/messages`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ACCOUNT.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify(reminder()),
        }).then((r) => r.body.dump());
      await Promise.all([
        post(PHONE_ID),
        post(PHONE_ID),
        post(PHONE_ID),
        post('222'),
        post('222'),
        post('333'),
      ]);
      await sandbox.drainWebhooks();
      const statuses = receiver.statuses();
      expect(statuses).toHaveLength(12);
      expect(receiver.posts.length).toBeLessThan(statuses.length);
      for (const p of receiver.posts) expect(p.body.entry).toHaveLength(1);
      const mixed = receiver.posts.find((p) => p.body.entry[0]?.changes.length === 2);
      expect(mixed?.body.entry[0]?.id).toBe(WABA_ID);
      const numbers = mixed?.body.entry[0]?.changes.map((c) => c.value.metadata?.phone_number_id);
      expect(numbers?.sort()).toEqual(['222', PHONE_ID].sort());
      expect(mixed?.body.entry[0]?.changes[0]?.value.statuses?.length).toBeGreaterThan(1);
      const other = receiver.posts.filter((p) => p.body.entry[0]?.id === '444');
      expect(other.length).toBeGreaterThan(0);
    } finally {
      await sandbox.close();
      await receiver.close();
    }
  });
});

describe('delivery', () => {
  it('retries after the receiver answers 500 twice, keeping the order', () =>
    withHarness({ failFirst: 2, webhookRetry: { baseMs: 5, maxAttempts: 5 } }, async (h) => {
      const res = await send(h.base, reminder());
      await h.sandbox.drainWebhooks();
      expect(h.receiver.attempts).toBe(h.receiver.posts.length + 2);
      const statuses = h.receiver.statuses().filter((s) => s.id === res.json.messages[0]?.id);
      expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered']);
      expect(h.sandbox.stats().webhooks).toMatchObject({ failedAttempts: 2, dropped: 0 });
    }));

  it('gives up after maxAttempts and still drains', () =>
    withHarness({ failFirst: 1000, webhookRetry: { baseMs: 1, maxAttempts: 3 } }, async (h) => {
      await send(h.base, reminder());
      await h.sandbox.drainWebhooks();
      expect(h.receiver.posts).toHaveLength(0);
      expect(h.sandbox.stats().webhooks.dropped).toBeGreaterThan(0);
      expect(h.receiver.attempts % 3).toBe(0);
    }));

  it('treats an unreachable receiver as a failure', async () => {
    const sandbox = createSandbox({
      accounts: [{ ...ACCOUNT, webhookUrl: 'http://127.0.0.1:9/unreachable' }],
      delays: { sentMs: 0, deliveredMs: 0, readMs: null },
      webhookBatchMs: 0,
      webhookRetry: { baseMs: 1, maxAttempts: 2 },
    });
    const base = await sandbox.listen(0);
    try {
      await send(base, reminder());
      await sandbox.drainWebhooks();
      expect(sandbox.stats().webhooks.failedAttempts).toBeGreaterThanOrEqual(2);
      expect(sandbox.stats().webhooks.delivered).toBe(0);
    } finally {
      await sandbox.close();
    }
  });
});

describe('the 24-hour window', () => {
  it('accepts free-form outside the window, then reports failed with 131047', () =>
    withHarness({ now: () => MAY_2026 }, async (h) => {
      const res = await send(h.base, text(USER, 'hola'));
      expect(res.status).toBe(200);
      expect(res.json.messages[0]?.message_status).toBeUndefined();
      const wamid = res.json.messages[0]?.id;
      await h.sandbox.drainWebhooks();
      const statuses = h.receiver.statuses().filter((s) => s.id === wamid);
      expect(statuses).toEqual([
        {
          id: wamid,
          status: 'failed',
          timestamp: String(Math.floor(MAY_2026 / 1000)),
          recipient_id: USER,
          errors: [
            {
              code: 131047,
              title: 'Re-engagement message',
              message: 'Re-engagement message',
              error_data: {
                details:
                  'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
              },
              href: 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/',
            },
          ],
        },
      ]);
      expect(h.sandbox.users.inbox(USER)).toHaveLength(0);
      expect(h.sandbox.sent().find((r) => r.wamid === wamid)).toMatchObject({
        status: 'failed',
        errorCode: 131047,
      });
    }));

  it('opens with an inbound message and closes 24 hours later', async () => {
    let now = MAY_2026;
    await withHarness({ now: () => now }, async (h) => {
      h.sandbox.users.sendText(PHONE_ID, USER, 'hola, ¿tienen turno?');
      const open = await send(h.base, text(USER, 'Sí, mañana'));
      await h.sandbox.drainWebhooks();
      const ok = h.receiver.statuses().filter((s) => s.id === open.json.messages[0]?.id);
      expect(ok.map((s) => s.status)).toEqual(['sent', 'delivered']);
      expect(ok[0]?.pricing).toEqual({
        billable: false,
        pricing_model: 'PMP',
        type: 'free_customer_service',
        category: 'service',
      });
      expect(h.receiver.messages()[0]).toMatchObject({
        from: USER,
        type: 'text',
        text: { body: 'hola, ¿tienen turno?' },
      });

      now += 24 * 3600 * 1000 + 1;
      const late = await send(h.base, text(USER, '¿Seguís ahí?'));
      await h.sandbox.drainWebhooks();
      const failed = h.receiver.statuses().filter((s) => s.id === late.json.messages[0]?.id);
      expect(failed.map((s) => [s.status, s.errors?.[0]?.code])).toEqual([['failed', 131047]]);
    });
  });
});

describe('faults and switches', () => {
  it('skips delivered when asked', () =>
    withHarness(
      { faults: { skipDelivered: true }, delays: { sentMs: 0, deliveredMs: 0, readMs: 0 } },
      async (h) => {
        await send(h.base, reminder());
        await h.sandbox.drainWebhooks();
        expect(h.receiver.statuses().map((s) => s.status)).toEqual(['sent', 'read']);
      },
    ));

  it('duplicates statuses in a later POST', () =>
    withHarness({ faults: { duplicateRate: 1, random: () => 0 } }, async (h) => {
      await send(h.base, reminder());
      await h.sandbox.drainWebhooks();
      const kinds = h.receiver.statuses().map((s) => s.status);
      expect(kinds.filter((k) => k === 'sent')).toHaveLength(2);
      expect(kinds.filter((k) => k === 'delivered')).toHaveLength(2);
    }));

  it('reorders without losing anything', () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    return withHarness(
      { faults: { reorder: true, random }, delays: { sentMs: 0, deliveredMs: 0, readMs: 0 } },
      async (h) => {
        for (let i = 0; i < 10; i++) await send(h.base, reminder());
        await h.sandbox.drainWebhooks();
        expect(h.receiver.statuses()).toHaveLength(30);
      },
    );
  });

  it('sends no status webhooks when statusWebhooks is false, but still sends inbound messages', () =>
    withHarness({ statusWebhooks: false }, async (h) => {
      await send(h.base, reminder());
      h.sandbox.users.sendText(PHONE_ID, USER, 'hola');
      await h.sandbox.drainWebhooks();
      expect(h.receiver.statuses()).toHaveLength(0);
      expect(h.receiver.messages()).toHaveLength(1);
      expect(h.sandbox.users.inbox(USER)).toHaveLength(1);
    }));
});
