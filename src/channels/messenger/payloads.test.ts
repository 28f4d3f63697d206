import { describe, expect, it } from 'vitest';
import type { OutboundContent, OutboundMessage } from '../channel';
import { buildSendBody, MessengerPayloadError, serializeSendBody } from './payloads';

const PSID = '6845719238451234';

function msg(content: OutboundContent, more: Partial<OutboundMessage> = {}): OutboundMessage {
  return { messageId: 'msg_01HZX', to: PSID, content, ...more };
}

function refusal(m: OutboundMessage): MessengerPayloadError {
  try {
    buildSendBody(m);
  } catch (e) {
    if (e instanceof MessengerPayloadError) return e;
    throw e;
  }
  throw new Error('expected a MessengerPayloadError');
}

const buttons = (n: number, title = (k: number) => `Option ${k}`) => ({
  type: 'button',
  body: { text: 'Did your parcel arrive?' },
  action: {
    buttons: Array.from({ length: n }, (_, k) => ({
      type: 'reply',
      reply: { id: `B${k}`, title: title(k) },
    })),
  },
});

describe('text', () => {
  it('goes as message.text, RESPONSE by default, our id as metadata', () => {
    expect(buildSendBody(msg({ kind: 'text', text: { body: 'Hola Emilia' } }))).toStrictEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: { text: 'Hola Emilia', metadata: 'msg_01HZX' },
    });
  });

  it('UPDATE as the policy decided it (marketing inside the window)', () => {
    const body = buildSendBody(msg({ kind: 'text', text: { body: 'Hi' }, messaging: { type: 'UPDATE' } }));
    expect(body.messaging_type).toBe('UPDATE');
    expect(body).not.toHaveProperty('tag');
  });

  it('HUMAN_AGENT: MESSAGE_TAG with the tag', () => {
    const body = buildSendBody(
      msg({
        kind: 'text',
        text: { body: 'Hi, this is Ana from support' },
        messaging: { type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' },
      }),
    );
    expect(body).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
  });

  it('preview_url has no Messenger field and is left out', () => {
    const body = buildSendBody(msg({ kind: 'text', text: { body: 'https://x.example', preview_url: true } }));
    expect(body.message).toStrictEqual({ text: 'https://x.example', metadata: 'msg_01HZX' });
  });

  it('2,000 characters pass; 2,001 are refused, never cut', () => {
    const max = 'a'.repeat(2000);
    expect(buildSendBody(msg({ kind: 'text', text: { body: max } })).message.text).toBe(max);
    const e = refusal(msg({ kind: 'text', text: { body: `${max}b` } }));
    expect(e.title).toBe('Text too long for Messenger');
    expect(e.path).toBe('content.text.body');
    expect(e.message).toMatch(/2001 characters.*at most 2000.*never cut/);
  });

  it('counts characters, not UTF-16 units: 2,000 emoji fit', () => {
    const emoji = '😀'.repeat(2000);
    expect(buildSendBody(msg({ kind: 'text', text: { body: emoji } })).message.text).toBe(emoji);
  });

  it('refuses an empty text', () => {
    expect(refusal(msg({ kind: 'text', text: { body: '' } })).title).toBe('Empty Messenger text');
  });

  it('quotes a message inside the window with reply_to', () => {
    const body = buildSendBody(msg({ kind: 'text', text: { body: 'Sure' } }, { replyToProviderId: 'm_abc' }));
    expect(body.reply_to).toStrictEqual({ mid: 'm_abc' });
  });

  it('does not quote in a tagged send (outside the window Meta would refuse the quote)', () => {
    const body = buildSendBody(
      msg(
        { kind: 'text', text: { body: 'Sure' }, messaging: { type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } },
        { replyToProviderId: 'm_abc' },
      ),
    );
    expect(body).not.toHaveProperty('reply_to');
  });

  it('refuses UTILITY for text: UTILITY carries a template', () => {
    const e = refusal(msg({ kind: 'text', text: { body: 'Hi' }, messaging: { type: 'UTILITY' } }));
    expect(e.title).toBe('UTILITY carries only a template');
  });

  it('refuses a retired tag (stored before the policy knew), naming the date', () => {
    const e = refusal(
      msg({
        kind: 'text',
        text: { body: 'Hi' },
        messaging: { type: 'MESSAGE_TAG', tag: 'ACCOUNT_UPDATE' } as unknown as OutboundContent['messaging'],
      }),
    );
    expect(e.title).toBe('Messenger tag not accepted');
    expect(e.message).toMatch(/ACCOUNT_UPDATE since 2026-04-27/);
  });

  it('refuses an empty recipient', () => {
    expect(refusal(msg({ kind: 'text', text: { body: 'Hi' } }, { to: '' })).path).toBe('to');
  });
});

describe('reply buttons → quick replies', () => {
  it('text plus one quick reply per button, the button id as payload', () => {
    expect(buildSendBody(msg({ kind: 'interactive', interactive: buttons(2) }))).toStrictEqual({
      recipient: { id: PSID },
      messaging_type: 'RESPONSE',
      message: {
        text: 'Did your parcel arrive?',
        quick_replies: [
          { content_type: 'text', title: 'Option 0', payload: 'B0' },
          { content_type: 'text', title: 'Option 1', payload: 'B1' },
        ],
        metadata: 'msg_01HZX',
      },
    });
  });

  it('header and footer become the first and last paragraph', () => {
    const interactive = {
      ...buttons(1),
      header: { type: 'text', text: 'SaludCenter' },
      footer: { text: 'Reply to confirm' },
    };
    expect(buildSendBody(msg({ kind: 'interactive', interactive })).message.text).toBe(
      'SaludCenter\n\nDid your parcel arrive?\n\nReply to confirm',
    );
  });

  it('13 quick replies pass, 14 are refused', () => {
    expect(
      buildSendBody(msg({ kind: 'interactive', interactive: buttons(13) })).message.quick_replies,
    ).toHaveLength(13);
    expect(refusal(msg({ kind: 'interactive', interactive: buttons(14) })).title).toBe(
      'Wrong number of quick replies',
    );
    expect(refusal(msg({ kind: 'interactive', interactive: buttons(0) })).title).toBe(
      'Wrong number of quick replies',
    );
  });

  it('a title over 20 characters is refused (Meta would cut it)', () => {
    const e = refusal(
      msg({ kind: 'interactive', interactive: buttons(2, (k) => (k === 1 ? 'x'.repeat(21) : 'ok')) }),
    );
    expect(e.path).toBe('content.interactive.action.buttons[1].reply.title');
    expect(e.message).toMatch(/1 to 20 characters/);
  });

  it('a body too long once header and footer are joined is refused', () => {
    const interactive = { ...buttons(1), body: { text: 'a'.repeat(1990) }, footer: { text: 'b'.repeat(20) } };
    expect(refusal(msg({ kind: 'interactive', interactive })).title).toBe('Text too long for Messenger');
  });

  it('lists, media headers and other button kinds have no Messenger form', () => {
    expect(
      refusal(msg({ kind: 'interactive', interactive: { type: 'list', body: { text: 'x' } } })).title,
    ).toBe('Unsupported interactive message for Messenger');
    const image = { ...buttons(1), header: { type: 'image', image: { link: 'https://x/y.png' } } };
    expect(refusal(msg({ kind: 'interactive', interactive: image })).title).toBe(
      'Unsupported header for Messenger',
    );
    const url = { ...buttons(1), action: { buttons: [{ type: 'url', url: 'https://x' }] } };
    expect(refusal(msg({ kind: 'interactive', interactive: url })).path).toBe(
      'content.interactive.action.buttons[0]',
    );
  });
});

describe('templates → Utility Messages', () => {
  const appointment = {
    name: 'appointment_confirm',
    language: { code: 'es_AR', policy: 'deterministic' as const },
    components: [
      { type: 'header', parameters: [{ type: 'text', text: 'SaludCenter' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Emilia' },
          { type: 'date_time', date_time: { fallback_value: 'martes 3 de marzo, 10:00' } },
          { type: 'currency', currency: { fallback_value: '$1.500', code: 'ARS', amount_1000: 1500000 } },
        ],
      },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '1',
        parameters: [{ type: 'payload', payload: 'CANCEL:42' }],
      },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '0',
        parameters: [{ type: 'payload', payload: 'CONFIRM:42' }],
      },
      { type: 'button', sub_type: 'url', index: '2', parameters: [{ type: 'text', text: 'appt/42' }] },
    ],
  };

  it('UTILITY, message.template, one buttons component in button order, no index, no metadata', () => {
    expect(buildSendBody(msg({ kind: 'template', template: appointment }))).toStrictEqual({
      recipient: { id: PSID },
      messaging_type: 'UTILITY',
      message: {
        template: {
          name: 'appointment_confirm',
          language: { code: 'es_AR' },
          components: [
            { type: 'header', parameters: [{ type: 'text', text: 'SaludCenter' }] },
            {
              type: 'body',
              parameters: [
                { type: 'text', text: 'Emilia' },
                { type: 'text', text: 'martes 3 de marzo, 10:00' },
                { type: 'text', text: '$1.500' },
              ],
            },
            {
              type: 'buttons',
              parameters: [
                { type: 'POSTBACK', payload: 'CONFIRM:42' },
                { type: 'POSTBACK', payload: 'CANCEL:42' },
                { type: 'URL', url: 'appt/42' },
              ],
            },
          ],
        },
      },
    });
  });

  it('UTILITY from the policy is the same; any other messaging type is refused', () => {
    const queued = buildSendBody(
      msg({ kind: 'template', template: appointment, messaging: { type: 'UTILITY' } }),
    );
    expect(queued.messaging_type).toBe('UTILITY');
    const e = refusal(msg({ kind: 'template', template: appointment, messaging: { type: 'RESPONSE' } }));
    expect(e.title).toBe('Template sent with the wrong messaging type');
  });

  it('named parameters keep parameter_name', () => {
    const body = buildSendBody(
      msg({
        kind: 'template',
        template: {
          name: 'order_shipped',
          language: { code: 'en' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: '566701', parameter_name: 'order_id' }] },
          ],
        },
      }),
    );
    expect(body.message.template?.components).toStrictEqual([
      { type: 'body', parameters: [{ type: 'text', text: '566701', parameter_name: 'order_id' }] },
    ]);
  });

  it('a template without components is sent as name and language only', () => {
    const body = buildSendBody(
      msg({ kind: 'template', template: { name: 'hello', language: { code: 'en' } } }),
    );
    expect(body.message).toStrictEqual({ template: { name: 'hello', language: { code: 'en' } } });
  });

  it('does not quote a message (a utility message goes outside the window)', () => {
    const body = buildSendBody(
      msg({ kind: 'template', template: appointment }, { replyToProviderId: 'm_1' }),
    );
    expect(body).not.toHaveProperty('reply_to');
  });

  it('an image header passes; video, document and location headers have no Messenger form', () => {
    const image = { type: 'image', image: { link: 'https://cdn.example/a.png' } };
    const withHeader = (p: Record<string, unknown>) => ({
      name: 't',
      language: { code: 'en' },
      components: [{ type: 'header', parameters: [p] }],
    });
    expect(
      buildSendBody(msg({ kind: 'template', template: withHeader(image) })).message.template?.components,
    ).toStrictEqual([{ type: 'header', parameters: [image] }]);
    const e = refusal(
      msg({ kind: 'template', template: withHeader({ type: 'video', video: { link: 'https://x/v.mp4' } }) }),
    );
    expect(e.title).toBe('Template parameter not available on Messenger');
    expect(e.path).toBe('content.template.components[0].parameters[0]');
  });

  it('copy-code, flow and carousel parts have no Messenger form', () => {
    const t = (c: Record<string, unknown>) => ({ name: 't', language: { code: 'en' }, components: [c] });
    expect(
      refusal(
        msg({
          kind: 'template',
          template: t({
            type: 'button',
            sub_type: 'copy_code',
            index: '0',
            parameters: [{ type: 'coupon_code', coupon_code: 'X' }],
          }),
        }),
      ).title,
    ).toBe('Template button not available on Messenger');
    expect(refusal(msg({ kind: 'template', template: t({ type: 'carousel', cards: [] }) })).title).toBe(
      'Template component not available on Messenger',
    );
  });
});

describe('serializeSendBody', () => {
  it('is the JSON of buildSendBody', () => {
    for (const content of [
      { kind: 'text', text: { body: 'Hola "Emilia" ✓' } },
      { kind: 'interactive', interactive: buttons(3) },
      { kind: 'template', template: { name: 'x', language: { code: 'en' } } },
    ] as OutboundContent[]) {
      const m = msg(content, { replyToProviderId: 'm_q' });
      expect(JSON.parse(serializeSendBody(m))).toStrictEqual(buildSendBody(m));
    }
  });
});
