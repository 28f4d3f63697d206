/**
 * Our Messenger adapter against the sandbox's Messenger side, over HTTP. Both were written from
 * the fact sheet (reference/messenger-platform.md) by different hands and share no code, so a
 * misreading on either side shows here: the bodies the adapter posts are the ones the sandbox
 * takes (text, quick replies, utility templates, HUMAN_AGENT), the templates it creates are the
 * ones the sandbox approves, the webhooks the sandbox signs are the ones the adapter verifies
 * and parses, and every refusal the sandbox answers is classified as the dispatcher will act
 * on it (10/2018278 never retried, 1893061 never retried, 613 and 80006 backed off, 190 stops
 * the page).
 */
import Fastify from 'fastify';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAccount, OutboundMessage, SendResult, WebhookItem } from '../../src/channels/channel';
import {
  createMessengerChannel,
  type MessengerChannel,
  parseSendResponse,
} from '../../src/channels/messenger/client';
import { classifyProviderError } from '../../src/domain/provider-errors';
import type { CloudTemplate } from '../../src/domain/templates/model';
import { createSandbox, type Sandbox } from '../../src/sandbox/sandbox';

/** Where the sandbox posts the page's webhooks: the raw bytes and the signature header, as sent. */
interface Receiver {
  url: string;
  posts: Array<{ raw: Buffer; signature: string | undefined }>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const app = Fastify();
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const posts: Receiver['posts'] = [];
  app.post('/webhooks/messenger', (req, reply) => {
    const header = req.headers['x-hub-signature-256'];
    posts.push({ raw: req.body as Buffer, signature: typeof header === 'string' ? header : undefined });
    return reply.send('EVENT_RECEIVED');
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url: `${url}/webhooks/messenger`, posts, close: () => app.close() };
}

const PAGE_ID = '300000000000555';
const PAGE_TOKEN = 'e2e-page-token';
const APP_SECRET = 'e2e-app-secret';
const DAY = 24 * 3600_000;

describe('Messenger adapter against the sandbox', () => {
  let sandbox: Sandbox;
  let receiver: Receiver;
  let channel: MessengerChannel;
  let account: ChannelAccount;
  let seq = 0;

  beforeAll(async () => {
    receiver = await startReceiver();
    sandbox = createSandbox({
      accounts: [],
      pages: [{ pageId: PAGE_ID, pageToken: PAGE_TOKEN, appSecret: APP_SECRET, webhookUrl: receiver.url }],
      delays: { sentMs: 0, deliveredMs: 0, readMs: null, templateReviewMs: 20 },
      webhookBatchMs: 0,
      webhookRetry: { baseMs: 5, maxAttempts: 3 },
    });
    const base = await sandbox.listen(0);
    channel = createMessengerChannel();
    account = {
      id: 'acc_page',
      channel: 'messenger',
      externalId: PAGE_ID,
      wabaId: null,
      accessToken: PAGE_TOKEN,
      appSecret: APP_SECRET,
      verifyToken: 'e2e-verify',
      baseUrl: base,
      graphVersion: 'v25.0',
    };
  });

  afterAll(async () => {
    await channel.close();
    await sandbox.close();
    await receiver.close();
  });

  /** Someone who wrote to the page `ago` ms before now (sandbox clock). */
  function person(ago = 0): string {
    const psid = sandbox.messenger.users.create(PAGE_ID).psid;
    sandbox.messenger.users.sendText(psid, 'Hola', { at: sandbox.clock.now() - ago });
    return psid;
  }

  function message(to: string, content: OutboundMessage['content']): OutboundMessage {
    seq += 1;
    return { messageId: `msg_e2e_${seq}`, to, content };
  }

  function text(to: string, body: string, messaging?: OutboundMessage['content']['messaging']) {
    return message(to, { kind: 'text', text: { body }, ...(messaging ? { messaging } : {}) });
  }

  /** Every item the adapter parses out of the webhooks received so far, signatures checked first. */
  async function parsedWebhooks(): Promise<WebhookItem[]> {
    await sandbox.drainWebhooks();
    return receiver.posts.flatMap((p) => {
      expect(channel.verifySignature(APP_SECRET, p.raw, p.signature)).toBe(true);
      expect(channel.verifySignature('another-secret', p.raw, p.signature)).toBe(false);
      return channel.parseWebhook(p.raw);
    });
  }

  function classified(r: SendResult) {
    expect(r.ok).toBe(false);
    if (r.ok) throw new Error('expected a refusal');
    return { error: r.error, ...classifyProviderError({ ...r.error, channel: 'messenger' }) };
  }

  it('sends a text inside the window as RESPONSE, with our id as metadata, and reads the echo and receipts back', async () => {
    const psid = person();
    const m = text(psid, '¡Hola Emilia! ¿En qué te ayudo?');
    const r = await channel.send(account, m);
    expect(r).toMatchObject({ ok: true, providerMessageId: expect.stringMatching(/^m_/) });
    const sent = sandbox.messenger.sent().at(-1);
    expect(sent?.body).toMatchObject({
      recipient: { id: psid },
      messaging_type: 'RESPONSE',
      message: { text: '¡Hola Emilia! ¿En qué te ayudo?', metadata: m.messageId },
    });
    await sandbox.drainWebhooks();
    expect(sandbox.messenger.users.inbox(psid)).toHaveLength(1);
  });

  it('turns reply buttons into quick replies the person taps, and parses the tap from the signed webhook', async () => {
    const psid = person();
    const r = await channel.send(
      account,
      message(psid, {
        kind: 'interactive',
        interactive: {
          type: 'button',
          body: { text: '¿Confirmás el turno del lunes?' },
          action: {
            buttons: [
              { type: 'reply', reply: { id: 'CONFIRM:apt-42', title: 'Confirmar' } },
              { type: 'reply', reply: { id: 'CANCEL:apt-42', title: 'Cancelar' } },
            ],
          },
        },
      }),
    );
    expect(r.ok).toBe(true);
    await sandbox.drainWebhooks();
    const shown = sandbox.messenger.users.inbox(psid).at(-1);
    expect(shown?.quickReplies.map((q) => q.title)).toEqual(['Confirmar', 'Cancelar']);
    const mid = sandbox.messenger.users.tapQuickReply(psid, 'Confirmar');
    const items = await parsedWebhooks();
    const tap = items.find((i) => i.kind === 'inbound' && i.providerMessageId === mid);
    expect(tap).toMatchObject({
      kind: 'inbound',
      externalId: PAGE_ID,
      from: psid,
      text: 'Confirmar',
      button: { payload: 'CONFIRM:apt-42' },
    });
    const receipts = items.filter((i) => i.kind === 'watermark' && i.recipientId === psid);
    expect(receipts.map((i) => (i.kind === 'watermark' ? i.status : ''))).toEqual(['delivered', 'read']);
  });

  it('creates a utility template the sandbox approves, sends it after the window, and parses the postback', async () => {
    const definition = {
      name: 'appointment_reminder_e2e',
      language: 'es',
      category: 'UTILITY',
      components: [
        {
          type: 'BODY',
          text: 'Hola {{1}}, tu turno con {{2}} es el {{3}}. ¿Confirmás tu asistencia?',
          example: { body_text: [['Emilia', 'la Dra. Gómez', 'lunes 10:00']] },
        },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Confirmar' },
            { type: 'QUICK_REPLY', text: 'Cancelar' },
          ],
        },
      ],
    };
    const created = await channel.createTemplate(account, definition);
    expect(created).toMatchObject({ ok: true, value: { status: 'PENDING', category: 'UTILITY' } });
    const items = await parsedWebhooks();
    expect(items.find((i) => i.kind === 'template_status')).toMatchObject({ event: 'APPROVED' });
    const listed = await channel.listTemplates(account);
    expect(listed.ok && listed.value.find((t) => t.name === definition.name)).toMatchObject({
      status: 'APPROVED',
      components: definition.components.map((c) => expect.objectContaining({ type: c.type })),
    });

    const psid = person(20 * DAY);
    const template: CloudTemplate = {
      name: definition.name,
      language: { code: 'es' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Emilia' },
            { type: 'text', text: 'la Dra. Gómez' },
            { type: 'text', text: 'lunes 3 de marzo a las 10:00' },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'CONFIRM:apt-7' }],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '1',
          parameters: [{ type: 'payload', payload: 'CANCEL:apt-7' }],
        },
      ],
    } as CloudTemplate;
    const r = await channel.send(
      account,
      message(psid, { kind: 'template', template, messaging: { type: 'UTILITY' } }),
    );
    expect(r).toMatchObject({ ok: true });
    await sandbox.drainWebhooks();
    expect(sandbox.messenger.users.inbox(psid).at(-1)).toMatchObject({
      type: 'utility',
      text: 'Hola Emilia, tu turno con la Dra. Gómez es el lunes 3 de marzo a las 10:00. ¿Confirmás tu asistencia?',
      buttons: [
        { type: 'postback', title: 'Confirmar', payload: 'CONFIRM:apt-7' },
        { type: 'postback', title: 'Cancelar', payload: 'CANCEL:apt-7' },
      ],
    });
    const mid = sandbox.messenger.users.postback(psid, 'Confirmar');
    const postback = (await parsedWebhooks()).find(
      (i) => i.kind === 'inbound' && i.providerMessageId === mid,
    );
    expect(postback).toMatchObject({
      from: psid,
      button: { payload: 'CONFIRM:apt-7', text: 'Confirmar' },
      isMessage: false,
    });
    // The tap reopened the window: the bot's thank-you goes as a plain RESPONSE.
    expect((await channel.send(account, text(psid, '¡Gracias! Te esperamos.'))).ok).toBe(true);
  });

  it('sends HUMAN_AGENT within 7 days of the last message; after them the refusal is permanent, never retried', async () => {
    const psid = person(3 * DAY);
    const human = (body: string) => text(psid, body, { type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
    expect((await channel.send(account, human('Hola, soy Ana de SaludCenter.'))).ok).toBe(true);
    expect(sandbox.messenger.sent().at(-1)?.body).toMatchObject({
      messaging_type: 'MESSAGE_TAG',
      tag: 'HUMAN_AGENT',
    });
    const bot = classified(await channel.send(account, text(psid, 'respuesta automática')));
    expect(bot.error).toMatchObject({ code: 10, subcode: 2018278, httpStatus: 400 });
    expect(bot.class).toBe('permanent');

    const late = person(7 * DAY + 60_000);
    const refused = classified(
      await channel.send(account, text(late, 'Tarde', { type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' })),
    );
    expect(refused.error).toMatchObject({ code: 10, subcode: 2018278 });
    expect(refused.class).toBe('permanent');
    expect(refused.reason).toMatch(/24-hour window/);
  });

  it('never posts a retired tag, and reads the sandbox’s 1893061 answer to one as permanent', async () => {
    const psid = person();
    const before = sandbox.messenger.sent().length;
    const local = classified(
      await channel.send(account, text(psid, 'x', { type: 'MESSAGE_TAG', tag: 'ACCOUNT_UPDATE' } as never)),
    );
    expect(local.error.rejectedLocally).toBe(true);
    expect(local.class).toBe('permanent');
    expect(sandbox.messenger.sent()).toHaveLength(before);

    // What Meta answers a tool that still sends it (a raw Send API call, as older SDKs make).
    const res = await request(`${account.baseUrl}/v25.0/${PAGE_ID}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${PAGE_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        recipient: { id: psid },
        messaging_type: 'MESSAGE_TAG',
        tag: 'ACCOUNT_UPDATE',
        message: { text: 'Tu cuenta fue actualizada' },
      }),
    });
    const answer = parseSendResponse({
      ok: true,
      status: res.statusCode,
      headers: res.headers,
      text: await res.body.text(),
    });
    const retired = classified(answer);
    expect(retired.error).toMatchObject({ code: 100, subcode: 1893061, httpStatus: 400 });
    expect(retired.class).toBe('permanent');
    expect(retired.reason).toMatch(/retired/);
  });

  it('backs off on 613 and 80006, fails 551 and an unknown PSID for good, stops the page on 190', async () => {
    const psid = person();
    sandbox.messenger.injectError({ code: 613, pageId: PAGE_ID });
    const throttled = classified(await channel.send(account, text(psid, 'x')));
    expect(throttled.error).toMatchObject({ code: 613, httpStatus: 400 });
    expect(throttled.class).toBe('retry_later');
    expect(throttled.minDelayMs).toBeGreaterThan(0);

    sandbox.messenger.injectError({ code: 80006, psid });
    expect(classified(await channel.send(account, text(psid, 'x'))).class).toBe('retry_later');

    sandbox.messenger.injectError({ code: 2, psid });
    const transient = classified(await channel.send(account, text(psid, 'x')));
    expect(transient.error.httpStatus).toBe(500);
    expect(transient.class).toBe('retry_later');

    sandbox.messenger.users.setBlocked(psid, true);
    const blocked = classified(await channel.send(account, text(psid, 'x')));
    expect(blocked.error).toMatchObject({ code: 551, subcode: 1545041 });
    expect(blocked.class).toBe('permanent');
    sandbox.messenger.users.setBlocked(psid, false);

    const nobody = classified(await channel.send(account, text('1234567890123456', 'x')));
    expect(nobody.error).toMatchObject({ code: 100, subcode: 2018001 });
    expect(nobody.class).toBe('permanent');

    const badToken = classified(await channel.send({ ...account, accessToken: 'expired' }, text(psid, 'x')));
    expect(badToken.error.code).toBe(190);
    expect(badToken.class).toBe('account_fatal');
    // And after all that, the page still sends.
    expect((await channel.send(account, text(psid, 'sigo acá'))).ok).toBe(true);
  });
});
