/**
 * Our WhatsApp adapter against the sandbox over real HTTP, without the engine in between: what
 * the adapter makes of Meta's answers (success, each kind of refusal) and of the template API.
 * The sandbox shares no code with the adapter, so a misreading of Meta's contract shows here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelAccount, OutboundMessage } from '../../src/channels/channel';
import { createWhatsAppChannel } from '../../src/channels/whatsapp/client';
import { SANDBOX_ACCOUNT, sandboxAccount } from '../../src/embedded-sandbox';
import { createSandbox, type Sandbox } from '../../src/sandbox/sandbox';

describe('WhatsApp adapter ↔ sandbox', () => {
  let sandbox: Sandbox;
  let account: ChannelAccount;
  const channel = createWhatsAppChannel({ connections: 4 });

  beforeAll(async () => {
    sandbox = createSandbox({
      accounts: [sandboxAccount()],
      statusWebhooks: false,
      delays: { templateReviewMs: 5 },
    });
    const url = await sandbox.listen(0, '127.0.0.1');
    account = {
      id: 'acc',
      channel: 'whatsapp',
      externalId: SANDBOX_ACCOUNT.phoneNumberId,
      wabaId: SANDBOX_ACCOUNT.wabaId,
      accessToken: SANDBOX_ACCOUNT.accessToken,
      appSecret: SANDBOX_ACCOUNT.appSecret,
      verifyToken: SANDBOX_ACCOUNT.verifyToken,
      baseUrl: url,
      graphVersion: 'v25.0',
    };
  });
  afterAll(async () => {
    await channel.close();
    await sandbox.close();
  });

  const reminder = (messageId: string, values: string[]): OutboundMessage => ({
    messageId,
    to: '5491155551234',
    content: {
      kind: 'template',
      template: {
        name: 'appointment_reminder',
        language: { code: 'es_AR', policy: 'deterministic' },
        components: [{ type: 'body', parameters: values.map((text) => ({ type: 'text', text })) }],
      },
    },
  });

  it('sends a template and gets a wamid; our id reaches Meta as biz_opaque_callback_data', async () => {
    const r = await channel.send(account, reminder('msg_A', ['Emilia', 'la Dra. Gómez', 'lunes']));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.providerMessageId).toMatch(/^wamid\./);
    expect(r.waId).toBe('5491155551234');
    expect(sandbox.countsByCallbackData().get('msg_A')).toBe(1);
  });

  it('turns each refusal into Meta code and HTTP status, which the engine classifies', async () => {
    const count = await channel.send(account, reminder('msg_B', ['Emilia']));
    expect(count).toMatchObject({ ok: false, error: { code: 132000, httpStatus: 400 } });
    const unknown = await channel.send(account, {
      ...reminder('msg_C', ['a', 'b', 'c']),
      content: { kind: 'template', template: { name: 'nope', language: { code: 'es_AR' } } },
    });
    expect(unknown).toMatchObject({ ok: false, error: { code: 132001, httpStatus: 404 } });
    const badToken = await channel.send(
      { ...account, accessToken: 'expired' },
      reminder('msg_D', ['a', 'b', 'c']),
    );
    expect(badToken).toMatchObject({ ok: false, error: { code: 190, httpStatus: 401 } });
    const newline = await channel.send(account, reminder('msg_E', ['Emi\nlia', 'b', 'c']));
    expect(newline).toMatchObject({ ok: false, error: { httpStatus: 400 } });
    expect(sandbox.sent().filter((s) => s.bizOpaque && s.bizOpaque !== 'msg_A')).toHaveLength(0);
  });

  it('creates a template, follows its review through the listing, refuses a duplicate', async () => {
    const created = await channel.createTemplate(account, {
      name: 'lab_results_ready',
      language: 'es_AR',
      category: 'UTILITY',
      components: [
        {
          type: 'BODY',
          text: 'Hola {{1}}, tus resultados de laboratorio ya están listos. ¿Querés que te los enviemos por acá?',
          example: { body_text: [['Emilia']] },
        },
        { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Sí, enviar' }] },
      ],
    });
    expect(created).toMatchObject({ ok: true, value: { status: 'PENDING', category: 'UTILITY' } });
    await sandbox.drainWebhooks();
    const deadline = Date.now() + 5_000;
    let status = '';
    while (Date.now() < deadline) {
      const list = await channel.listTemplates(account);
      if (!list.ok) throw new Error(list.error.title);
      status = list.value.find((t) => t.name === 'lab_results_ready')?.status ?? '';
      if (status === 'APPROVED') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(status).toBe('APPROVED');
    const dup = await channel.createTemplate(account, {
      name: 'lab_results_ready',
      language: 'es_AR',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Hola, ¿seguimos?' }],
    });
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.error.code).toBe(100);
  });
});
