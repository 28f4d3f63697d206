import { describe, expect, it } from 'vitest';
import { isRecontactError } from '../../domain/errors';
import type { OutboundMessage } from '../channel';
import { buildSendBody, MAX_CALLBACK_DATA_CHARS, serializeSendBody } from './payloads';

const template: OutboundMessage = {
  messageId: '01JD8ZQ3V5X2K7M9N4P6R8T0W1',
  to: '5491155550001',
  content: {
    kind: 'template',
    template: {
      name: 'confirmacion_turno',
      language: { code: 'es_AR', policy: 'deterministic' },
      components: [
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Emilia' },
            { type: 'text', text: '3 de diciembre' },
          ],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '0',
          parameters: [{ type: 'payload', payload: 'appt:42:confirm' }],
        },
        {
          type: 'button',
          sub_type: 'quick_reply',
          index: '1',
          parameters: [{ type: 'payload', payload: 'appt:42:cancel' }],
        },
      ],
    },
  },
};

const text: OutboundMessage = {
  messageId: 'm-2',
  to: '5491155550001',
  content: { kind: 'text', text: { body: '¡Gracias, Emilia! "Nos vemos" 🙌', preview_url: false } },
  replyToProviderId: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABIYFjNFQjBDNzk4RjJBOUQ0RTVGNkE3QjgA',
};

const interactive: OutboundMessage = {
  messageId: 'm-3',
  to: '5491155550001',
  content: {
    kind: 'interactive',
    interactive: {
      type: 'button',
      body: { text: '¿Qué horario preferís?' },
      action: {
        buttons: [
          { type: 'reply', reply: { id: 'slot_am', title: 'Mañana' } },
          { type: 'reply', reply: { id: 'slot_pm', title: 'Tarde' } },
        ],
      },
    },
  },
};

describe('buildSendBody', () => {
  it('template: envelope, callback data, template object as given', () => {
    expect(buildSendBody(template)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '5491155550001',
      type: 'template',
      biz_opaque_callback_data: '01JD8ZQ3V5X2K7M9N4P6R8T0W1',
      template: (template.content as { template: unknown }).template,
    });
  });

  it('text with reply context', () => {
    expect(buildSendBody(text)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '5491155550001',
      type: 'text',
      biz_opaque_callback_data: 'm-2',
      context: { message_id: 'wamid.HBgNNTQ5MTE1NTU1MDAwMRUCABIYFjNFQjBDNzk4RjJBOUQ0RTVGNkE3QjgA' },
      text: { body: '¡Gracias, Emilia! "Nos vemos" 🙌', preview_url: false },
    });
  });

  it('interactive', () => {
    expect(buildSendBody(interactive)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '5491155550001',
      type: 'interactive',
      biz_opaque_callback_data: 'm-3',
      interactive: (interactive.content as { interactive: unknown }).interactive,
    });
  });

  it('accepts a 512-char message id and rejects 513', () => {
    const ok = { ...text, messageId: 'x'.repeat(MAX_CALLBACK_DATA_CHARS) };
    expect(buildSendBody(ok).biz_opaque_callback_data).toHaveLength(512);
    const long = { ...text, messageId: 'x'.repeat(MAX_CALLBACK_DATA_CHARS + 1) };
    for (const f of [buildSendBody, serializeSendBody]) {
      try {
        f(long);
        expect.unreachable();
      } catch (e) {
        expect(isRecontactError(e) && e.code).toBe('INPUT_INVALID');
      }
    }
  });

  it('rejects an unknown content kind', () => {
    const bad = { ...text, content: { kind: 'audio' } } as unknown as OutboundMessage;
    expect(() => buildSendBody(bad)).toThrow(/content.kind "audio"/);
    expect(() => serializeSendBody(bad)).toThrow(/content.kind "audio"/);
  });
});

describe('serializeSendBody', () => {
  it.each([
    ['template', template],
    ['text + context', text],
    ['interactive', interactive],
    ['template to a BSUID', { ...template, to: 'AR.13491208655302741918' }],
    ['text to a BSUID', { ...text, to: 'US.1' }],
  ])('%s: same JSON, same key order as JSON.stringify(buildSendBody())', (_n, m) => {
    expect(serializeSendBody(m)).toBe(JSON.stringify(buildSendBody(m)));
    expect(JSON.parse(serializeSendBody(m))).toStrictEqual(buildSendBody(m));
  });

  it.each([
    ['template', template],
    ['text + context', text],
    ['interactive', interactive],
    ['template to a BSUID', { ...template, to: 'AR.13491208655302741918' }],
  ])('%s: posted from the stored content text, the same bytes as from the parsed content', (_n, m) => {
    const fromStored = { ...m, contentJson: JSON.stringify(m.content) };
    expect(serializeSendBody(fromStored)).toBe(serializeSendBody(m));
    // The stored text is what is posted: a content object that disagrees is not read.
    const stale = { ...fromStored, content: { kind: 'text', text: { body: 'not this' } } } as OutboundMessage;
    expect(serializeSendBody(stale)).toBe(serializeSendBody(m));
  });

  it('parses the content when the stored text is not exactly {"kind":K,"K":V}', () => {
    const stored = { kind: 'text', text: { body: 'hola' }, messaging: { type: 'RESPONSE' } };
    const m = { ...text, content: stored as OutboundMessage['content'], contentJson: JSON.stringify(stored) };
    expect(JSON.parse(serializeSendBody(m)).text).toStrictEqual({ body: 'hola' });
    const audio = { ...text, contentJson: '{"kind":"audio","audio":{"id":"1"}}' };
    expect(JSON.parse(serializeSendBody(audio)).type).toBe('text');
  });

  it('escapes quotes and control characters in ids', () => {
    const m = { ...text, messageId: 'a"b\\c\n', to: '54"9', replyToProviderId: 'w"x' };
    expect(JSON.parse(serializeSendBody(m))).toMatchObject({
      biz_opaque_callback_data: 'a"b\\c\n',
      to: '54"9',
      context: { message_id: 'w"x' },
    });
  });
});

describe('the address: to or recipient', () => {
  it('a wa_id goes in `to`, a BSUID in `recipient`, never both', () => {
    const byPhone = buildSendBody(template);
    expect(byPhone.to).toBe('5491155550001');
    expect(byPhone).not.toHaveProperty('recipient');
    for (const f of [buildSendBody, (m: OutboundMessage) => JSON.parse(serializeSendBody(m))]) {
      const byBsuid = f({ ...template, to: 'AR.13491208655302741918' });
      expect(byBsuid.recipient).toBe('AR.13491208655302741918');
      expect(byBsuid).not.toHaveProperty('to');
      expect(byBsuid.recipient_type).toBe('individual');
    }
  });

  it('a malformed BSUID is not taken for one (it is refused before it gets here)', () => {
    expect(buildSendBody({ ...template, to: 'ar.1' })).toMatchObject({ to: 'ar.1' });
  });
});
